"""Self-governance organisations: the five councils and the service teams of a village, their
members, meetings and activities and what they settled; by API and by page, and the figures
the county reports (organisations, disputes settled, clean-ups)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.core.errors import PermissionDenied, ValidationError
from shanzhi.organisations import selectors, services
from shanzhi.organisations.models import Activity, Member, Organisation

pytestmark = pytest.mark.django_db


def _api(client, user):
    client.force_login(user)
    return client


def test_the_register_by_api(client, county):
    village = county.villages[0]
    api = _api(client, county.users["village_secretary"])
    r = api.post("/api/organisations", {"village": village.code, "kind": "ceremonies_council",
                                        "name": "张湾村红白理事会", "founded_on": "2021-03-01"},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    org = r.json()["id"]
    r = api.post("/api/organisations", {"village": village.code, "kind": "ceremonies_council",
                                        "name": "张湾村红白理事会"}, content_type="application/json")
    assert r.status_code == 422
    assert "name" in r.json()["fields"]
    head = county.households[0].members.get(relation="head")
    r = api.post(f"/api/organisations/{org}/members", {"resident_id": head.pk, "role": "chair"},
                 content_type="application/json")
    assert r.status_code == 201
    assert r.json()["name"] == head.name
    assert "*" in r.json()["phone"]
    r = api.post(f"/api/organisations/{org}/members", {"name": "退休教师刘老师", "role": "chair"},
                 content_type="application/json")
    assert r.status_code == 409  # one chair at a time
    r = api.post(f"/api/organisations/{org}/members", {"resident_id": head.pk}, content_type="application/json")
    assert r.status_code == 409
    assert api.post(f"/api/organisations/{org}/members", {"name": "退休教师刘老师", "role": "member"},
                    content_type="application/json").status_code == 201
    today = timezone.localdate().isoformat()
    r = api.post(f"/api/organisations/{org}/activities",
                 {"kind": "ceremony", "held_on": today, "subject": "王家婚事简办", "participants": 12},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    r = api.post(f"/api/organisations/{org}/activities",
                 {"kind": "mediation", "held_on": today, "subject": "调解彩礼纠纷", "matters_settled": 1},
                 content_type="application/json")
    assert r.status_code == 201
    r = api.post(f"/api/organisations/{org}/activities",
                 {"kind": "mediation", "held_on": "2099-01-01", "subject": "x"}, content_type="application/json")
    assert r.status_code == 422
    assert "held_on" in r.json()["fields"]
    assert Activity.objects.count() == 2
    figures = api.get(f"/api/organisations/figures?region={village.code}").json()
    assert (figures["organisations"], figures["councils"], figures["members"], figures["disputes_settled"]) == (
        1, 1, 2, 1)


def test_who_keeps_and_who_reads_the_register(client, county):
    village = county.villages[0]
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=county.users["grid_worker"], village=village, kind="volunteers",
                                     name="志愿服务队")
    org = services.organisation_create(actor=county.users["township_staff"], village=village, kind="womens_team",
                                       name="张湾村巾帼服务队")
    # The village's residents read it; another village's staff do not.
    assert _api(client, county.users["resident"]).get(f"/api/organisations/{org.pk}").status_code == 200
    r = _api(client, county.users["resident"]).post(
        f"/api/organisations/{org.pk}/activities",
        {"kind": "visit", "held_on": timezone.localdate().isoformat(), "subject": "看望留守老人"},
        content_type="application/json")
    assert r.status_code == 403
    other = services.organisation_create(actor=county.users["county_staff"], village=county.villages[2],
                                         kind="volunteers", name="李塬村志愿服务队")
    assert _api(client, county.users["village_secretary"]).get(f"/api/organisations/{other.pk}").status_code == 404
    assert _api(client, county.users["resident"]).get(f"/api/organisations/{other.pk}").status_code == 404
    listed = _api(client, county.users["resident"]).get("/api/organisations").json()
    assert [o["id"] for o in listed["items"]] == [org.pk]


def test_figures_with_known_data(county):
    staff = county.users["county_staff"]
    v1, v2, v3 = county.villages
    kinds = [(v1, "villagers_council"), (v1, "moral_review_council"), (v2, "volunteers"), (v3, "filial_piety_council")]
    orgs = [services.organisation_create(actor=staff, village=v, kind=k, name=f"{v.name}{k}") for v, k in kinds]
    day = timezone.localdate() - dt.timedelta(days=3)
    for org, kind, settled in [(orgs[0], "mediation", 2), (orgs[0], "meeting", 1), (orgs[2], "clean_up", 0),
                               (orgs[2], "clean_up", 0), (orgs[3], "mediation", 1)]:
        services.activity_record(actor=staff, organisation=org, kind=kind, held_on=day, subject="活动",
                                 matters_settled=settled)
    services.member_add(actor=staff, organisation=orgs[0], name="甲")
    left = services.member_add(actor=staff, organisation=orgs[0], name="乙")
    services.member_leave(actor=staff, member=left)
    f = selectors.figures(staff)
    assert (f.organisations, f.councils, f.teams, f.members, f.meetings, f.activities, f.matters_settled,
            f.disputes_settled, f.clean_ups) == (4, 3, 1, 1, 1, 5, 4, 3, 2)
    t1 = selectors.figures(county.users["township_staff"])  # 柔远镇: two villages
    assert (t1.organisations, t1.disputes_settled, t1.clean_ups) == (3, 2, 2)
    services.organisation_update(actor=staff, organisation=orgs[3], is_active=False)
    assert selectors.figures(staff).organisations == 3
    with pytest.raises(ValidationError):
        services.activity_record(actor=staff, organisation=Organisation.objects.get(pk=orgs[3].pk), kind="meeting",
                                 held_on=day, subject="x")


def test_organisation_pages(client, county):
    page = _api(client, county.users["village_secretary"])
    assert page.get("/organisations/new/").status_code == 200
    r = page.post("/organisations/new/", {"village": county.villages[0].code, "kind": "anti_drug_gambling_council",
                                          "name": "张湾村禁毒禁赌会"})
    assert r.status_code == 302
    org = Organisation.objects.get()
    detail = page.get(f"/organisations/{org.pk}/").content.decode()
    assert "张湾村禁毒禁赌会" in detail
    r = page.post(f"/organisations/{org.pk}/members/", {"name": "马主任", "role": "chair", "phone": "13900001111"})
    assert r.status_code == 302
    assert "13900001111" not in page.get(f"/organisations/{org.pk}/").content.decode()
    r = page.post(f"/organisations/{org.pk}/activities/", {"kind": "outreach", "held_on": "2099-01-01",
                                                            "subject": "禁毒宣传", "participants": 30,
                                                            "matters_settled": 0})
    assert r.status_code == 422
    r = page.post(f"/organisations/{org.pk}/activities/", {"kind": "outreach",
                                                            "held_on": timezone.localdate().isoformat(),
                                                            "subject": "禁毒宣传", "participants": 30,
                                                            "matters_settled": 0})
    assert r.status_code == 302
    member = Member.objects.get()
    assert page.post(f"/organisations/{org.pk}/members/{member.pk}/leave/").status_code == 302
    assert "禁毒宣传" in _api(client, county.users["resident"]).get(f"/organisations/{org.pk}/").content.decode()
    assert _api(client, county.users["resident"]).get("/organisations/").status_code == 200
