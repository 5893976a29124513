"""The SLA clock against China's real official calendar (chinesecalendar's data)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from shanzhi.core import sla
from shanzhi.core.sla import Calendar, Unit

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
CAL = Calendar.from_text("08:30-12:00,14:30-18:00", "Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


H = dt.timedelta(hours=1)
DAY = 7 * H  # 3.5 h in the morning + 3.5 h in the afternoon


# -- the calendar ---------------------------------------------------------------------------

def test_national_day_2025_golden_week_and_its_make_up_days():
    # Oct 1–8 off (National Day and Mid-Autumn together); Sunday Sep 28 and Saturday Oct 11
    # are working days made up for it.
    assert sla.is_workday(dt.date(2025, 9, 26))  # Friday
    assert not sla.is_workday(dt.date(2025, 9, 27))  # Saturday
    assert sla.is_workday(dt.date(2025, 9, 28))  # Sunday, made up
    assert all(not sla.is_workday(dt.date(2025, 10, d)) for d in range(1, 9))
    assert sla.is_workday(dt.date(2025, 10, 9))
    assert sla.is_workday(dt.date(2025, 10, 11))  # Saturday, made up
    assert not sla.is_workday(dt.date(2025, 10, 12))


def test_spring_festival_2026():
    # Feb 15–23 off; Saturday Feb 14 and Saturday Feb 28 are made-up working days.
    assert sla.is_workday(dt.date(2026, 2, 14))
    assert all(not sla.is_workday(dt.date(2026, 2, d)) for d in range(15, 24))
    assert sla.is_workday(dt.date(2026, 2, 24))
    assert sla.is_workday(dt.date(2026, 2, 28))


# -- working hours --------------------------------------------------------------------------

def test_working_hours_within_a_morning():
    assert CAL.add(at(2025, 9, 29, 9, 0), 2, Unit.WORKING_HOURS) == at(2025, 9, 29, 11, 0)


def test_the_lunch_break_is_skipped():
    # 10:00 + 3 h: 2 h until 12:00, then 1 h from 14:30.
    assert CAL.add(at(2025, 9, 29, 10, 0), 3, Unit.WORKING_HOURS) == at(2025, 9, 29, 15, 30)
    # Starting during lunch counts from 14:30.
    assert CAL.add(at(2025, 9, 29, 12, 45), 1, Unit.WORKING_HOURS) == at(2025, 9, 29, 15, 30)
    assert CAL.working_time_between(at(2025, 9, 29, 11, 0), at(2025, 9, 29, 15, 0)) == 1.5 * H


def test_a_deadline_ending_exactly_at_closing_time_stays_on_that_day():
    assert CAL.add(at(2025, 9, 29, 14, 30), 3.5, Unit.WORKING_HOURS) == at(2025, 9, 29, 18, 0)


def test_working_hours_across_a_weekend():
    # Friday 2025-09-19 16:00 + 4 h: 2 h on Friday, the weekend skipped, 2 h on Monday.
    assert CAL.add(at(2025, 9, 19, 16, 0), 4, Unit.WORKING_HOURS) == at(2025, 9, 22, 10, 30)
    assert CAL.working_time_between(at(2025, 9, 19, 16, 0), at(2025, 9, 22, 10, 30)) == 4 * H


def test_working_hours_across_the_golden_week():
    # Tuesday Sep 30 17:00 + 3 h: 1 h on Sep 30, then nothing until Thursday Oct 9.
    assert CAL.add(at(2025, 9, 30, 17, 0), 3, Unit.WORKING_HOURS) == at(2025, 10, 9, 10, 30)
    # Saturday Sep 27 (off) to the make-up Sunday Sep 28: a full working day on the Sunday.
    assert CAL.working_time_between(at(2025, 9, 27, 0, 0), at(2025, 9, 29, 0, 0)) == DAY
    # Over the whole of Sep 27 – Oct 12: Sep 28, 29, 30, Oct 9, 10, 11 are working days.
    assert CAL.working_time_between(at(2025, 9, 27), at(2025, 10, 13)) == 6 * DAY


def test_working_hours_across_spring_festival_2026():
    # Friday Feb 13 16:00 + 10 h: 2 h Friday, 7 h on the make-up Saturday Feb 14, then
    # nine days of holiday, 1 h on Tuesday Feb 24.
    assert CAL.add(at(2026, 2, 13, 16, 0), 10, Unit.WORKING_HOURS) == at(2026, 2, 24, 9, 30)


def test_starting_after_hours_counts_from_the_next_morning():
    assert CAL.add(at(2025, 9, 29, 20, 0), 1, Unit.WORKING_HOURS) == at(2025, 9, 30, 9, 30)
    assert CAL.next_working_moment(at(2025, 9, 30, 18, 0)) == at(2025, 10, 9, 8, 30)


# -- working days and clock time ----------------------------------------------------------------

def test_working_days_do_not_count_the_first_day_and_end_at_closing_time():
    # Filed Monday 2025-09-22 at 10:00, 3 working days: Tue, Wed, Thu -> Thursday 18:00.
    assert CAL.add(at(2025, 9, 22, 10, 0), 3, Unit.WORKING_DAYS) == at(2025, 9, 25, 18, 0)
    # Filed on Friday 2025-09-26: Sun 28 (made up), Mon 29, Tue 30 -> Tuesday Sep 30.
    assert CAL.add(at(2025, 9, 26, 17, 0), 3, Unit.WORKING_DAYS) == at(2025, 9, 30, 18, 0)
    # Filed during the holiday: Oct 9, 10, 11 (made-up Saturday).
    assert CAL.add(at(2025, 10, 3, 9, 0), 3, Unit.WORKING_DAYS) == at(2025, 10, 11, 18, 0)
    with pytest.raises(ValueError, match="whole days"):
        CAL.add(at(2025, 10, 3), 1.5, Unit.WORKING_DAYS)


def test_clock_hours_ignore_the_calendar():
    assert CAL.add(at(2025, 9, 30, 17, 0), 48, Unit.HOURS) == at(2025, 10, 2, 17, 0)
    assert CAL.add(at(2025, 9, 30, 17, 0), 2, Unit.DAYS) == at(2025, 10, 2, 17, 0)


def test_zero_and_negative_amounts():
    start = at(2025, 9, 29, 13, 0)
    assert CAL.add(start, 0, Unit.WORKING_HOURS) == start
    with pytest.raises(ValueError):
        CAL.add(start, -1, Unit.HOURS)
    with pytest.raises(ValueError):
        CAL.add(start, 1, "fortnights")


# -- time zones -----------------------------------------------------------------------------

def test_instants_in_any_zone_are_read_in_shanghai_time():
    # 01:00 UTC is 09:00 in Shanghai (UTC+8 all year: no daylight saving since 1991).
    start_utc = dt.datetime(2025, 9, 29, 1, 0, tzinfo=UTC)
    deadline = CAL.add(start_utc, 4, Unit.WORKING_HOURS)
    assert deadline == at(2025, 9, 29, 15, 30)
    assert deadline.utcoffset() == dt.timedelta(hours=8)
    # 23:00 UTC on Sunday Sep 21 is already Monday Sep 22 07:00 in Shanghai.
    assert CAL.add(dt.datetime(2025, 9, 21, 23, 0, tzinfo=UTC), 1, Unit.WORKING_HOURS) == at(2025, 9, 22, 9, 30)
    assert all(dt.datetime(2025, m, 1, 12, tzinfo=SH).utcoffset() == dt.timedelta(hours=8) for m in range(1, 13))


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add(dt.datetime(2025, 9, 29, 9, 0), 1, Unit.WORKING_HOURS)


def test_elapsed_working_time_is_zero_backwards_and_overdue_is_strict():
    assert CAL.working_time_between(at(2025, 9, 30), at(2025, 9, 29)) == dt.timedelta(0)
    deadline = at(2025, 9, 29, 18, 0)
    assert not sla.is_overdue(deadline, now=deadline)
    assert sla.is_overdue(deadline, now=deadline + dt.timedelta(seconds=1))
    assert not sla.is_overdue(None)


# -- configuration and the fallback ---------------------------------------------------------------

def test_the_default_calendar_comes_from_settings(settings):
    assert sla.add(at(2025, 9, 29, 16, 0), 2, Unit.WORKING_HOURS) == at(2025, 9, 29, 18, 0)
    settings.SHANZHI_WORKING_HOURS = "09:00-17:00"
    assert sla.add(at(2025, 9, 29, 16, 0), 2, Unit.WORKING_HOURS) == at(2025, 9, 30, 10, 0)
    assert sla.working_time_between(at(2025, 9, 29), at(2025, 9, 30)) == 8 * H


@pytest.mark.parametrize("text", ["8-12", "12:00-08:30", "08:30-12:00,11:00-18:00", ""])
def test_bad_working_hours_are_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured):
        sla.parse_periods(text)


def test_a_year_the_package_does_not_know_falls_back_to_monday_to_friday(caplog):
    year = 2099
    sla._warned_years.discard(year)
    sla.is_workday.cache_clear()
    with caplog.at_level(logging.WARNING, logger="shanzhi.core.sla"):
        # Friday 2099-01-02 16:00 + 4 h: the weekend is skipped by weekday alone.
        assert CAL.add(at(year, 1, 2, 16, 0), 4, Unit.WORKING_HOURS) == at(year, 1, 5, 10, 30)
        assert sla.is_workday(dt.date(year, 10, 1))  # a Thursday: no holiday data for that year
        assert not sla.is_workday(dt.date(year, 10, 3))
    warnings = [r for r in caplog.records if "2099" in r.getMessage()]
    assert len(warnings) == 1  # once per year, however often the clock asks
