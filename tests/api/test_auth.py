"""Bearer tokens and the session: who the API thinks is calling."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from shanzhi.core.models import AuditEvent
from shanzhi.people.models import ApiToken
from tests import factories
from tests.api.conftest import Api, error_of


def test_a_token_from_username_and_password_authenticates(county, client):
    user = county.users["grid_worker"]
    anonymous = Api(client)
    response = anonymous.post("/api/auth/token", {"username": user.username, "password": factories.PASSWORD,
                                                  "name": "小程序"})
    assert response.status_code == 201, response.content
    key = response.json()["token"]
    assert key.startswith("sz_")
    stored = ApiToken.objects.get(user=user)
    assert stored.key_hash != key
    assert key not in stored.key_hash
    assert stored.expires_at > timezone.now() + dt.timedelta(days=364)

    me = Api(client, key).get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["grants"] == [{"role": "grid_worker", "region_path": county.grid("621023100201001").path,
                                    "department_id": None}]


def test_a_resident_logs_in_with_their_phone_number(county, client):
    resident = county.users["resident"]
    response = Api(client).post("/api/auth/token", {"username": resident.phone, "password": factories.PASSWORD})
    assert response.status_code == 201
    me = Api(client, response.json()["token"]).get("/api/auth/me").json()
    assert me["household_id"] == county.households[0].pk
    assert me["resident_id"] == resident.resident_id


def test_wrong_password_is_refused_and_makes_no_token(county, client):
    response = Api(client).post("/api/auth/token", {"username": "u_grid_worker", "password": "guess"})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"password"}
    assert not ApiToken.objects.exists()


def test_wrong_expired_revoked_or_disabled_tokens_get_401(county, client, api_as):
    user = county.users["grid_worker"]
    good = api_as(user)
    assert good.get("/api/households").status_code == 200
    key = good.headers["HTTP_AUTHORIZATION"].split()[1]

    for header in (f"Bearer {key}x", "Bearer sz_not-a-token", "Bearer ", f"Token {key}", key):
        response = client.get("/api/households", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert error_of(response)["code"] == "unauthenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
    # A token in the query string is not a credential (it would end up in logs).
    assert client.get("/api/households", {"token": key}).status_code == 401

    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert good.get("/api/households").status_code == 401

    ApiToken.objects.filter(user=user).update(expires_at=None)
    assert good.get("/api/households").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert good.get("/api/households").status_code == 401


def test_tokens_are_listed_without_keys_and_revoked_by_their_owner_only(county, client, api_as):
    worker, other = api_as(county.users["grid_worker"]), api_as(county.users["grid_leader"])
    listed = worker.get("/api/auth/tokens").json()
    assert len(listed) == 1
    assert "token" not in listed[0]
    assert "key_hash" not in listed[0]
    token_id = listed[0]["id"]

    response = other.send("DELETE", f"/api/auth/tokens/{token_id}")
    assert response.status_code == 404  # someone else's token is not there for you
    assert worker.get("/api/auth/me").status_code == 200

    assert worker.send("DELETE", f"/api/auth/tokens/{token_id}").status_code == 204
    assert worker.get("/api/auth/me").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", actor=county.users["grid_worker"]).count() == 1


def test_session_writes_need_the_csrf_token(county):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(county.users["village_secretary"])
    household = county.households[0]
    path = f"/api/households/{household.pk}/place"
    body = '{"grid": "621023100201002"}'

    assert browser.get("/api/households").status_code == 200  # reads need no token
    response = browser.post(path, body, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    household.refresh_from_db()
    assert household.grid.code == "621023100201001"  # nothing written

    browser.get("/api/docs")  # any page that renders the token sets the cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post(path, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    household.refresh_from_db()
    assert household.grid.code == "621023100201002"


def test_bearer_writes_need_no_csrf_token_and_anonymous_writes_are_401(county, api_as):
    browser = Client(enforce_csrf_checks=True)
    token = api_as(county.users["village_secretary"]).headers["HTTP_AUTHORIZATION"]
    household = county.households[0]
    response = browser.post(f"/api/households/{household.pk}/place", '{"grid": "621023100201002"}',
                            content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 200
    anonymous = browser.post(f"/api/households/{household.pk}/place", "{}", content_type="application/json")
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "unauthenticated"


def test_token_use_is_stamped_at_most_once_a_minute(county, api_as):
    worker = api_as(county.users["grid_worker"])
    worker.get("/api/auth/me")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    worker.get("/api/auth/me")
    assert ApiToken.objects.get().last_used_at == first
