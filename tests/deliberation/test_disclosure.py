"""The disclosure calendar and the late list; the red/black list's indicators, scores,
adjustments and publication."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shanzhi.core.errors import NotFound, PermissionDenied, ValidationError
from shanzhi.deliberation import disclosure, indicators, selectors, services
from shanzhi.deliberation.models import (
    Admonition,
    Board,
    Category,
    DisclosureRequirement,
    Frequency,
    Notice,
    RedBlackAdjustment,
    RedBlackList,
)
from shanzhi.regions.models import Region
from tests.deliberation.conftest import TOWNSHIP, VILLAGE


def test_periods_and_due_days():
    monthly = DisclosureRequirement(frequency=Frequency.MONTHLY, grace_days=10)
    assert disclosure.due_periods(monthly, dt.date(2025, 3, 10)) == [
        disclosure.Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31))]
    assert disclosure.due_periods(monthly, dt.date(2025, 3, 11))[0].start == dt.date(2025, 2, 1)
    quarterly = DisclosureRequirement(frequency=Frequency.QUARTERLY, grace_days=15)
    assert [p.label for p in disclosure.due_periods(quarterly, dt.date(2025, 1, 16), 2)] == ["2024Q4", "2024Q3"]
    yearly = DisclosureRequirement(frequency=Frequency.YEARLY, grace_days=0)
    assert disclosure.due_periods(yearly, dt.date(2025, 1, 1))[0].label == "2024"
    assert [p.label for p in disclosure.periods_due_between(monthly, dt.date(2025, 4, 1), dt.date(2025, 6, 30))] \
        == ["2025-05", "2025-04", "2025-03"]


def _post(secretary, village, category, start, end, posted_on):
    notice = services.notice_post(actor=secretary, region=village, board=Board.VILLAGE, category=category,
                                  title="公开", body="内容", period_start=start, period_end=end)
    Notice.objects.filter(pk=notice.pk).update(posted_on=posted_on)  # as if posted that day
    return notice


def test_the_late_list_names_missing_and_late_villages(users, village):
    township = Region.objects.get(code=TOWNSHIP)
    services.requirement_add(actor=users["township_staff"], region=township, board=Board.VILLAGE,
                             category=Category.FINANCES, frequency=Frequency.MONTHLY, title="财务收支", grace_days=10)
    today = timezone.localdate()
    period = disclosure.due_periods(DisclosureRequirement(frequency=Frequency.MONTHLY, grace_days=10), today)[0]
    due = period.end + dt.timedelta(days=10)
    other = Region.objects.get(code="621023100001")
    # 张湾村 posted a quarterly statement covering the month, after the due day.
    quarter = disclosure.period_containing(Frequency.QUARTERLY, period.start)
    _post(users["village_secretary"], village, Category.FINANCES, quarter.start, quarter.end,
          due + dt.timedelta(days=2) if due + dt.timedelta(days=2) <= today else due)
    rows = {r.village.code: r for r in selectors.late_disclosures(users["township_staff"], region=township,
                                                                  include_on_time=True)}
    assert rows[other.code].status == disclosure.MISSING
    assert rows[other.code].days_late == (today - due).days
    expected = disclosure.LATE if due + dt.timedelta(days=2) <= today else disclosure.ON_TIME
    assert rows[VILLAGE].status == expected
    # A village cadre sees their own village's; the other township's staff see nothing here.
    own = selectors.late_disclosures(users["village_secretary"], region=village, include_on_time=True)
    assert {r.village.code for r in own} == {VILLAGE}
    with pytest.raises(NotFound):
        selectors.late_disclosures(users["village_secretary"], region=Region.objects.get(code="621023101201"))
    # A notice taken down early does not count.
    Notice.objects.update(removed_at=timezone.now(), removed_reason="错误")
    rows = {r.village.code: r for r in selectors.late_disclosures(users["township_staff"], region=township)}
    assert rows[VILLAGE].status == disclosure.MISSING


def test_only_government_staff_keep_the_calendar(users):
    township = Region.objects.get(code=TOWNSHIP)
    with pytest.raises(PermissionDenied):
        services.requirement_add(actor=users["village_secretary"], region=Region.objects.get(code=VILLAGE),
                                 board=Board.VILLAGE, category=Category.FINANCES, frequency=Frequency.MONTHLY,
                                 title="x")
    with pytest.raises(ValidationError) as err:
        services.requirement_add(actor=users["township_staff"], region=township, board=Board.PARTY,
                                 category=Category.FINANCES, frequency=Frequency.MONTHLY, title="x")
    assert "category" in err.value.fields
    added = services.calendar_adopt_standard(actor=users["township_staff"], region=township)
    assert len(added) == len(services.notices.STANDARD_CALENDAR)
    assert services.calendar_adopt_standard(actor=users["township_staff"], region=township) == []


def _last_quarter() -> tuple[int, int]:
    today = timezone.localdate()
    q = (today.month - 1) // 3
    return (today.year, q) if q else (today.year - 1, 4)


def test_the_red_black_list_ranks_on_measured_indicators_with_reasoned_adjustments(users, county):
    township = Region.objects.get(code=TOWNSHIP)
    year, quarter = _last_quarter()
    period = disclosure.quarter(year, quarter)
    zhangwan, chengguan = Region.objects.get(code=VILLAGE), Region.objects.get(code="621023100001")
    services.indicator_reading_enter(actor=users["township_staff"], village=zhangwan, indicator="sanitation",
                                     year=year, quarter=quarter, value="92")
    services.indicator_reading_enter(actor=users["township_staff"], village=chengguan, indicator="sanitation",
                                     year=year, quarter=quarter, value="61.5")
    meeting = services.council_meeting_record(actor=users["village_secretary"], village=zhangwan,
                                              held_on=timezone.localdate(), member_count=5, present_count=5,
                                              minutes="m")
    services.admonition_record(actor=users["village_secretary"], meeting=meeting, household=county.households[0],
                               conduct="gambling", description="d")
    from shanzhi.deliberation.models import CouncilMeeting

    CouncilMeeting.objects.filter(pk=meeting.pk).update(held_on=period.start + dt.timedelta(days=5))
    ranking = services.red_black_list_compute(actor=users["township_staff"], township=township, year=year,
                                              quarter=quarter, red_count=1, black_count=1)
    keys = [spec["key"] for spec in ranking.indicators]
    assert keys == ["sanitation", "admonitions_per_100_households"]
    entries = {e.village.code: e for e in ranking.entries.select_related("village")}
    assert entries[VILLAGE].values == {"sanitation": 92.0, "admonitions_per_100_households": pytest.approx(16.67)}
    # Sanitation: 张湾 best (100), 城关 worst (0); admonitions: 张湾 worst (0), 城关 best (100).
    assert entries[VILLAGE].scores == {"sanitation": 100.0, "admonitions_per_100_households": 0.0}
    # Weighted 2:1 → 张湾 66.67, 城关 33.33.
    assert entries[VILLAGE].final_score == Decimal("66.67")
    assert (entries[VILLAGE].placement, entries["621023100001"].placement) == ("red", "black")
    # An adjustment needs its reason and moves the ranking.
    with pytest.raises(ValidationError) as err:
        services.red_black_list_adjust(actor=users["township_staff"], ranking=ranking, village=chengguan,
                                       delta="40", reason="x")
    assert "delta" in err.value.fields
    with pytest.raises(ValidationError) as err:
        services.red_black_list_adjust(actor=users["township_staff"], ranking=ranking, village=chengguan,
                                       delta="20", reason=" ")
    assert "reason" in err.value.fields
    services.red_black_list_adjust(actor=users["township_staff"], ranking=ranking, village=chengguan, delta="20",
                                   reason="成功调处跨村土地纠纷")
    services.red_black_list_adjust(actor=users["township_staff"], ranking=ranking, village=zhangwan, delta="-15",
                                   reason="本季度发生群体性上访")
    entries = {e.village.code: e for e in ranking.entries.select_related("village")}
    assert entries["621023100001"].placement == "red"
    assert entries[VILLAGE].placement == "black"
    # Recomputing keeps the adjustments; publishing makes it final and posts a township notice.
    ranking = services.red_black_list_compute(actor=users["township_staff"], township=township, year=year,
                                              quarter=quarter, red_count=1, black_count=1)
    assert RedBlackAdjustment.objects.count() == 2
    assert ranking.entries.get(village=chengguan).adjustment == Decimal("20.00")
    services.red_black_list_publish(actor=users["township_staff"], ranking=ranking)
    ranking.refresh_from_db()
    assert ranking.state == "published"
    assert ranking.notice.region_id == township.pk
    assert "城关社区" in ranking.notice.body
    with pytest.raises(ValidationError):
        services.red_black_list_adjust(actor=users["township_staff"], ranking=ranking, village=chengguan,
                                       delta="1", reason="late")
    with pytest.raises(ValidationError):
        services.red_black_list_compute(actor=users["township_staff"], township=township, year=year,
                                        quarter=quarter)


def test_a_quarter_is_ranked_after_it_ends_and_by_the_township(users):
    township = Region.objects.get(code=TOWNSHIP)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as err:
        services.red_black_list_compute(actor=users["township_staff"], township=township, year=today.year,
                                        quarter=(today.month - 1) // 3 + 1)
    assert "quarter" in err.value.fields
    year, quarter = _last_quarter()
    with pytest.raises(NotFound):  # village cadres do not keep (or see) the township's lists
        services.red_black_list_compute(actor=users["village_secretary"], township=township, year=year,
                                        quarter=quarter)
    with pytest.raises(NotFound):
        services.red_black_list_compute(actor=users["township_staff"],
                                        township=Region.objects.get(code="621023101000"), year=year, quarter=quarter)
    assert not RedBlackList.objects.exists()


def test_modules_built_later_join_the_indicators(users, county):
    """A measured indicator registered by another module is used the next time a list is
    computed, and it may replace an entered one of the same key."""
    township = Region.objects.get(code=TOWNSHIP)
    year, quarter = _last_quarter()
    calls = []

    def disputes_per_100(villages, start, end):
        calls.append((start, end))
        return {v.pk: (3.0 if v.code == VILLAGE else 9.0) for v in villages}

    saved = dict(indicators.REGISTRY)
    try:
        indicators.register(indicators.Indicator("disputes_per_100_households", "disputes per 100 households", "",
                                                 False, disputes_per_100))
        ranking = services.red_black_list_compute(actor=users["township_staff"], township=township, year=year,
                                                  quarter=quarter, red_count=1, black_count=1)
    finally:
        indicators.REGISTRY.clear()
        indicators.REGISTRY.update(saved)
    period = disclosure.quarter(year, quarter)
    assert calls == [(period.start, period.end)]
    assert [s["key"] for s in ranking.indicators] == ["disputes_per_100_households"]
    assert ranking.entries.get(village__code=VILLAGE).placement == "red"


def test_admonitions_are_personal(users, county):
    village = Region.objects.get(code=VILLAGE)
    meeting = services.council_meeting_record(actor=users["village_secretary"], village=village,
                                              held_on=timezone.localdate(), member_count=7, present_count=3,
                                              minutes="m")
    with pytest.raises(ValidationError) as err:  # not quorate: 3 of 7
        services.admonition_record(actor=users["village_secretary"], meeting=meeting, household=county.households[1],
                                   conduct="gambling", description="d")
    assert "meeting" in err.value.fields
    meeting = services.council_meeting_record(actor=users["village_secretary"], village=village,
                                              held_on=timezone.localdate(), member_count=7, present_count=4,
                                              minutes="m")
    own = services.admonition_record(actor=users["village_secretary"], meeting=meeting,
                                     household=county.households[0], conduct="sanitation", description="d")
    services.admonition_record(actor=users["village_secretary"], meeting=meeting, household=county.households[1],
                               conduct="gambling", description="d")
    assert list(selectors.admonitions(users["resident"])) == [own]
    assert selectors.admonitions(users["village_committee"]).count() == 2
    # The grid worker of grid 1 sees grid 1's households only (both are in grid 1 here).
    assert selectors.admonitions(users["grid_worker"]).count() == 2
    assert selectors.admonitions(users["department_staff"]).count() == 0
    assert Admonition.objects.count() == 2


def test_the_indicators_of_the_modules_beside_us_are_read_from_their_records(users, county):
    """Disputes (per 100 households, lower is better), request satisfaction and points
    participation are measured from those modules' records when they are installed."""
    from shanzhi.disputes.models import Dispute

    township = Region.objects.get(code=TOWNSHIP)
    villages = list(Region.objects.filter(parent=township).order_by("code"))
    year, quarter = _last_quarter()
    period = disclosure.quarter(year, quarter)
    grid = Region.objects.get(code=VILLAGE + "001")
    when = timezone.make_aware(dt.datetime.combine(period.start + dt.timedelta(days=3), dt.time(10)))
    for _ in range(3):
        Dispute.objects.create(county=grid.county, region=grid, region_path=grid.path, source="screening",
                               summary="宅基地边界", reported_at=when, handling_path=grid.path, accept_due=when,
                               state_changed_at=when)
    measured = indicators.get("disputes_per_100_households").measure(villages, period.start, period.end)
    zhangwan = Region.objects.get(code=VILLAGE)
    assert measured[zhangwan.pk] == 50.0  # 3 disputes, 6 households
    assert all(value == 0 for pk, value in measured.items() if pk != zhangwan.pk)
    for key in ("request_satisfaction", "points_participation"):
        assert set(indicators.get(key).measure(villages, period.start, period.end).values()) <= {None, 0.0}
    ranking = services.red_black_list_compute(actor=users["township_staff"], township=township, year=year,
                                              quarter=quarter, red_count=1, black_count=1)
    assert [s["key"] for s in ranking.indicators] == ["disputes_per_100_households"]
    assert ranking.entries.get(village=zhangwan).placement == "black"
