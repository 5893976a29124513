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


# -- similar requests before filing ("me too") ---------------------------------------------------

def _neighbour(county, index=4, username="u_neighbour"):
    """The head of another household: index 4 is in the same village (张湾村, its second grid),
    index 6 in another village (城关社区)."""
    from shanzhi.regions.models import Resident
    from tests import factories

    head = Resident.objects.get(household=county.households[index], relation="head")
    return factories.user(username, phone=head.phone, resident=head)


def test_similar_requests_shown_before_filing_without_javascript(county, categories, client):
    users = county.users
    leak = file_request(county, categories)  # 村口水管破裂,漏水严重 (households[0], 张湾村第1网格)
    other_kind = file_request(county, categories, category="environment", description="水管旁边堆满垃圾")
    private = file_request(county, categories, category="neighbourhood", description="邻居水管漏到我家")
    far = file_request(county, categories, who="admin", household=county.households[6],
                       description="城关社区水管漏水")
    neighbour = _neighbour(county)
    client.force_login(neighbour)
    page = client.get("/requests/new/").content.decode()
    # Progressive enhancement: a static script (no inline script under the CSP) and a button.
    assert "casework/similar.js" in page
    assert "<script>" not in page
    assert 'name="check_similar"' in page

    r = client.post("/requests/new/", {"category": "water", "description": "水管漏水", "check_similar": "1"})
    assert r.status_code == 200
    html = r.content.decode()
    assert f"#{leak.number}" in html
    assert all(f"#{other.number}" not in html for other in (other_kind, private, far))
    assert f'formaction="/requests/{leak.pk}/follow/"' in html
    assert "水管漏水" in html  # what was typed is kept
    assert users["resident"].resident.phone not in html  # no contact details of the one who asked
    assert ServiceRequest.objects.count() == 4  # checking files nothing

    # "Me too": the neighbour follows it, can open it, finds it in their requests, is told.
    r = client.post(f"/requests/{leak.pk}/follow/", {"category": "water", "description": "水管漏水"})
    assert r.status_code == 302
    assert r["Location"] == f"/requests/{leak.pk}/"
    assert client.get(r["Location"]).status_code == 200
    assert f"#{leak.number}" in client.get("/requests/?queue=mine").content.decode()
    assert client.post(f"/requests/{leak.pk}/follow/").status_code == 302  # twice: still one follower
    assert leak.followers.count() == 1
    services.request_dispatch(actor=users["grid_worker"], request=leak, to="level")
    services.request_accept(actor=users["grid_worker"], request=leak)
    services.request_resolve(actor=users["grid_worker"], request=leak, result="已修好")
    from shanzhi.core.models import Notification

    assert Notification.objects.filter(kind="request.resolved", recipient=neighbour).exists()

    # A non-public matter is not shown to other residents, nor may they follow it; a resident
    # of another village sees nothing of this one.
    r = client.post("/requests/new/", {"category": "neighbourhood", "description": "水管漏", "check_similar": "1"})
    assert f"#{private.number}" not in r.content.decode()
    assert client.post(f"/requests/{private.pk}/follow/").status_code == 404
    client.force_login(_neighbour(county, index=6, username="u_far_resident"))
    r = client.post("/requests/new/", {"category": "water", "description": "水管漏水", "check_similar": "1"})
    assert f"#{far.number}" in r.content.decode()
    assert f"#{leak.number}" not in r.content.decode()


def test_similar_requests_as_typed_through_the_api(county, categories, client):
    users = county.users
    leak = file_request(county, categories)
    road = file_request(county, categories, description="路灯不亮了", household=county.households[3], who="admin")
    client.force_login(_neighbour(county))
    r = client.get("/api/requests/similar", {"category": "water", "title": "路灯坏了"})
    assert r.status_code == 200
    items = r.json()
    # The closest to what was typed first, then the rest (same category, same village).
    assert [i["id"] for i in items] == [road.pk, leak.pk]
    assert set(items[0]) == {"id", "number", "category", "excerpt", "state_label", "submitted_at", "place",
                             "followers", "same_grid", "following"}
    assert client.get("/api/requests/similar", {"category": "water", "limit": 11}).status_code == 422
    r = client.post(f"/api/requests/{leak.pk}/follow", content_type="application/json")
    assert r.json() == {"id": leak.pk, "following": True, "added": True}
    assert client.get("/api/requests/similar", {"category": "water"}).json()[-1]["following"] is True
    # Staff name the household (its number, as typed on the form) or the place, and see what is
    # in their scope: the grid worker their grid, the township the whole village.
    client.force_login(users["grid_worker"])
    r = client.get("/api/requests/similar", {"category": "water", "household": county.households[1].number})
    assert [i["id"] for i in r.json()] == [leak.pk]
    client.force_login(users["township_staff"])
    r = client.get("/api/requests/similar", {"category": "water", "household": county.households[1].number})
    assert {i["id"] for i in r.json()} == {leak.pk, road.pk}
    client.force_login(users["grid_worker"])
    r = client.get("/api/requests/similar", {"category": "water"})
    assert r.status_code == 422
    assert "region" in r.json()["fields"]
    # Staff do not "me too": they merge duplicates.
    assert client.post(f"/api/requests/{leak.pk}/follow", content_type="application/json").status_code == 403
