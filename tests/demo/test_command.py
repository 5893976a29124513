"""``shanzhi demo``: in-process on the test database, and as a real subprocess on a data
folder of its own (run twice: the second run reuses the data)."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shanzhi.core.models import AuditEvent
from shanzhi.demo import accounts, modules, services
from shanzhi.regions.models import Household, Resident

SHANZHI = Path(sys.executable).with_name("shanzhi")


def _run(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEST_DATABASE_NAME", "REDIS_URL",
                                                              "SHANZHI_DATA_DIR", "DJANGO_SETTINGS_MODULE"}}
    started = time.monotonic()
    done = subprocess.run([str(SHANZHI), "demo", *args], capture_output=True, text=True, env=env, timeout=180,
                          check=False)
    return done, time.monotonic() - started


def _table(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.django_db
def test_demo_command_twice_reuses_the_data(tmp_path):
    data = tmp_path / "demo"
    first, first_seconds = _run("--no-serve", "--data-dir", str(data), "--size", "small")
    assert first.returncode == 0, first.stderr
    for account in accounts.DEMO_ACCOUNTS:
        assert account.login in first.stdout
    assert accounts.DEMO_PASSWORD in first.stdout
    assert "http://127.0.0.1:8000/" in first.stdout
    sqlite_file = data / "shanzhi.sqlite3"
    households = _table(sqlite_file, "select count(*), max(id) from regions_household")

    second, second_seconds = _run("--no-serve", "--data-dir", str(data), "--port", "8123")
    assert second.returncode == 0, second.stderr
    assert "http://127.0.0.1:8123/" in second.stdout
    assert _table(sqlite_file, "select count(*), max(id) from regions_household") == households
    assert households[0][0] == 700
    assert _table(sqlite_file, "select count(*) from core_auditevent where action = 'demo.build'") == [(1,)]
    assert _table(sqlite_file, "select count(*) from people_user where username = 'gridworker'") == [(1,)]
    # It did not build again: no more than the start-up and the migration check.
    assert second_seconds < first_seconds

    # Another process (another hash seed) generates the very same people.
    services.demo_build(size="small")
    modules.build_module_history(stdout=io.StringIO())  # the modules' histories add people too (births)
    here = list(Resident.objects.values_list("id_number", "name", "phone", "household__address"))
    there = _table(sqlite_file, "select r.id_number, r.name, r.phone, h.address from regions_resident r "
                       "join regions_household h on h.id = r.household_id")

    def in_order(rows):  # in Python: PostgreSQL sorts NULLs last, SQLite first
        return sorted(tuple("" if v is None else v for v in row) for row in rows)

    assert in_order(here) == in_order(there)


def test_demo_command_rejects_a_bad_port(tmp_path):
    done, _ = _run("--no-serve", "--data-dir", str(tmp_path / "demo"), "--port", "70000")
    assert done.returncode == 2
    assert "65535" in done.stderr  # "The port is a number from 1 to 65535." in the user's language
    assert not (tmp_path / "demo" / "shanzhi.sqlite3").exists()


def test_demo_command_in_process(db):
    out = io.StringIO()
    call_command("demo", "--no-serve", "--size", "small", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert Household.objects.count() == 700
    for account in accounts.DEMO_ACCOUNTS:
        assert account.login in text
        assert account.place in text
    again = io.StringIO()
    errors = io.StringIO()
    call_command("demo", "--no-serve", "--scale", "2", stdout=again, stderr=errors)
    assert Household.objects.count() == 700
    assert AuditEvent.objects.filter(action="demo.build").count() == 1
    assert "--scale" in errors.getvalue()  # told that the existing demo is kept


def test_demo_command_turns_a_conflict_into_an_exit_code(db):
    from shanzhi.people.models import User

    User.objects.create(username="county")
    with pytest.raises(CommandError) as caught:
        call_command("demo", "--no-serve", "--size", "small", stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode == 2
