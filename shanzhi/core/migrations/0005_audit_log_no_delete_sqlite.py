"""The audit log refuses DELETE on SQLite as well as on PostgreSQL.

(``shanzhi flush`` and the test runner still empty it: see core's ``flush`` command.)
Existing databases may already have this trigger from an earlier 0003, hence IF NOT EXISTS.
"""

from django.db import migrations

SQLITE = """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only'); END;"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete;")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_workflow_history_and_outbox")]
    operations = [migrations.RunPython(forwards, backwards)]
