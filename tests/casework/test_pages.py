"""The loop by page, for each role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.casework import services
from shanzhi.casework.models import RequestPhoto, ServiceRequest
from tests.casework.conftest import file_request, image_bytes

pytestmark = pytest.mark.django_db


def test_the_loop_by_page(county, categories, client, media):
    users = county.users
    client.force_login(users["resident"])
    page = client.get("/requests/new/")
    assert page.status_code == 200
    assert "供水" in page.content.decode()
    r = client.post("/requests/new/", {"category": "water", "description": "自来水管冻裂了",
                                        "photos": [SimpleUploadedFile("a.jpg", image_bytes())]})
    assert r.status_code == 302, r.content.decode()[:2000]
    req = ServiceRequest.objects.get()
    assert r["Location"] == f"/requests/{req.pk}/"
    assert RequestPhoto.objects.get().request == req
    assert "自来水管冻裂了" in client.get(r["Location"]).content.decode()
    assert client.get("/requests/").status_code == 200

    client.force_login(users["grid_worker"])
    queue = client.get("/requests/?queue=dispatch").content.decode()
    assert f"#{req.number}" in queue
    detail = client.get(f"/requests/{req.pk}/").content.decode()
    assert "县水务局" in detail  # the routing rule's suggestion
    r = client.post(f"/requests/{req.pk}/dispatch/", {"to": "department", "department": county.department.pk})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == "dispatched"

    client.force_login(users["department_staff"])
    assert f"#{req.number}" in client.get("/requests/?queue=incoming").content.decode()
    assert client.post(f"/requests/{req.pk}/accept/", {"note": ""}).status_code == 302
    r = client.post(f"/requests/{req.pk}/resolve/", {"note": "已更换水管",
                                                      "photos": [SimpleUploadedFile("b.png", image_bytes("PNG"))]})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == "resolved"
    assert req.photos.filter(kind="result").count() == 1

    client.force_login(users["resident"])
    assert "rate" in client.get(f"/requests/{req.pk}/").content.decode()
    assert client.post(f"/requests/{req.pk}/rate/", {"rating": "5", "comment": "好"}).status_code == 302
    req.refresh_from_db()
    assert (req.state, req.rating) == ("rated", 5)
    # The household page has the requests tab, the home page the card.
    tab = client.get(f"/households/{county.households[0].pk}/?tab=requests")
    assert tab.status_code == 200
    assert f"#{req.number}" in tab.content.decode()
    assert "/requests/" in client.get("/").content.decode()


def test_quick_report_and_errand_by_page(county, categories, client):
    users = county.users
    client.force_login(users["grid_worker"])
    form = client.get("/requests/new/?quick=1").content.decode()
    assert county.grids[0].name in form
    r = client.post("/requests/new/?quick=1", {"category": "environment", "description": "河道垃圾",
                                               "region": county.grids[0].code, "channel": "grid"})
    assert r.status_code == 302
    public = ServiceRequest.objects.get()
    assert (public.household, public.region, public.channel) == (None, county.grids[0], "grid")
    client.force_login(users["village_secretary"])
    r = client.post("/requests/new/", {"category": "errand", "description": "代办养老保险认证",
                                       "household": county.households[2].number, "channel": "service_centre"})
    assert r.status_code == 302
    errand = ServiceRequest.objects.exclude(pk=public.pk).get()
    assert (errand.household, errand.channel) == (county.households[2], "service_centre")


def test_bad_page_input_shows_the_field_and_writes_nothing(county, categories, client, media):
    client.force_login(county.users["resident"])
    r = client.post("/requests/new/", {"category": "", "description": "x"})
    assert r.status_code == 422
    r = client.post("/requests/new/", {"category": "water", "description": "x",
                                       "photos": [SimpleUploadedFile("a.jpg", b"not an image at all")]})
    assert r.status_code == 422
    assert "JPEG" in r.content.decode()
    r = client.post("/requests/new/", {"category": "water", "description": "长" * 2001})
    assert r.status_code == 422
    assert not ServiceRequest.objects.exists()
    assert not RequestPhoto.objects.exists()


def test_township_and_county_pages(county, categories, client):
    users = county.users
    req = file_request(county, categories)
    services.request_escalate(actor=users["grid_leader"], request=req, reason="需要镇里协调")
    late = file_request(county, categories, category="roads")
    ServiceRequest.objects.filter(pk=late.pk).update(response_due=timezone.now() - dt.timedelta(hours=1))
    client.force_login(users["township_staff"])
    assert f"#{req.number}" in client.get("/requests/?queue=escalated").content.decode()
    assert f"#{late.number}" in client.get("/requests/?queue=overdue").content.decode()
    r = client.post(f"/requests/{req.pk}/dispatch/", {"to": "level"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert (req.state, req.handler_kind) == ("dispatched", "level")
    # Reassignment needs a note: the page shows the error, nothing changes.
    r = client.post(f"/requests/{req.pk}/dispatch/", {"to": "department", "department": county.department.pk})
    assert r.status_code == 422
    req.refresh_from_db()
    assert req.handler_kind == "level"
    r = client.post(f"/requests/{req.pk}/dispatch/", {"to": "department", "department": county.department.pk,
                                                      "note": "由县水务局处理"})
    assert r.status_code == 302
    for by in ("category", "region", "department", "level", "state"):
        page = client.get(f"/requests/stats/?by={by}&period=30")
        assert page.status_code == 200, by
    client.force_login(users["county_staff"])
    assert "柔远镇" in client.get("/requests/stats/?by=region").content.decode()
    client.force_login(users["resident"])
    assert client.get("/requests/stats/").status_code == 403


def test_pages_out_of_scope_are_404(county, categories, client):
    users = county.users
    req = file_request(county, categories)
    from shanzhi.people.models import Role
    from tests import factories

    far = factories.user("u_far", role=Role.GRID_WORKER, region=county.grids[5])
    client.force_login(far)
    assert client.get(f"/requests/{req.pk}/").status_code == 404
    assert client.post(f"/requests/{req.pk}/dispatch/", {"to": "level"}).status_code == 404
    client.force_login(users["department_staff"])
    assert client.get(f"/requests/{req.pk}/").status_code == 404
    client.force_login(users["resident"])
    assert client.post(f"/requests/{req.pk}/dispatch/", {"to": "level"}).status_code == 403
