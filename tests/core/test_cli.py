"""The ``shanzhi`` command and the health checks, run as an operator runs them."""

from __future__ import annotations

import re
import socket
import sqlite3
import urllib.error
import urllib.request

import pytest
from django.core.management import get_commands

from shanzhi import cli
from tests.core.processes import SHANZHI, run_shanzhi, subprocess_env

BROKEN_DATABASE = "postgres://postgres@127.0.0.1:1/shanzhi_nowhere"  # nothing listens on port 1


def listed_commands() -> list[str]:
    block = cli.HELP.split("Everyday commands:", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.strip().splitlines()]


def test_shanzhi_help_lists_the_everyday_commands(tmp_path):
    result = run_shanzhi("--help", env=subprocess_env(tmp_path))
    assert result.returncode == 0
    for name in ("demo", "serve", "migrate", "createadmin", "worker", "check-health", "--data-dir"):
        assert name in result.stdout
    bare = run_shanzhi(env=subprocess_env(tmp_path))
    assert bare.returncode == 2  # no command: usage and a non-zero exit
    assert "usage: shanzhi" in bare.stdout


@pytest.mark.parametrize("command", listed_commands())
def test_each_listed_command_has_help(command, capsys):
    if command not in get_commands():
        pytest.skip(f"`shanzhi {command}` is listed but not implemented yet")
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"shanzhi {command}" in out
    if command != "migrate":  # Django's own command
        assert "--data-dir" in out


def test_an_unknown_command_fails(tmp_path):
    result = run_shanzhi("frobnicate", env=subprocess_env(tmp_path))
    assert result.returncode != 0
    assert "Unknown command" in result.stderr


def test_migrate_creates_the_embedded_database_in_the_data_dir(migrated_dir):
    db = migrated_dir / "shanzhi.sqlite3"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        applied = {row[0] for row in conn.execute("SELECT name FROM django_migrations WHERE app = 'core'")}
        triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"0001_initial", "0004_workflow_history_and_outbox", "0005_audit_log_no_delete_sqlite"} <= applied
    assert {"core_auditevent_no_update", "core_auditevent_no_delete"} <= triggers
    assert journal == "wal"


def test_data_dir_picks_the_database_in_either_position(migrated_dir, tmp_path):
    fresh = tmp_path / "fresh"
    env = subprocess_env(tmp_path / "elsewhere")  # SHANZHI_DATA_DIR points elsewhere: the option wins
    done = run_shanzhi("--data-dir", str(migrated_dir), "showmigrations", "core", env=env)
    assert done.returncode == 0, done.stderr
    assert "[X] 0005_audit_log_no_delete_sqlite" in done.stdout
    pending = run_shanzhi("showmigrations", "core", f"--data-dir={fresh}", env=env)
    assert pending.returncode == 0, pending.stderr
    assert "[ ] 0005_audit_log_no_delete_sqlite" in pending.stdout
    assert (fresh / "shanzhi.sqlite3").exists()
    assert not (tmp_path / "elsewhere" / "shanzhi.sqlite3").exists()
    missing = run_shanzhi("migrate", "--data-dir", env=env)
    assert missing.returncode == 2
    assert "--data-dir needs a folder" in missing.stderr


def test_createadmin_with_a_password_from_the_environment(migrated_dir):
    env = subprocess_env(migrated_dir, ADMIN_PW="Gansu-Huachi-2026!")
    result = run_shanzhi("createadmin", "root", "--name", "县管理员", "--password-env", "ADMIN_PW", env=env)
    assert result.returncode == 0, result.stderr
    assert "created administrator root" in result.stdout
    again = run_shanzhi("createadmin", "root", "--password-env", "ADMIN_PW", env=env)
    assert again.returncode == 0
    assert "updated administrator root" in again.stdout
    with sqlite3.connect(migrated_dir / "shanzhi.sqlite3") as conn:
        row = conn.execute("SELECT is_superuser, is_staff, is_active, full_name FROM people_user "
                           "WHERE username = 'root'").fetchone()
        audited = conn.execute("SELECT channel FROM core_auditevent WHERE action = 'account.admin_ensure'").fetchall()
    assert row == (1, 1, 1, "县管理员")
    assert audited == [("cli",), ("cli",)]


@pytest.mark.parametrize(
    ("value", "message"),
    [("12345678", "太常见"), ("abc", "10"), ("", "empty or not set")],  # zh-hans: the default language
)
def test_createadmin_refuses_a_weak_or_missing_password(migrated_dir, value, message):
    env = subprocess_env(migrated_dir, ADMIN_PW=value)
    result = run_shanzhi("createadmin", "weakling", "--password-env", "ADMIN_PW", env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(migrated_dir / "shanzhi.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM people_user WHERE username = 'weakling'").fetchone() == (0,)


def test_check_health_answers_ok_and_fails_without_a_database(migrated_dir):
    ok = run_shanzhi("check-health", env=subprocess_env(migrated_dir))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "ok"
    down = run_shanzhi("check-health", env=subprocess_env(migrated_dir, DATABASE_URL=BROKEN_DATABASE))
    assert down.returncode == 1
    assert "the database does not answer" in down.stderr


def test_healthz_is_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, background):
    port = _free_port()
    env = subprocess_env(tmp_path, DATABASE_URL=BROKEN_DATABASE)
    server = background([SHANZHI, "serve", "--port", str(port), "--no-migrate"], env, name="serve")
    server.wait_for(lambda: "serving on" in server.output(), what="the server to start")

    def get() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    status, body = get()
    assert status == 503
    assert re.search(r'"status":\s*"unavailable"', body)
    # Still 503 on the next request (no cached dead connection turning it into a 500).
    assert get()[0] == 503
