"""Every write of the points system: rules, awards, periods, the shop, the 4-3-2-1 split.

Each function takes an explicit ``actor``, checks it through ``access``, runs in one
transaction, writes the audit log, and moves points or money only through the ledger.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, roles, workflow
from shanzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from shanzhi.ledger import services as ledger
from shanzhi.ledger.models import Account, Unit
from shanzhi.points import evidence as evidence_check
from shanzhi.points.models import (
    Award,
    AwardBatch,
    Category,
    DividendLine,
    Duty,
    Goods,
    IncomeSplit,
    LimitPeriod,
    PointRule,
    QuarterReview,
    QuarterScore,
    Redemption,
    RedemptionLine,
    Settlement,
    Shop,
    StockMovement,
    VillageScheme,
)
from shanzhi.regions.models import Household, Region

# Ledger kinds of points transactions. "Earned" in a period (rankings, reviews, dividends)
# is what awards and deductions moved, corrections included (a reversal counts under the
# kind it corrects).
AWARD = "award"
DEDUCTION = "deduction"
EARNING_KINDS = (AWARD, DEDUCTION)
REDEMPTION = "redemption"
EXPIRY = "expiry"
CARRY_OVER = "carry_over"
MAX_BULK = 2000
MAX_LINES = 30


# -- accounts ------------------------------------------------------------------------------

def _household_account_spec(household: Household) -> tuple[str, dict[str, Any]]:
    return f"pts:hh:{household.pk}", {
        "name": f"{household.number}", "kind": Account.Kind.HOUSEHOLD, "unit": Unit.POINTS,
        "household_id": household.pk, "region_id": household.village_id, "region_path": household.region_path,
        "county_id": household.county_id, "allow_negative": True}


def household_account(household: Household) -> Account:
    """The household's points account (一户一账). It may go negative through a deduction,
    never through a redemption (``redeem`` guards it)."""
    code, defaults = _household_account_spec(household)
    return ledger.account_for(code=code, defaults=defaults)


def household_accounts(households: Iterable[Household]) -> dict[int, Account]:
    """The points accounts of many households at once (created where missing), by
    household id: for loads and bulk postings."""
    specs = dict(_household_account_spec(h) for h in households)
    return {a.household_id: a for a in ledger.accounts_for(specs).values() if a.household_id is not None}


def household_money_account(household: Household) -> Account:
    return ledger.account_for(code=f"fen:hh:{household.pk}", defaults={
        "name": f"{household.number}", "kind": Account.Kind.HOUSEHOLD, "unit": Unit.FEN,
        "household": household, "region_id": household.village_id, "region_path": household.region_path,
        "county_id": household.county_id})


def issuer_account(village: Region) -> Account:
    return ledger.account_for(code=f"pts:issuer:{village.code}", defaults={
        "name": f"{village.name} points issued", "kind": Account.Kind.ISSUER, "unit": Unit.POINTS,
        "region": village, "region_path": village.path, "county_id": village.county_id, "allow_negative": True})


def expiry_account(village: Region) -> Account:
    return ledger.account_for(code=f"pts:expiry:{village.code}", defaults={
        "name": f"{village.name} points expired", "kind": Account.Kind.EXPIRY, "unit": Unit.POINTS,
        "region": village, "region_path": village.path, "county_id": village.county_id})


def shop_account(shop: Shop) -> Account:
    return ledger.account_for(code=f"pts:shop:{shop.pk}", defaults={
        "name": shop.name, "kind": Account.Kind.SHOP, "unit": Unit.POINTS, "region_id": shop.region_id,
        "region_path": shop.region_path, "county_id": shop.county_id})


FUNDS = ("industry", "welfare", "dividend", "risk")


def income_account(village: Region) -> Account:
    return ledger.account_for(code=f"fen:income:{village.code}", defaults={
        "name": f"{village.name} collective income", "kind": Account.Kind.INCOME, "unit": Unit.FEN,
        "region": village, "region_path": village.path, "county_id": village.county_id, "allow_negative": True})


def fund_account(village: Region, fund: str) -> Account:
    return ledger.account_for(code=f"fen:fund:{village.code}:{fund}", defaults={
        "name": f"{village.name} {fund} fund", "kind": Account.Kind.FUND, "unit": Unit.FEN,
        "region": village, "region_path": village.path, "county_id": village.county_id})


# -- helpers -------------------------------------------------------------------------------

def _village_of(region: Region) -> Region:
    if region.level != Region.Level.VILLAGE:
        raise ValidationError(_("Choose a village or community."), field="village")
    return region


def scheme_of(village: Region) -> VillageScheme:
    scheme = VillageScheme.objects.filter(village=village).first()
    if scheme is None:
        try:
            with transaction.atomic():
                scheme = VillageScheme.objects.create(village=village, region_path=village.path)
        except IntegrityError:
            scheme = VillageScheme.objects.get(village=village)
    return scheme


def _period_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    if period == LimitPeriod.MONTH:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    elif period == LimitPeriod.QUARTER:
        first = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first, 1)
        end = (dt.date(day.year, first + 2, 1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    else:
        start, end = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    return start, end


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if not 1 <= quarter <= 4:
        raise ValidationError(_("A quarter is 1 to 4."), field="quarter")
    return _period_bounds(dt.date(year, 3 * quarter - 2, 1), LimitPeriod.QUARTER)


def _clean_text(value: str | None, *, field: str, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationError(_("At most %(n)d characters.") % {"n": limit}, field=field)
    return text


# -- rules ---------------------------------------------------------------------------------

@dataclass
class RuleInput:
    category: str
    item: str
    points: int
    points_min: int | None = None
    evidence_required: bool = False
    limit_count: int | None = None
    limit_period: str = ""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    meeting_date: dt.date | None = None
    meeting_record: str = ""


def _validate_rule(data: RuleInput, *, needs_meeting: bool) -> None:
    if data.category not in Category.values:
        raise ValidationError(_("Choose a category."), field="category")
    _clean_text(data.item, field="item", limit=200, required=True)
    if not isinstance(data.points, int) or data.points == 0 or data.points > 10 or data.points < -100:
        raise ValidationError(_("Good conduct is worth 1 to 10 points; a deduction is negative."), field="points")
    if data.points_min is not None:
        ok = (0 < data.points_min < data.points) if data.points > 0 else (data.points < data.points_min < 0)
        if not ok:
            raise ValidationError(_("The least points must lie between zero and the points, on the same side."),
                                  field="points_min")
    if data.limit_period not in LimitPeriod.values:
        raise ValidationError(_("Choose a limit period."), field="limit_period")
    if bool(data.limit_period) != (data.limit_count is not None):
        raise ValidationError(_("A limit needs both a number of times and a period."), field="limit_count")
    if data.limit_count is not None and not 1 <= data.limit_count <= 100:
        raise ValidationError(_("The number of times is 1 to 100."), field="limit_count")
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        raise ValidationError(_("The end date is before the start date."), field="valid_until")
    if needs_meeting:
        if data.meeting_date is None:
            raise ValidationError(_("Village rules are adopted by a villagers' meeting: give its date."),
                                  field="meeting_date")
        if data.meeting_date > timezone.localdate():
            raise ValidationError(_("The meeting date is in the future."), field="meeting_date")
        _clean_text(data.meeting_record, field="meeting_record", limit=4000, required=True)


def _next_code(region: Region) -> str:
    n = PointRule.objects.filter(region=region).values("code").distinct().count() + 1
    while True:
        code = f"R{n:03d}"
        if not PointRule.objects.filter(region=region, code=code).exists():
            return code
        n += 1


@transaction.atomic
def rule_create(*, actor: Any, region: Region, data: RuleInput) -> PointRule:
    """A new rule of a village (adopted by its villagers' meeting) or a template of a
    township or county."""
    if region.level not in (Region.Level.VILLAGE, Region.Level.TOWNSHIP, Region.Level.COUNTY):
        raise ValidationError(_("Rules belong to a village, or are templates of a township or county."),
                              field="region")
    probe = PointRule(region=region, region_path=region.path)
    access.require(actor, "points.rules", probe, view_action="points.view")
    is_template = region.level != Region.Level.VILLAGE
    _validate_rule(data, needs_meeting=not is_template)
    rule = PointRule.objects.create(
        code=_next_code(region), version=1, region=region, region_path=region.path,
        county_id=region.county_pk, is_template=is_template, category=data.category,
        item=data.item.strip(), points=data.points, points_min=data.points_min,
        evidence_required=data.evidence_required, limit_count=data.limit_count, limit_period=data.limit_period,
        valid_from=data.valid_from or timezone.localdate(), valid_until=data.valid_until,
        meeting_date=data.meeting_date, meeting_record=data.meeting_record.strip(), created_by=_user(actor))
    audit.record(actor=actor, action="points.rule_create", target=rule,
                 detail={"code": rule.code, "points": rule.points, "template": is_template})
    return rule


@transaction.atomic
def rule_revise(*, actor: Any, rule: PointRule, data: RuleInput) -> PointRule:
    """A new version of a rule, valid from ``data.valid_from``; the old version ends the day
    before. Awards already made keep the version they were made under."""
    access.require(actor, "points.rules", rule, view_action="points.view")
    current = PointRule.objects.select_for_update().get(pk=rule.pk)
    latest = PointRule.objects.filter(region_id=current.region_id, code=current.code).order_by("-version").first()
    if latest is None or latest.pk != current.pk:
        raise Conflict(_("This is not the latest version of the rule."), field="rule")
    _validate_rule(data, needs_meeting=not current.is_template)
    start = data.valid_from or timezone.localdate()
    if start <= current.valid_from:
        raise ValidationError(_("A new version starts after the current one started."), field="valid_from")
    PointRule.objects.filter(pk=current.pk).update(valid_until=start - dt.timedelta(days=1))
    new = PointRule.objects.create(
        code=current.code, version=current.version + 1, region_id=current.region_id, region_path=current.region_path,
        county_id=current.county_id, is_template=current.is_template, adopted_from=current.adopted_from,
        category=data.category, item=data.item.strip(), points=data.points, points_min=data.points_min,
        evidence_required=data.evidence_required, limit_count=data.limit_count, limit_period=data.limit_period,
        valid_from=start, valid_until=data.valid_until, meeting_date=data.meeting_date,
        meeting_record=data.meeting_record.strip(), created_by=_user(actor))
    audit.record(actor=actor, action="points.rule_revise", target=new,
                 detail={"code": new.code, "version": new.version, "was": current.pk,
                         "points": [current.points, new.points]})
    return new


@transaction.atomic
def rule_adopt(*, actor: Any, template: PointRule, village: Region, meeting_date: dt.date | None,
               meeting_record: str, valid_from: dt.date | None = None) -> PointRule:
    """A village adopts a township or county template by its villagers' meeting: a copy of
    the template's current version becomes the village's own rule."""
    village = _village_of(village)
    if not template.is_template:
        raise ValidationError(_("Only a template can be adopted."), field="template")
    if not village.path.startswith(template.region_path):
        raise ValidationError(_("This template is not for this village."), field="template")
    probe = PointRule(region=village, region_path=village.path)
    access.require(actor, "points.rules", probe, view_action="points.view")
    if PointRule.objects.filter(region=village, adopted_from__code=template.code,
                                adopted_from__region_id=template.region_id).exists():
        raise Conflict(_("The village has already adopted this template."), field="template")
    data = RuleInput(category=template.category, item=template.item, points=template.points,
                     points_min=template.points_min, evidence_required=template.evidence_required,
                     limit_count=template.limit_count, limit_period=template.limit_period,
                     valid_from=valid_from, valid_until=template.valid_until, meeting_date=meeting_date,
                     meeting_record=meeting_record)
    _validate_rule(data, needs_meeting=True)
    rule = PointRule.objects.create(
        code=_next_code(village), version=1, region=village, region_path=village.path,
        county_id=village.county_pk, adopted_from=template, category=data.category, item=data.item,
        points=data.points, points_min=data.points_min, evidence_required=data.evidence_required,
        limit_count=data.limit_count, limit_period=data.limit_period,
        valid_from=valid_from or timezone.localdate(), valid_until=data.valid_until, meeting_date=meeting_date,
        meeting_record=meeting_record.strip(), created_by=_user(actor))
    audit.record(actor=actor, action="points.rule_adopt", target=rule, detail={"template": template.pk})
    return rule


@transaction.atomic
def scheme_update(*, actor: Any, village: Region, **changes: Any) -> VillageScheme:
    """The village's own choices: settlement policy, quarterly scoring and tiers, what the
    public board shows, the 4-3-2-1 percentages."""
    scheme = scheme_of(_village_of(village))
    access.require(actor, "points.periods", scheme, view_action="points.view")
    allowed = {"settlement", "scoring", "base_score", "tier_1", "tier_2", "tier_3", "board_enabled",
               "board_show_names", "board_show_points", "board_top", "industry_percent", "welfare_percent",
               "dividend_percent", "risk_percent"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("Unknown field."), field=sorted(unknown)[0])
    before = {k: getattr(scheme, k) for k in allowed}
    for key, value in changes.items():
        setattr(scheme, key, value)
    if scheme.settlement not in VillageScheme.Settlement.values:
        raise ValidationError(_("Choose carry over or expire."), field="settlement")
    if scheme.scoring not in VillageScheme.Scoring.values:
        raise ValidationError(_("Choose how the quarterly score is counted."), field="scoring")
    if not 100 >= scheme.tier_1 > scheme.tier_2 > scheme.tier_3 >= 0:
        raise ValidationError(_("Tiers go down from at most 100: first > second > third."), field="tier_1")
    if not 0 <= scheme.base_score <= 100:
        raise ValidationError(_("The base score is 0 to 100."), field="base_score")
    if not 1 <= scheme.board_top <= 1000:
        raise ValidationError(_("The board shows 1 to 1000 households."), field="board_top")
    percents = [scheme.industry_percent, scheme.welfare_percent, scheme.dividend_percent, scheme.risk_percent]
    if any(p < 0 or p > 100 for p in percents) or sum(percents) != 100:
        raise ValidationError(_("The four shares add up to 100%."), field="dividend_percent")
    scheme.save()
    audit.record(actor=actor, action="points.scheme_update", target=scheme,
                 detail=audit.changes(before, {k: getattr(scheme, k) for k in allowed}))
    return scheme


# -- awards --------------------------------------------------------------------------------

def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _source_for(viewer: access.Viewer, household: Household) -> str:
    """Who proposed, as the council sees it: the village committee, the grid team, or the
    household itself."""
    covering = {g.role for g in viewer.grants if g.region_path and household.region_path.startswith(g.region_path)}
    if covering & {str(r) for r in roles.VILLAGE_CADRES} or viewer.is_admin:
        return Award.Source.VILLAGE
    if covering & {str(r) for r in roles.GRID_TEAM}:
        return Award.Source.GRID
    if viewer.household_id == household.pk:
        return Award.Source.HOUSEHOLD
    return Award.Source.VILLAGE


def _check_rule_for(rule: PointRule, household: Household, occurred_on: dt.date, points: int) -> None:
    if rule.is_template or rule.region_id != household.village_id:
        raise ValidationError(_("This rule is not one of the household's village rules."), field="rule")
    if occurred_on > timezone.localdate():
        raise ValidationError(_("The date is in the future."), field="occurred_on")
    if not rule.valid_on(occurred_on):
        raise ValidationError(_("This version of the rule was not in force on that date."), field="occurred_on")
    if not rule.allows(points):
        raise ValidationError(_("This rule gives %(points)s points.") % {"points": rule.points_label},
                              field="points")


def _check_limit(rule: PointRule, household_ids: Sequence[int], occurred_on: dt.date, *,
                 states: Iterable[str], exclude: int | None = None) -> list[int]:
    """The households that already reached the rule's limit for the period of ``occurred_on``
    (counting every version of the rule)."""
    if not rule.limit_period or rule.limit_count is None:
        return []
    start, end = _period_bounds(occurred_on, rule.limit_period)
    qs = Award.objects.filter(household_id__in=list(household_ids), rule__region_id=rule.region_id,
                              rule__code=rule.code, occurred_on__gte=start, occurred_on__lte=end,
                              state__in=list(states))
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    counts: dict[int, int] = {}
    for hid in qs.values_list("household_id", flat=True):
        counts[hid] = counts.get(hid, 0) + 1
    return sorted(h for h, n in counts.items() if n >= rule.limit_count)


def _limit_message(rule: PointRule) -> str:
    return _("The rule allows %(n)d time(s) %(period)s for a household, and that is reached.") % {
        "n": rule.limit_count or 0, "period": LimitPeriod(rule.limit_period).label}


@transaction.atomic
def award_propose(*, actor: Any, household: Household, rule: PointRule, occurred_on: dt.date,
                  points: int | None = None, note: str = "", evidence: UploadedFile | None = None) -> Award:
    """Propose points (or a deduction) for one household, for the council to review. A
    grid worker or the village committee proposes for households in their care, a resident
    for their own household."""
    viewer = access.viewer_for(actor)
    access.require(viewer, "points.propose", household, view_action="points.view")
    pts = rule.points if points is None else points
    _check_rule_for(rule, household, occurred_on, pts)
    note = _clean_text(note, field="note", limit=2000)
    if rule.evidence_required and evidence is None:
        raise ValidationError(_("This rule needs a photo as evidence."), field="evidence")
    if evidence is not None:
        evidence_check.check_photo(evidence)
    if _check_limit(rule, [household.pk], occurred_on, states=("proposed", "approved")):
        raise ValidationError(_limit_message(rule), field="rule")
    award = Award(household=household, village_id=household.village_id, region_path=household.region_path,
                  county_id=household.county_id, rule=rule, points=pts, occurred_on=occurred_on, note=note,
                  source=_source_for(viewer, household), proposed_by=actor)
    if evidence is not None:
        award.evidence.save(evidence_check.safe_name(evidence), evidence, save=False)
    award.save()
    workflow.start(award, actor=actor, note=note)
    audit.record(actor=actor, action="points.award_propose", target=award,
                 detail={"household": household.number, "rule": rule.pk, "points": pts,
                         "occurred_on": occurred_on.isoformat(), "evidence": bool(evidence)})
    return award


@transaction.atomic
def award_update(*, actor: Any, award: Award, note: str | None = None, occurred_on: dt.date | None = None) -> Award:
    """The proposer may still correct a proposal; once reviewed it cannot change (an
    approved award is a ledger posting: correct it by a reversal)."""
    access.require(actor, "points.view", award)
    current = Award.objects.select_for_update().get(pk=award.pk)
    if current.state != "proposed":
        raise ValidationError(_("This award is %(state)s and can no longer be edited; a posted award is corrected "
                                "by a reversal.") % {"state": state_label(current.state)}, field="state")
    if current.proposed_by_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the proposer may edit a proposal."))
    before = {"note": current.note, "occurred_on": current.occurred_on.isoformat()}
    if note is not None:
        current.note = _clean_text(note, field="note", limit=2000)
    if occurred_on is not None:
        _check_rule_for(current.rule, current.household, occurred_on, current.points)
        current.occurred_on = occurred_on
    current.save(update_fields=["note", "occurred_on", "updated_at"])
    audit.record(actor=actor, action="points.award_update", target=current,
                 detail=audit.changes(before, {"note": current.note, "occurred_on": current.occurred_on.isoformat()}))
    return current


def state_label(state: str) -> str:
    return Award.workflow.label(state)


@transaction.atomic
def award_bulk_propose(*, actor: Any, village: Region, rule: PointRule, households: Sequence[Household],
                       occurred_on: dt.date, note: str = "", evidence: UploadedFile | None = None) -> AwardBatch:
    """One rule for a list of households of one village (all that passed a sanitation
    inspection): one proposal each, reviewed together. All or nothing."""
    village = _village_of(village)
    access.require_any_role(actor, "points.bulk")
    if not households:
        raise ValidationError(_("Choose at least one household."), field="households")
    if len(households) > MAX_BULK:
        raise ValidationError(_("At most %(n)d households at once.") % {"n": MAX_BULK}, field="households")
    if len({h.pk for h in households}) != len(households):
        raise ValidationError(_("A household is listed twice."), field="households")
    viewer = access.viewer_for(actor)
    for h in households:
        if h.village_id != village.pk:
            raise ValidationError(_("Household %(number)s is not in this village.") % {"number": h.number},
                                  field="households")
        if not access.can(viewer, "points.bulk", h):
            raise ValidationError(_("Household %(number)s is not in your care.") % {"number": h.number},
                                  field="households")
        _check_rule_for(rule, h, occurred_on, rule.points)
    note = _clean_text(note, field="note", limit=500)
    if rule.evidence_required and evidence is None:
        raise ValidationError(_("This rule needs a photo as evidence."), field="evidence")
    if evidence is not None:
        evidence_check.check_photo(evidence)
    full = _check_limit(rule, [h.pk for h in households], occurred_on, states=("proposed", "approved"))
    if full:
        numbers = ", ".join(h.number for h in households if h.pk in set(full))[:300]
        raise ValidationError(_limit_message(rule) + " " + numbers, field="households")
    batch = AwardBatch.objects.create(rule=rule, village=village, region_path=village.path, occurred_on=occurred_on,
                                      note=note, proposed_by=actor)
    stored = ""
    if evidence is not None:
        probe = Award()
        probe.evidence.save(evidence_check.safe_name(evidence), evidence, save=False)
        stored = probe.evidence.name
    source = _source_for(viewer, households[0])
    awards = Award.objects.bulk_create([
        Award(household=h, village_id=h.village_id, region_path=h.region_path, county_id=h.county_id, rule=rule,
              points=rule.points, occurred_on=occurred_on, note=note, evidence=stored, source=source,
              proposed_by=actor, batch=batch)
        for h in households
    ])
    from django.contrib.contenttypes.models import ContentType

    from shanzhi.core.models import StateChange

    now = timezone.now()
    user = _user(actor)
    StateChange.objects.bulk_create([
        StateChange(content_type=ContentType.objects.get_for_model(Award), object_id=a.pk, workflow="award",
                    transition="create", from_state="", to_state="proposed", actor=user,
                    actor_name=(user.get_full_name() or user.get_username())[:150] if user else "", note=note, at=now)
        for a in awards
    ])
    audit.record(actor=actor, action="points.award_bulk_propose", target=batch,
                 detail={"rule": rule.pk, "households": len(households), "occurred_on": occurred_on.isoformat()})
    return batch


def _post_award(actor: Any, award: Award) -> Any:
    account = household_account(award.household)
    # Serialise decisions about one household (the limit check below reads its awards).
    ledger.lock_accounts([account])
    if _check_limit(award.rule, [award.household_id], award.occurred_on, states=("approved",), exclude=award.pk):
        raise ValidationError(_limit_message(award.rule), field="rule")
    kind = AWARD if award.points > 0 else DEDUCTION
    return ledger.post(actor=actor, kind=kind, lines=[(issuer_account(award.village), -award.points),
                                                      (account, award.points)],
                       memo=award.rule.item[:200], effective_on=award.occurred_on, reference=award,
                       region_path=award.region_path)


@transaction.atomic
def award_approve(*, actor: Any, award: Award, note: str = "") -> Award:
    """The moral review council approves: the points are posted to the household's ledger
    in the same transaction. Nobody approves their own proposal."""
    viewer = access.viewer_for(actor)
    access.require(viewer, "points.review", award, view_action="points.view")
    if award.proposed_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("Nobody approves their own proposal."))
    current = Award.objects.select_related("rule", "household", "village").get(pk=award.pk)
    if current.state != "proposed":
        # Let the workflow say why (terminal, or already approved).
        workflow.transition(current, name="approve", actor=actor, note=note)
    tx = _post_award(actor, current)
    workflow.transition(current, name="approve", actor=actor, note=note, ledger_transaction=tx,
                        reviewed_by=_user(actor), review_note=note[:500])
    return current


@transaction.atomic
def award_reject(*, actor: Any, award: Award, reason: str) -> Award:
    if award.proposed_by_id == getattr(actor, "pk", None):
        access.require(actor, "points.review", award, view_action="points.view")
        raise PermissionDenied(_("Nobody reviews their own proposal."))
    reason = _clean_text(reason, field="note", limit=500, required=True)
    workflow.transition(award, name="reject", actor=actor, note=reason, reviewed_by=_user(actor), review_note=reason)
    return award


@transaction.atomic
def award_withdraw(*, actor: Any, award: Award) -> Award:
    workflow.transition(award, name="withdraw", actor=actor)
    return award


@transaction.atomic
def award_reverse(*, actor: Any, award: Award, reason: str) -> Award:
    """Correct an approved award: a reversing ledger transaction (counted in the month the
    award counted in) and the award marked reversed."""
    reason = _clean_text(reason, field="note", limit=500, required=True)
    access.require(actor, "points.correct", award, view_action="points.view")
    current = Award.objects.select_related("ledger_transaction").get(pk=award.pk)
    if current.state != "approved" or current.ledger_transaction is None:
        workflow.transition(current, name="reverse", actor=actor, note=reason)
    assert current.ledger_transaction is not None
    ledger.reverse(actor=actor, original=current.ledger_transaction, reason=reason,
                   effective_on=current.ledger_transaction.effective_on)
    workflow.transition(current, name="reverse", actor=actor, note=reason)
    return current


@transaction.atomic
def batch_approve(*, actor: Any, batch: AwardBatch, note: str = "") -> int:
    """Approve every proposal of a bulk award still waiting (one decision, one transaction)."""
    access.require(actor, "points.review", batch, view_action="points.view")
    if batch.proposed_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("Nobody approves their own proposal."))
    n = 0
    for award in Award.objects.filter(batch=batch, state="proposed").select_related("rule", "household", "village"):
        award_approve(actor=actor, award=award, note=note)
        n += 1
    if n == 0:
        raise ValidationError(_("Nothing in this bulk award is waiting for review."), field="batch")
    return n


# -- periods -------------------------------------------------------------------------------

@transaction.atomic
def quarter_close(*, actor: Any, village: Region, year: int, quarter: int) -> QuarterReview:
    """Freeze the quarterly review of a village: every household's points of the quarter,
    its score on a 100-point scale and its tier (thresholds of the village scheme)."""
    from shanzhi.points import selectors

    village = _village_of(village)
    scheme = scheme_of(village)
    access.require(actor, "points.periods", scheme, view_action="points.view")
    _start, end = quarter_bounds(year, quarter)
    if end >= timezone.localdate():
        raise ValidationError(_("A quarter is reviewed after it ends."), field="quarter")
    if QuarterReview.objects.filter(village=village, year=year, quarter=quarter).exists():
        raise Conflict(_("This quarter has already been reviewed."), field="quarter")
    rows = selectors.quarter_scores(village=village, year=year, quarter=quarter, scheme=scheme)
    try:
        with transaction.atomic():
            review = QuarterReview.objects.create(
                village=village, region_path=village.path, year=year, quarter=quarter, closed_by=actor,
                tiers=[scheme.tier_1, scheme.tier_2, scheme.tier_3], scoring=scheme.scoring)
    except IntegrityError:
        raise Conflict(_("This quarter has already been reviewed."), field="quarter") from None
    QuarterScore.objects.bulk_create([
        QuarterScore(review=review, household_id=r.household_id, region_path=r.region_path, points=r.points,
                     score=r.score, tier=r.tier) for r in rows
    ], batch_size=2000)
    audit.record(actor=actor, action="points.quarter_close", target=review,
                 detail={"households": len(rows), "year": year, "quarter": quarter})
    return review


@transaction.atomic
def settlement_run(*, actor: Any, village: Region, year: int) -> Settlement:
    """The annual settlement (年兑现) after the year ends. By the village's rule, each
    household's unspent points either expire (moved to the village's expiry account) or
    carry over: the year is closed to the issuer on 31 December and opened again on
    1 January, so the ledger shows it. Once per village and year."""
    village = _village_of(village)
    scheme = scheme_of(village)
    access.require(actor, "points.periods", scheme, view_action="points.view")
    if dt.date(year, 12, 31) >= timezone.localdate():
        raise ValidationError(_("A year is settled after it ends."), field="year")
    try:
        with transaction.atomic():
            settlement = Settlement.objects.create(village=village, region_path=village.path, year=year,
                                                   policy=scheme.settlement, done_by=actor)
    except IntegrityError:
        raise Conflict(_("This year has already been settled."), field="year") from None
    accounts = list(Account.objects.filter(kind=Account.Kind.HOUSEHOLD, unit=Unit.POINTS,
                                           household__village=village).order_by("pk"))
    ledger.lock_accounts(accounts)
    accounts = list(Account.objects.filter(pk__in=[a.pk for a in accounts], balance__gt=0).order_by("pk"))
    total = sum(a.balance for a in accounts)
    close_day = dt.date(year, 12, 31)
    postings: list[ledger.Posting] = []
    if accounts and scheme.settlement == VillageScheme.Settlement.EXPIRE:
        sink = expiry_account(village)
        postings.append(ledger.Posting(kind=EXPIRY, lines=[*((a, -a.balance) for a in accounts), (sink, total)],
                                       effective_on=close_day, memo=f"{year} expiry", actor=actor,
                                       reference_type="points.settlement", reference_id=str(settlement.pk),
                                       region_path=village.path))
    elif accounts:
        issuer = issuer_account(village)
        postings.append(ledger.Posting(kind=CARRY_OVER, lines=[*((a, -a.balance) for a in accounts), (issuer, total)],
                                       effective_on=close_day, memo=f"{year} closed", actor=actor,
                                       reference_type="points.settlement", reference_id=str(settlement.pk),
                                       region_path=village.path))
        postings.append(ledger.Posting(kind=CARRY_OVER, lines=[(issuer, -total), *((a, a.balance) for a in accounts)],
                                       effective_on=dt.date(year + 1, 1, 1), memo=f"{year} carried over to {year + 1}",
                                       actor=actor, reference_type="points.settlement",
                                       reference_id=str(settlement.pk), region_path=village.path))
    if postings:
        ledger.post_many(postings)
    Settlement.objects.filter(pk=settlement.pk).update(households=len(accounts), points=total)
    settlement.households, settlement.points = len(accounts), total
    audit.record(actor=actor, action="points.settlement_run", target=settlement,
                 detail={"policy": scheme.settlement, "households": len(accounts), "points": total})
    return settlement


# -- duties --------------------------------------------------------------------------------

@transaction.atomic
def duty_assign(*, actor: Any, user: Any, kind: str, region: Region | None = None, shop: Shop | None = None,
                start_date: dt.date | None = None, end_date: dt.date | None = None) -> Duty:
    if kind not in Duty.Kind.values:
        raise ValidationError(_("Choose a duty."), field="kind")
    if kind == Duty.Kind.SHOPKEEPER:
        if shop is None:
            raise ValidationError(_("Shop staff work in a shop."), field="shop")
        region = shop.region
    if region is None:
        raise ValidationError(_("Choose a place."), field="region")
    if kind != Duty.Kind.SHOPKEEPER and region.level != Region.Level.VILLAGE:
        raise ValidationError(_("This duty is held in a village."), field="region")
    start = start_date or timezone.localdate()
    if end_date is not None and end_date < start:
        raise ValidationError(_("The end date is before the start date."), field="end_date")
    duty = Duty(user=user, kind=kind, region=region, shop=shop, region_path=region.path, start_date=start,
                end_date=end_date)
    access.require(actor, "points.duties", duty, view_action="points.view")
    duty.save()
    audit.record(actor=actor, action="points.duty_assign", target=duty,
                 detail={"user": user.get_username(), "kind": kind, "shop": shop.pk if shop else None})
    return duty


@transaction.atomic
def duty_end(*, actor: Any, duty: Duty, end_date: dt.date | None = None) -> Duty:
    access.require(actor, "points.duties", duty, view_action="points.view")
    end = end_date or timezone.localdate()
    if end < duty.start_date:
        raise ValidationError(_("The end date is before the start date."), field="end_date")
    Duty.objects.filter(pk=duty.pk).update(end_date=end)
    duty.end_date = end
    audit.record(actor=actor, action="points.duty_end", target=duty, detail={"end_date": end.isoformat()})
    return duty


# -- the shop ------------------------------------------------------------------------------

@transaction.atomic
def shop_create(*, actor: Any, region: Region, name: str, address: str = "", opening_hours: str = "") -> Shop:
    if region.level not in (Region.Level.VILLAGE, Region.Level.TOWNSHIP):
        raise ValidationError(_("A shop belongs to a village or a township."), field="region")
    name = _clean_text(name, field="name", limit=100, required=True)
    shop = Shop(name=name, region=region, region_path=region.path, county_id=region.county_pk,
                address=_clean_text(address, field="address", limit=200),
                opening_hours=_clean_text(opening_hours, field="opening_hours", limit=100))
    access.require(actor, "shop.manage", shop, view_action="shop.view")
    if Shop.objects.filter(region=region, name=name).exists():
        raise ValidationError(_("This place already has a shop of that name."), field="name")
    shop.save()
    shop_account(shop)
    audit.record(actor=actor, action="points.shop_create", target=shop, detail={"region": region.code})
    return shop


@transaction.atomic
def goods_create(*, actor: Any, shop: Shop, name: str, points_price: int, value_fen: int, unit: str = "",
                 donor: str = "") -> Goods:
    access.require(actor, "shop.stock", shop, view_action="shop.view")
    name = _clean_text(name, field="name", limit=100, required=True)
    if not isinstance(points_price, int) or not 1 <= points_price <= 100000:
        raise ValidationError(_("The points price is 1 to 100000."), field="points_price")
    if not isinstance(value_fen, int) or not 0 <= value_fen <= 100_000_000:
        raise ValidationError(_("The value is 0 to 1,000,000 yuan."), field="value_fen")
    if Goods.objects.filter(shop=shop, name=name).exists():
        raise ValidationError(_("The shop already has goods of that name."), field="name")
    goods = Goods.objects.create(shop=shop, region_path=shop.region_path, name=name, points_price=points_price,
                                 value_fen=value_fen, unit=_clean_text(unit, field="unit", limit=16),
                                 donor=_clean_text(donor, field="donor", limit=100))
    audit.record(actor=actor, action="points.goods_create", target=goods,
                 detail={"points_price": points_price, "value_fen": value_fen})
    return goods


@transaction.atomic
def goods_update(*, actor: Any, goods: Goods, points_price: int | None = None, value_fen: int | None = None,
                 is_active: bool | None = None) -> Goods:
    access.require(actor, "shop.stock", goods, view_action="shop.view")
    before = {"points_price": goods.points_price, "value_fen": goods.value_fen, "is_active": goods.is_active}
    if points_price is not None:
        if not 1 <= points_price <= 100000:
            raise ValidationError(_("The points price is 1 to 100000."), field="points_price")
        goods.points_price = points_price
    if value_fen is not None:
        if not 0 <= value_fen <= 100_000_000:
            raise ValidationError(_("The value is 0 to 1,000,000 yuan."), field="value_fen")
        goods.value_fen = value_fen
    if is_active is not None:
        goods.is_active = is_active
    Goods.objects.filter(pk=goods.pk).update(points_price=goods.points_price, value_fen=goods.value_fen,
                                             is_active=goods.is_active, updated_at=timezone.now())
    audit.record(actor=actor, action="points.goods_update", target=goods,
                 detail=audit.changes(before, {"points_price": goods.points_price, "value_fen": goods.value_fen,
                                               "is_active": goods.is_active}))
    return goods


@transaction.atomic
def stock_in(*, actor: Any, goods: Goods, quantity: int, kind: str = StockMovement.Kind.PURCHASE, donor: str = "",
             value_fen: int | None = None, note: str = "") -> StockMovement:
    """Goods arriving: bought, or donated (by a caring enterprise, seed 000); or a count
    correction (negative allowed, never below zero)."""
    access.require(actor, "shop.stock", goods, view_action="shop.view")
    if kind not in (StockMovement.Kind.PURCHASE, StockMovement.Kind.DONATION, StockMovement.Kind.CORRECTION):
        raise ValidationError(_("Choose purchase, donation or correction."), field="kind")
    if not isinstance(quantity, int) or quantity == 0 or abs(quantity) > 100000:
        raise ValidationError(_("The quantity is a whole number, not zero."), field="quantity")
    if quantity < 0 and kind != StockMovement.Kind.CORRECTION:
        raise ValidationError(_("Only a count correction takes stock away."), field="quantity")
    donor = _clean_text(donor, field="donor", limit=100, required=kind == StockMovement.Kind.DONATION)
    note = _clean_text(note, field="note", limit=200, required=kind == StockMovement.Kind.CORRECTION)
    updated = Goods.objects.filter(pk=goods.pk, stock__gte=-quantity if quantity < 0 else 0).update(
        stock=F("stock") + quantity, updated_at=timezone.now())
    if updated != 1:
        raise ValidationError(_("The stock cannot go below zero."), field="quantity")
    value = goods.value_fen * abs(quantity) if value_fen is None else value_fen
    movement = StockMovement.objects.create(goods=goods, region_path=goods.region_path, kind=kind, quantity=quantity,
                                            value_fen=value, donor=donor, note=note, actor=_user(actor),
                                            at=timezone.now())
    goods.refresh_from_db(fields=["stock"])
    audit.record(actor=actor, action=f"points.stock_{kind}", target=goods,
                 detail={"quantity": quantity, "donor": donor, "stock": goods.stock})
    return movement


class InsufficientStock(ValidationError):
    code = "insufficient_stock"


def redeem(*, actor: Any, shop: Shop, household: Household, lines: Sequence[tuple[int, int]]) -> Redemption:
    """Redemption at the counter: the household's points and the goods' stock change
    together or not at all. ``lines`` are (goods id, quantity). Race-safe: each stock and
    the balance move by a guarded UPDATE, so concurrent redemptions never overdraw the
    household or the shelf."""
    with transaction.atomic():
        access.require(actor, "shop.redeem", shop, view_action="shop.view")
        access.require(actor, "shop.redeem", household, view_action="points.view")
        if not shop.is_active:
            raise ValidationError(_("This shop is closed."), field="shop")
        if not household.region_path.startswith(shop.region_path):
            raise ValidationError(_("This household is not served by this shop."), field="household")
        if not lines:
            raise ValidationError(_("Choose some goods."), field="lines")
        if len(lines) > MAX_LINES:
            raise ValidationError(_("At most %(n)d kinds of goods at once.") % {"n": MAX_LINES}, field="lines")
        wanted: dict[int, int] = {}
        for i, (goods_id, quantity) in enumerate(lines):
            if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 999:
                raise ValidationError(_("A quantity is 1 to 999."), field=f"lines.{i}.quantity")
            wanted[goods_id] = wanted.get(goods_id, 0) + quantity
        goods = {g.pk: g for g in Goods.objects.filter(shop=shop, pk__in=list(wanted), is_active=True)}
        for i, (goods_id, _q) in enumerate(lines):
            if goods_id not in goods:
                raise ValidationError(_("These goods are not on this shop's shelf."), field=f"lines.{i}.goods")
        total = sum(goods[g].points_price * q for g, q in wanted.items())
        value = sum(goods[g].value_fen * q for g, q in wanted.items())
        for goods_id in sorted(wanted):  # fixed order: no deadlock between two counters
            q = wanted[goods_id]
            if Goods.objects.filter(pk=goods_id, stock__gte=q).update(stock=F("stock") - q) != 1:
                left = Goods.objects.filter(pk=goods_id).values_list("stock", flat=True).first() or 0
                raise InsufficientStock(
                    _("Only %(n)d of %(name)s left.") % {"n": left, "name": goods[goods_id].name},
                    field="lines")
        account = household_account(household)
        number = f"R{timezone.localtime():%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"
        try:
            tx = ledger.post(actor=actor, kind=REDEMPTION, lines=[(account, -total), (shop_account(shop), total)],
                             memo=number, region_path=household.region_path, no_overdraft=[account])
        except ledger.InsufficientBalance:
            balance = Account.objects.filter(pk=account.pk).values_list("balance", flat=True).first() or 0
            raise ledger.InsufficientBalance(
                _("The household has %(balance)d points; these goods need %(total)d.")
                % {"balance": balance, "total": total}, field="lines") from None
        now = timezone.now()
        redemption = Redemption.objects.create(
            number=number, shop=shop, household=household, region_path=household.region_path,
            shop_path=shop.region_path, county_id=household.county_id, points=total, value_fen=value,
            ledger_transaction=tx, clerk=_user(actor), at=now)
        RedemptionLine.objects.bulk_create([
            RedemptionLine(redemption=redemption, goods=goods[g], name=goods[g].name, quantity=q,
                           points_price=goods[g].points_price, value_fen=goods[g].value_fen)
            for g, q in sorted(wanted.items())
        ])
        StockMovement.objects.bulk_create([
            StockMovement(goods=goods[g], region_path=shop.region_path, kind=StockMovement.Kind.REDEMPTION,
                          quantity=-q, value_fen=goods[g].value_fen * q, redemption=redemption, actor=_user(actor),
                          at=now)
            for g, q in sorted(wanted.items())
        ])
        audit.record(actor=actor, action="points.redeem", target=redemption,
                     detail={"household": household.number, "points": total, "value_fen": value,
                             "lines": [[g, q] for g, q in sorted(wanted.items())]})
    return redemption


# -- the 4-3-2-1 split ---------------------------------------------------------------------

def largest_remainder(total: int, weights: Sequence[int], tiebreak: Sequence[Any] | None = None) -> list[int]:
    """Split ``total`` (fen) in proportion to ``weights`` so the parts add up to it exactly:
    each part rounded down, the fen left over given one each to the largest remainders
    (ties: the larger weight, then the earlier ``tiebreak``)."""
    weight_sum = sum(weights)
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("negative total or weight")
    if weight_sum == 0:
        return [0] * len(weights)
    parts = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(parts)
    keys = tiebreak if tiebreak is not None else list(range(len(weights)))
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], -weights[i], keys[i]))
    for i in order[:left]:
        parts[i] += 1
    return parts


@transaction.atomic
def split_prepare(*, actor: Any, village: Region, year: int, income_fen: int,
                  percents: tuple[int, int, int, int] | None = None) -> IncomeSplit:
    """The village accountant enters a year's collective income; the platform splits it
    40/30/20/10 (the village's percentages) and shares the dividend among households in
    proportion to the points they earned that year (zero or negative: nothing)."""
    from shanzhi.points import selectors

    village = _village_of(village)
    scheme = scheme_of(village)
    probe = IncomeSplit(village=village, region_path=village.path)
    access.require(actor, "points.split", probe, view_action="points.split_view")
    if not isinstance(income_fen, int) or isinstance(income_fen, bool) or not 0 < income_fen <= 10**13:
        raise ValidationError(_("Enter the income in yuan, more than zero."), field="income_fen")
    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError(_("Choose a year that has begun."), field="year")
    pcts = percents or (scheme.industry_percent, scheme.welfare_percent, scheme.dividend_percent, scheme.risk_percent)
    if len(pcts) != 4 or any(not isinstance(p, int) or p < 0 or p > 100 for p in pcts) or sum(pcts) != 100:
        raise ValidationError(_("The four shares add up to 100%."), field="percents")
    existing = IncomeSplit.objects.filter(village=village, year=year).first()
    if existing is not None and existing.state == IncomeSplit.State.APPROVED:
        raise Conflict(_("This year's split is approved and final."), field="year")
    if existing is not None:
        existing.lines.all().delete()
        existing.delete()
    industry, welfare, dividend, risk = largest_remainder(income_fen, list(pcts))
    earned = selectors.year_earnings(village=village, year=year)
    sharing = [(hid, path, pts) for hid, path, pts in earned if pts > 0]
    amounts = largest_remainder(dividend, [p for _h, _path, p in sharing], [h for h, _path, _p in sharing])
    split = IncomeSplit.objects.create(
        village=village, region_path=village.path, county_id=village.county_pk, year=year, income_fen=income_fen,
        industry_percent=pcts[0], welfare_percent=pcts[1], dividend_percent=pcts[2], risk_percent=pcts[3],
        industry_fen=industry, welfare_fen=welfare, dividend_fen=dividend, risk_fen=risk,
        total_points=sum(p for _h, _path, p in sharing), prepared_by=actor)
    DividendLine.objects.bulk_create([
        DividendLine(split=split, household_id=hid, region_path=path, points=pts, amount_fen=amount)
        for (hid, path, pts), amount in zip(sharing, amounts, strict=True)
    ], batch_size=2000)
    audit.record(actor=actor, action="points.split_prepare", target=split,
                 detail={"year": year, "income_fen": income_fen, "percents": list(pcts), "households": len(sharing)})
    return split


@transaction.atomic
def split_approve(*, actor: Any, split: IncomeSplit) -> IncomeSplit:
    """Final: the income goes to the four funds and the dividend fund to each household's
    money account, as ledger transactions in fen. Not by the one who prepared it."""
    access.require(actor, "points.split_approve", split, view_action="points.split_view")
    if split.prepared_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("Nobody approves what they prepared."))
    current = IncomeSplit.objects.select_for_update().get(pk=split.pk)
    if current.state != IncomeSplit.State.DRAFT:
        raise Conflict(_("This split is already approved."), field="state")
    village = current.village
    funds = {f: fund_account(village, f) for f in FUNDS}
    amounts = {"industry": current.industry_fen, "welfare": current.welfare_fen, "dividend": current.dividend_fen,
               "risk": current.risk_fen}
    tx = ledger.post(actor=actor, kind="income_split", lines=[(income_account(village), -current.income_fen)]
                     + [(funds[f], amounts[f]) for f in FUNDS if amounts[f]],
                     effective_on=dt.date(current.year, 12, 31), memo=f"{current.year} 4-3-2-1",
                     reference=current, region_path=village.path)
    lines = list(current.lines.select_related("household").filter(amount_fen__gt=0))
    dividend_tx = None
    if lines:
        paid = sum(line.amount_fen for line in lines)
        dividend_tx = ledger.post(
            actor=actor, kind="dividend",
            lines=[(funds["dividend"], -paid)] + [(household_money_account(line.household), line.amount_fen)
                                                  for line in lines],
            effective_on=dt.date(current.year, 12, 31), memo=f"{current.year} dividends by points",
            reference=current, region_path=village.path)
    IncomeSplit.objects.filter(pk=current.pk).update(
        state=IncomeSplit.State.APPROVED, approved_by=_user(actor), approved_at=timezone.now(),
        ledger_transaction=tx, dividend_transaction=dividend_tx)
    current.refresh_from_db()
    audit.record(actor=actor, action="points.split_approve", target=current,
                 detail={"income_fen": current.income_fen, "dividend_fen": current.dividend_fen,
                         "households": len(lines)})
    return current


def household_for_card(value: str) -> str | None:
    """The household number a card's QR code carries, if the code is genuine."""
    from django.core import signing

    try:
        return signing.Signer(salt="points.card").unsign(value.strip())
    except signing.BadSignature:
        return None


def card_payload(household: Household) -> str:
    from django.core import signing

    return signing.Signer(salt="points.card").sign(household.number)


__all__ = ["EARNING_KINDS", "NotFound", "RuleInput"]
