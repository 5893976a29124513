"""The measured indicators of the red/black list: a registry other modules join.

Each indicator measures every village of a township over a quarter and answers
``{village id: value}`` (``None`` where it has nothing to go on). The list scores each
indicator 0–100 across the township's villages (best 100, worst 0; inverted where lower is
better) and averages the scores by weight over the indicators a village has values for.

Built in here, from what this module records: disclosure on time, admonitions per 100
households, vote turnout, deliberation meetings per 100 households, and sanitation, a score
the township enters from its inspections (``IndicatorReading``). From the modules installed
beside it, read from their records: disputes per 100 households (disputes), request
satisfaction (requests), points participation (points). A module may register its own measure
under the same key (which replaces ours), and modules built later add theirs in their
``AppConfig.ready()``, for example::

    from shanzhi.deliberation import indicators
    indicators.register(indicators.Indicator(
        key="disputes_per_100_households", label=_("disputes per 100 households"), unit="",
        higher_is_better=False, measure=disputes_selectors.per_100_households_by_village))

A key registered twice replaces the earlier one (a module may replace an entered indicator by
a measured one of the same key).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from shanzhi.core import tree
from shanzhi.regions.models import Household, Region, Resident

Measure = Callable[[Sequence[Region], dt.date, dt.date], Mapping[int, float | Decimal | None]]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Any
    unit: Any
    higher_is_better: bool
    measure: Measure
    weight: int = 1
    # Entered by township staff (IndicatorReading) rather than measured by a module.
    entered: bool = False
    minimum: float = 0
    maximum: float = 100


REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    REGISTRY[indicator.key] = indicator
    return indicator


def active() -> list[Indicator]:
    return list(REGISTRY.values())


def get(key: str) -> Indicator | None:
    return REGISTRY.get(key)


def households_by_village(villages: Sequence[Region]) -> dict[int, int]:
    rows = (Household.objects.filter(village__in=villages, members__status=Resident.Status.ACTIVE)
            .values("village_id").annotate(n=Count("id", distinct=True)).values_list("village_id", "n"))
    return dict(rows)


def _per_100(counts: dict[int, int], villages: Sequence[Region]) -> dict[int, float | None]:
    homes = households_by_village(villages)
    return {v.pk: (round(100 * counts.get(v.pk, 0) / homes[v.pk], 2) if homes.get(v.pk) else None)
            for v in villages}


def disclosure_on_time(villages: Sequence[Region], start: dt.date, end: dt.date) -> dict[int, float | None]:
    """Share (%) of the postings due in the quarter that went up on time."""
    from shanzhi.deliberation import disclosure

    requirements = disclosure.requirements_for(villages)
    pairs = [(r, p) for r in requirements for p in disclosure.periods_due_between(r, start, end)]
    due: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    for status in disclosure.statuses(villages, pairs, on=end + dt.timedelta(days=1)):
        due[status.village.pk] += 1
        on_time[status.village.pk] += status.status == disclosure.ON_TIME
    return {v.pk: (round(100 * on_time[v.pk] / due[v.pk], 2) if due[v.pk] else None) for v in villages}


def admonitions_per_100_households(villages: Sequence[Region], start: dt.date, end: dt.date
                                   ) -> dict[int, float | None]:
    from shanzhi.deliberation.models import Admonition

    rows = (Admonition.objects.filter(village__in=villages, meeting__held_on__range=(start, end))
            .values("village_id").annotate(n=Count("id")).values_list("village_id", "n"))
    return _per_100(dict(rows), villages)


def meetings_per_100_households(villages: Sequence[Region], start: dt.date, end: dt.date
                                ) -> dict[int, float | None]:
    from shanzhi.deliberation.models import DeliberationMeeting

    rows = (DeliberationMeeting.objects.filter(village__in=villages, held_on__range=(start, end))
            .values("village_id").annotate(n=Count("id")).values_list("village_id", "n"))
    return _per_100(dict(rows), villages)


def vote_turnout(villages: Sequence[Region], start: dt.date, end: dt.date) -> dict[int, float | None]:
    """Votes cast as a share (%) of the rolls of the votes that closed in the quarter."""
    from shanzhi.deliberation.models import Vote

    rows = (Vote.objects.filter(village__in=villages, closes_at__date__range=(start, end))
            .values("village_id").annotate(cast=Sum("turnout_count"), roll=Sum("elector_count"))
            .values_list("village_id", "cast", "roll"))
    found = {village: round(100 * cast / roll, 2) for village, cast, roll in rows if roll}
    return {v.pk: found.get(v.pk) for v in villages}


def entered(key: str) -> Measure:
    def measure(villages: Sequence[Region], start: dt.date, end: dt.date) -> dict[int, float | Decimal | None]:
        from shanzhi.deliberation.models import IndicatorReading

        quarter = (start.month - 1) // 3 + 1
        rows = (IndicatorReading.objects.filter(Q(village__in=villages), indicator=key, year=start.year,
                                                quarter=quarter).values_list("village_id", "value"))
        found = dict(rows)
        return {v.pk: found.get(v.pk) for v in villages}

    return measure


def _by_village(rows: Any, villages: Sequence[Region]) -> dict[int, int]:
    """Fold ``(region_path, n)`` rows into the villages whose paths they lie under."""
    by_path = {v.path: v.pk for v in villages}
    out: dict[int, int] = defaultdict(int)
    for path, n in rows:
        for ancestor in tree.ancestors(path):
            if ancestor in by_path:
                out[by_path[ancestor]] += n
                break
    return out


def _under_any(villages: Sequence[Region]) -> Q:
    return tree.under_any([v.path for v in villages])


def disputes_per_100_households(villages: Sequence[Region], start: dt.date, end: dt.date
                                ) -> dict[int, float | None]:
    """Disputes reported in the quarter (the disputes module's records), per 100 households."""
    from shanzhi.disputes.models import Dispute

    rows = (Dispute.objects.filter(_under_any(villages), reported_at__date__range=(start, end))
            .values("region_path").annotate(n=Count("id")).values_list("region_path", "n"))
    return _per_100(_by_village(rows, villages), villages)


def request_satisfaction(villages: Sequence[Region], start: dt.date, end: dt.date) -> dict[int, float | None]:
    """The residents' average rating (1–5, as a percentage) of the requests filed in the quarter."""
    from shanzhi.casework.models import ServiceRequest

    rows = list(ServiceRequest.objects.filter(_under_any(villages), submitted_at__date__range=(start, end),
                                              rating__isnull=False)
                .values("region_path").annotate(total=Sum("rating"), n=Count("id"))
                .values_list("region_path", "total", "n"))
    totals = _by_village(((path, total) for path, total, _n in rows), villages)
    counts = _by_village(((path, n) for path, _total, n in rows), villages)
    return {v.pk: (round(20 * totals[v.pk] / counts[v.pk], 2) if counts.get(v.pk) else None) for v in villages}


def points_participation(villages: Sequence[Region], start: dt.date, end: dt.date) -> dict[int, float | None]:
    """Share (%) of the households with points approved for conduct in the quarter."""
    from shanzhi.points.models import Award

    rows = (Award.objects.filter(village__in=villages, state="approved", occurred_on__range=(start, end))
            .values("village_id").annotate(n=Count("household_id", distinct=True)).values_list("village_id", "n"))
    found = dict(rows)
    homes = households_by_village(villages)
    return {v.pk: (round(100 * found.get(v.pk, 0) / homes[v.pk], 2) if homes.get(v.pk) else None)
            for v in villages}


def register_builtin() -> None:
    """Ours, unless a module that loaded first already registered the same key."""
    for indicator in _builtin():
        REGISTRY.setdefault(indicator.key, indicator)
    # What the modules installed beside us already measure, read from their records; a module
    # may register its own measure under the same key, which then replaces this one.
    from django.apps import apps

    if apps.is_installed("shanzhi.disputes"):
        REGISTRY.setdefault("disputes_per_100_households", Indicator(
            "disputes_per_100_households", _("disputes per 100 households"), "", False, disputes_per_100_households,
            weight=2))
    if apps.is_installed("shanzhi.casework"):
        REGISTRY.setdefault("request_satisfaction", Indicator(
            "request_satisfaction", _("request satisfaction"), "%", True, request_satisfaction, weight=2))
    if apps.is_installed("shanzhi.points"):
        REGISTRY.setdefault("points_participation", Indicator(
            "points_participation", _("points participation"), "%", True, points_participation))


def _builtin() -> list[Indicator]:
    return [
        Indicator("disclosure_on_time", _("notices posted on time"), "%", True, disclosure_on_time, weight=2),
        Indicator("sanitation", _("sanitation inspection score"), _("points"), True, entered("sanitation"),
                  weight=2, entered=True),
        Indicator("admonitions_per_100_households", _("admonitions per 100 households"), "", False,
                  admonitions_per_100_households),
        Indicator("meetings_per_100_households", _("deliberation meetings per 100 households"), "", True,
                  meetings_per_100_households),
        Indicator("vote_turnout", _("vote turnout"), "%", True, vote_turnout),
    ]
