"""Reads of the points system, scoped to the viewer, with the joins they need.

Period figures (rankings, quarterly scores, a year's earnings) read the ledger's monthly
sums (``AccountPeriod``), one row per household and month, never the entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce, Rank
from django.utils import timezone

from shanzhi.core import access, tree
from shanzhi.core.errors import NotFound
from shanzhi.ledger.models import Account, AccountPeriod, Entry, Unit
from shanzhi.ledger.services import month_of
from shanzhi.points import services
from shanzhi.points.models import (
    Award,
    AwardBatch,
    DividendLine,
    Duty,
    Goods,
    IncomeSplit,
    PointRule,
    QuarterReview,
    QuarterScore,
    Redemption,
    Shop,
    VillageScheme,
)
from shanzhi.regions.models import Household, Region, Resident

EARNING_KINDS = services.EARNING_KINDS


def _head_name() -> Subquery:
    heads = Resident.objects.filter(household=OuterRef("household_id"), relation=Resident.Relation.HEAD,
                                    status=Resident.Status.ACTIVE)
    return Subquery(heads.values("name")[:1])


# -- rules ---------------------------------------------------------------------------------

def rules(viewer: Any, *, region: Region | None = None, on: dt.date | None = None, templates: bool | None = None
          ) -> QuerySet[PointRule]:
    """Rules the viewer may see; with ``region``, the rules of that place (a village's own
    and adopted ones); with ``on``, only the versions in force that day."""
    qs = access.scope(viewer, "points.view", PointRule.objects.all())
    if region is not None:
        qs = qs.filter(region=region)
    if templates is not None:
        qs = qs.filter(is_template=templates)
    if on is not None:
        qs = qs.filter(valid_from__lte=on).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    return qs.select_related("region", "adopted_from").order_by("region_path", "category", "code", "-version")


def rule_get(viewer: Any, pk: int) -> PointRule:
    return access.get_for(viewer, "points.view", PointRule.objects.select_related("region"), pk=pk)


def templates_for(viewer: Any, village: Region) -> QuerySet[PointRule]:
    """Templates of the village's township and county, in force today."""
    today = timezone.localdate()
    paths = tree.ancestors(village.path)[:-1]
    return (PointRule.objects.filter(is_template=True, region_path__in=paths, valid_from__lte=today)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .select_related("region").order_by("region_path", "category", "code"))


# -- households and their points -----------------------------------------------------------

def balance(household: Household) -> int:
    return Account.objects.filter(household=household, kind=Account.Kind.HOUSEHOLD, unit=Unit.POINTS).values_list(
        "balance", flat=True).first() or 0


def history(household: Household, limit: int = 200) -> list[Entry]:
    return list(Entry.objects.filter(account__household=household, account__kind=Account.Kind.HOUSEHOLD,
                                     account__unit=Unit.POINTS)
                .select_related("transaction").order_by("-effective_on", "-id")[:limit])


@dataclass
class HouseholdPoints:
    household: Household
    balance: int
    month: dt.date
    month_points: int
    month_rank: int | None
    village_households: int
    year_points: int
    last_review: QuarterScore | None
    history: list[Entry]
    awards: list[Award]
    redemptions: list[Redemption]
    dividends: list[DividendLine]


def household_points(viewer: Any, household: Household, *, today: dt.date | None = None) -> HouseholdPoints:
    access.require(viewer, "points.view", household)
    today = today or timezone.localdate()
    month = month_of(today)
    sums = _household_month_sums(household.village, month)
    mine = sums.get(household.pk)
    rank = None if mine is None else 1 + sum(1 for v in sums.values() if v > mine)
    year = AccountPeriod.objects.filter(account__household=household, account__unit=Unit.POINTS,
                                        account__kind=Account.Kind.HOUSEHOLD, month__year=today.year,
                                        kind__in=EARNING_KINDS).aggregate(t=Sum("amount"))["t"] or 0
    last = (QuarterScore.objects.filter(household=household).select_related("review")
            .order_by("-review__year", "-review__quarter").first())
    return HouseholdPoints(
        household=household, balance=balance(household), month=month, month_points=mine or 0, month_rank=rank,
        village_households=Household.objects.filter(village_id=household.village_id).count(), year_points=year,
        last_review=last, history=history(household, 100),
        awards=list(Award.objects.filter(household=household).select_related("rule", "proposed_by")
                    .order_by("-proposed_at", "-id")[:50]),
        redemptions=list(Redemption.objects.filter(household=household).select_related("shop")
                         .order_by("-at", "-id")[:50]),
        dividends=list(DividendLine.objects.filter(household=household, split__state=IncomeSplit.State.APPROVED)
                       .select_related("split").order_by("-split__year")[:10]),
    )


def _household_month_sums(village: Region, month: dt.date) -> dict[int, int]:
    rows = (AccountPeriod.objects.filter(month=month, kind__in=EARNING_KINDS, account__kind=Account.Kind.HOUSEHOLD,
                                         account__unit=Unit.POINTS, account__household__village=village)
            .values("account__household_id").annotate(total=Sum("amount")).order_by())
    return {r["account__household_id"]: r["total"] for r in rows}


# -- awards --------------------------------------------------------------------------------

def awards(viewer: Any, *, action: str = "points.view", state: str | None = None, village: Region | None = None,
           household: Household | None = None, batch: AwardBatch | None = None) -> QuerySet[Award]:
    qs = access.scope(viewer, action, Award.objects.all())
    if state:
        qs = qs.filter(state=state)
    if village is not None:
        qs = qs.filter(village=village)
    if household is not None:
        qs = qs.filter(household=household)
    if batch is not None:
        qs = qs.filter(batch=batch)
    return (qs.select_related("household", "rule", "proposed_by", "reviewed_by", "village", "batch")
            .annotate(head_name=_head_name()).order_by("-proposed_at", "-id"))


def review_queue(viewer: Any) -> QuerySet[Award]:
    """Proposals waiting for the viewer's council, oldest first, without the viewer's own."""
    user_id = getattr(getattr(viewer, "user", viewer), "pk", None)
    return awards(viewer, action="points.review", state="proposed").exclude(proposed_by_id=user_id).order_by(
        "proposed_at", "id")


def award_get(viewer: Any, pk: int) -> Award:
    return access.get_for(viewer, "points.view", Award.objects.select_related("household", "rule", "village"), pk=pk)


def batch_get(viewer: Any, pk: int) -> AwardBatch:
    return access.get_for(viewer, "points.view", AwardBatch.objects.select_related("rule", "village"), pk=pk)


def batches_waiting(viewer: Any) -> list[dict[str, Any]]:
    user_id = getattr(getattr(viewer, "user", viewer), "pk", None)
    rows = (awards(viewer, action="points.review", state="proposed").filter(batch__isnull=False)
            .exclude(proposed_by_id=user_id).order_by()
            .values("batch_id", "batch__rule__item", "batch__occurred_on", "batch__village__name")
            .annotate(n=Count("id")).order_by("batch__occurred_on", "batch_id"))
    return list(rows)


# -- periods -------------------------------------------------------------------------------

def may_rank(viewer: Any, region: Region) -> bool:
    """Staff whose care covers the place, or who work inside a village (its ranking)."""
    v = viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)
    if v.is_admin:
        return True
    for path in v.paths_for("points.view"):
        if region.path.startswith(path):
            return True
        if region.level == Region.Level.VILLAGE and path.startswith(region.path):
            return True
    return False


def ranking(region: Region, month: dt.date) -> QuerySet[Any]:
    """Households under ``region`` ranked by the points they earned in ``month`` (awards and
    deductions, corrections included). Rows: ``household_id``, ``points``, ``rank`` (1 =
    most; equal points share a rank) and the household's ``number``, in rank order (ties by
    number). Reads the monthly sums, one row per household that earned anything that
    month."""
    return (AccountPeriod.objects
            .filter(month=month_of(month), kind__in=EARNING_KINDS, account__kind=Account.Kind.HOUSEHOLD,
                    account__unit=Unit.POINTS)
            .filter(tree.under(region.path, "account__region_path"))
            .values(household_id=F("account__household_id"), number=F("account__household__number"))
            .annotate(points=Sum("amount"))
            .annotate(rank=Window(Rank(), order_by=Sum("amount").desc()))
            .order_by("rank", "number"))


def home_place(viewer: Any) -> Region | None:
    """Where a ranking starts by default: the top place the viewer works in (None for a
    resident or an administrator without a place)."""
    v = viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)
    paths = v.home_paths()
    return Region.objects.filter(path=paths[0]).first() if paths else None


def ranking_for(viewer: Any, region: Region, month: dt.date) -> QuerySet[Any]:
    if not may_rank(viewer, region):
        raise NotFound()
    return ranking(region, month)


def with_heads(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each row's head of household (one query for the page)."""
    ids = [r["household_id"] for r in rows]
    heads = dict(Resident.objects.filter(household_id__in=ids, relation=Resident.Relation.HEAD,
                                         status=Resident.Status.ACTIVE).values_list("household_id", "name"))
    for r in rows:
        r["head_name"] = heads.get(r["household_id"], "")
    return rows


@dataclass
class ScoreRow:
    household_id: int
    number: str
    region_path: str
    points: int
    score: int
    tier: int


def quarter_scores(*, village: Region, year: int, quarter: int, scheme: VillageScheme | None = None
                   ) -> list[ScoreRow]:
    """Every household of the village with its points in the quarter, its score on a
    100-point scale and its tier (1 best .. 4)."""
    scheme = scheme or services.scheme_of(village)
    start, end = services.quarter_bounds(year, quarter)
    sums = {r["account__household_id"]: r["total"] for r in
            AccountPeriod.objects.filter(month__gte=start, month__lte=end, kind__in=EARNING_KINDS,
                                         account__kind=Account.Kind.HOUSEHOLD, account__unit=Unit.POINTS,
                                         account__household__village=village)
            .values("account__household_id").annotate(total=Sum("amount")).order_by()}
    top = max([v for v in sums.values() if v > 0], default=0)
    rows = []
    for hid, number, path in (Household.objects.filter(village=village).order_by("number")
                              .values_list("id", "number", "region_path")):
        pts = sums.get(hid, 0)
        if scheme.scoring == VillageScheme.Scoring.BASE:
            score = max(0, min(100, scheme.base_score + pts))
        else:
            score = round(100 * max(pts, 0) / top) if top else 0
        rows.append(ScoreRow(hid, number, path, pts, score, scheme.tier_of(score)))
    rows.sort(key=lambda r: (-r.score, -r.points, r.number))
    return rows


def quarter_review(viewer: Any, village: Region, year: int, quarter: int) -> QuarterReview | None:
    return access.scope(viewer, "points.view", QuarterReview.objects.filter(village=village, year=year,
                                                                          quarter=quarter)).first()


def year_earnings(*, village: Region, year: int) -> list[tuple[int, str, int]]:
    """(household id, region path, points earned in the year) for every household of the
    village with a points account, by household id."""
    rows = (AccountPeriod.objects.filter(month__year=year, kind__in=EARNING_KINDS, account__kind=Account.Kind.HOUSEHOLD,
                                         account__unit=Unit.POINTS, account__household__village=village)
            .values("account__household_id", "account__region_path").annotate(total=Sum("amount"))
            .order_by("account__household_id"))
    return [(r["account__household_id"], r["account__region_path"], r["total"]) for r in rows]


@dataclass
class Board:
    village: Region
    scheme: VillageScheme
    month: dt.date
    rows: list[dict[str, Any]]


def board(viewer: Any, village: Region, month: dt.date) -> Board:
    """The village's public ranking board: what the village rules allow to be shown, to the
    village's own residents and to staff who may see the village."""
    v = viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)
    own = v.household_id and Household.objects.filter(pk=v.household_id, village=village).exists()
    if not own and not access.can(v, "region.view", village) and not may_rank(v, village):
        raise NotFound()
    scheme = services.scheme_of(village)
    if not scheme.board_enabled:
        return Board(village, scheme, month, [])
    rows = list(ranking(village, month)[: scheme.board_top])
    if scheme.board_show_names:
        with_heads(rows)
    return Board(village, scheme, month, rows)


def settlements(viewer: Any, village: Region) -> QuerySet[Any]:
    from shanzhi.points.models import Settlement

    return access.scope(viewer, "points.view", Settlement.objects.filter(village=village)).order_by("-year")


# -- the shop ------------------------------------------------------------------------------

def shops(viewer: Any) -> QuerySet[Shop]:
    """Shops the viewer may see; a resident sees the shops serving their household (its
    village's and its township's)."""
    return access.scope(viewer, "shop.view", Shop.objects.all()).select_related("region").order_by(
        "region_path", "name")


def shop_get(viewer: Any, pk: int) -> Shop:
    shop = shops(viewer).filter(pk=pk).first()
    if shop is None:
        raise NotFound()
    return shop


def goods(shop: Shop, *, active_only: bool = True) -> QuerySet[Goods]:
    qs = Goods.objects.filter(shop=shop)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("points_price", "name")


def goods_get(viewer: Any, pk: int) -> Goods:
    item = Goods.objects.filter(pk=pk).select_related("shop").first()
    if item is None:
        raise NotFound()
    shop_get(viewer, item.shop_id)
    return item


def counter_lookup(viewer: Any, shop: Shop, q: str) -> list[Household]:
    """Households the counter may serve matching a household number, a card's QR code, a
    head's or member's name, or a phone number."""
    q = (q or "").strip()
    if not q:
        return []
    qs = access.scope(viewer, "shop.redeem", Household.objects.filter(tree.under(shop.region_path)))
    number = services.household_for_card(q)
    if number is not None:
        qs = qs.filter(number=number)
    elif q.isdigit() and len(q) == 11:
        qs = qs.filter(members__phone=q, members__status=Resident.Status.ACTIVE)
    else:
        qs = qs.filter(Q(number=q) | Q(members__name=q, members__status=Resident.Status.ACTIVE))
    balances = Account.objects.filter(household=OuterRef("pk"), kind=Account.Kind.HOUSEHOLD, unit=Unit.POINTS)
    heads = Resident.objects.filter(household=OuterRef("pk"), relation=Resident.Relation.HEAD,
                                    status=Resident.Status.ACTIVE)
    return list(qs.distinct().select_related("village", "grid")
                .annotate(points=Coalesce(Subquery(balances.values("balance")[:1]), 0),
                          head_name=Subquery(heads.values("name")[:1]))
                .order_by("number")[:20])


def counter_household(viewer: Any, shop: Shop, pk: int) -> Household:
    home = access.scope(viewer, "shop.redeem", Household.objects.filter(tree.under(shop.region_path))).filter(
        pk=pk).select_related("village").first()
    if home is None:
        raise NotFound()
    return home


def redemptions(viewer: Any, *, shop: Shop | None = None, household: Household | None = None
                ) -> QuerySet[Redemption]:
    qs = access.scope(viewer, "points.view", Redemption.objects.all())
    if shop is not None:
        qs = qs.filter(shop=shop)
    if household is not None:
        qs = qs.filter(household=household)
    return qs.select_related("shop", "household", "clerk").order_by("-at", "-id")


def redemption_get(viewer: Any, pk: int) -> Redemption:
    v = viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)
    qs = Redemption.objects.select_related("shop", "household", "clerk").prefetch_related("lines")
    found = access.scope(v, "points.view", qs).filter(pk=pk).first()
    if found is None:
        found = access.scope(v, "shop.redeem", qs).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def stock_movements(shop: Shop, limit: int = 100) -> list[Any]:
    from shanzhi.points.models import StockMovement

    return list(StockMovement.objects.filter(goods__shop=shop).select_related("goods", "actor")
                .order_by("-at", "-id")[:limit])


# -- figures -------------------------------------------------------------------------------

@dataclass
class Figures:
    region: Region
    year: int
    points_awarded: int
    points_redeemed: int
    value_redeemed_fen: int
    redemptions: int
    households_taking_part: int
    households: int
    donated_value_fen: int

    @property
    def participation_percent(self) -> float:
        return round(100 * self.households_taking_part / self.households, 1) if self.households else 0.0

    @property
    def value_redeemed_yuan(self) -> str:
        return f"{self.value_redeemed_fen / 100:,.2f}"

    @property
    def donated_value_yuan(self) -> str:
        return f"{self.donated_value_fen / 100:,.2f}"


def figures(viewer: Any, region: Region, year: int) -> Figures:
    """Points awarded and redeemed, goods' value, households taking part (earned or redeemed
    points in the year) and the participation rate, for a place and a year."""
    if not may_rank(viewer, region):
        raise NotFound()
    from shanzhi.points.models import StockMovement

    under = tree.under(region.path, "account__region_path")
    awarded = (AccountPeriod.objects.filter(under, month__year=year, kind=services.AWARD,
                                            account__kind=Account.Kind.HOUSEHOLD, account__unit=Unit.POINTS)
               .aggregate(t=Sum("amount"))["t"] or 0)
    red = (Redemption.objects.filter(tree.under(region.path), at__year=year)
           .aggregate(points=Coalesce(Sum("points"), 0), value=Coalesce(Sum("value_fen"), 0), n=Count("id")))
    earners = set(AccountPeriod.objects.filter(under, month__year=year, kind__in=EARNING_KINDS,
                                               account__kind=Account.Kind.HOUSEHOLD, account__unit=Unit.POINTS)
                  .values_list("account__household_id", flat=True).distinct())
    redeemers = set(Redemption.objects.filter(tree.under(region.path), at__year=year)
                    .values_list("household_id", flat=True).distinct())
    donated = (StockMovement.objects.filter(tree.under(region.path), kind=StockMovement.Kind.DONATION, at__year=year)
               .aggregate(t=Sum("value_fen"))["t"] or 0)
    return Figures(region=region, year=year, points_awarded=awarded, points_redeemed=red["points"],
                   value_redeemed_fen=red["value"], redemptions=red["n"],
                   households_taking_part=len(earners | redeemers),
                   households=Household.objects.filter(tree.under(region.path)).count(), donated_value_fen=donated)


# -- the split -----------------------------------------------------------------------------

def splits(viewer: Any) -> QuerySet[IncomeSplit]:
    return (access.scope(viewer, "points.split_view", IncomeSplit.objects.all())
            .select_related("village", "prepared_by", "approved_by").order_by("-year", "region_path"))


def split_get(viewer: Any, pk: int) -> IncomeSplit:
    return access.get_for(viewer, "points.split_view",
                          IncomeSplit.objects.select_related("village", "prepared_by", "approved_by"), pk=pk)


def split_lines(split: IncomeSplit) -> QuerySet[DividendLine]:
    return (split.lines.select_related("household").annotate(head_name=_head_name())
            .order_by("-points", "household__number"))


def duties(viewer: Any) -> QuerySet[Duty]:
    return (access.scope(viewer, "points.duties", Duty.objects.all())
            .select_related("user", "region", "shop").order_by("region_path", "kind", "user__username"))


__all__ = ["F"]
