from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from shanzhi.core.errors import Conflict, ValidationError
from shanzhi.ledger import services as ledger
from shanzhi.ledger.models import Account, AccountPeriod, Entry, LedgerTransaction, Unit


def make(code: str, kind: str = Account.Kind.HOUSEHOLD, unit: str = Unit.POINTS, allow_negative: bool = False):
    return Account.objects.create(code=code, name=code, kind=kind, unit=unit, region_path="621023000000/",
                                  allow_negative=allow_negative)


@pytest.fixture
def accounts(db):
    issuer = make("issuer", Account.Kind.ISSUER, allow_negative=True)
    home = make("home")
    shop = make("shop", Account.Kind.SHOP)
    return issuer, home, shop


def test_post_moves_balances_and_sums_to_zero(accounts):
    issuer, home, shop = accounts
    ledger.post(actor=None, kind="award", lines=[(issuer, -10), (home, 10)])
    ledger.post(actor=None, kind="redemption", lines=[(home, -4), (shop, 4)])
    issuer.refresh_from_db(), home.refresh_from_db(), shop.refresh_from_db()
    assert (issuer.balance, home.balance, shop.balance) == (-10, 6, 4)
    assert ledger.verify() == []


def test_overdraft_is_refused_and_nothing_written(accounts):
    issuer, home, shop = accounts
    ledger.post(actor=None, kind="award", lines=[(issuer, -5), (home, 5)])
    with pytest.raises(ledger.InsufficientBalance):
        ledger.post(actor=None, kind="redemption", lines=[(home, -6), (shop, 6)])
    home.refresh_from_db(), shop.refresh_from_db()
    assert (home.balance, shop.balance) == (5, 0)
    assert LedgerTransaction.objects.count() == 1
    assert Entry.objects.count() == 2


@pytest.mark.parametrize(("lines", "field"), [
    ([], "lines"),
    ([("a", 5), ("b", -4)], "lines"),
    ([("a", 0), ("b", 0)], "amount"),
    ([("a", 1.5), ("b", -1.5)], "amount"),
])
def test_bad_postings_are_refused(accounts, lines, field):
    issuer, home, _ = accounts
    by_name = {"a": issuer, "b": home}
    with pytest.raises(ValidationError) as err:
        ledger.post(actor=None, kind="x", lines=[(by_name[n], amt) for n, amt in lines])
    assert field in err.value.fields
    assert not LedgerTransaction.objects.exists()


def test_mixed_units_refused(accounts):
    issuer, _, _ = accounts
    money = make("money", Account.Kind.FUND, Unit.FEN)
    with pytest.raises(ValidationError):
        ledger.post(actor=None, kind="x", lines=[(issuer, -1), (money, 1)])


def test_reversal_restores_and_happens_once(accounts):
    issuer, home, _ = accounts
    tx = ledger.post(actor=None, kind="award", lines=[(issuer, -7), (home, 7)])
    with pytest.raises(ValidationError):
        ledger.reverse(actor=None, original=tx, reason="  ")
    rev = ledger.reverse(actor=None, original=tx, reason="awarded to the wrong household")
    home.refresh_from_db()
    assert home.balance == 0
    assert rev.reverses_id == tx.pk
    with pytest.raises(Conflict):
        ledger.reverse(actor=None, original=tx, reason="again")
    with pytest.raises(ValidationError):
        ledger.reverse(actor=None, original=rev, reason="undo the undo")
    assert ledger.verify() == []


def test_entries_cannot_be_rewritten(accounts):
    issuer, home, _ = accounts
    ledger.post(actor=None, kind="award", lines=[(issuer, -3), (home, 3)])
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.update(amount=300)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            Entry.objects.all().delete()
    assert sorted(Entry.objects.values_list("amount", flat=True)) == [-3, 3]


def test_verify_finds_a_tampered_balance(accounts):
    issuer, home, _ = accounts
    ledger.post(actor=None, kind="award", lines=[(issuer, -3), (home, 3)])
    Account.objects.filter(pk=home.pk).update(balance=99)
    problems = ledger.verify()
    assert [(p.kind, p.ref, p.expected, p.found) for p in problems] == [("balance", home.pk, 3, 99)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overdraw():
    """50 redemptions of 3 points race for a balance of 60: exactly 20 win."""
    issuer = make("issuer-c", Account.Kind.ISSUER, allow_negative=True)
    home = make("home-c")
    shop = make("shop-c", Account.Kind.SHOP)
    ledger.post(actor=None, kind="award", lines=[(issuer, -60), (home, 60)])
    barrier = threading.Barrier(10)
    results: list[str] = []
    lock = threading.Lock()

    def redeem(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(n):
                try:
                    ledger.post(actor=None, kind="redemption", lines=[(home, -3), (shop, 3)])
                    outcome = "ok"
                except ledger.InsufficientBalance:
                    outcome = "refused"
                with lock:
                    results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(5,)) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    home.refresh_from_db()
    assert results.count("ok") == 20
    assert results.count("refused") == 30
    assert home.balance == 0
    assert Entry.objects.filter(account=home, kind="redemption").count() == 20
    assert ledger.verify() == []


def test_post_many_writes_in_bulk_with_every_invariant(accounts):
    issuer, home, shop = accounts
    other = make("home-2")
    may = dt.date(2025, 5, 20)
    june = dt.date(2025, 6, 3)
    ids = ledger.post_many([
        ledger.Posting(kind="award", lines=[(issuer, -5), (home, 5)], effective_on=may, reference_type="t",
                       reference_id="1"),
        ledger.Posting(kind="award", lines=[(issuer, -7), (other, 7)], effective_on=june, memo="x" * 300),
        ledger.Posting(kind="redemption", lines=[(home, -4), (shop, 4)], effective_on=june),
    ])
    assert len(ids) == 3
    txs = {tx.pk: tx for tx in LedgerTransaction.objects.all()}
    assert [txs[i].kind for i in ids] == ["award", "award", "redemption"]
    assert txs[ids[0]].reference_id == "1"
    assert txs[ids[0]].effective_on == may
    assert len(txs[ids[1]].memo) == 200
    assert sorted(Entry.objects.filter(transaction_id=ids[1]).values_list("account_id", "amount")) == sorted(
        [(issuer.pk, -7), (other.pk, 7)])
    for a in (issuer, home, shop, other):
        a.refresh_from_db()
    assert (issuer.balance, home.balance, shop.balance, other.balance) == (-12, 1, 4, 7)
    periods = {(p.account_id, p.month, p.kind): p.amount for p in AccountPeriod.objects.all()}
    assert periods[(home.pk, dt.date(2025, 5, 1), "award")] == 5
    assert periods[(home.pk, dt.date(2025, 6, 1), "redemption")] == -4
    assert periods[(issuer.pk, dt.date(2025, 6, 1), "award")] == -7
    assert ledger.verify() == []
    assert ledger.post_many([]) == []


def test_post_many_is_all_or_nothing(accounts):
    issuer, home, shop = accounts
    ledger.post(actor=None, kind="award", lines=[(issuer, -5), (home, 5)])
    before = (LedgerTransaction.objects.count(), Entry.objects.count(), AccountPeriod.objects.count())
    # The second posting would take the household below zero: nothing of the batch is written.
    with pytest.raises(ledger.InsufficientBalance):
        ledger.post_many([
            ledger.Posting(kind="award", lines=[(issuer, -1), (home, 1)], effective_on=dt.date(2025, 6, 1)),
            ledger.Posting(kind="redemption", lines=[(home, -7), (shop, 7)], effective_on=dt.date(2025, 6, 2)),
        ])
    with pytest.raises(ValidationError) as err:
        ledger.post_many([
            ledger.Posting(kind="award", lines=[(issuer, -1), (home, 1)], effective_on=dt.date(2025, 6, 1)),
            ledger.Posting(kind="award", lines=[(issuer, -2), (home, 1)], effective_on=dt.date(2025, 6, 1)),
        ])
    assert "lines" in err.value.fields
    for a in (issuer, home, shop):
        a.refresh_from_db()
    assert (issuer.balance, home.balance, shop.balance) == (-5, 5, 0)
    assert (LedgerTransaction.objects.count(), Entry.objects.count(), AccountPeriod.objects.count()) == before
    assert ledger.verify() == []


def test_accounts_for_creates_what_is_missing_once(accounts):
    issuer, _home, _shop = accounts
    specs = {code: {"name": code, "kind": Account.Kind.HOUSEHOLD, "unit": Unit.POINTS,
                    "region_path": "621023000000/"} for code in ("issuer", "n1", "n2")}
    found = ledger.accounts_for(specs)
    assert set(found) == {"issuer", "n1", "n2"}
    assert found["issuer"].pk == issuer.pk
    again = ledger.accounts_for(specs)
    assert {c: a.pk for c, a in again.items()} == {c: a.pk for c, a in found.items()}
    assert Account.objects.filter(code__in=["n1", "n2"]).count() == 2
