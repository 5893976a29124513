"""The quarterly red/black list (红黑榜) of a township's villages.

Computed from the registered indicators (``indicators.py``), each scored 0–100 across the
township's villages and averaged by weight; manual adjustments (each with its reason) are
added; the best villages go on the red list, the worst on the black list. A draft can be
recomputed and adjusted; once published (as a notice on the township's board, which every
village's public board shows) it is final.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, workflow
from shanzhi.core.errors import ValidationError
from shanzhi.deliberation import disclosure, indicators
from shanzhi.deliberation.models import (
    Board,
    Category,
    IndicatorReading,
    NoticeSource,
    Placement,
    RedBlackAdjustment,
    RedBlackEntry,
    RedBlackList,
)
from shanzhi.deliberation.services._common import placed, text, village_of, whole
from shanzhi.regions.models import Region

CENT = Decimal("0.01")
MAX_ADJUSTMENT = Decimal(20)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _quarter(year: int, quarter: int) -> disclosure.Period:
    whole(quarter, field="quarter", minimum=1, maximum=4)
    whole(year, field="year", minimum=2000, maximum=2100)
    period = disclosure.quarter(year, quarter)
    if period.end >= timezone.localdate():
        raise ValidationError(_("A quarter is ranked after it ends."), field="quarter")
    return period


@transaction.atomic
def indicator_reading_enter(*, actor: Any, village: Region | None, indicator: str, year: int, quarter: int,
                            value: Any, note: str = "") -> IndicatorReading:
    """A value the township measures by hand (the sanitation inspection score)."""
    village = village_of(village)
    reading = IndicatorReading(village=village, entered_by=actor, **placed(village))
    access.require(actor, "ranking.manage", reading, view_action="ranking.view")
    definition = indicators.get(indicator)
    if definition is None or not definition.entered:
        raise ValidationError(_("This indicator is measured, not entered."), field="indicator")
    whole(quarter, field="quarter", minimum=1, maximum=4)
    whole(year, field="year", minimum=2000, maximum=2100)
    try:
        amount = _dec(value)
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError(_("Enter a number."), field="value") from None
    if not (Decimal(str(definition.minimum)) <= amount <= Decimal(str(definition.maximum))):
        raise ValidationError(_("Between %(min)s and %(max)s.") % {"min": definition.minimum,
                                                                    "max": definition.maximum}, field="value")
    existing = IndicatorReading.objects.select_for_update().filter(
        village=village, indicator=indicator, year=year, quarter=quarter).first()
    before = str(existing.value) if existing else None
    if existing is not None:
        reading = existing
        reading.entered_by, reading.entered_at = actor, timezone.now()
    else:
        reading.indicator, reading.year, reading.quarter = indicator, year, quarter
    reading.value, reading.note = amount, text(note, field="note", max_length=200, required=False)
    reading.save()
    audit.record(actor=actor, action="ranking.reading", target=reading,
                 detail={"indicator": indicator, "year": year, "quarter": quarter, "value": [before, str(amount)]})
    return reading


def _score(ranking: RedBlackList) -> None:
    """Scores, ranks and placements from the entries' values and adjustments."""
    entries = list(ranking.entries.all())
    scores: dict[int, dict[str, float | None]] = {e.pk: {} for e in entries}
    for spec in ranking.indicators:
        key = spec["key"]
        values = [float(e.values[key]) for e in entries if e.values.get(key) is not None]
        low, high = (min(values), max(values)) if values else (0.0, 0.0)
        for e in entries:
            raw = e.values.get(key)
            if raw is None:
                scores[e.pk][key] = None
            elif high == low:
                scores[e.pk][key] = 100.0
            else:
                share = (float(raw) - low) / (high - low)
                scores[e.pk][key] = round(100 * (share if spec["higher_is_better"] else 1 - share), 2)
    adjustments = dict(RedBlackAdjustment.objects.filter(entry__ranking=ranking).values("entry_id")
                       .annotate(total=Sum("delta")).values_list("entry_id", "total"))
    weights = {spec["key"]: spec["weight"] for spec in ranking.indicators}
    for e in entries:
        parts = [(weights[k], s) for k, s in scores[e.pk].items() if s is not None]
        e.scores = scores[e.pk]
        e.measured_score = _dec(sum(w * s for w, s in parts) / sum(w for w, _s in parts)) if parts else None
        e.adjustment = _dec(adjustments.get(e.pk) or 0)
        e.final_score = None if e.measured_score is None else e.measured_score + e.adjustment
    ranked = sorted((e for e in entries if e.final_score is not None),
                    key=lambda e: (-(e.final_score or 0), e.village.code))
    unranked = [e for e in entries if e.final_score is None]
    for position, e in enumerate(ranked, start=1):
        e.rank = position
        e.placement = Placement.NONE
    for e in unranked:
        e.rank, e.placement = None, Placement.NONE
    for e in ranked[: ranking.red_count]:
        e.placement = Placement.RED
    if ranking.black_count:
        for e in ranked[len(ranked) - ranking.black_count:]:
            if e.placement != Placement.RED:
                e.placement = Placement.BLACK
    RedBlackEntry.objects.bulk_update(entries, ["scores", "measured_score", "adjustment", "final_score", "rank",
                                                "placement"])


@transaction.atomic
def red_black_list_compute(*, actor: Any, township: Region | None, year: int, quarter: int,
                           red_count: int | None = None, black_count: int | None = None) -> RedBlackList:
    if township is None or township.level != Region.Level.TOWNSHIP:
        raise ValidationError(_("Choose a township."), field="township")
    period = _quarter(year, quarter)
    ranking = (RedBlackList.objects.select_for_update().filter(township=township, year=year, quarter=quarter)
               .first()) or RedBlackList(township=township, year=year, quarter=quarter, created_by=actor,
                                         **placed(township))
    access.require(actor, "ranking.manage", ranking, view_action="ranking.view")
    if ranking.state == "published":
        raise ValidationError(_("This list has been published and is final."), field="state")
    villages = list(Region.objects.filter(parent=township, level=Region.Level.VILLAGE).order_by("code"))
    if len(villages) < 2:
        raise ValidationError(_("A list ranks at least two villages."), field="township")
    default = max(1, len(villages) // 5)
    ranking.red_count = whole(default if red_count is None else red_count, field="red_count",
                              maximum=len(villages))
    ranking.black_count = whole(default if black_count is None else black_count, field="black_count",
                                maximum=len(villages))
    if ranking.red_count + ranking.black_count > len(villages):
        raise ValidationError(_("More places on the lists than villages (%(n)d).") % {"n": len(villages)},
                              field="black_count")
    measured: dict[str, Any] = {}
    specs = []
    for indicator in indicators.active():
        values = indicator.measure(villages, period.start, period.end)
        # An indicator that does not tell the villages apart (no data, or the same value
        # everywhere) is left out rather than lifting every score alike.
        if len({float(v) for v in values.values() if v is not None}) > 1:
            measured[indicator.key] = values
            specs.append({"key": indicator.key, "label": str(indicator.label), "unit": str(indicator.unit),
                          "weight": indicator.weight, "higher_is_better": indicator.higher_is_better})
    ranking.indicators = specs
    ranking.computed_at = timezone.now()
    ranking.save()
    existing = {e.village_id: e for e in ranking.entries.all()}
    for village in villages:
        row: dict[str, float | None] = {
            key: None if found.get(village.pk) is None else float(found[village.pk])
            for key, found in measured.items()}
        if village.pk in existing:
            entry = existing[village.pk]
            entry.values = row
            entry.save(update_fields=["values"])
        else:
            RedBlackEntry.objects.create(ranking=ranking, village=village, values=row)
    _score(ranking)
    audit.record(actor=actor, action="ranking.compute", target=ranking,
                 detail={"indicators": [s["key"] for s in specs], "villages": len(villages)})
    return ranking


@transaction.atomic
def red_black_list_adjust(*, actor: Any, ranking: RedBlackList, village: Region | None, delta: Any,
                          reason: str) -> RedBlackAdjustment:
    access.require(actor, "ranking.manage", ranking, view_action="ranking.view")
    ranking = RedBlackList.objects.select_for_update().get(pk=ranking.pk)
    if ranking.state == "published":
        raise ValidationError(_("This list has been published and is final."), field="state")
    entry = ranking.entries.filter(village=village).first() if village is not None else None
    if entry is None:
        raise ValidationError(_("This village is not on the list."), field="village")
    try:
        amount = _dec(delta)
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError(_("Enter a number."), field="delta") from None
    if amount == 0 or abs(amount) > MAX_ADJUSTMENT:
        raise ValidationError(_("An adjustment is between -20 and 20 points, and not 0."), field="delta")
    if entry.measured_score is None:
        raise ValidationError(_("This village has no measured score to adjust."), field="village")
    adjustment = RedBlackAdjustment.objects.create(entry=entry, delta=amount, actor=actor,
                                                   reason=text(reason, field="reason", max_length=200))
    _score(ranking)
    audit.record(actor=actor, action="ranking.adjust", target=ranking,
                 detail={"village": entry.village_id, "delta": str(amount), "reason": adjustment.reason})
    return adjustment


def ranking_text(ranking: RedBlackList) -> str:
    entries = list(ranking.entries.select_related("village").order_by("rank", "village__code"))
    red = [e.village.name for e in entries if e.placement == Placement.RED]
    black = [e.village.name for e in entries if e.placement == Placement.BLACK]
    lines = [_("%(township)s, red and black list of the villages for %(year)d Q%(quarter)d.")
             % {"township": ranking.township.name, "year": ranking.year, "quarter": ranking.quarter}, "",
             _("Red list (praised): %(names)s") % {"names": "、".join(red) or "—"},
             _("Black list (criticised): %(names)s") % {"names": "、".join(black) or "—"}, "",
             _("Measured on: %(indicators)s.") % {"indicators": "、".join(s["label"] for s in ranking.indicators)},
             ""]
    for e in entries:
        if e.rank is not None:
            lines.append(f"{e.rank}. {e.village.name} {e.final_score}")
    return "\n".join(lines)


@transaction.atomic
def red_black_list_publish(*, actor: Any, ranking: RedBlackList, remove_on: dt.date | None = None
                           ) -> RedBlackList:
    from shanzhi.deliberation.services.notices import notice_post

    access.require(actor, "ranking.manage", ranking, view_action="ranking.view")
    ranking = RedBlackList.objects.select_for_update(of=("self",)).select_related("township").get(pk=ranking.pk)
    if ranking.state != "draft":
        raise ValidationError(_("This list has been published and is final."), field="state")
    period = disclosure.quarter(ranking.year, ranking.quarter)
    notice = notice_post(
        actor=actor, region=ranking.township, board=Board.VILLAGE, category=Category.RED_BLACK_LIST,
        title=(_("Red and black list, %(year)d Q%(quarter)d") % {"year": ranking.year, "quarter": ranking.quarter}),
        body=ranking_text(ranking), period_start=period.start, period_end=period.end, remove_on=remove_on,
        source=NoticeSource.RED_BLACK_LIST)
    workflow.transition(ranking, name="publish", actor=actor, note=notice.title, notice=notice)
    return ranking
