"""Petitions (信访): the case leader and the responsible units ("5+N"), deadlines, the weekly
scheduling list for the leaders' meeting, resolution and the petitioner's feedback, links to
disputes and requests, repeated petitions, and the overdue sweep's notifications."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.casework import services as casework
from shanzhi.core.models import AuditEvent, InboxMessage, Notification
from shanzhi.disputes import selectors, services
from shanzhi.disputes.models import PetitionCase
from shanzhi.people.models import Department, Role
from shanzhi.regions.models import Resident
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(dcounty):
    """The county's petition office, a second responsible unit, with its own staff."""
    c = dcounty
    dept = Department.objects.create(name="华池县信访局", kind=Department.Kind.PETITION, region=c.county,
                                     region_path=c.county.path)
    c.users["petition_office"] = factories.user("u_petition", role=Role.DEPARTMENT_STAFF, department=dept)
    return dept


def _petitioner(c) -> Resident:
    return Resident.objects.get(household=c.households[0], relation="head")  # the resident's own record


def _register(c, office, **extra):
    kwargs = {"petitioner": _petitioner(c), "subject": "征地补偿", "matter": "道路建设占地补偿款未到位",
              "case_leader": c.users["township_staff"], "units": [c.department, office], "lead_unit": office}
    kwargs.update(extra)
    return services.petition_register(actor=c.users["county_staff"], **kwargs)


def test_case_leader_and_units_see_and_resolve_it(dcounty, office, api):
    c = dcounty
    # A leader of the other township leads this case: they see it because it is theirs.
    leader = factories.user("u_leader", role=Role.TOWNSHIP_STAFF, region=c.townships[1], full_name="包案领导")
    case = _register(c, office, case_leader=leader)
    assert case.units.get(lead=True).department == office
    assert (case.accept_due - case.received_at) == dt.timedelta(days=services.PETITION_ACCEPT_DAYS)
    assert (case.resolve_due - case.received_at) == dt.timedelta(
        days=services.PETITION_ACCEPT_DAYS + services.PETITION_RESOLVE_DAYS)
    # The leader and both units are told.
    told = set(Notification.objects.filter(kind="petition.assigned").values_list("recipient", flat=True))
    assert told == {leader.pk, c.users["department_staff"].pk, c.users["petition_office"].pk}

    for role in ("county_staff", "township_staff", "department_staff", "petition_office", "resident", "admin"):
        assert api(c.users[role], "GET", f"/petitions/{case.pk}").status_code == 200, role
    assert api(leader, "GET", f"/petitions/{case.pk}").status_code == 200
    assert case.pk in [p["id"] for p in api(leader, "GET", "/petitions", {"queue": "mine"}).json()["items"]]
    for role in ("grid_worker", "village_secretary", "village_committee", "mediator", "legal_adviser"):
        assert api(c.users[role], "GET", f"/petitions/{case.pk}").status_code == 404, role
    other_unit = factories.user("u_roads", role=Role.DEPARTMENT_STAFF, department=Department.objects.create(
        name="华池县交通运输局", kind=Department.Kind.ROADS, region=c.county, region_path=c.county.path))
    assert api(other_unit, "GET", f"/petitions/{case.pk}").status_code == 404

    body = api(c.users["county_staff"], "POST", f"/petitions/{case.pk}/accept", {"note": ""}).json()
    assert body["state"] == "accepted"
    case.refresh_from_db()
    assert case.resolve_due - case.accepted_at == dt.timedelta(days=services.PETITION_RESOLVE_DAYS)
    # A unit resolves it (not the petitioner), with the resolution written down.
    assert api(c.users["resident"], "POST", f"/petitions/{case.pk}/resolve", {"reason": "x"}).status_code == 403
    r = api(c.users["petition_office"], "POST", f"/petitions/{case.pk}/resolve", {"reason": ""})
    assert r.status_code == 422
    r = api(leader, "POST", f"/petitions/{case.pk}/resolve", {"reason": "协调自然资源局补发补偿款"})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "resolved"


def test_bad_assignments_are_refused_and_write_nothing(dcounty, office, api):
    c = dcounty
    staff = c.users["county_staff"]
    before = (PetitionCase.objects.count(), AuditEvent.objects.count())
    base = {"subject": "拖欠工资", "matter": "工资未结清", "petitioner_name": "王某",
            "household_id": c.households[0].pk}
    r = api(staff, "POST", "/petitions", {**base, "case_leader_id": c.users["grid_worker"].pk})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["case_leader_id"])
    r = api(staff, "POST", "/petitions", {**base, "unit_ids": [c.department.pk], "lead_unit_id": office.pk})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["lead_unit_id"])
    neighbour_county = factories.region(None, "621024000000", "合水县", "county")
    far = Department.objects.create(name="合水县水务局", kind=Department.Kind.WATER, region=neighbour_county,
                                    region_path=neighbour_county.path)
    r = api(staff, "POST", "/petitions", {**base, "unit_ids": [far.pk]})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["unit_ids"])
    r = api(staff, "POST", "/petitions", {**base, "subject": ""})
    assert r.status_code == 422
    r = api(c.users["grid_worker"], "POST", "/petitions", base)
    assert r.status_code == 403
    assert (PetitionCase.objects.count(), AuditEvent.objects.count()) == before


def test_feedback_closes_it_and_steps_out_of_order_are_refused(dcounty, office, api):
    c = dcounty
    case = _register(c, office)
    resident = c.users["resident"]
    r = api(resident, "POST", f"/petitions/{case.pk}/feedback", {"satisfied": True})
    assert r.status_code == 409  # not resolved yet: the case is in the wrong state
    assert "state" in r.json()["fields"]
    services.petition_accept(actor=c.users["county_staff"], petition=case)
    services.petition_resolve(actor=c.users["department_staff"], petition=case, resolution="已补发")
    # Not satisfied needs the petitioner's words.
    r = api(resident, "POST", f"/petitions/{case.pk}/feedback", {"satisfied": False, "feedback": ""})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["feedback"])
    case.refresh_from_db()
    assert case.state == "resolved"
    r = api(resident, "POST", f"/petitions/{case.pk}/feedback", {"satisfied": False, "feedback": "补偿标准偏低"})
    assert r.status_code == 200
    case.refresh_from_db()
    assert (case.state, case.satisfied, case.feedback) == ("closed", False, "补偿标准偏低")
    assert [h.transition for h in selectors.petition_history(resident, case)] == [
        "create", "accept", "resolve", "feedback"]
    r = api(c.users["county_staff"], "POST", f"/petitions/{case.pk}/decline", {"reason": "x"})
    assert r.status_code == 409  # closed: no more steps
    # Declining needs a reason; the other petition is declined with one.
    other = _register(c, office, subject="低保评定")
    r = api(c.users["county_staff"], "POST", f"/petitions/{other.pk}/decline", {"reason": ""})
    assert r.status_code == 422
    r = api(c.users["county_staff"], "POST", f"/petitions/{other.pk}/decline", {"reason": "已进入诉讼程序"})
    assert r.json()["state"] == "not_accepted"


def test_links_to_disputes_and_requests(dcounty, office, api):
    c = dcounty
    d = services.dispute_report(actor=c.users["grid_worker"], source="resident", summary="征地补偿纠纷",
                                type_code="land_requisition", household=c.households[0],
                                parties=[{"resident_id": _petitioner(c).pk}])
    casework.categories_install_defaults(actor=None, county=c.county)
    from shanzhi.casework.models import Category

    req = casework.request_submit(actor=c.users["resident"], category=Category.objects.get(
        county=c.county, code="other"), description="补偿款什么时候发")
    staff = c.users["county_staff"]
    r = api(staff, "POST", "/petitions", {"subject": "征地补偿", "matter": "补偿款未到位",
                                          "petitioner_id": _petitioner(c).pk, "dispute_ids": [d.pk],
                                          "request_ids": [req.pk], "unit_ids": [office.pk]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["dispute_ids"], body["request_ids"]) == ([d.pk], [req.pk])
    assert list(d.petitions.values_list("pk", flat=True)) == [body["id"]]
    # A dispute the caller cannot see reads as unknown.
    hidden = services.dispute_report(actor=c.users["county_staff"], source="hotline", summary="x",
                                     region=c.grids[4])  # in the other township
    township = c.users["township_staff"]
    r = api(township, "POST", "/petitions", {"subject": "s", "matter": "m", "petitioner_name": "甲",
                                             "household_id": c.households[0].pk, "dispute_ids": [hidden.pk]})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["dispute_ids"])
    r = api(township, "POST", "/petitions", {"subject": "s", "matter": "m", "petitioner_name": "甲",
                                             "household_id": c.households[0].pk, "request_ids": [10**9]})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["request_ids"])


def test_repeated_petitions_are_flagged(dcounty, office, api):
    c = dcounty
    first = _register(c, office)
    again = _register(c, office)
    assert (again.repeat_count, again.repeat_of_id) == (1, first.pk)
    third = _register(c, office)
    assert (third.repeat_count, third.repeat_of_id) == (2, again.pk)
    # Another subject by the same person, about a dispute already petitioned: a repeat too.
    d = services.dispute_report(actor=c.users["grid_worker"], source="resident", summary="x",
                                household=c.households[0])
    on_dispute = _register(c, office, subject="宅基地", disputes=[d])
    assert on_dispute.repeat_count == 0
    assert _register(c, office, subject="对处理结果不服", disputes=[d]).repeat_of_id == on_dispute.pk
    # Someone else on the same subject is not a repeat.
    neighbour = Resident.objects.get(household=c.households[1], relation="head")
    assert _register(c, office, petitioner=neighbour).repeat_count == 0
    repeats = [p["id"] for p in api(c.users["county_staff"], "GET", "/petitions", {"queue": "repeat"}).json()["items"]]
    assert sorted(repeats) == sorted(p.pk for p in PetitionCase.objects.filter(repeat_count__gt=0))
    assert len(repeats) == 3
    assert api(c.users["county_staff"], "GET", f"/petitions/{third.pk}").json()["repeat_count"] == 2


def test_weekly_scheduling_list(dcounty, office, api):
    c = dcounty
    staff = c.users["county_staff"]
    now = timezone.now()
    fresh = _register(c, office, subject="新案件")
    late = _register(c, office, subject="逾期案件")
    PetitionCase.objects.filter(pk=late.pk).update(received_at=now - dt.timedelta(days=40),
                                                   accept_due=now - dt.timedelta(days=25))
    repeated = _register(c, office, subject="新案件")  # the same person and matter as ``fresh``
    done = _register(c, office, subject="已办结")
    services.petition_decline(actor=staff, petition=done, reason="不属信访事项")
    rows = selectors.petition_schedule(staff, now=now)
    assert [r.case.pk for r in rows] == [late.pk, repeated.pk, fresh.pk]  # overdue, then repeated, then the rest
    by_case = {r.case.pk: r for r in rows}
    assert (by_case[late.pk].overdue, by_case[late.pk].new_this_week) == (True, False)
    assert (by_case[fresh.pk].overdue, by_case[fresh.pk].new_this_week) == (False, True)
    body = api(staff, "GET", "/petitions/schedule").json()
    assert [row["petition"]["id"] for row in body] == [late.pk, repeated.pk, fresh.pk]
    assert body[0]["overdue"] is True
    # For the leaders: not for the units or the petitioner.
    for role in ("department_staff", "resident", "grid_worker"):
        assert api(c.users[role], "GET", "/petitions/schedule").status_code == 403, role
    # A township's list holds its own place's cases only.
    elsewhere = _register(c, office, subject="别处", petitioner=None, petitioner_name="赵某",
                          household=c.households_in(c.grids[4])[0], case_leader=staff)
    ids = [r.case.pk for r in selectors.petition_schedule(c.users["township_staff"], now=now)]
    assert elsewhere.pk not in ids
    assert fresh.pk in ids


def test_the_sweep_tells_the_leader_of_overdue_petitions_once(dcounty, office, django_capture_on_commit_callbacks):
    c = dcounty
    case = _register(c, office)
    later = case.accept_due + dt.timedelta(minutes=1)
    assert services.sweep(now=case.accept_due - dt.timedelta(minutes=1))["petitions"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep(now=later)["petitions"] == 1
    told = set(Notification.objects.filter(kind="petition.overdue").values_list("recipient", flat=True))
    assert told == {c.users["township_staff"].pk, c.users["county_staff"].pk}  # the leader and the county
    assert services.sweep(now=later)["petitions"] == 0  # once
    assert Notification.objects.filter(kind="petition.overdue").count() == 2
    assert InboxMessage.objects.filter(kind="petition.overdue", recipient=c.users["township_staff"]).exists()
    # Accepted, its resolution deadline is a new one: told again when that passes.
    services.petition_accept(actor=c.users["county_staff"], petition=case)
    case.refresh_from_db()
    assert services.sweep(now=case.resolve_due - dt.timedelta(minutes=1))["petitions"] == 0
    assert services.sweep(now=case.resolve_due + dt.timedelta(minutes=1))["petitions"] == 1
    # A resolved case waiting for the petitioner's word is on no clock.
    services.petition_resolve(actor=c.users["county_staff"], petition=case, resolution="已解决")
    assert services.sweep(now=case.resolve_due + dt.timedelta(days=30))["petitions"] == 0
