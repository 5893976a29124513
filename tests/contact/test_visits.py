"""Visits, by API and by page: a member logs visits to the households in their care (with a
photo checked by its content and its place), and from a visit starts a request, a dispute
clue or a points proposal in one step, pre-filled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.casework import services as casework
from shanzhi.casework.models import ServiceRequest
from shanzhi.contact import services
from shanzhi.contact.models import Visit, VisitFollowUp
from shanzhi.core.models import AuditEvent
from shanzhi.disputes import services as disputes
from shanzhi.disputes.models import Dispute
from shanzhi.points.models import Award, PointRule
from shanzhi.regions.models import Region
from tests.contact.conftest import image_bytes

pytestmark = pytest.mark.django_db

# 张湾村's recorded centre, for the location checks.
LAT, LNG = 36.4567, 107.9876


@pytest.fixture
def cared(county, party):
    """Households 1-3 of 张湾村's first grid in 王's care, 4 in 李's."""
    sec = county.users["village_secretary"]
    homes = county.households_in(county.grids[0])
    services.assignment_create(actor=sec, member=party.wang, households=homes,
                               start_date=timezone.localdate() - dt.timedelta(days=90))
    services.assignment_create(actor=sec, member=party.li, households=county.households_in(county.grids[1])[:1])
    Region.objects.filter(pk=county.villages[0].pk).update(latitude=LAT, longitude=LNG)
    return homes


def _api(client, user):
    client.force_login(user)
    return client


def _visit_body(household, **extra):
    return {"household_id": household.pk, "visited_on": timezone.localdate().isoformat(), "purpose": "help",
            "note": "帮老人办理医保续费", **extra}


def test_a_member_logs_a_visit_by_api(client, county, party, cared):
    api = _api(client, party.wang_user)
    r = api.post("/api/contact/visits", _visit_body(cared[0], settled=True, latitude=LAT + 0.001, longitude=LNG),
                 content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["member"]["id"] == party.wang.pk
    assert body["household"]["number"] == cared[0].number
    assert body["note"] == "帮老人办理医保续费"
    assert body["settled"] is True
    assert body["latitude"] == round(LAT + 0.001, 6)
    visit = Visit.objects.get()
    assert (visit.recorded_by_id, visit.region_path, visit.village_id) == (
        party.wang_user.pk, cared[0].region_path, county.villages[0].pk)
    assert AuditEvent.objects.filter(action="contact.visit", target_id=str(visit.pk)).exists()
    # The member's own list, and the households with when they are due.
    mine = api.get("/api/contact/me/households").json()
    assert [h["household"]["number"] for h in mine][-1] == cared[0].number  # just visited: last
    assert "*" in mine[0]["head_phone"]
    assert api.get("/api/contact/visits").json()["count"] == 1


def test_a_visit_to_a_household_not_in_care_is_refused_and_nothing_written(client, county, party, cared):
    api = _api(client, party.wang_user)
    others = [county.households_in(county.grids[1])[0],  # in 李's care
              county.households_in(county.grids[4])[0]]  # another village altogether
    for household in others:
        r = api.post("/api/contact/visits", _visit_body(household), content_type="application/json")
        assert r.status_code == 422, r.content
        assert set(r.json()["fields"]) == {"household_id"}
    r = api.post("/api/contact/visits", _visit_body(cared[0], visited_on="2030-01-01"),
                 content_type="application/json")
    assert r.status_code == 422
    assert "visited_on" in r.json()["fields"]
    r = api.post("/api/contact/visits", _visit_body(cared[0], purpose="party"), content_type="application/json")
    assert r.status_code == 422
    assert "purpose" in r.json()["fields"]
    # Far from the village: not where the visit took place.
    r = api.post("/api/contact/visits", _visit_body(cared[0], latitude=39.9, longitude=116.4),
                 content_type="application/json")
    assert r.status_code == 422
    assert "latitude" in r.json()["fields"]
    assert not Visit.objects.exists()
    # Someone who is not a member at all.
    r = _api(client, county.users["resident"]).post("/api/contact/visits", _visit_body(cared[0]),
                                                    content_type="application/json")
    assert r.status_code == 403
    assert not Visit.objects.exists()


def test_the_photo_is_checked_by_content_and_place(client, county, party, cared, media):
    api = _api(client, party.wang_user)
    base = {k: str(v) for k, v in _visit_body(cared[1]).items()}
    fake = SimpleUploadedFile("visit.jpg", b"this is not a photo", content_type="image/jpeg")
    r = api.post("/api/contact/visits/with-photo", {**base, "photo": fake})
    assert r.status_code == 422
    assert "photo" in r.json()["fields"]
    elsewhere = SimpleUploadedFile("x.jpg", image_bytes(gps=(LAT + 0.5, LNG)), content_type="image/jpeg")
    r = api.post("/api/contact/visits/with-photo", {**base, "photo": elsewhere, "latitude": str(LAT),
                                                    "longitude": str(LNG)})
    assert r.status_code == 422
    assert "photo" in r.json()["fields"]
    assert not Visit.objects.exists()
    assert not media.exists() or not list(media.rglob("*.jpg"))
    here = SimpleUploadedFile("x.jpg", image_bytes(gps=(LAT + 0.002, LNG + 0.002)), content_type="image/jpeg")
    r = api.post("/api/contact/visits/with-photo", {**base, "photo": here})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["photo_url"]
    assert abs(body["latitude"] - (LAT + 0.002)) < 1e-4
    visit = Visit.objects.get()
    assert visit.photo.name.endswith(".jpg")
    assert "x.jpg" not in visit.photo.name
    got = api.get(body["photo_url"])
    assert got.status_code == 200
    assert got["Content-Type"] == "image/jpeg"
    # Another member cannot fetch it; the household can see the visit but not its note.
    assert _api(client, party.zhao_user).get(body["photo_url"]).status_code == 404
    assert _api(client, party.li_user).get(f"/api/contact/visits/{visit.pk}").status_code == 404


def test_the_village_logs_a_visit_for_a_member_without_a_phone(client, county, party, cared):
    api = _api(client, county.users["village_committee"])
    r = api.post("/api/contact/visits", _visit_body(cared[0], member_id=party.wang.pk), content_type="application/json")
    assert r.status_code == 201, r.content
    assert Visit.objects.get().member_id == party.wang.pk
    # A grid worker sees visits in the grid but does not log them for members.
    r = _api(client, county.users["grid_worker"]).post(
        "/api/contact/visits", _visit_body(cared[0], member_id=party.wang.pk), content_type="application/json")
    assert r.status_code == 403


def test_household_sees_its_own_visits_without_the_notes(client, county, party, cared):
    services.visit_log(actor=party.wang_user, household=cared[0], visited_on=timezone.localdate(), purpose="policy",
                       note="讲解医保政策")
    resident = _api(client, county.users["resident"])  # the head of household 0
    rows = resident.get("/api/contact/visits").json()["items"]
    assert [(r["household"]["number"], r["note"]) for r in rows] == [(cared[0].number, "")]
    staff = _api(client, county.users["grid_worker"]).get("/api/contact/visits").json()["items"]
    assert staff[0]["note"] == "讲解医保政策"


@pytest.fixture
def visit(party, cared):
    return services.visit_log(actor=party.wang_user, household=cared[0], visited_on=timezone.localdate(),
                              purpose="dispute_screening", note="东邻西舍因宅基地界址争执", latitude=LAT,
                              longitude=LNG)


def test_a_request_starts_from_the_visit_prefilled(client, county, party, visit):
    casework.categories_install_defaults(actor=None, county=county.county)
    api = _api(client, party.wang_user)
    r = api.post(f"/api/contact/visits/{visit.pk}/request", {"category": "water"}, content_type="application/json")
    assert r.status_code == 201, r.content
    req = ServiceRequest.objects.get()
    assert r.json() == {"kind": "request", "target_id": req.pk, "label": f"#{req.number}"}
    head = visit.household.members.get(relation="head")
    assert (req.household_id, req.resident_id, req.description, req.filed_by_id) == (
        visit.household_id, head.pk, visit.note, party.wang_user.pk)
    # A second tap starts nothing.
    r = api.post(f"/api/contact/visits/{visit.pk}/request", {"category": "water"}, content_type="application/json")
    assert r.status_code == 409
    assert ServiceRequest.objects.count() == 1
    r = api.post(f"/api/contact/visits/{visit.pk}/request", {"category": "nope"}, content_type="application/json")
    assert r.status_code == 409  # already started: the kind is taken before anything else


def test_a_bad_category_files_nothing(client, county, party, visit):
    casework.categories_install_defaults(actor=None, county=county.county)
    api = _api(client, party.wang_user)
    r = api.post(f"/api/contact/visits/{visit.pk}/request", {"category": "nope"}, content_type="application/json")
    assert r.status_code == 422
    assert "category" in r.json()["fields"]
    assert not ServiceRequest.objects.exists()
    assert not VisitFollowUp.objects.exists()


def test_a_dispute_clue_starts_from_the_visit_prefilled(client, county, party, visit):
    disputes.types_install_defaults(actor=None, county=county.county)
    r = _api(client, party.wang_user).post(f"/api/contact/visits/{visit.pk}/dispute", {},
                                           content_type="application/json")
    assert r.status_code == 201, r.content
    dispute = Dispute.objects.get()
    head = visit.household.members.get(relation="head")
    assert list(dispute.parties.values_list("resident_id", "side")) == [(head.pk, "applicant")]
    assert (dispute.summary, dispute.source, dispute.region_path) == (visit.note, "screening",
                                                                       visit.household.region_path)
    assert VisitFollowUp.objects.get().label == f"#{dispute.number}"


def test_a_points_proposal_starts_from_the_visit_prefilled(client, county, party, visit):
    village = county.villages[0]
    rule = PointRule.objects.create(code="R001", version=1, region=village, region_path=village.path,
                                    county=county.county, category="neighbourliness", item="邻里互助、调解邻里纠纷",
                                    points=3, valid_from=dt.date(2024, 1, 1))
    other = PointRule.objects.create(code="R001", version=1, region=county.villages[2],
                                     region_path=county.villages[2].path, county=county.county,
                                     category="neighbourliness", item="别村的规则", points=3,
                                     valid_from=dt.date(2024, 1, 1))
    api = _api(client, party.wang_user)
    r = api.post(f"/api/contact/visits/{visit.pk}/points", {"rule_id": other.pk}, content_type="application/json")
    assert r.status_code == 422
    assert "rule_id" in r.json()["fields"]
    r = api.post(f"/api/contact/visits/{visit.pk}/points", {"rule_id": rule.pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    award = Award.objects.get()
    assert (award.household_id, award.rule_id, award.points, award.occurred_on, award.note, award.state) == (
        visit.household_id, rule.pk, 3, visit.visited_on, visit.note, "proposed")


def test_only_the_member_or_the_village_starts_from_a_visit(client, county, party, visit):
    casework.categories_install_defaults(actor=None, county=county.county)
    r = _api(client, party.li_user).post(f"/api/contact/visits/{visit.pk}/request", {"category": "water"},
                                         content_type="application/json")
    assert r.status_code == 404  # another member does not see the visit
    r = _api(client, county.users["grid_worker"]).post(f"/api/contact/visits/{visit.pk}/request",
                                                       {"category": "water"}, content_type="application/json")
    assert r.status_code == 403
    assert not ServiceRequest.objects.exists()


def test_visit_pages_for_the_member(client, county, party, cared, visit, media):
    casework.categories_install_defaults(actor=None, county=county.county)
    page = _api(client, party.wang_user)
    home = page.get("/contact/")
    assert home.status_code == 200
    text = home.content.decode()
    assert cared[0].number in text
    assert cared[2].number in text
    form = page.get(f"/contact/visits/new/?household={cared[1].pk}")
    assert form.status_code == 200
    assert cared[1].number in form.content.decode()
    r = page.post("/contact/visits/new/", {"household": cared[1].pk, "visited_on": timezone.localdate().isoformat(),
                                           "purpose": "festival", "note": "春节慰问",
                                           "photo": SimpleUploadedFile("p.png", image_bytes("PNG"))})
    assert r.status_code == 302, r.content.decode()[:2000]
    new = Visit.objects.get(purpose="festival")
    assert r["Location"] == f"/contact/visits/{new.pk}/"
    assert new.photo
    # A household outside their care is not even offered; posting it anyway is refused.
    r = page.post("/contact/visits/new/", {"household": county.households_in(county.grids[1])[0].pk,
                                           "visited_on": timezone.localdate().isoformat(), "purpose": "help"})
    assert r.status_code == 422
    assert Visit.objects.count() == 2
    detail = page.get(f"/contact/visits/{visit.pk}/").content.decode()
    assert visit.note in detail
    assert 'name="category"' in detail
    r = page.post(f"/contact/visits/{visit.pk}/start/request/", {"category": "water", "description": visit.note})
    assert r.status_code == 302
    assert ServiceRequest.objects.get().description == visit.note
    assert 'name="category"' not in page.get(f"/contact/visits/{visit.pk}/").content.decode()
