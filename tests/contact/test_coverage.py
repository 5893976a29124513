"""Assignments, coverage and the follow-up lists, with known data: which households have no
contact, which members are outside the county's limits, which households are due for a
visit (30 days by default, 7 for a household with an elderly person living alone, per county
and tag)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.contact import selectors, services
from shanzhi.contact.models import Assignment, ContactPolicy, Visit
from shanzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from shanzhi.core.models import AuditEvent
from shanzhi.regions.models import Household, Resident, ResidentTag, Tag

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 30)


def _freeze(monkeypatch, day=TODAY):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


def _visit(member, household, day, **extra):
    """A visit written as the service writes it, on a fixed day (the service refuses old dates)."""
    return Visit.objects.create(member=member, household=household, village_id=household.village_id,
                                region_path=household.region_path, county_id=household.county_id, visited_on=day,
                                purpose=extra.get("purpose", "policy"), settled=extra.get("settled", False))


def test_assign_households_of_the_members_village(county, party):
    sec = county.users["village_secretary"]
    homes = county.households_in(county.grids[0])
    rows, warning = services.assignment_create(actor=sec, member=party.wang, households=homes)
    assert [a.household_id for a in rows] == [h.pk for h in homes]
    assert {a.village_id for a in rows} == {county.villages[0].pk}
    # Three households: fewer than the default 10, and the page says so.
    assert "3" in warning
    assert "10" in warning
    assert AuditEvent.objects.filter(action="contact.assign").count() == 3


def test_a_household_of_another_village_is_refused_and_nothing_is_written(county, party):
    sec = county.users["township_staff"]  # sees both villages of the township
    own = county.households_in(county.grids[0])[0]
    elsewhere = county.households_in(county.grids[2])[0]  # 城关社区
    with pytest.raises(ValidationError) as err:
        services.assignment_create(actor=sec, member=party.wang, households=[own, elsewhere])
    assert "household_ids" in err.value.fields
    assert elsewhere.number in str(err.value.message)
    assert not Assignment.objects.exists()
    assert not AuditEvent.objects.filter(action="contact.assign").exists()


def test_a_household_in_another_members_care_is_a_conflict_unless_handed_over(county, party):
    sec = county.users["village_secretary"]
    home = county.households_in(county.grids[0])[0]
    services.assignment_create(actor=sec, member=party.wang, households=[home])
    with pytest.raises(Conflict) as err:
        services.assignment_create(actor=sec, member=party.li, households=[home])
    assert party.wang.name in str(err.value.message)
    with pytest.raises(ValidationError):
        services.assignment_create(actor=sec, member=party.wang, households=[home])
    services.assignment_create(actor=sec, member=party.li, households=[home], replace=True)
    current = Assignment.objects.get(household=home, end_date__isnull=True)
    assert current.member_id == party.li.pk
    assert Assignment.objects.filter(household=home, member=party.wang, end_date__isnull=False).count() == 1


def test_only_the_village_and_those_above_assign(county, party):
    home = county.households_in(county.grids[0])[0]
    with pytest.raises(PermissionDenied):
        services.assignment_create(actor=county.users["grid_worker"], member=party.wang, households=[home])
    with pytest.raises(NotFound):
        # 李塬村's member, assigned by 张湾村's secretary: the member's village is not theirs.
        services.assignment_create(actor=county.users["village_secretary"], member=party.zhao,
                                   households=[county.households_in(county.grids[4])[0]])
    with pytest.raises(NotFound):
        services.assignment_create(actor=party.wang_user, member=party.wang, households=[home])


def test_lists_without_contact_and_members_outside_the_limits(county, party):
    sec = county.users["village_secretary"]
    village = county.villages[0]
    g1, g2 = county.households_in(county.grids[0]), county.households_in(county.grids[1])
    services.assignment_create(actor=sec, member=party.wang, households=g1 + g2[:1])  # 4 households
    ContactPolicy.objects.create(county=county.county, region_path=county.county.path, min_households=1,
                                 max_households=3, interval_days=30)
    without = list(selectors.households_without_contact(sec, region=village).values_list("number", flat=True))
    assert without == sorted(h.number for h in g2[1:])
    loads = selectors.member_loads(sec, region=village, county_id=county.county.pk)
    assert [(m.name, m.load) for m in loads["over"]] == [(party.wang.name, 4)]
    assert [(m.name, m.load) for m in loads["under"]] == [(party.li.name, 0)]
    cover = selectors.coverage(sec, village)
    assert (cover.households, cover.in_care, cover.without_contact, cover.members, cover.members_with_households,
            cover.over_limit, cover.under_limit) == (6, 4, 2, 2, 1, 1, 1)
    # The township's view of it, village by village; another township's staff see none of it.
    rows = {v.code: c for v, c in selectors.coverage_by_child(county.users["township_staff"],
                                                                    county.townships[0])}
    assert rows[village.code].in_care == 4
    assert rows[county.villages[1].code].in_care == 0
    assert not selectors.households_without_contact(county.users["township_staff"],
                                                    region=county.townships[1]).exists()
    assert not selectors.households_without_contact(county.users["grid_worker"], region=county.villages[2]).exists()


def test_households_due_by_interval_and_tag(county, party, monkeypatch):
    """Known data on 2025-06-30: a household seen 31 days ago is due (30-day default), one seen
    29 days ago is not; one with an elderly person living alone is due after 7 days; one never
    visited is due 30 days after the contact began."""
    _freeze(monkeypatch)
    sec = county.users["village_secretary"]
    a, b, c = county.households_in(county.grids[0])
    d, e, f = county.households_in(county.grids[1])
    start = TODAY - dt.timedelta(days=60)
    services.assignment_create(actor=sec, member=party.wang, households=[a, b, c], start_date=start)
    services.assignment_create(actor=sec, member=party.li, households=[d, e], start_date=TODAY - dt.timedelta(days=5))
    _visit(party.wang, a, TODAY - dt.timedelta(days=31))
    _visit(party.wang, b, TODAY - dt.timedelta(days=29))
    _visit(party.wang, c, TODAY - dt.timedelta(days=8))
    elder = Resident.objects.filter(household=c).first()
    ResidentTag.objects.create(resident=elder, tag=Tag.ELDERLY_ALONE)
    # e: never visited, in care for 5 days (not due); f: no contact (not on this list).
    due = list(selectors.households_due(sec, region=county.villages[0]))
    assert [(x.household.number, x.interval) for x in due] == [(a.number, 30), (c.number, 7)]
    assert due[0].last_visit == TODAY - dt.timedelta(days=31)
    # A member's own list, and the same households due on a later day.
    later = [x.household.number for x in selectors.households_due(sec, member=party.li,
                                                                  on=TODAY + dt.timedelta(days=26))]
    assert later == [d.number, e.number]
    # The elder moved out: the tag no longer counts, c waits the default 30 days.
    Resident.objects.filter(pk=elder.pk).update(status=Resident.Status.MOVED_OUT, household=None)
    assert [x.household.number for x in selectors.households_due(sec)] == [a.number]
    assert f.number not in {x.household.number for x in selectors.households_due(sec, on=TODAY + dt.timedelta(days=90))}


def test_a_county_sets_its_own_intervals(county, party, monkeypatch):
    _freeze(monkeypatch)
    sec = county.users["village_secretary"]
    a, b, _c = county.households_in(county.grids[0])
    services.assignment_create(actor=sec, member=party.wang, households=[a, b], start_date=TODAY - dt.timedelta(60))
    _visit(party.wang, a, TODAY - dt.timedelta(days=16))
    _visit(party.wang, b, TODAY - dt.timedelta(days=12))
    ResidentTag.objects.create(resident=Resident.objects.filter(household=b).first(), tag=Tag.DISABLED)
    assert [x.household.number for x in selectors.households_due(sec)] == []
    with pytest.raises(PermissionDenied):
        services.policy_update(actor=sec, county=county.county, min_households=10, max_households=15,
                               interval_days=15, tag_intervals={})
    with pytest.raises(ValidationError) as err:
        services.policy_update(actor=county.users["county_staff"], county=county.county, min_households=10,
                               max_households=15, interval_days=15, tag_intervals={"wizard": 3})
    assert "tag_intervals" in err.value.fields
    services.policy_update(actor=county.users["county_staff"], county=county.county, min_households=10,
                           max_households=15, interval_days=15, tag_intervals={Tag.DISABLED: 10})
    assert [(x.household.number, x.interval) for x in selectors.households_due(sec)] == [
        (a.number, 15), (b.number, 10)]
    # Households of another county keep the defaults.
    assert services.policy_for(county.county.pk + 999)[0].interval_days == 30


def test_ending_a_contact_puts_the_household_back_on_the_without_list(county, party):
    sec = county.users["village_secretary"]
    home = county.households_in(county.grids[0])[0]
    (row,), _w = services.assignment_create(actor=sec, member=party.wang, households=[home])
    services.assignment_end(actor=sec, assignment=row)
    assert home.number in selectors.households_without_contact(sec).values_list("number", flat=True)
    with pytest.raises(ValidationError):
        services.assignment_end(actor=sec, assignment=row)
    assert Household.objects.count() == 18


def test_members_are_reminded_of_households_due_once_a_week(county, party, monkeypatch):
    from shanzhi.contact import tasks
    from shanzhi.core.models import Notification

    _freeze(monkeypatch)
    sec = county.users["village_secretary"]
    homes = county.households_in(county.grids[0])
    services.assignment_create(actor=sec, member=party.wang, households=homes, start_date=TODAY - dt.timedelta(60))
    services.assignment_create(actor=sec, member=party.li, households=county.households_in(county.grids[1])[:1],
                               start_date=TODAY - dt.timedelta(5))
    _visit(party.wang, homes[0], TODAY - dt.timedelta(days=3))
    now = timezone.make_aware(dt.datetime(2025, 6, 30, 9))
    assert services.due_reminders_send(now=now) == 1  # 王: two households due; 李: none yet
    told = Notification.objects.get(kind="contact.visits_due")
    assert told.recipient == party.wang_user
    assert "2" in told.title
    Notification.objects.update(created_at=now)  # as if sent at ``now``
    assert services.due_reminders_send(now=now + dt.timedelta(days=2)) == 0  # told this week already
    assert services.due_reminders_send(now=now + dt.timedelta(days=8)) == 1
    assert tasks.remind_due.name == "contact.remind_due"
