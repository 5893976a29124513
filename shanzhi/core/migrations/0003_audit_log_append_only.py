"""Make the audit log append-only in the database itself, on SQLite and PostgreSQL."""

from django.db import migrations

from shanzhi.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [append_only("core_auditevent")]
