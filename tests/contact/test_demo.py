"""The demo history of household contact, grid work and organisations, on the small demo
county: shaped like seed 000 (its share of 28,000 visits, 3,200 small matters settled, 585
organisations, 470 disputes, 620 clean-ups), consistent with what the selectors compute,
deterministic and written once."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from shanzhi.contact import demo as contact_demo
from shanzhi.contact import selectors
from shanzhi.contact.models import Assignment, MicroWish, MonthlyReport, QuarterSummary, Visit
from shanzhi.contact.services import acting_member
from shanzhi.demo import services as demo_services
from shanzhi.gridwork import demo as gridwork_demo
from shanzhi.gridwork.models import Assessment, FieldUpdate, LogEntry
from shanzhi.organisations import demo as organisations_demo
from shanzhi.organisations import selectors as organisation_selectors
from shanzhi.people.models import PartyOrganisation, User
from shanzhi.regions.models import Household, Region, Resident


@pytest.fixture
def demo_county(db):
    demo_services.demo_build(size="small")
    return Region.objects.get(level=Region.Level.COUNTY)


class _Rollback(Exception):
    pass


def _summary_rolled_back(county):
    try:
        with transaction.atomic():
            summary = contact_demo.build_demo(county, random.Random(3), None)
            fingerprint = list(Visit.objects.order_by("visited_on", "household_id", "purpose").values_list(
                "household_id", "visited_on", "purpose", "settled")[:200])
            raise _Rollback
    except _Rollback:
        return summary, fingerprint


def test_a_year_of_contact(demo_county):
    assert _summary_rolled_back(demo_county) == _summary_rolled_back(demo_county)
    summary = contact_demo.build_demo(demo_county, random.Random(3), None)
    households = Household.objects.filter(county=demo_county).count()
    assert summary["visits"] == round(28_000 * households / 18_000) == Visit.objects.count()
    assert summary["settled"] == round(3_200 * households / 18_000) == Visit.objects.filter(settled=True).count()
    # Members look after 10-15 households (a few more; the last of a village may have fewer).
    loads = Counter(Assignment.objects.filter(end_date__isnull=True).values_list("member_id", flat=True))
    within = sum(1 for n in loads.values() if 10 <= n <= 15)
    assert within >= 0.75 * len(loads)
    assert max(loads.values()) <= 18
    # Nearly every household is in a member's care; the selectors count the same.
    staff = User.objects.get(username="county")
    cover = selectors.coverage(staff, demo_county)
    assert cover.households == households
    assert cover.in_care == Assignment.objects.filter(end_date__isnull=True).count() == summary["assignments"]
    assert 0 < cover.without_contact < households * 0.1
    assert cover.without_contact == households - cover.in_care
    # The follow-up list agrees with the visits: a household is due exactly when it was not
    # seen within its interval.
    today = timezone.localdate()
    due = {a.household_id for a in selectors.households_due(staff)}
    for a in selectors.with_due(selectors.current_assignments(staff))[:300]:
        seen = a.last_visit or a.start_date
        assert (a.household_id in due) == ((today - seen).days > a.interval)
    # Reports: a year of them for every member with households, assembled from the visits.
    assert MonthlyReport.objects.count() == 12 * len(loads)
    states = set(MonthlyReport.objects.values_list("state", flat=True))
    assert {"approved", "submitted", "draft"} <= states
    report = MonthlyReport.objects.filter(visits__gt=0).order_by("id").first()
    assert report.visits == Visit.objects.filter(member=report.member, visited_on__year=report.month.year,
                                                 visited_on__month=report.month.month).count()
    # Quarterly summaries hold the figures the selectors compute.
    for written in QuarterSummary.objects.order_by("id")[:8]:
        branch = PartyOrganisation.objects.get(pk=written.branch_id)
        assert written.figures == selectors.branch_quarter_figures(branch, written.year, written.quarter).as_dict()
    # Wishes: one claimer each; the demo logins work.
    assert MicroWish.objects.exists()
    for wish in MicroWish.objects.exclude(state__in=["open", "withdrawn"]):
        assert (wish.claimed_member_id is None) != (wish.claimed_unit_id is None)
    login = User.objects.get(username="partymember")
    assert selectors.my_households(login, acting_member(login)).count() == loads[acting_member(login).pk] > 0
    assert contact_demo.build_demo(demo_county, random.Random(3), None) == {}


def test_grid_work_and_organisations(demo_county):
    summary = gridwork_demo.build_demo(demo_county, random.Random(5), None)
    assert summary["log_entries"] == LogEntry.objects.count() > 0
    assert all(a.total <= a.full_marks for a in Assessment.objects.all())
    approved_births = FieldUpdate.objects.filter(kind="birth", state="approved")
    assert all(u.created_resident_id for u in approved_births)
    for u in FieldUpdate.objects.filter(kind="death", state="approved"):
        assert Resident.objects.get(pk=u.resident_id).status == "deceased"
    assert gridwork_demo.build_demo(demo_county, random.Random(5), None) == {}

    result = organisations_demo.build_demo(demo_county, random.Random(9), None)
    villages = Region.objects.filter(level=Region.Level.VILLAGE).count()
    assert result["organisations"] == 5 * villages
    assert result["disputes_settled"] == round(470 * villages / 117)
    assert result["clean_ups"] == round(620 * villages / 117)
    figures = organisation_selectors.figures(User.objects.get(username="county"))
    assert (figures.organisations, figures.disputes_settled, figures.clean_ups) == (
        result["organisations"], result["disputes_settled"], result["clean_ups"])
