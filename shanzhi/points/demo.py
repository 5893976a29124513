"""A year of points in the demo county, shaped like Huachi (seed 000): every village has
its rules (the 12 kinds of good conduct, 1–10 points, a few deductions) and a points shop
stocked by caring enterprises; about 4,200 households earn about 86,000 points over the
last twelve months and redeem goods worth about 500,000 yuan.

Written in bulk (``ledger.post_many``) but through the same ledger invariants, so
``shanzhi verify-ledger`` finds no difference afterwards. Deterministic for a given rng.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections import defaultdict
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from shanzhi.core.models import StateChange
from shanzhi.ledger import services as ledger
from shanzhi.ledger.models import LedgerTransaction
from shanzhi.people.models import User
from shanzhi.points import services
from shanzhi.points.models import (
    Award,
    Duty,
    Goods,
    PointRule,
    Redemption,
    RedemptionLine,
    Shop,
    StockMovement,
    VillageScheme,
)
from shanzhi.regions.models import Household, Region

HOUSEHOLDS = 4200
POINTS = 86_000

# Huachi's 12 kinds of good conduct written into the village rules (seed 000 names two:
# filial piety and a clean home), worth 1 to 10 points, and two deductions.
RULES: list[tuple[str, str, int, str, int | None]] = [
    ("filial_piety", "孝老爱亲：照料老人、赡养父母", 5, "", None),
    ("sanitation", "清洁家园：庭院整洁、垃圾分类", 3, "month", 1),
    ("public_welfare", "参加义务劳动、公益活动", 4, "", None),
    ("neighbourliness", "邻里互助、调解邻里纠纷", 3, "", None),
    ("customs", "红白事简办、移风易俗", 8, "", None),
    ("law_abiding", "遵纪守法、无违法记录", 2, "quarter", 1),
    ("honesty", "诚实守信、按时还贷", 2, "quarter", 1),
    ("education", "子女考上大学或获得表彰", 10, "year", 1),
    ("diligence", "勤劳致富、带动乡邻", 6, "", None),
    ("village_affairs", "参加村民大会、议事会", 2, "month", 1),
    ("safety", "禁毒禁赌、消防安全", 2, "quarter", 1),
    ("thrift", "见义勇为、好人好事", 10, "", None),
    ("sanitation", "乱倒垃圾、乱堆乱放", -3, "", None),
    ("customs", "大操大办、高价彩礼", -5, "", None),
]
RULE_WEIGHTS = [10, 16, 12, 10, 3, 8, 6, 1, 5, 10, 5, 2, 3, 1]

# (name, unit, points price, value in fen): one point buys about six yuan of goods.
GOODS = [
    ("面粉10kg", "袋", 7, 4200), ("大米5kg", "袋", 6, 3600), ("菜籽油5L", "桶", 12, 7200),
    ("洗衣粉2kg", "袋", 3, 1800), ("牙膏", "支", 2, 1200), ("毛巾", "条", 2, 1200), ("挂面2kg", "把", 3, 1800),
]
DONORS = ["庆阳长庆油田爱心基金", "华池县农村信用社", "庆阳市粮油公司", "华池县供销社", "甘肃某乳业公司",
          "华池县商会", "柔远镇爱心企业联合会", "南梁红色旅游公司"]


def _users(county: Region) -> dict[str, Any]:
    """The demo's points duties: a reviewer, a shopkeeper and an accountant in the demo
    village, with the demo's password (copied from an existing demo account)."""
    staff = User.objects.filter(positions__region_path__startswith=county.path).order_by("id")
    proposer = User.objects.filter(username="gridworker").first() or staff.first()
    template = User.objects.filter(username="committee").first() or proposer
    made = {}
    for username, full_name in (("reviewer", "道德评议会 杨德明"), ("shopkeeper", "爱心超市 马秀兰"),
                                ("accountant", "村会计 高建平")):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, password=template.password if template else "!")
            user.save()
        made[username] = user
    return {"proposer": proposer, **made}


@transaction.atomic
def build_demo(county: Region, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    today = timezone.localdate()
    start = today - dt.timedelta(days=365)
    villages = list(Region.objects.filter(path__startswith=county.path, level=Region.Level.VILLAGE).order_by("code"))
    if not villages or Award.objects.filter(county=county).exists():
        return {}
    users = _users(county)
    proposer, reviewer = users["proposer"], users["reviewer"]
    meeting = start - dt.timedelta(days=20)

    # Rules, schemes and shops for every village.
    rules: dict[int, list[PointRule]] = {}
    shops: dict[int, Shop] = {}
    PointRule.objects.bulk_create([
        PointRule(code=f"R{i + 1:03d}", version=1, region=v, region_path=v.path, county=county, category=cat,
                  item=item, points=pts, evidence_required=pts >= 8, limit_count=n, limit_period=period,
                  valid_from=meeting, meeting_date=meeting,
                  meeting_record=f"{v.name}村民大会表决通过《村规民约》积分条款")
        for v in villages for i, (cat, item, pts, period, n) in enumerate(RULES)
    ], batch_size=2000)
    for r in PointRule.objects.filter(region__in=villages).order_by("region_id", "code"):
        rules.setdefault(r.region_id, []).append(r)
    VillageScheme.objects.bulk_create([VillageScheme(village=v, region_path=v.path) for v in villages],
                                      ignore_conflicts=True)
    Shop.objects.bulk_create([Shop(name=f"{v.name}爱心超市", region=v, region_path=v.path, county=county,
                                   address=f"{v.name}党群服务中心", opening_hours="周一至周六 9:00-17:00")
                              for v in villages], ignore_conflicts=True)
    for s in Shop.objects.filter(region__in=villages):
        shops[s.region_id] = s
    Goods.objects.bulk_create([Goods(shop=s, region_path=s.region_path, name=name, unit=unit, points_price=price,
                                     value_fen=fen, donor=rng.choice(DONORS), stock=0)
                               for s in shops.values() for name, unit, price, fen in GOODS])
    goods: dict[int, list[Goods]] = defaultdict(list)
    for g in Goods.objects.filter(shop__in=shops.values()).order_by("-points_price", "id"):
        goods[g.shop_id].append(g)
    village = next((v for v in villages if v.code == "621023100201"), villages[0])
    Duty.objects.bulk_create([
        Duty(user=reviewer, kind=Duty.Kind.REVIEWER, region=village, region_path=village.path, start_date=start),
        Duty(user=users["shopkeeper"], kind=Duty.Kind.SHOPKEEPER, region=village, shop=shops[village.pk],
             region_path=village.path, start_date=start),
        Duty(user=users["accountant"], kind=Duty.Kind.ACCOUNTANT, region=village, region_path=village.path,
             start_date=start),
    ])

    # Who takes part: about 4,200 households (all of them in a small county).
    homes = list(Household.objects.filter(county=county).order_by("id").only("id", "village_id", "region_path",
                                                                                "county_id", "number"))
    taking_part = homes if len(homes) <= HOUSEHOLDS else rng.sample(homes, HOUSEHOLDS)
    target = POINTS * len(taking_part) // HOUSEHOLDS if len(taking_part) < HOUSEHOLDS else POINTS
    taking_part.sort(key=lambda h: h.pk)

    # Awards until the year's points reach the target; limits respected.
    used: set[tuple[int, str, str]] = set()
    planned: list[tuple[Household, PointRule, dt.date]] = []
    total = 0
    activity = list(accumulate(rng.random() ** 2 + 0.05 for _ in taking_part))
    rule_weights = list(accumulate(RULE_WEIGHTS))
    first = iter(taking_part)  # every household taking part earns at least once
    while total < target:
        h = next(first, None) or rng.choices(taking_part, cum_weights=activity)[0]
        rule = rng.choices(rules[h.village_id], cum_weights=rule_weights)[0]
        day = start + dt.timedelta(days=rng.randrange(1, 365))
        if rule.limit_period:
            key = {"month": f"{day:%Y%m}", "quarter": f"{day.year}Q{(day.month - 1) // 3}", "year": str(day.year)}
            slot = (h.pk, rule.code, key[rule.limit_period])
            if slot in used:
                continue
            used.add(slot)
        if rule.points < 0 and total < target // 10:
            continue
        planned.append((h, rule, day))
        total += rule.points
    planned.sort(key=lambda p: (p[2], p[0].pk))
    now = timezone.now()

    # Proposed, then posted to the ledger in bulk, then approved in one statement that
    # links each award to its transaction (the award's id is the transaction's reference).
    sources = [rng.choice(["grid", "grid", "village", "household"]) for _ in planned]
    award_ids = _insert(Award, ["household_id", "village_id", "region_path", "county_id", "rule_id", "points",
                                "occurred_on", "source", "proposed_by_id", "state", "reviewed_by_id", "reviewed_at"],
                        [(h.pk, h.village_id, h.region_path, county.pk, rule.pk, rule.points, day, source,
                          proposer.pk if proposer else None, "proposed", reviewer.pk, _at(day, 16))
                         for (h, rule, day), source in zip(planned, sources, strict=True)], returning=True)
    issuers = {v.pk: services.issuer_account(v) for v in villages}
    accounts = services.household_accounts(taking_part)
    ledger.post_many([
        ledger.Posting(kind=services.AWARD if rule.points > 0 else services.DEDUCTION, effective_on=day,
                       lines=[(issuers[h.village_id], -rule.points), (accounts[h.pk], rule.points)],
                       memo=rule.item[:200], reference_type="points.award", reference_id=str(award_id),
                       region_path=h.region_path, actor=reviewer)
        for award_id, (h, rule, day) in zip(award_ids, planned, strict=True)
    ])
    posted = LedgerTransaction.objects.filter(reference_type="points.award",
                                              reference_id=Cast(OuterRef("pk"), CharField())).values("pk")[:1]
    Award.objects.filter(county=county, state="proposed", reviewed_by=reviewer).update(
        state="approved", ledger_transaction=Subquery(posted))
    ct = ContentType.objects.get_for_model(Award)
    proposer_name, reviewer_name = proposer.get_full_name() if proposer else "", reviewer.get_full_name()
    _insert(StateChange, ["content_type_id", "object_id", "workflow", "transition", "from_state", "to_state",
                          "actor_id", "actor_name", "at"],
            [row for award_id, (_h, _rule, day) in zip(award_ids, planned, strict=True) for row in (
                (ct.pk, award_id, "award", "create", "", "proposed", proposer.pk if proposer else None,
                 proposer_name, now),
                (ct.pk, award_id, "award", "approve", "proposed", "approved", reviewer.pk, reviewer_name,
                 _at(day, 16)))])

    # Redemptions: households come to the shop after earning, and spend most of it.
    by_home: dict[int, list[tuple[PointRule, dt.date]]] = defaultdict(list)
    for h, rule, day in planned:
        by_home[h.pk].append((rule, day))
    visits: list[tuple[Household, dt.date, list[tuple[Goods, int]]]] = []
    home_by_id = {h.pk: h for h in taking_part}
    for hid, earned in by_home.items():
        balance = 0
        for i, (rule, occurred) in enumerate(earned):
            balance += rule.points
            last = i == len(earned) - 1
            if balance < (2 if last else 6) or (not last and rng.random() < 0.55):
                continue
            day = min(occurred + dt.timedelta(days=rng.randrange(1, 25)), today - dt.timedelta(days=1))
            basket: list[tuple[Goods, int]] = []
            shelf = goods[shops[home_by_id[hid].village_id].pk]
            for g in rng.sample(shelf, len(shelf)):
                n = balance // g.points_price if last else min(balance // g.points_price, rng.randrange(0, 3))
                if n:
                    basket.append((g, n))
                    balance -= g.points_price * n
            if basket:
                visits.append((home_by_id[hid], day, basket))
    visits.sort(key=lambda v: (v[1], v[0].pk))
    shop_accounts = {s.pk: services.shop_account(s) for s in shops.values()}
    numbers = [f"R{day:%Y%m%d}{i:06d}" for i, (_h, day, _b) in enumerate(visits)]
    points_of = [sum(g.points_price * n for g, n in basket) for _h, _d, basket in visits]
    value_of = [sum(g.value_fen * n for g, n in basket) for _h, _d, basket in visits]
    times = [_at(day, 10, rng.randrange(60)) for _h, day, _b in visits]
    clerk = users["shopkeeper"]
    red_txs = ledger.post_many([
        ledger.Posting(kind=services.REDEMPTION, effective_on=day, memo=number, region_path=h.region_path,
                       actor=clerk, lines=[(accounts[h.pk], -pts), (shop_accounts[shops[h.village_id].pk], pts)])
        for (h, day, _basket), number, pts in zip(visits, numbers, points_of, strict=True)
    ])
    redemption_ids = _insert(
        Redemption, ["number", "shop_id", "household_id", "region_path", "shop_path", "county_id", "points",
                     "value_fen", "ledger_transaction_id", "clerk_id", "at"],
        [(number, shops[h.village_id].pk, h.pk, h.region_path, shops[h.village_id].region_path, county.pk, pts,
          value, tx, clerk.pk, at)
         for (h, _d, _b), number, pts, value, tx, at in zip(visits, numbers, points_of, value_of, red_txs, times,
                                                             strict=True)], returning=True)
    _insert(RedemptionLine, ["redemption_id", "goods_id", "name", "quantity", "points_price", "value_fen"],
            [(rid, g.pk, g.name, n, g.points_price, g.value_fen)
             for rid, (_h, _d, basket) in zip(redemption_ids, visits, strict=True) for g, n in basket])
    taken: dict[int, int] = defaultdict(int)
    movements: list[tuple[Any, ...]] = []
    for rid, (_h, _day, basket), at in zip(redemption_ids, visits, times, strict=True):
        for g, n in basket:
            taken[g.pk] += n
            movements.append((g.pk, g.region_path, "redemption", -n, g.value_fen * n, "", rid, clerk.pk, at))
    stock_in: list[tuple[Any, ...]] = []
    for shelf in goods.values():
        for g in shelf:
            arrived = taken[g.pk] + rng.randrange(10, 60)
            stock_in.append((g.pk, g.region_path, "donation", arrived, g.value_fen * arrived, g.donor, None, clerk.pk,
                             _at(start, 9)))
            g.stock = arrived - taken[g.pk]
    _insert(StockMovement, ["goods_id", "region_path", "kind", "quantity", "value_fen", "donor", "redemption_id",
                            "actor_id", "at"], stock_in + movements)
    Goods.objects.bulk_update([g for shelf in goods.values() for g in shelf], ["stock"], batch_size=500)
    summary = {"households": len(by_home), "awards": len(planned), "points": total,
               "redemptions": len(visits), "points_redeemed": sum(points_of),
               "value_redeemed_yuan": sum(value_of) // 100}
    if stdout is not None:
        stdout.write("points: {households} households, {awards} awards, {points} points; {redemptions} redemptions "
                     "of {points_redeemed} points, goods worth {value_redeemed_yuan} yuan".format(**summary))
    return summary


@functools.cache
def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _insert(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
            returning: bool = False) -> list[int]:
    """Rows straight into ``model``'s table. The demo's year is about 150,000 rows, and
    building a model instance and preparing every value through its field would be most of
    its time. ``columns`` are attribute names (``household_id`` for a foreign key) and the
    values are what the database takes; every other column gets what Django would give it (its
    default, an empty text, now for the auto_now fields). With ``returning``, the new ids in the order of ``rows``: ids
    come from the sequence in the order of the VALUES, so sorting each statement's
    RETURNING pairs them with the rows."""
    ops = connection.ops
    now = timezone.now()
    fields = [_concrete(model, c) for c in columns]
    rest = [f for f in model._meta.concrete_fields if not f.primary_key and f not in fields]
    fixed: list[Any] = []
    for f in rest:
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        fixed.append(f.get_db_prep_save(now if auto else f.get_default(), connection))
    adapt = [(i, ops.adapt_datetimefield_value if isinstance(f, models.DateTimeField) else ops.adapt_datefield_value)
             for i, f in enumerate(fields) if isinstance(f, models.DateField)]
    memo: dict[Any, Any] = {}  # a year holds few distinct days and times
    prepared = []
    for row in rows:
        values = list(row)
        for i, adapter in adapt:
            key = (i, values[i])
            if key not in memo:
                memo[key] = adapter(values[i])
            values[i] = memo[key]
        prepared.append((*values, *fixed))
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in [*fields, *rest])
    one = "(" + ", ".join(["%s"] * (len(fields) + len(rest))) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        if not returning:
            for start in range(0, len(prepared), 10000):
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {one}",  # noqa: S608
                                   prepared[start:start + 10000])
            return ids
        for start in range(0, len(prepared), 500):
            chunk = prepared[start:start + 500]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))} "  # noqa: S608
                           "RETURNING id", [v for values in chunk for v in values])
            ids += sorted(r[0] for r in cursor.fetchall())
    return ids
