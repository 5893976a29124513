"""Posting to the ledger. Callers (points, dividends) check permissions and write the
audit entry; this module guarantees the money-like invariants."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core.errors import Conflict, ValidationError
from shanzhi.ledger.models import Account, AccountPeriod, Entry, LedgerTransaction


class InsufficientBalance(ValidationError):
    code = "insufficient_balance"


@dataclass(frozen=True)
class Line:
    account: Account
    amount: int


def _parse(lines: Sequence[Line | tuple[Account, int]]) -> tuple[list[Line], str]:
    parsed = [line if isinstance(line, Line) else Line(*line) for line in lines]
    if not parsed:
        raise ValidationError(_("A transaction needs entries."), field="lines")
    units = {line.account.unit for line in parsed}
    if len(units) != 1:
        raise ValidationError(_("A transaction cannot mix points and money."), field="lines")
    for line in parsed:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or line.amount == 0:
            raise ValidationError(_("Amounts are non-zero whole numbers."), field="amount")
    if sum(line.amount for line in parsed) != 0:
        raise ValidationError(_("A transaction's entries must add up to zero."), field="lines")
    return parsed, units.pop()


def _move_balances(per_account: dict[int, int], no_overdraft: set[int] | None = None) -> None:
    # Fixed order, so two postings touching the same accounts cannot deadlock.
    for account_id in sorted(per_account):
        delta = per_account[account_id]
        if delta == 0:
            continue
        guard = Q(pk=account_id)
        if delta < 0 and no_overdraft and account_id in no_overdraft:
            guard &= Q(balance__gte=-delta)
        elif delta < 0:
            guard &= Q(allow_negative=True) | Q(balance__gte=-delta)
        try:
            with transaction.atomic():
                updated = Account.objects.filter(guard).update(balance=F("balance") + delta)
        except IntegrityError:
            updated = 0
        if updated != 1:
            raise InsufficientBalance(_("The balance is not enough."), field="amount")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _roll_up(sums: dict[tuple[int, dt.date, str], int]) -> None:
    """Add to the per-account monthly sums (one upsert statement per 500 rows, in key
    order so concurrent postings lock the rows in the same order)."""
    rows = [(key, amount) for key, amount in sorted(sums.items()) if amount != 0]
    table = AccountPeriod._meta.db_table
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for (account_id, month, period_kind), amount in chunk:
                params += [account_id, adapt(month), period_kind, amount]
            cursor.execute(
                f"INSERT INTO {table} (account_id, month, kind, amount) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (account_id, month, kind) DO UPDATE SET amount = {table}.amount + excluded.amount",
                params)


def post(*, actor: Any, kind: str, lines: Sequence[Line | tuple[Account, int]], memo: str = "",
         effective_on: dt.date | None = None, reference: models.Model | None = None,
         region_path: str = "", reverses: LedgerTransaction | None = None,
         period_kind: str | None = None, no_overdraft: Iterable[Account] = ()) -> LedgerTransaction:
    """Post one balanced transaction. Raises InsufficientBalance (nothing written) if an
    account that may not go negative would; safe under concurrent postings: each balance
    changes by one conditional UPDATE, which row-locks on PostgreSQL and runs under the
    write lock on SQLite, and the check constraint backs it. The monthly sums
    (AccountPeriod) move in the same transaction, under ``period_kind`` (default ``kind``).
    ``no_overdraft`` names accounts that may not go below zero in this posting even if they
    may go negative otherwise (a household's points may, through a deduction; never through
    a redemption): the same conditional UPDATE guards them."""
    parsed, unit = _parse(lines)
    per_account: dict[int, int] = defaultdict(int)
    for line in parsed:
        per_account[line.account.pk] += line.amount
    effective = effective_on or timezone.localdate()
    month = month_of(effective)
    sums: dict[tuple[int, dt.date, str], int] = defaultdict(int)
    for line in parsed:
        sums[(line.account.pk, month, period_kind or kind)] += line.amount
    with transaction.atomic():
        _move_balances(per_account, {a.pk for a in no_overdraft})
        tx = LedgerTransaction.objects.create(
            kind=kind, unit=unit, memo=memo[:200], effective_on=effective,
            actor=actor if getattr(actor, "pk", None) else None, reverses=reverses,
            reference_type=reference._meta.label_lower if reference is not None else "",
            reference_id=str(reference.pk) if reference is not None else "",
            region_path=region_path or parsed[0].account.region_path)
        Entry.objects.bulk_create([
            Entry(transaction=tx, account=line.account, amount=line.amount, effective_on=effective, kind=kind)
            for line in parsed
        ])
        _roll_up(sums)
    return tx


@dataclass
class Posting:
    """One transaction for ``post_many``."""

    kind: str
    lines: Sequence[Line | tuple[Account, int]]
    effective_on: dt.date
    memo: str = ""
    reference_type: str = ""
    reference_id: str = ""
    region_path: str = ""
    actor: Any = None


def post_many(postings: Sequence[Posting]) -> list[int]:
    """Post many balanced transactions at once, for loads (the demo's year, a settlement of
    a whole village, imports of a past year). Every posting is checked as ``post`` checks
    it (entries non-zero whole numbers in one unit, summing to zero); then, in one
    database transaction, each account's balance moves once by its net change (guarded:
    an account that may not go negative must end the batch at zero or more, else
    InsufficientBalance and nothing is written), the transactions and entries are inserted
    in bulk (no model instance per row) and the monthly sums are added up, so ``verify()``
    finds no difference afterwards. Returns the new transactions' ids, in the order of
    ``postings``. Balances are checked at the end of the batch, not after each posting:
    a batch is one decision."""
    checked = [(p, *_parse(p.lines)) for p in postings]
    if not checked:
        return []
    per_account: dict[int, int] = defaultdict(int)
    sums: dict[tuple[int, dt.date, str], int] = defaultdict(int)
    for p, parsed, _unit in checked:
        month = month_of(p.effective_on)
        for line in parsed:
            per_account[line.account.pk] += line.amount
            sums[(line.account.pk, month, p.kind)] += line.amount
    with transaction.atomic():
        _move_balances_in_bulk(per_account)
        ids = _insert_transactions(checked)
        _insert_entries(checked, ids)
        _roll_up(sums)
    return ids


def _move_balances_in_bulk(per_account: dict[int, int]) -> None:
    """One guarded UPDATE per account, sent as one batch (in account order, so it cannot
    deadlock with ``post``); the rows matched must be every account, or one of them would
    have gone below zero."""
    moves = [(delta, account_id, delta) for account_id, delta in sorted(per_account.items()) if delta]
    if not moves:
        return
    table = connection.ops.quote_name(Account._meta.db_table)
    sql = (f"UPDATE {table} SET balance = balance + %s "  # noqa: S608
           "WHERE id = %s AND (allow_negative OR balance + %s >= 0)")
    updated = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, len(moves), 5000):
                chunk = moves[start:start + 5000]
                cursor.executemany(sql, chunk)
                updated += cursor.rowcount if cursor.rowcount >= 0 else len(chunk)
            if updated != len(moves):
                raise InsufficientBalance(_("The balance is not enough."), field="amount")
    except IntegrityError:
        raise InsufficientBalance(_("The balance is not enough."), field="amount") from None


_TX_COLUMNS = ("kind", "unit", "memo", "at", "effective_on", "actor_id", "reverses_id", "reference_type",
               "reference_id", "region_path")


def _insert_transactions(checked: list[tuple[Posting, list[Line], str]]) -> list[int]:
    """Multi-row INSERT ... RETURNING id, 500 rows a statement. Ids come from the sequence
    in the order of the VALUES, so sorting what RETURNING gives back pairs them with the
    postings whatever order the database returns them in."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    table = ops.quote_name(LedgerTransaction._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in _TX_COLUMNS)
    row = "(" + ", ".join(["%s"] * len(_TX_COLUMNS)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(checked), 500):
            chunk = checked[start:start + 500]
            params: list[Any] = []
            for p, parsed, unit in chunk:
                actor_id = getattr(p.actor, "pk", None)
                params += [p.kind, unit, p.memo[:200], now, ops.adapt_datefield_value(p.effective_on), actor_id,
                           None, p.reference_type, p.reference_id, p.region_path or parsed[0].account.region_path]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608
                           "RETURNING id", params)
            ids += sorted(r[0] for r in cursor.fetchall())
    if len(ids) != len(checked):
        raise RuntimeError("the database returned fewer ids than transactions inserted")
    return ids


def _insert_entries(checked: list[tuple[Posting, list[Line], str]], ids: list[int]) -> None:
    ops = connection.ops
    table = ops.quote_name(Entry._meta.db_table)
    rows = [(tx_id, line.account.pk, line.amount, ops.adapt_datefield_value(p.effective_on), p.kind)
            for tx_id, (p, parsed, _unit) in zip(ids, checked, strict=True) for line in parsed]
    sql = (f"INSERT INTO {table} (transaction_id, account_id, amount, effective_on, kind) "  # noqa: S608
           "VALUES (%s, %s, %s, %s, %s)")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10000):
            cursor.executemany(sql, rows[start:start + 10000])


def reverse(*, actor: Any, original: LedgerTransaction, reason: str, effective_on: dt.date | None = None
            ) -> LedgerTransaction:
    """A correction: a new transaction with every entry negated. A transaction is reversed
    at most once (a unique key on ``reverses``)."""
    if not reason.strip():
        raise ValidationError(_("A correction needs a reason."), field="reason")
    if original.reverses_id is not None:
        raise ValidationError(_("A reversal cannot itself be reversed; post a new transaction."),
                              field="transaction")
    try:
        with transaction.atomic():
            # Lock the original so two corrections of it queue; the second sees the first.
            list(LedgerTransaction.objects.select_for_update().filter(pk=original.pk).values_list("pk", flat=True))
            if LedgerTransaction.objects.filter(reverses=original).exists():
                raise Conflict(_("This transaction has already been reversed."))
            lines = [Line(e.account, -e.amount) for e in original.entries.select_related("account")]
            return post(actor=actor, kind="reversal", lines=lines, memo=reason, effective_on=effective_on,
                        region_path=original.region_path, reverses=original, reference=original,
                        period_kind=original.kind)
    except IntegrityError:
        raise Conflict(_("This transaction has already been reversed.")) from None


def account_for(*, code: str, defaults: dict[str, Any]) -> Account:
    """Get or create an account by its code (race-safe)."""
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(code=code, **defaults)
    except IntegrityError:
        return Account.objects.get(code=code)


def accounts_for(specs: dict[str, dict[str, Any]]) -> dict[str, Account]:
    """Get or create many accounts by code at once (``{code: defaults}``), for loads: one
    query per 900 codes for those that exist, one bulk insert for the rest. Race-safe like
    ``account_for``: an account another session created meanwhile is kept, not doubled."""
    codes = list(specs)
    found: dict[str, Account] = {}
    for start in range(0, len(codes), 900):
        found.update((a.code, a) for a in Account.objects.filter(code__in=codes[start:start + 900]))
    missing = [code for code in codes if code not in found]
    if missing:
        Account.objects.bulk_create([Account(code=code, **specs[code]) for code in missing], batch_size=900,
                                    ignore_conflicts=True)
        for start in range(0, len(missing), 900):
            found.update((a.code, a) for a in Account.objects.filter(code__in=missing[start:start + 900]))
    return found


@dataclass
class Discrepancy:
    kind: str  # "balance", "unbalanced" or "period"
    ref: int
    expected: int
    found: int

    def __str__(self) -> str:
        if self.kind == "balance":
            return f"account {self.ref}: balance {self.found}, entries sum to {self.expected}"
        if self.kind == "period":
            return f"account {self.ref}: a monthly sum is {self.found}, its entries sum to {self.expected}"
        return f"transaction {self.ref}: entries sum to {self.found}, not 0"


def verify(accounts: Iterable[int] | None = None) -> list[Discrepancy]:
    """Recompute every balance from the entries (one GROUP BY) and check every transaction
    sums to zero."""
    sums = Entry.objects.values("account").annotate(total=Sum("amount"))
    if accounts is not None:
        sums = sums.filter(account__in=list(accounts))
    totals = {row["account"]: row["total"] for row in sums}
    problems: list[Discrepancy] = []
    cached = Account.objects.all() if accounts is None else Account.objects.filter(pk__in=list(accounts))
    for pk, balance in cached.values_list("pk", "balance").iterator(chunk_size=5000):
        expected = totals.get(pk, 0) or 0
        if expected != balance:
            problems.append(Discrepancy("balance", pk, expected, balance))
    unbalanced = (Entry.objects.values("transaction").annotate(total=Sum("amount")).exclude(total=0))
    for row in unbalanced:
        problems.append(Discrepancy("unbalanced", row["transaction"], 0, row["total"]))
    problems += _verify_periods(accounts)
    return problems


def _verify_periods(accounts: Iterable[int] | None) -> list[Discrepancy]:
    """The monthly sums against the entries (a reversal under the kind it corrects)."""
    entries = Entry.objects.all()
    periods = AccountPeriod.objects.exclude(amount=0)
    if accounts is not None:
        entries = entries.filter(account__in=list(accounts))
        periods = periods.filter(account__in=list(accounts))
    computed = {
        (row["account"], row["m"], row["k"]): row["total"]
        for row in entries.annotate(m=TruncMonth("effective_on"), k=Coalesce("transaction__reverses__kind", "kind"))
        .values("account", "m", "k").annotate(total=Sum("amount")).order_by()
        if row["total"]
    }
    kept = {(p.account_id, p.month, p.kind): p.amount for p in periods.iterator(chunk_size=5000)}
    problems = []
    for key in sorted(set(computed) | set(kept), key=lambda k: (k[0], k[1], k[2])):
        if computed.get(key, 0) != kept.get(key, 0):
            problems.append(Discrepancy("period", key[0], computed.get(key, 0), kept.get(key, 0)))
    return problems


def period_sums(*, accounts: models.QuerySet[Account] | None = None, start: dt.date, end: dt.date,
                kinds: Iterable[str]) -> models.QuerySet[Any]:
    """``{account, total}`` rows: each account's entries of ``kinds`` with an effective date
    in the months from ``start`` to ``end`` (inclusive; whole months), read from the
    monthly sums, not the entries."""
    qs = AccountPeriod.objects.filter(month__gte=month_of(start), month__lte=month_of(end), kind__in=list(kinds))
    if accounts is not None:
        qs = qs.filter(account__in=accounts)
    return qs.values("account").annotate(total=Sum("amount")).order_by()


def lock_accounts(accounts: Iterable[Account]) -> None:
    """Hold the accounts' rows until the transaction ends (SELECT ... FOR UPDATE on
    PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write lock), for a
    decision that reads a balance and then posts against it (a settlement)."""
    ids = sorted({a.pk for a in accounts})
    if ids and connection.vendor == "postgresql":
        list(Account.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
