"""REST endpoints of the points system: rules, awards and their review, household points,
rankings and reviews, settlements, the shop and its counter, the 4-3-2-1 split.

Parsing and calling services/selectors only. A record outside the caller's scope answers
404 like an unknown one. Amounts of money are in fen (integers)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core import access
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.people.models import User
from shanzhi.points import exports, selectors, services
from shanzhi.points.models import Award, Category, Duty, Goods, IncomeSplit, LimitPeriod, PointRule, StockMovement
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region

router = Router(tags=["points"])
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# -- schemas -------------------------------------------------------------------------------

class RuleOut(Schema):
    id: int
    code: str
    version: int
    region: str
    region_name: str
    is_template: bool
    adopted_from_id: int | None = None
    category: str
    item: str
    points: int
    points_min: int | None = None
    evidence_required: bool
    limit_count: int | None = None
    limit_period: str
    valid_from: dt.date
    valid_until: dt.date | None = None
    meeting_date: dt.date | None = None
    meeting_record: str

    @staticmethod
    def resolve_region(obj: PointRule) -> str:
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj: PointRule) -> str:
        return obj.region.name


class RuleIn(Schema, extra="forbid"):
    category: Category
    item: str = Field(..., max_length=200)
    points: int = Field(..., description="1 to 10 for good conduct; negative for a deduction")
    points_min: int | None = Field(None, description="the least an award may give, if it may give less")
    evidence_required: bool = False
    limit_count: int | None = None
    limit_period: LimitPeriod = LimitPeriod.NONE
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    meeting_date: dt.date | None = Field(None, description="the villagers' meeting that adopted it (villages)")
    meeting_record: str = Field("", max_length=4000)


class RuleCreateIn(RuleIn, extra="forbid"):
    region: str = Field(..., description="village code, or a township or county code for a template")


class AdoptIn(Schema, extra="forbid"):
    village: str
    meeting_date: dt.date | None = None
    meeting_record: str = Field("", max_length=4000)
    valid_from: dt.date | None = None


class SchemeOut(Schema):
    village: str
    settlement: str
    scoring: str
    base_score: int
    tier_1: int
    tier_2: int
    tier_3: int
    board_enabled: bool
    board_show_names: bool
    board_show_points: bool
    board_top: int
    industry_percent: int
    welfare_percent: int
    dividend_percent: int
    risk_percent: int

    @staticmethod
    def resolve_village(obj: Any) -> str:
        return obj.village.code


class SchemePatch(Schema, extra="forbid"):
    settlement: str | None = None
    scoring: str | None = None
    base_score: int | None = None
    tier_1: int | None = None
    tier_2: int | None = None
    tier_3: int | None = None
    board_enabled: bool | None = None
    board_show_names: bool | None = None
    board_show_points: bool | None = None
    board_top: int | None = None
    industry_percent: int | None = None
    welfare_percent: int | None = None
    dividend_percent: int | None = None
    risk_percent: int | None = None


class AwardOut(Schema):
    id: int
    household_id: int
    household_number: str
    head_name: str | None = None
    rule_id: int
    rule_item: str
    rule_version: int
    points: int
    occurred_on: dt.date
    note: str
    evidence_url: str | None = None
    source: str
    state: str
    batch_id: int | None = None
    proposed_by: str
    proposed_at: dt.datetime
    reviewed_at: dt.datetime | None = None
    review_note: str
    ledger_transaction_id: int | None = None

    @staticmethod
    def resolve_household_number(obj: Award) -> str:
        return obj.household.number

    @staticmethod
    def resolve_rule_item(obj: Award) -> str:
        return obj.rule.item

    @staticmethod
    def resolve_rule_version(obj: Award) -> int:
        return obj.rule.version

    @staticmethod
    def resolve_evidence_url(obj: Award) -> str | None:
        return f"/points/awards/{obj.pk}/evidence" if obj.evidence else None

    @staticmethod
    def resolve_proposed_by(obj: Award) -> str:
        return obj.proposed_by.get_full_name()


class AwardForm(Schema):
    household_id: int
    rule_id: int
    occurred_on: dt.date
    points: int | None = None
    note: str = Field("", max_length=2000)


class BulkForm(Schema):
    village: str
    rule_id: int
    occurred_on: dt.date
    households: str = Field(..., description="household numbers, separated by commas, spaces or new lines")
    note: str = Field("", max_length=500)


class AwardPatch(Schema, extra="forbid"):
    note: str | None = Field(None, max_length=2000)
    occurred_on: dt.date | None = None
    points: int | None = Field(None, description="refused: an award's points come from its rule")
    household_id: int | None = Field(None, description="refused: propose again for another household")


class NoteIn(Schema, extra="forbid"):
    note: str = Field("", max_length=500)


class ReasonIn(Schema, extra="forbid"):
    reason: str = Field(..., max_length=500)


class BatchOut(Schema):
    batch_id: int
    approved: int


class EntryOut(Schema):
    id: int
    amount: int
    kind: str
    effective_on: dt.date
    memo: str
    transaction_id: int

    @staticmethod
    def resolve_memo(obj: Any) -> str:
        return obj.transaction.memo


class HouseholdPointsOut(Schema):
    household_id: int
    number: str
    balance: int
    month: str
    month_points: int
    month_rank: int | None = None
    village_households: int
    year_points: int
    last_quarter: str | None = None
    last_score: int | None = None
    last_tier: int | None = None
    history: list[EntryOut]


class RankRow(Schema):
    rank: int
    household_id: int
    number: str
    points: int


class BoardRow(Schema):
    rank: int
    number: str | None = None
    head_name: str | None = None
    points: int | None = None


class BoardOut(Schema):
    village: str
    month: str
    enabled: bool
    rows: list[BoardRow]


class ScoreOut(Schema):
    household_id: int
    number: str
    points: int
    score: int
    tier: int


class QuarterOut(Schema):
    village: str
    year: int
    quarter: int
    closed: bool
    tiers: list[int]
    scores: list[ScoreOut]


class SettlementIn(Schema, extra="forbid"):
    village: str
    year: int


class SettlementOut(Schema):
    id: int
    village: str
    year: int
    policy: str
    households: int
    points: int

    @staticmethod
    def resolve_village(obj: Any) -> str:
        return obj.village.code


class FiguresOut(Schema):
    region: str
    year: int
    points_awarded: int
    points_redeemed: int
    value_redeemed_fen: int
    redemptions: int
    households_taking_part: int
    households: int
    participation_percent: float
    donated_value_fen: int


class ShopOut(Schema):
    id: int
    name: str
    region: str
    region_name: str
    address: str
    opening_hours: str
    is_active: bool

    @staticmethod
    def resolve_region(obj: Any) -> str:
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj: Any) -> str:
        return obj.region.name


class ShopIn(Schema, extra="forbid"):
    region: str
    name: str = Field(..., max_length=100)
    address: str = Field("", max_length=200)
    opening_hours: str = Field("", max_length=100)


class GoodsOut(Schema):
    id: int
    shop_id: int
    name: str
    unit: str
    points_price: int
    value_fen: int
    stock: int
    donor: str
    is_active: bool


class GoodsIn(Schema, extra="forbid"):
    name: str = Field(..., max_length=100)
    points_price: int
    value_fen: int
    unit: str = Field("", max_length=16)
    donor: str = Field("", max_length=100)


class GoodsPatch(Schema, extra="forbid"):
    points_price: int | None = None
    value_fen: int | None = None
    is_active: bool | None = None
    stock: int | None = Field(None, description="refused: stock changes only by a stock movement")


class StockIn(Schema, extra="forbid"):
    quantity: int
    kind: str = StockMovement.Kind.PURCHASE
    donor: str = Field("", max_length=100)
    value_fen: int | None = None
    note: str = Field("", max_length=200)


class StockOut(Schema):
    id: int
    goods_id: int
    kind: str
    quantity: int
    value_fen: int
    donor: str
    stock: int


class LookupRow(Schema):
    household_id: int
    number: str
    head_name: str | None = None
    village: str
    balance: int


class LineIn(Schema, extra="forbid"):
    goods_id: int
    quantity: int


class RedemptionIn(Schema, extra="forbid"):
    shop_id: int
    household_id: int
    lines: list[LineIn]


class LineOut(Schema):
    goods_id: int
    name: str
    quantity: int
    points_price: int
    value_fen: int


class RedemptionOut(Schema):
    id: int
    number: str
    shop_id: int
    shop_name: str
    household_id: int
    household_number: str
    points: int
    value_fen: int
    at: dt.datetime
    balance_after: int | None = None
    lines: list[LineOut]

    @staticmethod
    def resolve_shop_name(obj: Any) -> str:
        return obj.shop.name

    @staticmethod
    def resolve_household_number(obj: Any) -> str:
        return obj.household.number

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return [LineOut(goods_id=line.goods_id, name=line.name, quantity=line.quantity,
                        points_price=line.points_price, value_fen=line.value_fen) for line in obj.lines.all()]


class SplitIn(Schema, extra="forbid"):
    village: str
    year: int
    income_fen: int = Field(..., description="the year's collective income in fen")
    percents: list[int] | None = Field(None, description="industry, welfare, dividends, risk; default the village's")


class DividendOut(Schema):
    household_id: int
    number: str
    head_name: str | None = None
    points: int
    amount_fen: int


class SplitOut(Schema):
    id: int
    village: str
    year: int
    state: str
    income_fen: int
    percents: list[int]
    industry_fen: int
    welfare_fen: int
    dividend_fen: int
    risk_fen: int
    total_points: int
    prepared_by: str
    approved_by: str | None = None
    ledger_transaction_id: int | None = None
    dividend_transaction_id: int | None = None

    @staticmethod
    def resolve_village(obj: IncomeSplit) -> str:
        return obj.village.code

    @staticmethod
    def resolve_percents(obj: IncomeSplit) -> list[int]:
        return [obj.industry_percent, obj.welfare_percent, obj.dividend_percent, obj.risk_percent]

    @staticmethod
    def resolve_prepared_by(obj: IncomeSplit) -> str:
        return obj.prepared_by.get_full_name() if obj.prepared_by else ""

    @staticmethod
    def resolve_approved_by(obj: IncomeSplit) -> str | None:
        return obj.approved_by.get_full_name() if obj.approved_by else None


class SplitDetail(SplitOut):
    lines: list[DividendOut]

    @staticmethod
    def resolve_lines(obj: IncomeSplit) -> list[dict[str, Any]]:
        return [{"household_id": line.household_id, "number": line.household.number,
                 "head_name": getattr(line, "head_name", None), "points": line.points, "amount_fen": line.amount_fen}
                for line in selectors.split_lines(obj)]


class DutyOut(Schema):
    id: int
    username: str
    kind: str
    region: str
    shop_id: int | None = None
    start_date: dt.date
    end_date: dt.date | None = None

    @staticmethod
    def resolve_username(obj: Duty) -> str:
        return obj.user.get_username()

    @staticmethod
    def resolve_region(obj: Duty) -> str:
        return obj.region.code


class DutyIn(Schema, extra="forbid"):
    username: str
    kind: Duty.Kind
    region: str | None = None
    shop_id: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


# -- helpers -------------------------------------------------------------------------------

def parse_month(value: str | None, field: str = "month") -> dt.date:
    if not value:
        return dt.date.today().replace(day=1)
    m = MONTH.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValidationError(_("Enter a month as YYYY-MM."), field=field)
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def region_by_code(request: HttpRequest, code: str, field: str) -> Region:
    region = region_selectors.region_ref(request.user, code, field=field)
    if region is None:
        raise ValidationError(_("This field is required."), field=field)
    return region


def _household(request: HttpRequest, pk: int, action: str = "points.view") -> Household:
    return access.get_for(request.user, action, Household.objects.select_related("village"), pk=pk)


def _household_ref(request: HttpRequest, pk: int, action: str, field: str) -> Household:
    try:
        return _household(request, pk, action)
    except NotFound:
        raise ValidationError(_("Unknown household."), field=field) from None


def _rule_ref(request: HttpRequest, pk: int) -> PointRule:
    try:
        return selectors.rule_get(request.user, pk)
    except NotFound:
        raise ValidationError(_("Unknown rule."), field="rule_id") from None


def _rule_input(payload: RuleIn) -> services.RuleInput:
    return services.RuleInput(
        category=str(payload.category), item=payload.item, points=payload.points, points_min=payload.points_min,
        evidence_required=payload.evidence_required, limit_count=payload.limit_count,
        limit_period=str(payload.limit_period), valid_from=payload.valid_from, valid_until=payload.valid_until,
        meeting_date=payload.meeting_date, meeting_record=payload.meeting_record)


def _award(request: HttpRequest, pk: int) -> Award:
    return selectors.award_get(request.user, pk)


def _award_out(request: HttpRequest, pk: int) -> Award:
    award = selectors.awards(request.user).filter(pk=pk).first()
    if award is None:
        raise NotFound()
    return award


# -- rules ---------------------------------------------------------------------------------

@router.get("/points/rules", response=list[RuleOut])
@paginate(PageNumberPagination)
def list_rules(request: HttpRequest, village: str | None = None, on: dt.date | None = None,
               templates: bool | None = None) -> Any:
    region = region_by_code(request, village, "village") if village else None
    return selectors.rules(request.user, region=region, on=on, templates=templates)


@router.post("/points/rules", response={201: RuleOut})
def create_rule(request: HttpRequest, payload: RuleCreateIn) -> Any:
    region = region_by_code(request, payload.region, "region")
    return Status(201, services.rule_create(actor=request.user, region=region, data=_rule_input(payload)))


@router.get("/points/rules/{int:rule_id}", response=RuleOut)
def get_rule(request: HttpRequest, rule_id: int) -> Any:
    return selectors.rule_get(request.user, rule_id)


@router.post("/points/rules/{int:rule_id}/revise", response={201: RuleOut})
def revise_rule(request: HttpRequest, rule_id: int, payload: RuleIn) -> Any:
    rule = selectors.rule_get(request.user, rule_id)
    return Status(201, services.rule_revise(actor=request.user, rule=rule, data=_rule_input(payload)))


@router.post("/points/rules/{int:rule_id}/adopt", response={201: RuleOut})
def adopt_rule(request: HttpRequest, rule_id: int, payload: AdoptIn) -> Any:
    template = selectors.rule_get(request.user, rule_id)
    village = region_by_code(request, payload.village, "village")
    rule = services.rule_adopt(actor=request.user, template=template, village=village,
                               meeting_date=payload.meeting_date, meeting_record=payload.meeting_record,
                               valid_from=payload.valid_from)
    return Status(201, rule)


@router.get("/points/schemes/{code}", response=SchemeOut)
def get_scheme(request: HttpRequest, code: str) -> Any:
    village = region_selectors.region_get(request.user, code=code)
    scheme = services.scheme_of(services._village_of(village))
    access.require(request.user, "points.view", scheme)
    return scheme


@router.patch("/points/schemes/{code}", response=SchemeOut)
def update_scheme(request: HttpRequest, code: str, payload: SchemePatch) -> Any:
    village = region_selectors.region_get(request.user, code=code)
    changes = payload.dict(exclude_none=True)
    return services.scheme_update(actor=request.user, village=village, **changes)


# -- awards --------------------------------------------------------------------------------

@router.get("/points/awards", response=list[AwardOut])
@paginate(PageNumberPagination)
def list_awards(request: HttpRequest, state: str | None = None, village: str | None = None,
                household_id: int | None = None) -> Any:
    place = region_by_code(request, village, "village") if village else None
    household = _household_ref(request, household_id, "points.view", "household_id") if household_id else None
    return selectors.awards(request.user, state=state, village=place, household=household)


@router.get("/points/awards/queue", response=list[AwardOut])
@paginate(PageNumberPagination)
def review_queue(request: HttpRequest) -> Any:
    return selectors.review_queue(request.user)


@router.post("/points/awards", response={201: AwardOut})
def propose_award(request: HttpRequest, payload: Form[AwardForm], evidence: UploadedFile | None = File(None)) -> Any:
    household = _household_ref(request, payload.household_id, "points.view", "household_id")
    rule = _rule_ref(request, payload.rule_id)
    award = services.award_propose(actor=request.user, household=household, rule=rule,
                                   occurred_on=payload.occurred_on, points=payload.points, note=payload.note,
                                   evidence=evidence)
    return Status(201, _award_out(request, award.pk))


@router.get("/points/awards/{int:award_id}", response=AwardOut)
def get_award(request: HttpRequest, award_id: int) -> Any:
    return _award_out(request, award_id)


@router.patch("/points/awards/{int:award_id}", response=AwardOut)
def update_award(request: HttpRequest, award_id: int, payload: AwardPatch) -> Any:
    award = _award(request, award_id)
    if payload.points is not None or payload.household_id is not None:
        field = "points" if payload.points is not None else "household_id"
        raise ValidationError(_("An award's household and points cannot be changed; reject it and propose again, or "
                                "correct a posted award by a reversal."), field=field)
    services.award_update(actor=request.user, award=award, note=payload.note, occurred_on=payload.occurred_on)
    return _award_out(request, award_id)


@router.post("/points/awards/{int:award_id}/approve", response=AwardOut)
def approve_award(request: HttpRequest, award_id: int, payload: NoteIn) -> Any:
    services.award_approve(actor=request.user, award=_award(request, award_id), note=payload.note)
    return _award_out(request, award_id)


@router.post("/points/awards/{int:award_id}/reject", response=AwardOut)
def reject_award(request: HttpRequest, award_id: int, payload: ReasonIn) -> Any:
    services.award_reject(actor=request.user, award=_award(request, award_id), reason=payload.reason)
    return _award_out(request, award_id)


@router.post("/points/awards/{int:award_id}/withdraw", response=AwardOut)
def withdraw_award(request: HttpRequest, award_id: int) -> Any:
    services.award_withdraw(actor=request.user, award=_award(request, award_id))
    return _award_out(request, award_id)


@router.post("/points/awards/{int:award_id}/reverse", response=AwardOut)
def reverse_award(request: HttpRequest, award_id: int, payload: ReasonIn) -> Any:
    services.award_reverse(actor=request.user, award=_award(request, award_id), reason=payload.reason)
    return _award_out(request, award_id)


def households_by_numbers(request: HttpRequest, village: Region, text: str) -> list[Household]:
    numbers = [n for n in re.split(r"[\s,，、;；]+", text or "") if n]
    if not numbers:
        raise ValidationError(_("Choose at least one household."), field="households")
    if len(numbers) > services.MAX_BULK:
        raise ValidationError(_("At most %(n)d households at once.") % {"n": services.MAX_BULK}, field="households")
    found = {h.number: h for h in access.scope(request.user, "points.bulk",
                                               Household.objects.filter(village=village, number__in=numbers))}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise ValidationError(_("Unknown household number(s) in this village: %(numbers)s")
                              % {"numbers": ", ".join(missing[:20])}, field="households")
    return [found[n] for n in numbers]


@router.post("/points/awards/bulk", response={201: BatchOut})
def bulk_award(request: HttpRequest, payload: Form[BulkForm], evidence: UploadedFile | None = File(None)) -> Any:
    village = region_by_code(request, payload.village, "village")
    access.require_any_role(request.user, "points.bulk")
    rule = _rule_ref(request, payload.rule_id)
    homes = households_by_numbers(request, village, payload.households)
    batch = services.award_bulk_propose(actor=request.user, village=village, rule=rule, households=homes,
                                        occurred_on=payload.occurred_on, note=payload.note, evidence=evidence)
    return Status(201, {"batch_id": batch.pk, "approved": 0})


@router.post("/points/batches/{int:batch_id}/approve", response=BatchOut)
def approve_batch(request: HttpRequest, batch_id: int, payload: NoteIn) -> Any:
    batch = selectors.batch_get(request.user, batch_id)
    n = services.batch_approve(actor=request.user, batch=batch, note=payload.note)
    return {"batch_id": batch.pk, "approved": n}


# -- household points ----------------------------------------------------------------------

@router.get("/points/households/{int:household_id}", response=HouseholdPointsOut)
def household_points(request: HttpRequest, household_id: int) -> Any:
    info = selectors.household_points(request.user, _household(request, household_id))
    last = info.last_review
    return {
        "household_id": info.household.pk, "number": info.household.number, "balance": info.balance,
        "month": f"{info.month:%Y-%m}", "month_points": info.month_points, "month_rank": info.month_rank,
        "village_households": info.village_households, "year_points": info.year_points,
        "last_quarter": f"{last.review.year}Q{last.review.quarter}" if last else None,
        "last_score": last.score if last else None, "last_tier": last.tier if last else None,
        "history": info.history,
    }


@router.get("/points/households/{int:household_id}/card.svg")
def household_card_qr(request: HttpRequest, household_id: int) -> HttpResponse:
    household = _household(request, household_id)
    return HttpResponse(exports.qr_svg(services.card_payload(household)), content_type="image/svg+xml")


# -- periods -------------------------------------------------------------------------------

@router.get("/points/ranking", response=list[RankRow])
@paginate(PageNumberPagination)
def monthly_ranking(request: HttpRequest, region: str | None = None, month: str | None = None) -> Any:
    """The households under ``region`` (default: where the caller works, or a resident's
    village) ranked by the points they earned in ``month`` (YYYY-MM, default this month)."""
    place = region_by_code(request, region, "region") if region else selectors.home_place(request.user)
    if place is None:
        raise ValidationError(_("This field is required."), field="region")
    return selectors.ranking_for(request.user, place, parse_month(month))


@router.get("/points/board/{code}", response=BoardOut)
def village_board(request: HttpRequest, code: str, month: str | None = None) -> Any:
    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first()
    if village is None:
        raise NotFound()
    board = selectors.board(request.user, village, parse_month(month))
    s = board.scheme
    return {"village": village.code, "month": f"{board.month:%Y-%m}", "enabled": s.board_enabled,
            "rows": [{"rank": r["rank"],
                      "number": r["number"] if s.board_show_names else None,
                      "head_name": r.get("head_name") if s.board_show_names else None,
                      "points": r["points"] if s.board_show_points else None} for r in board.rows]}


@router.get("/points/quarters/{code}/{int:year}/{int:quarter}", response=QuarterOut)
def get_quarter(request: HttpRequest, code: str, year: int, quarter: int) -> Any:
    village = services._village_of(region_selectors.region_get(request.user, code=code))
    if not selectors.may_rank(request.user, village):
        raise NotFound()
    review = selectors.quarter_review(request.user, village, year, quarter)
    if review is not None:
        scores = [{"household_id": s.household_id, "number": s.household.number, "points": s.points,
                   "score": s.score, "tier": s.tier}
                  for s in review.scores.select_related("household").order_by("-score", "-points", "household__number")]
        tiers = review.tiers
    else:
        scheme = services.scheme_of(village)
        scores = [vars(r) for r in selectors.quarter_scores(village=village, year=year, quarter=quarter,
                                                            scheme=scheme)]
        tiers = [scheme.tier_1, scheme.tier_2, scheme.tier_3]
    return {"village": village.code, "year": year, "quarter": quarter, "closed": review is not None, "tiers": tiers,
            "scores": scores}


@router.post("/points/quarters/{code}/{int:year}/{int:quarter}/close", response={201: QuarterOut})
def close_quarter(request: HttpRequest, code: str, year: int, quarter: int) -> Any:
    village = region_selectors.region_get(request.user, code=code)
    services.quarter_close(actor=request.user, village=village, year=year, quarter=quarter)
    return Status(201, get_quarter(request, code, year, quarter))


@router.post("/points/settlements", response={201: SettlementOut})
def run_settlement(request: HttpRequest, payload: SettlementIn) -> Any:
    village = region_by_code(request, payload.village, "village")
    return Status(201, services.settlement_run(actor=request.user, village=village, year=payload.year))


@router.get("/points/figures", response=FiguresOut)
def points_figures(request: HttpRequest, region: str, year: int | None = None) -> Any:
    place = region_by_code(request, region, "region")
    f = selectors.figures(request.user, place, year or dt.date.today().year)
    return {"region": place.code, "year": f.year, "points_awarded": f.points_awarded,
            "points_redeemed": f.points_redeemed, "value_redeemed_fen": f.value_redeemed_fen,
            "redemptions": f.redemptions, "households_taking_part": f.households_taking_part,
            "households": f.households, "participation_percent": f.participation_percent,
            "donated_value_fen": f.donated_value_fen}


# -- the shop ------------------------------------------------------------------------------

@router.get("/points/shops", response=list[ShopOut])
def list_shops(request: HttpRequest) -> Any:
    return list(selectors.shops(request.user))


@router.post("/points/shops", response={201: ShopOut})
def create_shop(request: HttpRequest, payload: ShopIn) -> Any:
    region = region_by_code(request, payload.region, "region")
    shop = services.shop_create(actor=request.user, region=region, name=payload.name, address=payload.address,
                                opening_hours=payload.opening_hours)
    return Status(201, shop)


@router.get("/points/shops/{int:shop_id}/goods", response=list[GoodsOut])
def list_goods(request: HttpRequest, shop_id: int) -> Any:
    return list(selectors.goods(selectors.shop_get(request.user, shop_id)))


@router.post("/points/shops/{int:shop_id}/goods", response={201: GoodsOut})
def create_goods(request: HttpRequest, shop_id: int, payload: GoodsIn) -> Any:
    shop = selectors.shop_get(request.user, shop_id)
    goods = services.goods_create(actor=request.user, shop=shop, name=payload.name,
                                  points_price=payload.points_price, value_fen=payload.value_fen,
                                  unit=payload.unit, donor=payload.donor)
    return Status(201, goods)


@router.patch("/points/goods/{int:goods_id}", response=GoodsOut)
def update_goods(request: HttpRequest, goods_id: int, payload: GoodsPatch) -> Any:
    item = selectors.goods_get(request.user, goods_id)
    if payload.stock is not None:
        raise ValidationError(_("Stock changes only by a stock-in, a donation or a count correction."), field="stock")
    services.goods_update(actor=request.user, goods=item, points_price=payload.points_price,
                          value_fen=payload.value_fen, is_active=payload.is_active)
    return Goods.objects.get(pk=item.pk)


@router.post("/points/goods/{int:goods_id}/stock", response={201: StockOut})
def add_stock(request: HttpRequest, goods_id: int, payload: StockIn) -> Any:
    item = selectors.goods_get(request.user, goods_id)
    m = services.stock_in(actor=request.user, goods=item, quantity=payload.quantity, kind=payload.kind,
                          donor=payload.donor, value_fen=payload.value_fen, note=payload.note)
    return Status(201, {"id": m.pk, "goods_id": item.pk, "kind": m.kind, "quantity": m.quantity,
                        "value_fen": m.value_fen, "donor": m.donor, "stock": item.stock})


@router.get("/points/shops/{int:shop_id}/lookup", response=list[LookupRow])
def counter_lookup(request: HttpRequest, shop_id: int, q: str = Query(..., min_length=1, max_length=200)) -> Any:
    shop = selectors.shop_get(request.user, shop_id)
    access.require(request.user, "shop.redeem", shop, view_action="shop.view")
    return [{"household_id": h.pk, "number": h.number, "head_name": getattr(h, "head_name", None),
             "village": h.village.name, "balance": getattr(h, "points", 0)}
            for h in selectors.counter_lookup(request.user, shop, q)]


@router.post("/points/redemptions", response={201: RedemptionOut})
def create_redemption(request: HttpRequest, payload: RedemptionIn) -> Any:
    try:
        shop = selectors.shop_get(request.user, payload.shop_id)
    except NotFound:
        raise ValidationError(_("Unknown shop."), field="shop_id") from None
    household = _household_ref(request, payload.household_id, "points.view", "household_id")
    redemption = services.redeem(actor=request.user, shop=shop, household=household,
                                 lines=[(line.goods_id, line.quantity) for line in payload.lines])
    out = selectors.redemption_get(request.user, redemption.pk)
    out.balance_after = selectors.balance(household)  # type: ignore[attr-defined]
    return Status(201, out)


@router.get("/points/redemptions/{int:redemption_id}", response=RedemptionOut)
def get_redemption(request: HttpRequest, redemption_id: int) -> Any:
    return selectors.redemption_get(request.user, redemption_id)


# -- the 4-3-2-1 split ---------------------------------------------------------------------

@router.get("/points/splits", response=list[SplitOut])
@paginate(PageNumberPagination)
def list_splits(request: HttpRequest) -> Any:
    return selectors.splits(request.user)


@router.post("/points/splits", response={201: SplitDetail})
def prepare_split(request: HttpRequest, payload: SplitIn) -> Any:
    village = region_by_code(request, payload.village, "village")
    percents = tuple(payload.percents) if payload.percents is not None else None
    if percents is not None and len(percents) != 4:
        raise ValidationError(_("Give four percentages: industry, welfare, dividends, risk."), field="percents")
    split = services.split_prepare(actor=request.user, village=village, year=payload.year,
                                   income_fen=payload.income_fen, percents=percents)  # type: ignore[arg-type]
    return Status(201, split)


@router.get("/points/splits/{int:split_id}", response=SplitDetail)
def get_split(request: HttpRequest, split_id: int) -> Any:
    return selectors.split_get(request.user, split_id)


@router.post("/points/splits/{int:split_id}/approve", response=SplitOut)
def approve_split(request: HttpRequest, split_id: int) -> Any:
    return services.split_approve(actor=request.user, split=selectors.split_get(request.user, split_id))


@router.get("/points/splits/{int:split_id}/export.xlsx")
def export_split(request: HttpRequest, split_id: int) -> HttpResponse:
    split = selectors.split_get(request.user, split_id)
    data = exports.payout_workbook(split, selectors.split_lines(split))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="dividends-{split.village.code}-{split.year}.xlsx"'
    return response


# -- duties --------------------------------------------------------------------------------

@router.get("/points/duties", response=list[DutyOut])
def list_duties(request: HttpRequest) -> Any:
    return list(selectors.duties(request.user))


@router.post("/points/duties", response={201: DutyOut})
def assign_duty(request: HttpRequest, payload: DutyIn) -> Any:
    user = User.objects.filter(username=payload.username, is_active=True).first()
    if user is None:
        raise ValidationError(_("Unknown account."), field="username")
    region = region_by_code(request, payload.region, "region") if payload.region else None
    shop = None
    if payload.shop_id is not None:
        try:
            shop = selectors.shop_get(request.user, payload.shop_id)
        except NotFound:
            raise ValidationError(_("Unknown shop."), field="shop_id") from None
    duty = services.duty_assign(actor=request.user, user=user, kind=str(payload.kind), region=region, shop=shop,
                                start_date=payload.start_date, end_date=payload.end_date)
    return Status(201, duty)


@router.post("/points/duties/{int:duty_id}/end", response=DutyOut)
def end_duty(request: HttpRequest, duty_id: int) -> Any:
    duty = access.get_for(request.user, "points.duties", Duty.objects.select_related("user", "region"), pk=duty_id)
    return services.duty_end(actor=request.user, duty=duty)
