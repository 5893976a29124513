"""Fixtures of the core's tests.

- The test-only app ``tests.core.wfapp`` (a small case model with a workflow) is installed
  here, for the test run only, before the test database is created, so its migration runs
  with the project's. ``shanzhi makemigrations --check`` never sees it.
- ``shared_db``: a test database other threads and processes can use (committed data, real
  connections). On SQLite that needs a file (TEST_DATABASE_NAME=/path/test.sqlite3): an
  in-memory database is private to its process, and its shared-cache locking is not the
  one production uses.
- ``redis_url``: Redis DB 3 (``SHANZHI_TEST_REDIS_URL`` to change); skips the test if
  Redis does not answer, fails it instead when SHANZHI_REQUIRE_REDIS=1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.core.processes import Background, run_shanzhi, subprocess_env

TEST_APP = "tests.core.wfapp"


def pytest_configure(config: pytest.Config) -> None:
    from django.apps import apps
    from django.conf import settings

    if TEST_APP not in settings.INSTALLED_APPS:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, TEST_APP]
        # Re-populates the registry with the extra app (Django's own tests do the same
        # through override_settings); done once, before any test database exists.
        apps.set_installed_apps(settings.INSTALLED_APPS)


def in_memory_sqlite() -> bool:
    from django.db import connection

    if connection.vendor != "sqlite":
        return False
    name = str(connection.settings_dict.get("TEST", {}).get("NAME") or "")
    return not name or name == ":memory:" or "mode=memory" in name


@pytest.fixture
def shared_db(transactional_db: None) -> None:
    if in_memory_sqlite():
        pytest.skip("needs a test database other connections can share: on SQLite set "
                    "TEST_DATABASE_NAME=/tmp/<name>/test.sqlite3")


@pytest.fixture
def background(tmp_path: Path) -> Iterator[Callable[..., Background]]:
    started: list[Background] = []

    def start(args: list[str], env: dict[str, str], name: str = "process") -> Background:
        proc = Background(args, env, tmp_path / f"{name}.log")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def redis_url() -> str:
    import redis

    url = os.environ.get("SHANZHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("SHANZHI_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {url} does not answer: {exc}")
        pytest.skip(f"Redis at {url} does not answer (set SHANZHI_REQUIRE_REDIS=1 to fail instead)")
    client.flushdb()  # this database number is the core tests' own
    client.close()
    return url


@pytest.fixture(scope="session")
def migrated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose embedded database `shanzhi migrate` created (once per run)."""
    data = tmp_path_factory.mktemp("shanzhi-data")
    result = run_shanzhi("--data-dir", str(data), "migrate", env=subprocess_env(data))
    assert result.returncode == 0, result.stderr
    return data
