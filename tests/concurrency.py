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


# -- a real server and plain HTTP clients --------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, token: str = "", body: Any = None, timeout: float = 30,
         form: dict[str, Any] | None = None) -> tuple[int, Any]:
    """(status, parsed JSON or text) of one request with a JSON ``body`` or an urlencoded
    ``form``; a refused connection or a timeout is status 0."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 (http://)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, repr(exc)
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def serve(background: Callable[..., Any], env: dict[str, str], threads: int = 8,
          name: str = "serve") -> tuple[Any, str]:
    """``shanzhi serve`` on a free port with ``env`` (started by the ``background`` fixture of
    tests/core/conftest.py); returns the process and its base URL once /healthz answers."""
    from tests.core.processes import SHANZHI

    port = free_port()
    server = background([SHANZHI, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", str(threads),
                         "--no-migrate"], env, name=name)
    base = f"http://127.0.0.1:{port}"
    server.wait_for(lambda: http("GET", f"{base}/healthz", timeout=5)[0] == 200, timeout=90,
                    what="the server to answer /healthz")
    return server, base
