"""The disclosure calendar: which periods each requirement covers, when each is due, and
whether a village posted on time.

A requirement (monthly, quarterly, yearly) is met for a period by a notice of the village
on the right board and category whose period covers the whole of it (a quarterly statement
covers each of its months), posted by the due day: the period's last day plus the
requirement's days of grace.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shanzhi.core import tree
from shanzhi.deliberation.models import DisclosureRequirement, Frequency, Notice
from shanzhi.regions.models import Region

ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.start.month == self.end.month and self.start.year == self.end.year:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.start.month == 1 and self.end.month == 12:
            return f"{self.start.year}"
        return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def period_containing(frequency: str, day: dt.date) -> Period:
    if frequency == Frequency.MONTHLY:
        return Period(day.replace(day=1), _month_end(day.year, day.month))
    if frequency == Frequency.QUARTERLY:
        first = 3 * ((day.month - 1) // 3) + 1
        return Period(dt.date(day.year, first, 1), _month_end(day.year, first + 2))
    return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def quarter(year: int, number: int) -> Period:
    return Period(dt.date(year, 3 * number - 2, 1), _month_end(year, 3 * number))


def previous(frequency: str, period: Period) -> Period:
    return period_containing(frequency, period.start - dt.timedelta(days=1))


def due_on(requirement: DisclosureRequirement, period: Period) -> dt.date:
    return period.end + dt.timedelta(days=requirement.grace_days)


def due_periods(requirement: DisclosureRequirement, on: dt.date, count: int = 1) -> list[Period]:
    """The last ``count`` periods whose due day has passed by ``on``, newest first."""
    period = period_containing(requirement.frequency, on)
    while due_on(requirement, period) >= on:
        period = previous(requirement.frequency, period)
    found = [period]
    while len(found) < count:
        found.append(previous(requirement.frequency, found[-1]))
    return found


def periods_due_between(requirement: DisclosureRequirement, start: dt.date, end: dt.date) -> list[Period]:
    """Periods whose due day falls within [start, end]."""
    found = []
    period = period_containing(requirement.frequency, end)
    while True:
        due = due_on(requirement, period)
        if due < start:
            break
        if due <= end:
            found.append(period)
        period = previous(requirement.frequency, period)
    return found


@dataclass(frozen=True)
class Status:
    village: Region
    requirement: DisclosureRequirement
    period: Period
    due: dt.date
    status: str  # ON_TIME, LATE, MISSING
    posted_on: dt.date | None
    notice_id: int | None
    today: dt.date

    @property
    def days_late(self) -> int:
        """Days past the due day: until posting, or until today while still missing."""
        return max(0, ((self.posted_on or self.today) - self.due).days)


def requirements_for(villages: Sequence[Region]) -> list[DisclosureRequirement]:
    """The requirements in force at or above any of these villages."""
    above = {a for v in villages for a in tree.ancestors(v.path)}
    return list(DisclosureRequirement.objects.filter(active=True, region_path__in=sorted(above))
                .order_by("region_path", "board", "category"))


def statuses(villages: Sequence[Region], pairs: Iterable[tuple[DisclosureRequirement, Period]],
             on: dt.date) -> list[Status]:
    """Each village's status for each (requirement, period) that applies to it, from one
    query over the notices that could meet them."""
    pairs = list(pairs)
    if not villages or not pairs:
        return []
    earliest = min(p.start for _, p in pairs)
    categories = {r.category for r, _ in pairs}
    rows = (Notice.objects.filter(region__in=villages, category__in=categories, period_end__gte=earliest,
                                  period_start__isnull=False)
            .filter(removed_at__isnull=True)
            .values_list("id", "region_id", "board", "category", "period_start", "period_end", "posted_on"))
    by_key: dict[tuple[int, str, str], list[tuple[int, Any, Any, dt.date]]] = defaultdict(list)
    for pk, region_id, board, category, start, end, posted in rows:
        by_key[(region_id, board, category)].append((pk, start, end, posted))
    found: list[Status] = []
    for village in villages:
        for requirement, period in pairs:
            if not tree.is_under(village.path, requirement.region_path):
                continue
            due = due_on(requirement, period)
            covering = sorted(((posted, pk) for pk, start, end, posted in
                               by_key.get((village.pk, requirement.board, requirement.category), [])
                               if start <= period.start and end >= period.end and posted <= on))
            if not covering:
                found.append(Status(village, requirement, period, due, MISSING, None, None, on))
                continue
            posted, pk = covering[0]
            found.append(Status(village, requirement, period, due, ON_TIME if posted <= due else LATE, posted, pk, on))
    return found

