"""Helpers for tests on real concurrent connections (threads, each with its own database
connection) and for the ``shared_db`` fixture they need: committed data that other threads
and processes see. On SQLite that needs the test database in a file (the default, see
settings.py); an in-memory one is private to its connection.

Use: ``from tests.concurrency import race, shared_db  # noqa: F401`` and
``@pytest.mark.usefixtures("shared_db")`` (a fixture is found by name in the test module)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections


def race(n: int, target: Callable[[int], Any], timeout: float = 60) -> list[Any]:
    """Run ``target(i)`` for i in 0..n-1 in n threads released together; each thread closes
    its own connections. Returns the results in order; an exception is returned in place of
    the result (so one failure does not hide the others)."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            results[i] = target(i)
        except Exception as exc:  # the test asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), name=f"race-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racing thread did not finish"
    return results


@pytest.fixture
def shared_db(transactional_db: None) -> None:
    from tests.core.conftest import in_memory_sqlite

    if in_memory_sqlite():
        pytest.skip("needs a test database other connections can share: on SQLite set "
                    "TEST_DATABASE_NAME=/tmp/<name>/test.sqlite3")
