"""The loop through the REST API, for each role, and the bad input the issue lists."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shanzhi.casework.models import RequestPhoto, ServiceRequest
from shanzhi.core.models import AuditEvent, StateChange
from tests.casework.conftest import file_request, image_bytes

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_the_loop_by_api(county, categories, client, media):
    users = county.users
    client.force_login(users["resident"])
    # A photo first (as a mini-program uploads), then the request naming it.
    photo = client.post("/api/requests/photos", {"file": SimpleUploadedFile("x.jpg", image_bytes())})
    assert photo.status_code == 201, photo.content
    photo_id = photo.json()["id"]
    r = post(client, "/api/requests", {"category": "water", "description": "水管破裂", "photo_ids": [photo_id]})
    assert r.status_code == 201, r.content
    body = r.json()
    rid = body["id"]
    assert body["state"] == "submitted"
    assert body["household_id"] == county.households[0].pk
    assert [p["id"] for p in body["photos"]] == [photo_id]
    assert client.get(body["photos"][0]["url"]).status_code == 200
    assert client.get("/api/requests?queue=mine").json()["count"] == 1

    client.force_login(users["grid_worker"])
    detail = client.get(f"/api/requests/{rid}").json()
    assert "dispatch" in detail["actions"]
    assert detail["suggested_department"]["id"] == county.department.pk
    assert client.get("/api/requests?queue=dispatch").json()["count"] == 1
    r = post(client, f"/api/requests/{rid}/dispatch", {"to": "department", "department_id": county.department.pk})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "dispatched"

    client.force_login(users["department_staff"])
    assert [x["id"] for x in client.get("/api/requests?queue=incoming").json()["items"]] == [rid]
    assert post(client, f"/api/requests/{rid}/accept", {}).json()["state"] == "accepted"
    r = post(client, f"/api/requests/{rid}/resolve", {"result": "已更换阀门"})
    assert r.json()["state"] == "resolved"

    client.force_login(users["resident"])
    timeline = client.get(f"/api/requests/{rid}/timeline").json()
    assert [t["transition"] for t in timeline] == ["create", "dispatch", "accept", "resolve"]
    r = post(client, f"/api/requests/{rid}/rate", {"rating": 4, "comment": "满意"})
    assert r.json()["state"] == "rated"
    assert r.json()["rating"] == 4

    client.force_login(users["county_staff"])
    stats = client.get("/api/requests/stats?by=category").json()
    water = next(row for row in stats if row["key"] == str(categories["water"].pk))
    assert water["count"] == 1
    assert water["resolved"] == 1
    assert water["satisfaction"] == 4.0
    assert water["resolved_at"]["county"] == 1.0


def test_staff_file_for_a_resident_and_a_public_matter(county, categories, client):
    users = county.users
    client.force_login(users["grid_worker"])
    home = county.households[1]
    r = post(client, "/api/requests", {"category": "errand", "description": "代办医保续费",
                                       "household_id": home.pk})
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == "grid"
    assert r.json()["household_id"] == home.pk
    r = post(client, "/api/requests", {"category": "roads", "description": "村道塌方",
                                       "region": county.grids[0].code})
    assert r.status_code == 201, r.content
    assert r.json()["level"] == "township"
    assert r.json()["household_id"] is None
    # A household of another grid is out of this worker's scope: a clear 422 on the field.
    other = county.households_in(county.grids[1])[0]
    r = post(client, "/api/requests", {"category": "water", "description": "x", "household_id": other.pk})
    assert r.status_code == 422
    assert "household_id" in r.json()["fields"]

    client.force_login(users["county_staff"])
    r = post(client, "/api/requests", {"category": "assistance", "description": "热线来电:申请临时救助",
                                       "household_id": other.pk, "channel": "hotline", "contact_phone": "13900000000"})
    assert r.status_code == 201
    assert r.json()["channel"] == "hotline"


@pytest.mark.parametrize(("payload", "field"), [
    ({"description": "水管"}, "category"),
    ({"category": "water", "description": "长" * 2001}, "description"),
    ({"category": "water", "description": ""}, "description"),
    ({"category": "nope", "description": "x"}, "category"),
    ({"category": "water", "description": "x", "contact_phone": "abc"}, "contact_phone"),
    ({"category": "water", "description": "x", "latitude": 95, "longitude": 1}, "latitude"),
    ({"category": "water", "description": "x", "photo_ids": [999999]}, "photos"),
    ({"category": "water", "description": "x", "photo_ids": [1, 2, 3, 4, 5, 6, 7]}, "photo_ids"),
    ({"category": "water", "description": "x", "surprise": 1}, "surprise"),
])
def test_bad_filing_is_refused_with_the_field_and_nothing_written(county, categories, client, payload, field):
    client.force_login(county.users["resident"])
    before = (ServiceRequest.objects.count(), StateChange.objects.count(), AuditEvent.objects.count())
    r = post(client, "/api/requests", payload)
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "invalid", body
    assert field in body["fields"], body
    assert (ServiceRequest.objects.count(), StateChange.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(("name", "content", "message_has"), [
    ("photo.jpg", b"MZ\x90\x00 this is a program, not a photo" * 10, "JPEG"),
    ("photo.png", image_bytes("JPEG")[:100], ""),
    ("photo.gif", image_bytes("GIF"), "JPEG"),
    ("empty.jpg", b"", ""),
])
def test_upload_checks_the_content_not_the_name(county, categories, client, media, name, content, message_has):
    client.force_login(county.users["resident"])
    r = client.post("/api/requests/photos", {"file": SimpleUploadedFile(name, content, "image/jpeg")})
    assert r.status_code == 422, r.content
    assert "file" in r.json()["fields"]
    assert message_has in r.json()["fields"]["file"]
    assert not RequestPhoto.objects.exists()
    assert not any(media.rglob("*.*")) if media.exists() else True


def test_too_large_photo_is_refused(county, categories, client, media, settings):
    settings.SHANZHI_PHOTO_MAX_BYTES = 200
    client.force_login(county.users["resident"])
    r = client.post("/api/requests/photos", {"file": SimpleUploadedFile("a.png", image_bytes("PNG", (300, 300)))})
    assert r.status_code == 422
    assert "file" in r.json()["fields"]
    assert not RequestPhoto.objects.exists()


def test_a_real_png_named_exe_is_kept_as_png(county, categories, client, media):
    client.force_login(county.users["resident"])
    r = client.post("/api/requests/photos", {"file": SimpleUploadedFile("setup.exe", image_bytes("PNG"))})
    assert r.status_code == 201
    assert r.json()["content_type"] == "image/png"
    stored = RequestPhoto.objects.get()
    assert stored.file.name.endswith(".png")
    assert str(media) in stored.file.path


def test_photos_are_served_only_in_scope(county, categories, client, media):
    users = county.users
    client.force_login(users["resident"])
    pid = client.post("/api/requests/photos", {"file": SimpleUploadedFile("a.jpg", image_bytes())}).json()["id"]
    # Unattached: only its uploader.
    client.force_login(users["grid_worker"])
    assert client.get(f"/api/requests/photos/{pid}").status_code == 404
    client.force_login(users["resident"])
    rid = post(client, "/api/requests", {"category": "water", "description": "x", "photo_ids": [pid]}).json()["id"]
    for who, status in [("grid_worker", 200), ("township_staff", 200), ("department_staff", 404),
                        ("resident", 200)]:
        client.force_login(users[who])
        assert client.get(f"/api/requests/photos/{pid}").status_code == status, who
        assert client.get(f"/requests/photos/{pid}/").status_code == status, who
    # Another village's grid worker: not found.
    from shanzhi.people.models import Role
    from tests import factories

    stranger = factories.user("u_far_worker", role=Role.GRID_WORKER, region=county.grids[5])
    client.force_login(stranger)
    assert client.get(f"/api/requests/photos/{pid}").status_code == 404
    assert client.get(f"/api/requests/{rid}").status_code == 404


def test_rating_bad_cases(county, categories, client):
    users = county.users
    req = file_request(county, categories)
    client.force_login(users["resident"])
    # Not resolved yet: refused by the request's state.
    r = post(client, f"/api/requests/{req.pk}/rate", {"rating": 5})
    assert r.status_code == 409
    assert (r.json()["code"], list(r.json()["fields"])) == ("conflict", ["state"])
    from shanzhi.casework import services

    services.request_dispatch(actor=users["grid_worker"], request=req, to="level")
    services.request_accept(actor=users["grid_worker"], request=req)
    services.request_resolve(actor=users["grid_worker"], request=req, result="ok")
    r = post(client, f"/api/requests/{req.pk}/rate", {"rating": 0})
    assert r.status_code == 422
    assert "rating" in r.json()["fields"]
    # Another member of the same household sees it but it is not theirs to rate: 403.
    from shanzhi.regions.models import Resident
    from tests import factories

    spouse = Resident.objects.get(household=county.households[0], relation="spouse")
    client.force_login(factories.user("u_spouse", phone=spouse.phone, resident=spouse))
    r = post(client, f"/api/requests/{req.pk}/rate", {"rating": 5})
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    # Staff may not rate either.
    client.force_login(users["grid_worker"])
    assert post(client, f"/api/requests/{req.pk}/rate", {"rating": 5}).status_code == 403
    req.refresh_from_db()
    assert req.state == "resolved"
    assert req.rating is None


def test_transitions_not_allowed_from_state_or_role(county, categories, client):
    users = county.users
    req = file_request(county, categories)
    client.force_login(users["grid_worker"])
    # A step not allowed from the request's state: 409 on ``state`` (not a bad field: the same
    # body is right once the request is accepted).
    r = post(client, f"/api/requests/{req.pk}/resolve", {"result": "done"})
    assert r.status_code == 409
    assert (r.json()["code"], list(r.json()["fields"])) == ("conflict", ["state"])
    client.force_login(users["resident"])
    r = post(client, f"/api/requests/{req.pk}/dispatch", {"to": "level"})
    assert r.status_code == 403
    client.force_login(users["department_staff"])
    r = post(client, f"/api/requests/{req.pk}/accept", {})
    assert r.status_code == 404
    client.force_login(users["grid_worker"])
    r = post(client, f"/api/requests/{req.pk}/dispatch", {"to": "department"})
    assert r.status_code == 422
    assert "department_id" in r.json()["fields"]
    r = post(client, f"/api/requests/{req.pk}/return", {"reason": ""})
    assert r.status_code == 422
    assert "reason" in r.json()["fields"]
    assert StateChange.objects.filter(object_id=req.pk).count() == 1


def test_list_query_count_is_flat(county, categories, client):
    users = county.users
    client.force_login(users["township_staff"])

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            r = client.get("/api/requests?queue=all")
        assert r.status_code == 200
        return len(ctx.captured_queries), r.json()["count"]

    file_request(county, categories)
    few, n1 = count_queries()
    for i in range(12):
        file_request(county, categories, who="grid_worker", household=county.households[i % 3],
                     category=["water", "roads", "environment"][i % 3])
    many, n2 = count_queries()
    assert (n1, n2) == (1, 13)
    assert many == few



def test_the_schema_declares_409_where_a_step_can_be_refused(client):
    """Every step can be refused by the request's state (or lost to a faster colleague):
    the API schema says so, with the one error shape."""
    paths = client.get("/api/openapi.json").json()["paths"]
    steps = ["dispatch", "accept", "start", "return", "resolve", "rate", "reopen", "escalate", "reject", "merge",
             "close"]
    for step in steps:
        responses = paths[f"/api/requests/{{request_id}}/{step}"]["post"]["responses"]
        assert "409" in responses, step
        assert responses["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
