"""Make a table append-only in the database itself: UPDATE and DELETE are refused by
triggers on PostgreSQL (UPDATE on SQLite), so no code path, admin action or stray SQL can
rewrite history. Used by migrations: ``operations = [append_only("ledger_entry")]``."""

from __future__ import annotations

from typing import Any

from django.db import migrations

PG_FUNCTION = """CREATE OR REPLACE FUNCTION shanzhi_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql;"""


def _sql(table: str, vendor: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return (
            [PG_FUNCTION,
             f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
             "FOR EACH ROW EXECUTE FUNCTION shanzhi_append_only();"],
            [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"],
        )
    # On SQLite only UPDATE is refused: Django empties tables with DELETE (test flushes,
    # `flush`), which PostgreSQL does with TRUNCATE; on SQLite the services are what keep
    # rows from being deleted.
    return (
        [f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
         f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"],
        [f"DROP TRIGGER IF EXISTS {table}_no_update;"],
    )


def append_only(table: str) -> migrations.RunPython:
    def forwards(apps: Any, schema_editor: Any) -> None:
        for sql in _sql(table, schema_editor.connection.vendor)[0]:
            schema_editor.execute(sql)

    def backwards(apps: Any, schema_editor: Any) -> None:
        for sql in _sql(table, schema_editor.connection.vendor)[1]:
            schema_editor.execute(sql)

    return migrations.RunPython(forwards, backwards)
