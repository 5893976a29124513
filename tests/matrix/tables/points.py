"""The points system and the points shop (shanzhi/points): the API and the pages.

Besides the map's roles, three duties come from the points roster (``points.Duty``, a grant
source of ``access``): a member of the moral review council, a points shop's staff and the
village accountant, each in 张湾村 (621023100201). They are the matrix's roster roles,
tried on every entry here.

Awards, redemptions and a household's points belong to the household (the staff whose
places cover it see them, the household sees its own); rules, shops and goods belong to a
village and are seen from below too (the grid team, the residents they serve); a village's
scheme, bulk awards, quarters and splits belong to the village itself. A role's *inside*
village is the village of its home (for a township or county role, the first village under
it); *outside* is the nearest village it does not work in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from shanzhi.core import tree
from shanzhi.people.models import Role
from shanzhi.points import services
from shanzhi.points.models import Award, AwardBatch, Duty, Goods, IncomeSplit, PointRule, Redemption, Shop
from shanzhi.regions.models import Household, Region
from tests import factories
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow
from tests.matrix.registry import api as _api
from tests.matrix.registry import page as _page
from tests.matrix.world import ANONYMOUS, INSIDE, OUTSIDE, SIGNED_IN, World, kind, roster_role

REVIEWER, SHOPKEEPER, ACCOUNTANT = Duty.Kind.REVIEWER.value, Duty.Kind.SHOPKEEPER.value, Duty.Kind.ACCOUNTANT.value
DUTIES = frozenset({REVIEWER, SHOPKEEPER, ACCOUNTANT})
DUTY_HOME = "621023100201"  # 张湾村, where the village roles of tests/factories.py work
OTHER_TOWNSHIP = "621023101000"

# Who may do what (the matrix's own statement, see roles.py).
EVERYONE = SIGNED_IN | DUTIES
STAFF = R.REGION_STAFF | DUTIES  # points and shops of the places they work in
SEE_HOUSEHOLD = STAFF | R.RESIDENT  # a household's points, awards, redemptions
VILLAGE_STAFF = STAFF - R.GRID_TEAM  # records of a village itself (scheme, bulk awards, duties)
SEE_REGION = R.SEE_REGIONS | DUTIES  # a village named by its code
SEE_SHOP = STAFF | R.RESIDENT  # a shop and its goods: also the residents it serves
PROPOSE = R.GRID_TEAM | R.VILLAGE_CADRES  # awards, for a household in their care; in bulk
REVIEW = frozenset({REVIEWER})
CORRECT = frozenset({REVIEWER, "village_secretary"})
RULES = R.VILLAGE_CADRES | R.GOVERNMENT  # rules and templates; the duty roster
PERIODS = R.VILLAGE_CADRES  # the scheme, quarterly reviews, the annual settlement
SHOP_MANAGE = R.VILLAGE_CADRES | {"township_staff"}
SHOP_STOCK = SHOP_MANAGE | {SHOPKEEPER}
REDEEM = frozenset({SHOPKEEPER})
SPLIT_SEE = R.VILLAGE_CADRES | R.GOVERNMENT | {ACCOUNTANT}
SPLIT_APPROVE = frozenset({"village_secretary", "township_staff"})


def api(method: str, path: str, **options: Any) -> Entry:
    return _api(method, path, roles=DUTIES, **options)


def page(name: str, method: str = "GET", **options: Any) -> Entry:
    return _page(name, method, roles=DUTIES, **options)


def _forbidden(allowed: frozenset[str]) -> dict[str, int | str]:
    """A route without a record: everyone signed in but ``allowed`` (and the admin) gets 403."""
    return dict.fromkeys(EVERYONE - allowed - {"admin"}, 403)


def _outside_unknown() -> dict[str, int | str]:
    """A record named in the query: outside its home, no role knows the place (422)."""
    return {f"{role}:{OUTSIDE}": 422 for role in EVERYONE - {"admin"}}


def _today() -> dt.date:
    return timezone.localdate()


def _last_quarter() -> tuple[int, int]:
    today = _today()
    q = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if q == 1 else (today.year, q - 1)


# -- places ------------------------------------------------------------------------------

def _first_village_under(region: Region) -> Region:
    return Region.objects.filter(path__startswith=region.path, level=Region.Level.VILLAGE).order_by("code").first()


def _village(world: World, role: str, placement: str) -> Region:
    who = "grid_worker" if role == ANONYMOUS else role
    home = world.home(who)
    if home.level >= Region.Level.VILLAGE:
        village = Region.objects.get(path__in=tree.ancestors(home.path), level=Region.Level.VILLAGE)
        if placement == INSIDE:
            return village
        return Region.objects.filter(parent_id=village.parent_id, level=Region.Level.VILLAGE).exclude(
            pk=village.pk).order_by("code").first()
    return _first_village_under(home if placement == INSIDE else world.outside(who))


def _cached(world: World, key: tuple[Any, ...], make: Any) -> Any:
    full = ("points", *key)
    if full not in world.cache:
        world.cache[full] = make()
    return world.cache[full]


def _admin(world: World) -> Any:
    return world.users["admin"]


def _clerk(world: World) -> Any:
    """A second administrator who proposes awards and prepares splits, so the matrix's
    administrator may approve them (nobody approves their own)."""
    return _cached(world, ("clerk",), lambda: factories.user("u_points_clerk", role=Role.ADMIN,
                                                               region=world.county.county))


# -- the records -------------------------------------------------------------------------

def _rule(world: World, village: Region) -> PointRule:
    def make() -> PointRule:
        return services.rule_create(actor=_admin(world), region=village, data=services.RuleInput(
            category="sanitation", item=f"矩阵清洁家园{village.code}", points=5, valid_from=dt.date(2024, 1, 1),
            meeting_date=dt.date(2023, 12, 20), meeting_record="村民大会表决通过"))

    return _cached(world, ("rule", village.pk), make)


def _template(world: World, township: Region) -> PointRule:
    def make() -> PointRule:
        return services.rule_create(actor=_admin(world), region=township, data=services.RuleInput(
            category="customs", item=f"矩阵移风易俗{township.code}", points=6, valid_from=dt.date(2024, 1, 1)))

    return _cached(world, ("template", township.pk), make)


def _shop(world: World, village: Region) -> Shop:
    def make() -> Shop:
        shop = services.shop_create(actor=_admin(world), region=village, name=f"{village.name}爱心超市")
        rice = services.goods_create(actor=_admin(world), shop=shop, name="矩阵大米", points_price=2, value_fen=1200)
        services.stock_in(actor=_admin(world), goods=rice, quantity=20)
        return shop

    return _cached(world, ("shop", village.pk), make)


def _goods(world: World, village: Region) -> Goods:
    return Goods.objects.get(shop=_shop(world, village), name="矩阵大米")


def _award(world: World, household: Household, *, approved: bool = False, photo: bool = False) -> Award:
    def make() -> Award:
        village = household.village
        evidence = None
        if photo:
            evidence = SimpleUploadedFile("p.png", PNG, content_type="image/png")
        award = services.award_propose(actor=_clerk(world), household=household, rule=_rule(world, village),
                                       occurred_on=_today(), note="矩阵", evidence=evidence)
        if approved:
            services.award_approve(actor=_admin(world), award=award)
        return award

    return Award.objects.get(pk=_cached(world, ("award", household.pk, approved, photo), make).pk)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def _household_of(world: World, role: str, placement: str) -> Household:
    return world.household("grid_worker" if role == ANONYMOUS else role, placement)


def _params(obj: Any) -> dict[str, Any]:
    return {"pk": obj.pk}


@kind("points_village", params=lambda v: {"code": v.code, "year": _last_quarter()[0], "quarter": _last_quarter()[1]},
      key=lambda v: v.code, item_field="code", text=lambda v: v.name)
def _village_kind(world: World, role: str, placement: str) -> Region:
    return _village(world, role, placement)


@kind("points_rule", params=lambda r: {"rule_id": r.pk, "pk": r.pk}, text=lambda r: r.item)
def _rule_kind(world: World, role: str, placement: str) -> PointRule:
    return _rule(world, _village(world, role, placement))


@kind("points_template", params=lambda r: {"rule_id": r.pk, "pk": r.pk}, text=lambda r: r.item)
def _template_kind(world: World, role: str, placement: str) -> PointRule:
    """The template of the township of the role's village; outside, of a township it does
    not work in."""
    inside = _village(world, role, INSIDE).parent
    if placement == INSIDE:
        return _template(world, inside)
    outside = _village(world, role, OUTSIDE).parent
    if outside.pk == inside.pk:
        outside = world.region(OTHER_TOWNSHIP)
    return _template(world, outside)


@kind("points_award", params=lambda a: {"award_id": a.pk, "pk": a.pk, "step": "approve"},
      text=lambda a: f'href="{reverse("points:award", args=[a.pk])}"')
def _award_kind(world: World, role: str, placement: str) -> Award:
    """Proposed for the role's household (the resident's own, or one in the role's home)."""
    return _award(world, _household_of(world, role, placement))


@kind("points_approved_award", params=lambda a: {"award_id": a.pk, "pk": a.pk, "step": "reverse"})
def _approved_kind(world: World, role: str, placement: str) -> Award:
    return _award(world, _household_of(world, role, placement), approved=True)


@kind("points_award_photo", params=lambda a: {"award_id": a.pk, "pk": a.pk})
def _photo_kind(world: World, role: str, placement: str) -> Award:
    return _award(world, _household_of(world, role, placement), photo=True)


@kind("points_earner", params=lambda h: {"household_id": h.pk}, item_field="household_id")
def _earner_kind(world: World, role: str, placement: str) -> Household:
    """A household with points this month (the role's, or the resident's own)."""
    household = _household_of(world, role, placement)
    _award(world, household, approved=True)
    return household


@kind("points_batch", params=lambda b: {"batch_id": b.pk, "pk": b.pk})
def _batch_kind(world: World, role: str, placement: str) -> AwardBatch:
    household = _household_of(world, role, placement)

    def make() -> AwardBatch:
        return services.award_bulk_propose(actor=_clerk(world), village=household.village,
                                           rule=_rule(world, household.village), households=[household],
                                           occurred_on=_today() - dt.timedelta(days=1))

    return _cached(world, ("batch", household.pk), make)


@kind("points_shop", params=lambda s: {"shop_id": s.pk, "pk": s.pk}, text=lambda s: s.name)
def _shop_kind(world: World, role: str, placement: str) -> Shop:
    """The shop of the role's village (the resident's own village)."""
    return _shop(world, _village(world, role, placement))


@kind("points_goods", params=lambda g: {"goods_id": g.pk, "pk": g.pk})
def _goods_kind(world: World, role: str, placement: str) -> Goods:
    return _goods(world, _village(world, role, placement))


@kind("points_redeemer", params=lambda h: {"household_id": h.pk})
def _redeemer_kind(world: World, role: str, placement: str) -> Household:
    """A household with points to spend at its village's shop."""
    household = _household_of(world, role, placement)
    _award(world, household, approved=True)
    _shop(world, household.village)
    return household


def _redemption(world: World, household: Household) -> Redemption:
    def make() -> Redemption:
        _award(world, household, approved=True)
        shop = _shop(world, household.village)
        return services.redeem(actor=_admin(world), shop=shop, household=household,
                               lines=[(_goods(world, household.village).pk, 1)])

    return _cached(world, ("redemption", household.pk), make)


@kind("points_redemption", params=lambda r: {"redemption_id": r.pk, "pk": r.pk})
def _redemption_kind(world: World, role: str, placement: str) -> Redemption:
    return _redemption(world, _household_of(world, role, placement))


def _split(world: World, village: Region, year: int) -> IncomeSplit:
    def make() -> IncomeSplit:
        return services.split_prepare(actor=_clerk(world), village=village, year=year, income_fen=1_000_000)

    return IncomeSplit.objects.get(pk=_cached(world, ("split", village.pk, year), make).pk)


@kind("points_split", params=lambda s: {"split_id": s.pk, "pk": s.pk}, text=lambda s: f"{s.year}")
def _split_kind(world: World, role: str, placement: str) -> IncomeSplit:
    return _split(world, _village(world, role, placement), _today().year - 1)


def _duty(world: World, village: Region) -> Duty:
    def make() -> Duty:
        user = factories.user(f"u_points_council_{village.code}")
        return services.duty_assign(actor=_admin(world), user=user, kind=REVIEWER, region=village,
                                    start_date=dt.date(2024, 1, 1))

    return _cached(world, ("duty", village.pk), make)


@kind("points_duty", params=lambda d: {"duty_id": d.pk, "pk": d.pk})
def _duty_kind(world: World, role: str, placement: str) -> Duty:
    return _duty(world, _village(world, role, placement))


# -- the duties: the matrix's roster roles --------------------------------------------------

def _enrol(kind_: str) -> Any:
    def enrol(world: World, user: Any, home: Region) -> None:
        shop = _shop(world, home) if kind_ == SHOPKEEPER else None
        services.duty_assign(actor=_admin(world), user=user, kind=kind_, region=home, shop=shop,
                             start_date=dt.date(2020, 1, 1))

    return enrol


for _kind in sorted(DUTIES):
    roster_role(_kind, home=DUTY_HOME, enrol=_enrol(_kind))


# -- bodies ------------------------------------------------------------------------------

def _rule_body(world: World, role: str, obj: Any) -> dict[str, Any]:
    return {"category": "filial_piety", "item": "矩阵孝老爱亲", "points": 3, "valid_from": _today().isoformat(),
            "meeting_date": _today().isoformat(), "meeting_record": "村民大会表决通过"}


def _adopt_body(world: World, role: str, template: PointRule) -> dict[str, Any]:
    inside = _village(world, role, INSIDE)
    village = inside if inside.path.startswith(template.region_path) else _first_village_under(template.region)
    return {"village": village.code, "meeting_date": _today().isoformat(), "meeting_record": "村民大会表决通过"}


def _propose_body(world: World, role: str, household: Household) -> dict[str, Any]:
    return {"household_id": household.pk, "rule_id": _rule(world, household.village).pk,
            "occurred_on": _today().isoformat(), "note": "矩阵"}


def _bulk_body(world: World, role: str, village: Region) -> dict[str, Any]:
    household = _household_of(world, role, INSIDE)
    if household.village_id != village.pk:
        household = Household.objects.filter(village=village).order_by("number").first()
    return {"village": village.code, "rule_id": _rule(world, village).pk, "occurred_on": _today().isoformat(),
            "households": household.number}


def _redeem_body(world: World, role: str, household: Household) -> dict[str, Any]:
    return {"shop_id": _shop(world, household.village).pk, "household_id": household.pk,
            "lines": [{"goods_id": _goods(world, household.village).pk, "quantity": 1}]}


def _bulk_query(world: World, role: str, obj: Any) -> dict[str, Any]:
    return {"village": _village(world, role, INSIDE).code}


# -- growing lists (the flat query-count test) --------------------------------------------------

def _new_households(world: World, n: int) -> list[Household]:
    grid = world.county.grids[0]
    return [factories.household(grid, members=1) for _ in range(n)]


def _grow_rules(world: World, n: int) -> None:
    village = _village(world, "county_staff", INSIDE)
    for _ in range(n):
        services.rule_create(actor=_admin(world), region=village, data=services.RuleInput(
            category="honesty", item="矩阵诚实守信", points=2, valid_from=dt.date(2024, 1, 1),
            meeting_date=dt.date(2023, 12, 20), meeting_record="村民大会表决通过"))


def _grow_awards(world: World, n: int, *, approve: bool = False) -> None:
    for household in _new_households(world, n):
        award = services.award_propose(actor=_clerk(world), household=household,
                                       rule=_rule(world, household.village), occurred_on=_today())
        if approve:
            services.award_approve(actor=_admin(world), award=award)


def _grow_splits(world: World, n: int) -> None:
    village = _village(world, "county_staff", INSIDE)
    start = 2000 + world.cache.setdefault(("points", "split_years"), 0)
    for year in range(start, start + n):
        _split(world, village, year)
    world.cache[("points", "split_years")] += n


ENTRIES: list[Entry] = [
    # -- rules -----------------------------------------------------------------------------
    api("GET", "/api/points/rules", kind="points_rule", lists=True, visible=STAFF | R.RESIDENT,
        grow=Grow(_grow_rules)),
    api("POST", "/api/points/rules", kind="points_village", visible=STAFF, allowed=RULES, ok=201, hidden=422,
        outside=422, body=lambda w, role, v: {"region": v.code, **_rule_body(w, role, v)},
        expect={"department_staff:inside": 404},
        note="the village is named in the body (unknown to a resident: 422); a county department sees the "
             "village but no points at all (404)"),
    api("GET", "/api/points/rules/{rule_id}", kind="points_rule", visible=STAFF | R.RESIDENT),
    api("POST", "/api/points/rules/{rule_id}/revise", kind="points_rule", visible=STAFF | R.RESIDENT, allowed=RULES,
        ok=201, body=_rule_body),
    api("POST", "/api/points/rules/{rule_id}/adopt", kind="points_template", visible=STAFF | R.RESIDENT,
        allowed=RULES, ok=201, body=_adopt_body, expect={"resident:inside": 422},
        note="a resident sees the template but not the village named in the body"),
    api("GET", "/api/points/schemes/{code}", kind="points_village", visible=VILLAGE_STAFF),
    api("PATCH", "/api/points/schemes/{code}", kind="points_village", visible=VILLAGE_STAFF, allowed=PERIODS,
        body=lambda w, role, v: {"board_top": 10}),

    # -- awards ----------------------------------------------------------------------------
    api("GET", "/api/points/awards", kind="points_award", lists=True, visible=SEE_HOUSEHOLD,
        grow=Grow(_grow_awards)),
    api("GET", "/api/points/awards/queue", kind="points_award", lists=True, visible=REVIEW,
        grow=Grow(_grow_awards, role=REVIEWER), note="proposals waiting for the viewer's council"),
    api("POST", "/api/points/awards", kind="household", visible=SEE_HOUSEHOLD, allowed=PROPOSE | R.RESIDENT, ok=201,
        hidden=422, outside=422, form=True, body=_propose_body,
        note="multipart (a photo may come with it); the household is named in the body"),
    api("GET", "/api/points/awards/{award_id}", kind="points_award", visible=SEE_HOUSEHOLD),
    api("PATCH", "/api/points/awards/{award_id}", kind="points_award", visible=SEE_HOUSEHOLD, allowed=frozenset(),
        body=lambda w, role, a: {"note": "补充说明"}, expect={"admin": 403},
        note="only the proposer edits a proposal (the matrix's proposer is another administrator)"),
    api("POST", "/api/points/awards/{award_id}/approve", kind="points_award", visible=SEE_HOUSEHOLD, allowed=REVIEW,
        body=lambda w, role, a: {"note": ""}),
    api("POST", "/api/points/awards/{award_id}/reject", kind="points_award", visible=SEE_HOUSEHOLD, allowed=REVIEW,
        body=lambda w, role, a: {"reason": "证据不足"}),
    api("POST", "/api/points/awards/{award_id}/withdraw", kind="points_award", visible=SEE_HOUSEHOLD,
        allowed=frozenset(), expect={"admin": 403}, note="only the proposer withdraws a proposal"),
    api("POST", "/api/points/awards/{award_id}/reverse", kind="points_approved_award", visible=SEE_HOUSEHOLD,
        allowed=CORRECT, body=lambda w, role, a: {"reason": "误记"}),
    api("POST", "/api/points/awards/bulk", kind="points_village", visible=SEE_REGION, allowed=PROPOSE, ok=201,
        hidden=422, outside=422, form=True, body=_bulk_body, note="the village is named in the body"),
    api("POST", "/api/points/batches/{batch_id}/approve", kind="points_batch", visible=VILLAGE_STAFF, allowed=REVIEW,
        body=lambda w, role, b: {"note": ""}),

    # -- a household's points ----------------------------------------------------------------
    api("GET", "/api/points/households/{household_id}", kind="household", visible=SEE_HOUSEHOLD),
    api("GET", "/api/points/households/{household_id}/card.svg", kind="household", visible=SEE_HOUSEHOLD),

    # -- periods ---------------------------------------------------------------------------
    api("GET", "/api/points/ranking", kind="points_earner", lists=True, visible=STAFF,
        query=lambda w, role, h: {"region": h.grid.code},
        expect={"resident": 422, "department_staff:inside": 404, **_outside_unknown()},
        grow=Grow(lambda w, n: _grow_awards(w, n, approve=True)),
        note="the ranking of the household's grid: a place the caller does not know is 422, one it knows but "
             "may not rank is 404; without a region, the caller's own place"),
    api("GET", "/api/points/board/{code}", kind="points_village", visible=SEE_REGION | R.RESIDENT,
        note="the village's public board: its residents and the staff who know the village"),
    api("GET", "/api/points/quarters/{code}/{year}/{quarter}", kind="points_village", visible=STAFF),
    api("POST", "/api/points/quarters/{code}/{year}/{quarter}/close", kind="points_village", visible=VILLAGE_STAFF,
        allowed=PERIODS, ok=201),
    api("POST", "/api/points/settlements", kind="points_village", visible=VILLAGE_STAFF, allowed=PERIODS, ok=201,
        outside=422, body=lambda w, role, v: {"village": v.code, "year": _today().year - 1},
        expect={"resident:inside": 422}, note="the village is named in the body"),
    api("GET", "/api/points/figures", kind="points_village", visible=STAFF, outside=422,
        query=lambda w, role, v: {"region": v.code}, expect={"resident:inside": 422}),

    # -- the shop --------------------------------------------------------------------------
    api("GET", "/api/points/shops", kind="points_shop", lists=True, visible=SEE_SHOP, items=lambda body: body),
    api("POST", "/api/points/shops", kind="points_village", visible=STAFF, allowed=SHOP_MANAGE, ok=201, hidden=422,
        outside=422, body=lambda w, role, v: {"region": v.code, "name": "矩阵新爱心超市"},
        expect={"department_staff:inside": 404}),
    api("GET", "/api/points/shops/{shop_id}/goods", kind="points_shop", visible=SEE_SHOP),
    api("POST", "/api/points/shops/{shop_id}/goods", kind="points_shop", visible=SEE_SHOP, allowed=SHOP_STOCK, ok=201,
        body=lambda w, role, s: {"name": "矩阵新货品", "points_price": 5, "value_fen": 1000}),
    api("PATCH", "/api/points/goods/{goods_id}", kind="points_goods", visible=SEE_SHOP, allowed=SHOP_STOCK,
        body=lambda w, role, g: {"points_price": 9}),
    api("POST", "/api/points/goods/{goods_id}/stock", kind="points_goods", visible=SEE_SHOP, allowed=SHOP_STOCK,
        ok=201, body=lambda w, role, g: {"quantity": 5}),
    api("GET", "/api/points/shops/{shop_id}/lookup", kind="points_shop", visible=SEE_SHOP, allowed=REDEEM,
        query=lambda w, role, s: {"q": Household.objects.filter(village_id=s.region_id).order_by("number")
                                  .values_list("number", flat=True).first()}),
    api("POST", "/api/points/redemptions", kind="points_redeemer", visible=SEE_HOUSEHOLD, allowed=REDEEM, ok=201,
        hidden=422, outside=422, body=_redeem_body, note="the shop and the household are named in the body"),
    api("GET", "/api/points/redemptions/{redemption_id}", kind="points_redemption", visible=SEE_HOUSEHOLD),

    # -- the 4-3-2-1 split -----------------------------------------------------------------------
    api("GET", "/api/points/splits", kind="points_split", lists=True, visible=SPLIT_SEE, grow=Grow(_grow_splits)),
    api("POST", "/api/points/splits", kind="points_village", visible=SPLIT_SEE, allowed=frozenset({ACCOUNTANT}), ok=201,
        outside=422, body=lambda w, role, v: {"village": v.code, "year": _today().year - 2, "income_fen": 500_000},
        expect={"resident:inside": 422}, note="the village is named in the body"),
    api("GET", "/api/points/splits/{split_id}", kind="points_split", visible=SPLIT_SEE),
    api("POST", "/api/points/splits/{split_id}/approve", kind="points_split", visible=SPLIT_SEE,
        allowed=SPLIT_APPROVE),
    api("GET", "/api/points/splits/{split_id}/export.xlsx", kind="points_split", visible=SPLIT_SEE),

    # -- the duty roster ---------------------------------------------------------------------
    api("GET", "/api/points/duties", kind="points_duty", lists=True, visible=RULES, items=lambda body: body),
    api("POST", "/api/points/duties", kind="points_village", visible=VILLAGE_STAFF, allowed=RULES, ok=201,
        outside=422, body=lambda w, role, v: {"username": w.other["appointee"].username, "kind": REVIEWER,
                                              "region": v.code},
        expect={"resident:inside": 422}, note="the village is named in the body"),
    api("POST", "/api/points/duties/{duty_id}/end", kind="points_duty", visible=RULES),

    # -- pages -----------------------------------------------------------------------------
    page("points:index"),
    page("points:me", expect=dict.fromkeys(EVERYONE - R.RESIDENT, 404), note="a resident's own household"),
    page("points:card", kind="household", visible=SEE_HOUSEHOLD),
    page("points:card_svg", kind="household", visible=SEE_HOUSEHOLD),
    page("points:propose", expect=_forbidden(PROPOSE | R.RESIDENT)),
    page("points:bulk", expect=_forbidden(PROPOSE), query=_bulk_query),
    page("points:awards", kind="points_award", lists=True, visible=SEE_HOUSEHOLD),
    page("points:award", kind="points_award", visible=SEE_HOUSEHOLD),
    page("points:evidence", kind="points_award_photo", visible=SEE_HOUSEHOLD),
    page("points:award_step", method="POST", kind="points_award", visible=SEE_HOUSEHOLD, allowed=REVIEW, ok=302),
    page("points:batch_approve", method="POST", kind="points_batch", visible=VILLAGE_STAFF, allowed=REVIEW, ok=302),
    page("points:review", expect=_forbidden(REVIEW)),
    page("points:rules", kind="points_village", visible=SEE_REGION),
    page("points:ranking", kind="points_village", visible=STAFF),
    page("points:board", kind="points_village", visible=SEE_REGION | R.RESIDENT),
    page("points:quarter", kind="points_village", visible=STAFF),
    page("points:settings", kind="points_village", visible=VILLAGE_STAFF),
    page("points:figures", kind="points_village", visible=STAFF),
    page("points:shops"),
    page("points:shop", kind="points_shop", visible=SEE_SHOP),
    page("points:counter", kind="points_shop", visible=SEE_SHOP, allowed=REDEEM),
    page("points:stock", kind="points_shop", visible=SEE_SHOP, allowed=SHOP_STOCK),
    page("points:receipt", kind="points_redemption", visible=SEE_HOUSEHOLD),
    page("points:splits", expect=_forbidden(SPLIT_SEE)),
    page("points:split", kind="points_split", visible=SPLIT_SEE),
    page("points:split", method="POST", kind="points_split", visible=SPLIT_SEE, allowed=SPLIT_APPROVE, ok=302),
    page("points:split_export", kind="points_split", visible=SPLIT_SEE),
]
