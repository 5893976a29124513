"""Django's ``flush``, able to empty append-only tables on SQLite too.

Append-only tables refuse UPDATE and DELETE through triggers. Emptying the whole database
(``shanzhi flush``, and the test runner between transactional tests) is not "rewriting
history" but starting over: PostgreSQL does it with TRUNCATE, which the row triggers let
through. SQLite has no TRUNCATE, so here the append-only triggers are set aside for the
flush, in the same transaction, and put back unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

MARK = "append-only"


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
                               [f"%{MARK}%"])
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            try:
                super().handle(**options)
            finally:
                with connection.cursor() as cursor:
                    for _name, sql in triggers:
                        cursor.execute(sql)
        return None
