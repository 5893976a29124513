"""Ledger entries and transactions are never updated or deleted."""

from django.db import migrations

from shanzhi.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [append_only("ledger_entry"), append_only("ledger_ledgertransaction")]
