from __future__ import annotations

import json
from typing import Any

import pytest

from shanzhi.people import services


class Api:
    """The test client speaking JSON to /api/, as an account (bearer token) or anonymous."""

    def __init__(self, client: Any, token: str | None = None, language: str | None = None):
        self.client = client
        self.headers: dict[str, str] = {}
        if token:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if language:
            self.headers["HTTP_ACCEPT_LANGUAGE"] = language

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, **{**self.headers, **headers})

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        data = body if isinstance(body, str) else json.dumps(body or {})
        return getattr(self.client, method.lower())(path, data, content_type="application/json",
                                                     **{**self.headers, **headers})

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.send("POST", path, body, **headers)

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.send("PATCH", path, body, **headers)

    def all_items(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a paginated list, page by page."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self.get(path, {**(params or {}), "page": page, "page_size": 7})
            assert response.status_code == 200, response.content
            body = response.json()
            items += body["items"]
            if len(items) >= body["count"] or not body["items"]:
                assert len(items) == body["count"]
                return items
            page += 1


@pytest.fixture
def api_as(client):
    """``api_as(user)``: an Api speaking with a fresh bearer token of ``user``;
    ``api_as(None)``: anonymous."""

    def make(user: Any, language: str | None = None) -> Api:
        token = services.token_create(actor=user, name="test")[1] if user is not None else None
        return Api(client, token, language)

    return make


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    return body
