"""50 concurrent redemptions at one household, on real concurrent connections (PostgreSQL
in CI's second run; the SQLite test database is a file in WAL mode, so threads race there
too): no overdraft, every accepted redemption recorded, stock never negative."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from shanzhi.core.errors import DomainError
from shanzhi.ledger import services as ledger
from shanzhi.points import selectors, services
from shanzhi.points.models import Goods, Redemption, StockMovement
from tests.points.conftest import award


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_at_one_household(county, points_factory):
    points = points_factory()
    home = points.households()[0]
    for _ in range(12):
        award(points, home)  # 60 points: room for 6 rice bags of 10 points
    # Stock for 40 oil bottles is not the limit; 50 bags of rice are.
    keeper = points.users["shopkeeper"]
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem() -> None:
        try:
            barrier.wait(timeout=30)
            try:
                services.redeem(actor=keeper, shop=points.shop, household=home, lines=[(points.rice.pk, 1)])
                result = "ok"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 50
    assert outcomes.count("ok") == 6
    assert set(outcomes) == {"ok", "insufficient_balance"}
    assert selectors.balance(home) == 0
    assert Redemption.objects.filter(household=home).count() == 6
    assert Goods.objects.get(pk=points.rice.pk).stock == 44
    assert StockMovement.objects.filter(kind="redemption").count() == 6
    assert ledger.verify() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_take_stock_below_zero(county, points_factory):
    points = points_factory()
    homes = points.households()[:5]
    for h in homes:
        for _ in range(10):
            award(points, h)  # 50 points each, enough for 2 oil bottles each
    keeper = points.users["shopkeeper"]  # 5 bottles of oil in stock
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem(h) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                services.redeem(actor=keeper, shop=points.shop, household=h, lines=[(points.oil.pk, 1)])
                result = "ok"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(homes[i % 5],)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 5
    assert outcomes.count("insufficient_stock") == 5
    assert Goods.objects.get(pk=points.oil.pk).stock == 0
    assert sum(50 - selectors.balance(h) for h in homes) == 5 * 20
    assert ledger.verify() == []


