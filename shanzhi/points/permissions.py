"""Scope policies and actions of the points system.

Besides the map's roles, three duties are held in a place through ``Duty`` rows and reach
``access`` as grants (``duty_grants``): the moral review council (reviews awards), a
points shop's staff (the counter and the stock), the village accountant (the 4-3-2-1
split)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from shanzhi.core import access, roles
from shanzhi.people.models import Role
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
    Settlement,
    Shop,
    StockMovement,
    VillageScheme,
)
from shanzhi.regions.models import Household

REVIEWER = Duty.Kind.REVIEWER.value
SHOPKEEPER = Duty.Kind.SHOPKEEPER.value
ACCOUNTANT = Duty.Kind.ACCOUNTANT.value

# A village's rules (and the templates above it) are open to the residents living there:
# they propose under them.
access.register(PointRule, region_field="region_path", include_ancestors=True, residents_of_place=True)
access.register(VillageScheme, region_field="region_path")
access.register(Award, region_field="region_path", household_field="household_id")
access.register(AwardBatch, region_field="region_path")
access.register(QuarterReview, region_field="region_path")
access.register(QuarterScore, region_field="region_path", household_field="household_id")
access.register(Settlement, region_field="region_path")
# A shop (and its goods) is open to the residents it serves: those under its village or
# township.
access.register(Shop, region_field="region_path", include_ancestors=True, residents_of_place=True)
access.register(Goods, region_field="region_path", include_ancestors=True, residents_of_place=True)
access.register(StockMovement, region_field="region_path")
# A redemption belongs to the household (like its awards): the shop's staff see it because
# a shop serves only households under its place.
access.register(Redemption, region_field="region_path", household_field="household_id")
access.register(Duty, region_field="region_path")
access.register(IncomeSplit, region_field="region_path")
access.register(DividendLine, region_field="region_path", household_field="household_id")

PROPOSERS = roles.GRID_TEAM | roles.VILLAGE_CADRES
VIEWERS = (roles.ALL_STAFF - roles.DEPARTMENT) | {REVIEWER, SHOPKEEPER, ACCOUNTANT}

# Reading: balances, histories, rankings, rules, shops.
access.allow(VIEWERS, ["points.view", "shop.view"])
# The duties name their village (or a shop's township) by its code, like other staff.
access.allow([REVIEWER, SHOPKEEPER, ACCOUNTANT], ["region.view"])
access.allow([access.RESIDENT], ["points.view", "shop.view"])
# Awards: proposed by the grid team, the village committee or the household itself, for
# one household (points.propose is checked on the Household), in bulk by the village.
access.allow(PROPOSERS | {access.RESIDENT}, ["points.propose"])
access.allow(PROPOSERS, ["points.bulk"])
# The moral review council approves or rejects; it and the village secretary correct.
access.allow([REVIEWER], ["points.review", "points.correct"])
access.allow([Role.VILLAGE_SECRETARY], ["points.correct"])
# The village rules: the village cadres for their village, township and county staff for
# their templates; periods (quarterly review, annual settlement, the scheme) by the village.
access.allow(roles.VILLAGE_CADRES | roles.GOVERNMENT, ["points.rules", "points.duties"])
access.allow(roles.VILLAGE_CADRES, ["points.periods"])
access.allow(roles.VILLAGE_CADRES | roles.GOVERNMENT | {ACCOUNTANT}, ["points.figures"])
# The shop: opened and stocked by the village or township, run by its staff.
access.allow(roles.VILLAGE_CADRES | {Role.TOWNSHIP_STAFF}, ["shop.manage", "shop.stock"])
access.allow([SHOPKEEPER], ["shop.stock", "shop.redeem"])
# The 4-3-2-1 split: prepared by the village accountant, approved by the village secretary
# or the township (never by the one who prepared it).
access.allow([ACCOUNTANT], ["points.split"])
access.allow([Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF], ["points.split_approve"])
access.allow(roles.VILLAGE_CADRES | roles.GOVERNMENT | {ACCOUNTANT}, ["points.split_view"])


def duty_grants(user: Any, on: dt.date | None) -> list[access.Grant]:
    day = on or dt.date.today()
    rows = (Duty.objects.filter(user_id=user.pk, start_date__lte=day)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=day)).values_list("kind", "region_path"))
    return [access.Grant(role=kind, region_path=path) for kind, path in rows]


access.grant_source(duty_grants)

__all__ = ["ACCOUNTANT", "REVIEWER", "SHOPKEEPER", "Household", "duty_grants"]
