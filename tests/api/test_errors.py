"""One error shape, the right status, and the message in the caller's language."""

from __future__ import annotations

import pytest

from tests.api.conftest import error_of


def test_unauthenticated_in_chinese_by_default_and_english_on_request(county, api_as):
    zh = api_as(None).get("/api/households")
    assert zh.status_code == 401
    assert error_of(zh) == {"code": "unauthenticated", "fields": {},
                            "message": "请先登录，或提供有效的 API 令牌（令牌可能已过期）。"}
    en = api_as(None, language="en").get("/api/households")
    assert error_of(en)["message"] == "Log in first, or send a valid API token (it may have expired)."


@pytest.mark.parametrize(("language", "message"), [("zh-hans", "未找到。"), ("en", "Not found.")])
def test_out_of_scope_is_404_like_unknown(county, api_as, language, message):
    worker = api_as(county.users["grid_worker"], language=language)
    neighbour = county.households_in(county.grid("621023100201002"))[0]
    out_of_scope = worker.get(f"/api/households/{neighbour.pk}")
    unknown = worker.get("/api/households/999999")
    assert out_of_scope.status_code == unknown.status_code == 404
    assert error_of(out_of_scope) == error_of(unknown) == {"code": "not_found", "message": message, "fields": {}}


def test_in_scope_without_the_right_is_403(county, api_as):
    adviser = api_as(county.users["legal_adviser"], language="en")  # sees residents, may not reveal IDs
    member = county.households[0].members.first()
    response = adviser.post(f"/api/residents/{member.pk}/reveal-id", {"purpose": "check"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize(("language", "field_message"), [
    ("zh-hans", "请从以下选项中选择：1, 2, 3, 4, 5, 6, 7, 8。"),
    ("en", "Choose one of: 1, 2, 3, 4, 5, 6, 7, 8."),
])
def test_invalid_query_names_the_field_in_the_callers_language(county, api_as, language, field_message):
    response = api_as(county.users["county_staff"], language=language).get("/api/regions", {"level": 9})
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"level": field_message}


def test_missing_and_malformed_body_fields(county, api_as):
    staff = api_as(county.users["county_staff"], language="en")
    response = staff.post("/api/residents", {"household_id": "abc", "relation": "cousin", "birth_date": "1990-13-01"})
    assert response.status_code == 422
    assert error_of(response)["fields"] == {
        "household_id": "Enter a whole number.",
        "name": "This field is required.",
        "relation": "Choose one of: 'head', 'spouse', 'son', 'daughter', 'father', 'mother', 'son_in_law', "
                    "'daughter_in_law', 'grandson', 'granddaughter', 'grandparent', 'sibling', 'other'.",
        "birth_date": "Enter a date as YYYY-MM-DD.",
    }


def test_unknown_body_fields_are_refused_not_ignored(county, api_as):
    staff = api_as(county.users["county_staff"], language="en")
    member = county.households[0].members.exclude(relation="head").first()
    response = staff.patch(f"/api/residents/{member.pk}", {"phnoe": "13900000000"})
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"phnoe": "Unknown field."}


def test_body_that_is_not_json_is_400(county, api_as):
    response = api_as(county.users["county_staff"]).post("/api/households", "{not json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_wrong_method_and_unknown_address_are_json(county, api_as):
    staff = api_as(county.users["county_staff"], language="en")
    response = staff.send("DELETE", "/api/households")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    for path in ("/api/nowhere", "/api/households/abc", "/api/households/1/nowhere"):
        response = staff.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_the_api_root_says_where_the_docs_are(client):
    body = client.get("/api/").json()
    assert body["docs"].endswith("/api/docs")
    assert body["openapi"].endswith("/api/openapi.json")


def test_an_unexpected_failure_is_a_json_500_and_is_logged(county, api_as, monkeypatch, caplog):
    from shanzhi.regions import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(selectors, "search", broken)
    response = api_as(county.users["county_staff"], language="en").get("/api/search", {"q": "x"})
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert "disk on fire" not in response.content.decode()
    assert "disk on fire" in caplog.text
