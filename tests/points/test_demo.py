import io
import random

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import CharField, Count, Sum
from django.db.models.functions import Cast

from shanzhi.demo import services as demo_services
from shanzhi.ledger import services as ledger
from shanzhi.ledger.models import Account, LedgerTransaction
from shanzhi.points import demo, selectors
from shanzhi.points.models import Award, Goods, Redemption, RedemptionLine, StockMovement
from shanzhi.regions.models import Region


class _Rollback(Exception):
    pass


def _year(county) -> tuple:
    return (list(Award.objects.order_by("occurred_on", "household__number", "rule__code", "points")
                 .values_list("household__number", "rule__code", "points", "occurred_on", "source")),
            list(Redemption.objects.order_by("number").values_list("number", "household__number", "points",
                                                                    "value_fen", "at")))


def _build_rolled_back(county) -> tuple:
    try:
        with transaction.atomic():
            demo.build_demo(county.county, random.Random(7), None)
            year = _year(county)
            raise _Rollback
    except _Rollback:
        pass
    return year


def test_demo_year_is_consistent_and_deterministic(county):
    assert _build_rolled_back(county) == _build_rolled_back(county)
    out = io.StringIO()
    summary = demo.build_demo(county.county, random.Random(7), out)
    assert len(county.households) // 2 < summary["households"] <= len(county.households)
    assert summary["points"] >= 86_000 * len(county.households) // 4200
    assert summary["redemptions"] > 0
    assert summary["value_redeemed_yuan"] * 100 == sum(Redemption.objects.values_list("value_fen", flat=True))
    assert ledger.verify() == []
    call_command("verify-ledger", stdout=io.StringIO())
    assert not Goods.objects.filter(stock__lt=0).exists()
    assert all(selectors.balance(h) >= -10 for h in county.households)
    assert Award.objects.filter(state="approved", ledger_transaction__isnull=True).count() == 0
    assert demo.build_demo(county.county, random.Random(7), None) == {}  # once only


@pytest.fixture
def demo_county(db):
    demo_services.demo_build(size="small")
    return Region.objects.get(level=Region.Level.COUNTY)


def test_demo_on_the_demo_county_leaves_the_ledger_consistent(demo_county):
    summary = demo.build_demo(demo_county, random.Random(11), None)
    assert summary["households"] > 0
    assert summary["points"] >= 86_000 * summary["households"] // 4200 - 10
    assert ledger.verify() == []
    # Every award is approved and posted once, by its own transaction, for its points.
    awards = Award.objects.filter(county=demo_county)
    assert awards.count() == summary["awards"]
    assert not awards.exclude(state="approved").exists()
    txs = LedgerTransaction.objects.filter(reference_type="points.award")
    assert txs.count() == summary["awards"]
    linked = awards.filter(ledger_transaction__reference_id=Cast("id", CharField()))
    assert linked.count() == summary["awards"]
    # Balances: what households earned less what they redeemed; stock: what came in less
    # what went out.
    earned = awards.aggregate(t=Sum("points"))["t"]
    redeemed = Redemption.objects.aggregate(t=Sum("points"))["t"]
    held = Account.objects.filter(kind=Account.Kind.HOUSEHOLD).aggregate(t=Sum("balance"))["t"]
    assert held == earned - redeemed
    assert redeemed == summary["points_redeemed"]
    lines = RedemptionLine.objects.values("redemption").annotate(n=Count("id"))
    assert lines.count() == summary["redemptions"]
    for g in Goods.objects.filter(shop__county=demo_county):
        moved = StockMovement.objects.filter(goods=g).aggregate(t=Sum("quantity"))["t"] or 0
        assert g.stock == moved >= 0
