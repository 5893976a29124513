"""Sending one matrix request and judging its answer."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from tests.matrix.registry import ADMIN_LOGIN, LOGIN, Entry
from tests.matrix.routes import Route
from tests.matrix.world import ANONYMOUS, INSIDE, KINDS, OUTSIDE, World


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Each cell starts from the same world: whatever the request wrote is undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def sign_in(client: Client, world: World, role: str, *, session: bool) -> dict[str, str]:
    """Sign ``client`` in as ``role``: the API with the role's bearer token, pages with a
    session. Returns the extra request headers."""
    client.logout()
    if role == ANONYMOUS:
        return {}
    if session:
        client.force_login(world.users[role])
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[role]}"}


@dataclass
class Call:
    method: str
    url: str
    query: dict[str, Any]
    body: Any
    form: bool
    headers: dict[str, str]


def prepare(client: Client, world: World, entry: Entry, route: Route | None, role: str, obj: Any) -> Call:
    """The request for one cell. Built before the cell's savepoint, so whatever the body or
    query callables create (and remember in ``world.cache``) outlives the rollback."""
    kwargs = entry.url_kwargs(obj)
    if entry.is_api:
        url = entry.path.format(**kwargs)  # type: ignore[union-attr]
    else:
        assert route is not None
        wanted = route.parameters()
        url = route.sample({k: v for k, v in kwargs.items() if k in wanted})
    headers = sign_in(client, world, role, session=not entry.is_api)
    query = dict(entry.query(world, role, obj)) if entry.query else {}
    if entry.is_api and entry.lists:
        query.setdefault("page_size", 200)
    body = entry.body(world, role, obj) if entry.body else None
    return Call(entry.method.lower(), url, query, body, entry.form, headers)


def send(client: Client, call: Call) -> Any:
    if call.method == "get":
        return client.get(call.url, call.query, **call.headers)
    url = call.url + ("?" + urlencode(call.query) if call.query else "")
    if call.form:
        return getattr(client, call.method)(url, call.body or {}, **call.headers)
    return getattr(client, call.method)(url, json.dumps(call.body or {}), content_type="application/json",
                                        **call.headers)


def judge(entry: Entry, world: World, role: str, placement: str, obj: Any, response: Any) -> list[str]:
    """What is wrong with ``response`` (nothing: an empty list)."""
    expected = entry.expected(role, placement)
    status = response.status_code
    where = f"{role:>18} {placement:<7}"
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode("utf-8", "replace")
    problems: list[str] = []
    if expected in (LOGIN, ADMIN_LOGIN):
        login = resolve_url(settings.LOGIN_URL) if expected == LOGIN else reverse("admin:login")
        if status != 302 or not response["Location"].split("?")[0].endswith(login):
            problems.append(f"{where}: expected a redirect to {login}, got {status} {response.get('Location', '')}")
        return problems
    if status != expected:
        problems.append(f"{where}: expected {expected}, got {status}: {body[:200]}")
        return problems
    if entry.is_api and status >= 400:
        try:
            payload = json.loads(body)
        except ValueError:
            return [f"{where}: {status} is not JSON: {body[:200]}"]
        if set(payload) != {"code", "message", "fields"} or not payload["message"] or not isinstance(
                payload["fields"], dict):
            problems.append(f"{where}: error is not {{code, message, fields}}: {body[:200]}")
    if 200 <= status < 300 and not entry.reveals:
        leaked = [s for s in world.secrets() if s in body]
        if leaked:
            problems.append(f"{where}: shows full ID or phone numbers: {leaked[:3]}")
    if entry.lists and status == 200 and obj is not None:
        listed = _listed(entry, obj, body)
        should = role in entry.global_roles or (placement == INSIDE and role in entry.visible)
        if role == ANONYMOUS:
            should = False
        if listed != should:
            problems.append(f"{where}: {KINDS[entry.kind].name} {obj.pk} "  # type: ignore[index]
                            f"{'listed' if listed else 'missing'}; expected {'listed' if should else 'absent'}")
    return problems


def _listed(entry: Entry, obj: Any, body: str) -> bool:
    k = KINDS[entry.kind]  # type: ignore[index]
    if entry.is_api:
        payload = json.loads(body)
        items = entry.items(payload) if entry.items else payload["items"]
        return any(item.get(k.item_field) == k.key(obj) for item in items)
    text = (entry.shows or k.text)(obj)
    return text in body


def run(client: Client, world: World, entry: Entry, route: Route | None, roles: list[str]) -> list[str]:
    problems: list[str] = []
    for role in roles:
        placements = entry.placements() if role != ANONYMOUS else entry.placements()[:1]
        for placement in placements:
            try:
                obj = entry.target(world, role, placement)
                call = prepare(client, world, entry, route, role, obj)
                with rolled_back():
                    response = send(client, call)
                    problems += judge(entry, world, role, placement, obj, response)
            except Exception as exc:  # a crash is one failing cell, not the end of the table
                problems.append(f"{role:>18} {placement:<7}: raised {exc!r}")
    return problems


__all__ = ["OUTSIDE", "Call", "prepare", "rolled_back", "run", "send", "sign_in"]
