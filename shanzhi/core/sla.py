"""The one SLA clock: deadlines in clock time or in working time by China's official
calendar.

A working day is what the State Council's holiday notice says it is: Monday to Friday,
minus public holidays, plus the weekend days made up as working days (调休), read from
the ``chinesecalendar`` package. For a year the package does not know yet, the clock falls
back to Monday–Friday and logs a warning once per year (upgrade the package when the new
notice is out, usually in November).

Working hours are configurable (``SHANZHI_WORKING_HOURS``, default
``08:30-12:00,14:30-18:00``) in ``SHANZHI_SLA_TIME_ZONE`` (default ``TIME_ZONE``,
Asia/Shanghai). Instants in and out are timezone-aware; the arithmetic is done on
absolute instants, so a zone with daylight saving would still count real hours.

Units:
- ``hours`` / ``days``: clock time (24 h a day, holidays included);
- ``working_hours``: time inside working hours on working days;
- ``working_days``: counted as Chinese administrative time limits are: the day the clock
  starts is not counted, and the deadline is the close of the last working day (so a
  request filed on Monday with 3 working days is due on Thursday at 18:00).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

DEFAULT_WORKING_HOURS = "08:30-12:00,14:30-18:00"
# Safety stop for a calendar with no working time at all (a misconfiguration).
MAX_DAYS_SEARCHED = 3660


class Unit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


_warned_years: set[int] = set()
_warn_lock = threading.Lock()


@functools.lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    """China's official working days, holidays and make-up days included."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        with _warn_lock:
            if day.year not in _warned_years:
                _warned_years.add(day.year)
                log.warning("the official holiday calendar for %s is not known (chinesecalendar %s): "
                            "counting Monday to Friday as working days; upgrade chinesecalendar",
                            day.year, getattr(chinese_calendar, "__version__", "?"))
        return day.weekday() < 5


def parse_periods(text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """``"08:30-12:00,14:30-18:00"`` -> ordered, non-overlapping periods of a working day."""
    periods = []
    try:
        for part in text.split(","):
            start, end = (dt.time.fromisoformat(p.strip()) for p in part.split("-"))
            periods.append((start, end))
    except ValueError:
        raise ImproperlyConfigured(f"working hours {text!r}: write them like {DEFAULT_WORKING_HOURS}") from None
    previous_end = dt.time.min
    for start, end in periods:
        if not start < end or start < previous_end:
            raise ImproperlyConfigured(f"working hours {text!r}: periods must be ordered and not overlap")
        previous_end = end
    if not periods:
        raise ImproperlyConfigured("working hours: at least one period is needed")
    return tuple(periods)


@dataclass(frozen=True)
class Calendar:
    periods: tuple[tuple[dt.time, dt.time], ...]
    tz: dt.tzinfo

    @classmethod
    def from_text(cls, working_hours: str = DEFAULT_WORKING_HOURS, tz: str = "Asia/Shanghai") -> Calendar:
        return cls(parse_periods(working_hours), ZoneInfo(tz))

    # -- the working time of one day ---------------------------------------------------------

    def working_periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not is_workday(day):
            return []
        return [(dt.datetime.combine(day, a, self.tz), dt.datetime.combine(day, b, self.tz))
                for a, b in self.periods]

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if timezone.is_naive(moment):
            raise ValueError("the SLA clock needs timezone-aware instants")
        return moment.astimezone(self.tz)

    # -- the API ---------------------------------------------------------------------------

    def add(self, start: dt.datetime, amount: float, unit: str) -> dt.datetime:
        """The deadline ``amount`` ``unit`` after ``start`` (in the calendar's zone)."""
        start = self._local(start)
        if amount < 0:
            raise ValueError("a deadline cannot be in the past")
        if unit == Unit.HOURS:
            return (start.astimezone(dt.UTC) + dt.timedelta(hours=amount)).astimezone(self.tz)
        if unit == Unit.DAYS:
            return (start.astimezone(dt.UTC) + dt.timedelta(days=amount)).astimezone(self.tz)
        if unit == Unit.WORKING_HOURS:
            return self._add_working(start, dt.timedelta(hours=amount))
        if unit == Unit.WORKING_DAYS:
            if amount != int(amount):
                raise ValueError("working days are whole days")
            return self._add_working_days(start, int(amount))
        raise ValueError(f"unknown unit {unit!r}")

    def _add_working(self, start: dt.datetime, remaining: dt.timedelta) -> dt.datetime:
        if remaining <= dt.timedelta(0):
            return start
        day = start.date()
        for _day in range(MAX_DAYS_SEARCHED):
            for a, b in self.working_periods(day):
                if b <= start:
                    continue
                begin = max(a, start)
                available = b - begin
                if remaining <= available:
                    return (begin.astimezone(dt.UTC) + remaining).astimezone(self.tz)
                remaining -= available
            day += dt.timedelta(days=1)
        raise ImproperlyConfigured("the working calendar has no working time")

    def _add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        day = start.date()
        if days == 0:
            return start
        counted = 0
        for _day in range(MAX_DAYS_SEARCHED):
            day += dt.timedelta(days=1)
            if is_workday(day):
                counted += 1
                if counted == days:
                    return dt.datetime.combine(day, self.periods[-1][1], self.tz)
        raise ImproperlyConfigured("the working calendar has no working days")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time elapsed from ``start`` to ``end`` (zero if ``end`` is earlier)."""
        start, end = self._local(start), self._local(end)
        total = dt.timedelta(0)
        if end <= start:
            return total
        day = start.date()
        while day <= end.date():
            for a, b in self.working_periods(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` if it is inside working hours, else the start of the next period."""
        moment = self._local(moment)
        day = moment.date()
        for _day in range(MAX_DAYS_SEARCHED):
            for a, b in self.working_periods(day):
                if moment < b:
                    return max(a, moment)
            day += dt.timedelta(days=1)
        raise ImproperlyConfigured("the working calendar has no working time")


@functools.cache
def default_calendar() -> Calendar:
    return Calendar.from_text(
        getattr(settings, "SHANZHI_WORKING_HOURS", DEFAULT_WORKING_HOURS),
        getattr(settings, "SHANZHI_SLA_TIME_ZONE", "") or settings.TIME_ZONE,
    )


@receiver(setting_changed)
def _settings_changed(*, setting: str, **_: object) -> None:
    if setting in {"SHANZHI_WORKING_HOURS", "SHANZHI_SLA_TIME_ZONE", "TIME_ZONE"}:
        default_calendar.cache_clear()


def add(start: dt.datetime, amount: float, unit: str, calendar: Calendar | None = None) -> dt.datetime:
    return (calendar or default_calendar()).add(start, amount, unit)


def working_time_between(start: dt.datetime, end: dt.datetime, calendar: Calendar | None = None) -> dt.timedelta:
    return (calendar or default_calendar()).working_time_between(start, end)


def is_overdue(deadline: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """True once ``now`` is past ``deadline``; a case without a deadline is never overdue."""
    if deadline is None:
        return False
    return (now or timezone.now()) > deadline


__all__ = ["Calendar", "Unit", "add", "default_calendar", "is_overdue", "is_workday", "working_time_between"]
