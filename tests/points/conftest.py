from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from shanzhi.points import services
from shanzhi.points.models import Duty, Goods, PointRule, Shop
from shanzhi.regions.models import Household, Region
from tests import factories

VILLAGE = "621023100201"  # 张湾村: the home of the village roles in tests/factories.py
OTHER_VILLAGE = "621023101201"  # 李塬村, another township


@dataclass
class Setup:
    county: Any
    village: Region
    other_village: Region
    rule: PointRule
    monthly_rule: PointRule
    deduction: PointRule
    photo_rule: PointRule
    shop: Shop
    rice: Goods
    oil: Goods
    users: dict[str, Any] = field(default_factory=dict)

    def households(self, region: Region | None = None) -> list[Household]:
        place = region or self.village
        return list(Household.objects.filter(village=place).order_by("number"))


def duty_user(name: str, kind: str, region: Region, shop: Shop | None = None) -> Any:
    user = factories.user(name)
    Duty.objects.create(user=user, kind=kind, region=shop.region if shop else region, shop=shop,
                        region_path=(shop.region if shop else region).path, start_date=dt.date(2020, 1, 1))
    return user


def rule(actor: Any, village: Region, item: str, points: int, **extra: Any) -> PointRule:
    data = services.RuleInput(category=extra.pop("category", "sanitation"), item=item, points=points,
                              valid_from=extra.pop("valid_from", dt.date(2024, 1, 1)),
                              meeting_date=dt.date(2023, 12, 20), meeting_record="村民大会表决通过", **extra)
    return services.rule_create(actor=actor, region=village, data=data)


@pytest.fixture
def points(county) -> Setup:
    return build_setup(county)


@pytest.fixture
def points_factory(county):
    return lambda: build_setup(county)


def build_setup(county) -> Setup:
    village = Region.objects.get(code=VILLAGE)
    other = Region.objects.get(code=OTHER_VILLAGE)
    cadre = county.users["village_committee"]
    r = rule(cadre, village, "清洁家园", 5)
    monthly = rule(cadre, village, "孝老爱亲", 3, category="filial_piety", limit_count=1, limit_period="month")
    deduction = rule(cadre, village, "乱倒垃圾", -3)
    photo = rule(cadre, village, "义务劳动", 8, category="public_welfare", evidence_required=True)
    shop = services.shop_create(actor=cadre, region=village, name="张湾村爱心超市")
    rice = services.goods_create(actor=cadre, shop=shop, name="大米5kg", points_price=10, value_fen=3500,
                                 unit="袋", donor="庆阳某粮油公司")
    oil = services.goods_create(actor=cadre, shop=shop, name="菜籽油5L", points_price=20, value_fen=6900, unit="桶")
    services.stock_in(actor=cadre, goods=rice, quantity=50, kind="donation", donor="庆阳某粮油公司")
    services.stock_in(actor=cadre, goods=oil, quantity=5)
    users = dict(county.users)
    users["reviewer"] = duty_user("u_reviewer", Duty.Kind.REVIEWER, village)
    users["reviewer2"] = duty_user("u_reviewer2", Duty.Kind.REVIEWER, village)
    users["other_reviewer"] = duty_user("u_other_reviewer", Duty.Kind.REVIEWER, other)
    users["shopkeeper"] = duty_user("u_shopkeeper", Duty.Kind.SHOPKEEPER, village, shop)
    users["accountant"] = duty_user("u_accountant", Duty.Kind.ACCOUNTANT, village)
    rice.refresh_from_db(), oil.refresh_from_db()
    return Setup(county, village, other, r, monthly, deduction, photo, shop, rice, oil, users)


def award(setup: Setup, household: Household, rule: PointRule | None = None, *, by: str = "village_committee",
          on: dt.date | None = None, points: int | None = None, approve: bool = True) -> Any:
    a = services.award_propose(actor=setup.users[by], household=household, rule=rule or setup.rule,
                               occurred_on=on or dt.date.today(), points=points)
    if approve:
        services.award_approve(actor=setup.users["reviewer"], award=a)
        a.refresh_from_db()
    return a
