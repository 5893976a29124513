"""The one double-entry ledger, for points and for money (in fen).

- An Account holds one unit (points or fen). Its ``balance`` is a cache of the sum of its
  entries, kept in the same transaction as each posting, so reading a balance costs the
  same at 20 entries or 20 million. ``shanzhi verify-ledger`` recomputes it.
- A LedgerTransaction groups entries that sum to zero.
- Entries and transactions are never updated or deleted (database triggers refuse it on
  SQLite and PostgreSQL); a correction is a reversing transaction.
- An account that may not go negative has a database check constraint saying so, so no
  race and no bug can overdraw it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    POINTS = "points", _("points")
    FEN = "fen", _("fen (0.01 yuan)")


class Account(models.Model):
    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("household")  # 一户一账
        ISSUER = "issuer", _("issuer")  # where a village's awarded points come from
        SHOP = "shop", _("points shop")  # where redeemed points go
        EXPIRY = "expiry", _("expired points")
        INCOME = "income", _("collective income")
        FUND = "fund", _("fund")  # industry, public welfare, dividends, risk (4-3-2-1)
        PAYEE = "payee", _("payee")

    code = models.CharField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    household = models.ForeignKey("regions.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="ledger_accounts")
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    allow_negative = models.BooleanField(_("may go negative"), default=False)
    balance = models.BigIntegerField(_("balance"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(condition=Q(allow_negative=True) | Q(balance__gte=0), name="ledger_no_overdraft"),
            models.UniqueConstraint(fields=["household", "unit"], condition=Q(kind="household"),
                                    name="ledger_one_account_per_household_unit"),
        ]

    def __str__(self) -> str:
        return self.name


class LedgerTransaction(models.Model):
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # The business date the transaction counts for (an award's month, a settlement's year).
    effective_on = models.DateField(_("effective date"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    reference_type = models.CharField(max_length=64, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        indexes = [models.Index(fields=["reference_type", "reference_id"], name="ledger_tx_reference_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Entry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("amount"))
    # Denormalised from the transaction so period rankings read one table.
    effective_on = models.DateField(_("effective date"))
    kind = models.CharField(_("kind"), max_length=32)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]
        indexes = [
            models.Index(fields=["account", "effective_on"], name="ledger_entry_account_day_idx"),
            models.Index(fields=["effective_on", "account"], name="ledger_entry_day_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount:+d}"


class AccountPeriod(models.Model):
    """Per account, per month, per kind: the sum of its entries. Kept by ``post()`` in the
    same transaction as the entries (one upsert per line), so a monthly ranking or a year's
    earnings reads one small row per account instead of scanning entries. A reversal counts
    under the kind it corrects (a reversed award lowers the month's awards).
    ``verify()`` recomputes these from the entries too."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="periods")
    month = models.DateField(_("month"))  # the first day of the month of the entries' effective date
    kind = models.CharField(_("kind"), max_length=32)
    amount = models.BigIntegerField(_("amount"), default=0)

    class Meta:
        verbose_name = _("ledger account month")
        verbose_name_plural = _("ledger account months")
        constraints = [models.UniqueConstraint(fields=["account", "month", "kind"], name="ledger_period_unique")]
        indexes = [models.Index(fields=["month", "kind", "account"], name="ledger_period_month_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m} {self.kind}: {self.amount:+d}"
