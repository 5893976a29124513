"""Each early-warning rule fires on a planted case and stays quiet on normal data; raising
is idempotent; alerts are assigned, acted on and closed on the shared workflow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.casework.models import ServiceRequest
from shanzhi.command import rules, services
from shanzhi.command.models import Alert, Rule, Thresholds
from shanzhi.contact.models import Assignment
from shanzhi.disputes.models import Party, PetitionCase
from shanzhi.people.models import Department, PartyMember, PartyOrganisation
from shanzhi.regions.models import Resident, ResidentTag
from tests.command.conftest import file_request, make_dispute

pytestmark = pytest.mark.django_db


def _fired(c, rule):
    return list(rules.RULES[rule](c.county, rules.thresholds_for(c.county), timezone.now()))


def _months_ago(n: int) -> dt.datetime:
    today = timezone.localdate()
    m = today.month - 1 - n
    day = dt.date(today.year + m // 12, m % 12 + 1, 1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def test_dispute_spike_fires_above_the_village_baseline_only(ccounty):
    c = ccounty
    g1, g5 = c.grids[0], c.grids[4]
    for n in range(1, 7):  # a steady village: one a month for six months, one this month
        make_dispute(c, g5, reported_at=_months_ago(n))
        make_dispute(c, g1, reported_at=_months_ago(n))
    make_dispute(c, g5, reported_at=_months_ago(0))
    assert _fired(c, Rule.DISPUTE_SPIKE) == []
    for _ in range(6):  # 张湾村 jumps from one a month to seven
        make_dispute(c, g1, reported_at=_months_ago(0))
    found = _fired(c, Rule.DISPUTE_SPIKE)
    assert [f.region for f in found] == [c.villages[0]]
    assert found[0].evidence["count"] == 6
    assert found[0].evidence["mean"] == 1.0


def test_repeat_parties_fires_on_three_disputes_in_ninety_days(ccounty):
    c = ccounty
    head = Resident.objects.filter(household=c.households[0], relation="head").get()
    other = Resident.objects.filter(household=c.households[1], relation="head").get()
    old = make_dispute(c, c.grids[0], reported_at=timezone.now() - dt.timedelta(days=120))
    Party.objects.create(dispute=old, side="applicant", resident=head, name=head.name, person_key=f"r{head.pk}")
    for days in (5, 30):
        d = make_dispute(c, c.grids[0], reported_at=timezone.now() - dt.timedelta(days=days))
        Party.objects.create(dispute=d, side="applicant", resident=head, name=head.name, person_key=f"r{head.pk}")
        Party.objects.create(dispute=d, side="respondent", resident=other, name=other.name,
                             person_key=f"r{other.pk}")
    assert _fired(c, Rule.REPEAT_PARTIES) == []  # the third is older than 90 days
    d = make_dispute(c, c.grids[0], reported_at=timezone.now() - dt.timedelta(days=60))
    Party.objects.create(dispute=d, side="applicant", resident=head, name=head.name, person_key=f"r{head.pk}")
    found = _fired(c, Rule.REPEAT_PARTIES)
    assert len(found) == 1
    assert found[0].evidence["party"] == head.name
    assert len(found[0].evidence["disputes"]) == 3
    assert head.id_number not in str(found[0].evidence)
    assert head.id_number not in found[0].key


def test_request_burst_fires_on_one_category_in_one_grid(ccounty):
    c = ccounty
    homes = c.households_in(c.grids[0])
    for h in homes + homes[:1]:  # four water requests in grid 1
        file_request(c, h)
    for h in c.households_in(c.grids[1]):
        file_request(c, h)  # three in grid 2
    assert _fired(c, Rule.REQUEST_BURST) == []
    file_request(c, homes[1])
    found = _fired(c, Rule.REQUEST_BURST)
    assert [f.region for f in found] == [c.grids[0]]
    assert len(found[0].evidence["requests"]) == 5
    # Older than the window: not a burst.
    ServiceRequest.objects.update(submitted_at=timezone.now() - dt.timedelta(days=5))
    assert _fired(c, Rule.REQUEST_BURST) == []


def test_department_overdue_fires_when_requests_pile_up(ccounty):
    c = ccounty
    water = Department.objects.get(name="县水务局")
    reqs = [file_request(c, h) for h in c.households[:6]]
    past = timezone.now() - dt.timedelta(days=2)
    ServiceRequest.objects.filter(pk__in=[r.pk for r in reqs]).update(
        handler_kind="department", assignee_department=water, state="dispatched")
    assert _fired(c, Rule.DEPARTMENT_OVERDUE) == []  # none overdue
    ServiceRequest.objects.filter(pk__in=[r.pk for r in reqs[:4]]).update(resolve_due=past)
    assert _fired(c, Rule.DEPARTMENT_OVERDUE) == []  # four: under the threshold of five
    ServiceRequest.objects.filter(pk=reqs[4].pk).update(resolve_due=past)
    found = _fired(c, Rule.DEPARTMENT_OVERDUE)
    assert len(found) == 1
    assert found[0].department_id == water.pk
    assert found[0].evidence["count"] == 5


def _care(c, household, *, days_ago):
    village = c.villages[0]
    branch = PartyOrganisation.objects.get_or_create(name="张湾村党支部", kind=PartyOrganisation.Kind.BRANCH,
                                                     region=village, region_path=village.path)[0]
    someone = Resident.objects.filter(household=c.households[5]).first()
    member = PartyMember.objects.get_or_create(name="党员王", organisation=branch, region_path=village.path,
                                               resident=someone)[0]
    return Assignment.objects.create(member=member, household=household, village=village,
                                     region_path=household.region_path, county=c.county,
                                     start_date=timezone.localdate() - dt.timedelta(days=days_ago))


def test_vulnerable_households_not_visited_fire_others_stay_quiet(ccounty):
    c = ccounty
    plain, tagged = c.households[0], c.households[1]
    _care(c, plain, days_ago=60)  # overdue but no vulnerable tag
    _care(c, tagged, days_ago=3)  # tagged but within its interval
    head = Resident.objects.filter(household=tagged, relation="head").get()
    ResidentTag.objects.create(resident=head, tag="elderly_alone")
    assert _fired(c, Rule.VULNERABLE_UNVISITED) == []
    Assignment.objects.filter(household=tagged).update(start_date=timezone.localdate() - dt.timedelta(days=60))
    found = _fired(c, Rule.VULNERABLE_UNVISITED)
    assert len(found) == 1
    assert [h["id"] for h in found[0].evidence["households"]] == [tagged.pk]


def _petition(c, *, repeat_of=None, repeats=0, state="accepted"):
    now = timezone.now()
    village = c.villages[0]
    return PetitionCase.objects.create(
        county=c.county, region=village, region_path=village.path, petitioner_name="李四", channel="visit",
        subject="宅基地边界", matter="宅基地边界争议", received_at=now, accept_due=now, resolve_due=now,
        state_changed_at=now, repeat_of=repeat_of, repeat_count=repeats, state=state)


def test_petition_repeated_on_the_same_matter(ccounty):
    c = ccounty
    first = _petition(c, state="closed")
    assert _fired(c, Rule.PETITION_REPEAT) == []
    again = _petition(c, repeat_of=first, repeats=1)
    found = _fired(c, Rule.PETITION_REPEAT)
    assert len(found) == 1
    assert found[0].evidence["petition"] == again.pk


def test_raising_is_idempotent_and_thresholds_are_settings(ccounty):
    c = ccounty
    for h in c.households_in(c.grids[0]) + c.households_in(c.grids[0])[:1]:
        file_request(c, h)
    assert services.alerts_raise()["raised"] == 0
    Thresholds.objects.create(county=c.county, burst_requests=4)
    assert services.alerts_raise() == {"raised": 1, "kept": 0}
    assert services.alerts_raise() == {"raised": 0, "kept": 1}
    alert = Alert.objects.get()
    assert alert.rule == Rule.REQUEST_BURST
    assert alert.region == c.grids[0]
    assert alert.state == "open"


def test_an_alert_is_assigned_acted_on_and_closed(ccounty, login):
    c = ccounty
    Thresholds.objects.create(county=c.county, burst_requests=3)
    for h in c.households_in(c.grids[0]):
        file_request(c, h)
    services.alerts_raise()
    alert = Alert.objects.get()
    staff = c.users["township_staff"]
    client = login(staff)
    assert client.get("/command/alerts/").content.decode().count(f"/command/alerts/{alert.pk}/") >= 1
    assert client.get(f"/command/alerts/{alert.pk}/").status_code == 200
    assert client.post(f"/command/alerts/{alert.pk}/assign/", {"assignee": staff.pk}).status_code == 302
    assert client.post(f"/command/alerts/{alert.pk}/act/", {"note": ""}).status_code == 422
    assert client.post(f"/command/alerts/{alert.pk}/act/", {"note": "已派维修队"}).status_code == 302
    assert client.post(f"/command/alerts/{alert.pk}/close/", {"note": "水管已修复"}).status_code == 302
    alert.refresh_from_db()
    assert alert.state == "closed"
    assert alert.assignee == staff
    assert alert.closed_at is not None
    # The other township cannot see it, the grid worker cannot handle it.
    other = login(c.users["county_staff"])
    assert other.get(f"/command/alerts/{alert.pk}/").status_code == 200
    assert login(c.users["grid_worker"]).post(f"/command/alerts/{alert.pk}/close/", {"note": "x"}).status_code == 404
    # Closed, the same burst may raise a new alert.
    assert services.alerts_raise()["raised"] == 1
