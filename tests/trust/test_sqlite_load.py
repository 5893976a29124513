"""The embedded SQLite under 50 concurrent clients (issue 11): the real server (`shanzhi serve`,
waitress threads, the embedded database's WAL and busy-timeout settings) on a data folder of
its own, 50 client threads on a mixed read/write load for a bounded time: residents filing
requests and reading their lists, the village filing and approving points awards (ledger
postings). No "database is locked", no 5xx, nothing in the server log, and every write the
server acknowledged is in the database afterwards.

About SQLite only: skipped in the PostgreSQL run. Takes about 40 s (20 s of load).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from shanzhi.casework import services as casework
from shanzhi.people import services as people
from shanzhi.regions.models import Resident
from tests import factories
from tests.concurrency import http, serve, shared_db  # noqa: F401 (fixture)
from tests.core.conftest import background  # noqa: F401 (fixture)
from tests.core.processes import subprocess_env
from tests.points.conftest import build_setup

pytestmark = [
    pytest.mark.skipif("sqlite" not in settings.DATABASES["default"]["ENGINE"],
                       reason="about the embedded SQLite; the PostgreSQL run has its own races "
                              "(tests/trust/test_races.py)"),
    pytest.mark.usefixtures("shared_db"),
]

CLIENTS = 50
LOAD_SECONDS = 20


def _copy_database(data_dir: Path) -> Path:
    """The test database (committed data, migrated schema) as the data folder's embedded
    database, copied with SQLite's backup API."""
    connections.close_all()
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "shanzhi.sqlite3"
    source = sqlite3.connect(str(connection.settings_dict["NAME"]))
    copy = sqlite3.connect(str(target))
    source.backup(copy)
    copy.close()
    source.close()
    return target


def test_fifty_clients_on_sqlite_no_lock_errors_nothing_lost(tmp_path, background):  # noqa: F811
    county = factories.small_county()
    factories.role_users(county)
    casework.categories_install_defaults(actor=None, county=county.county)
    setup = build_setup(county)
    homes = setup.households()
    residents = []
    for person in Resident.objects.filter(relation="head").exclude(pk=county.users["resident"].resident_id)[:15]:
        residents.append(factories.user(f"u_load_{person.pk}", phone=person.phone, resident=person))
    resident_keys = [people.token_create(actor=u, name="load")[1] for u in [county.users["resident"], *residents]]
    cadre_key = people.token_create(actor=setup.users["village_committee"], name="load")[1]
    reviewer_key = people.token_create(actor=setup.users["reviewer"], name="load")[1]

    database = _copy_database(tmp_path / "data")
    env = subprocess_env(tmp_path / "data")
    server, base = serve(background, env, threads=16)

    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    failures: list[tuple[str, int, object]] = []
    filed: list[int] = []
    approved: list[int] = []
    deadline = time.monotonic() + LOAD_SECONDS

    def call(what: str, method: str, path: str, key: str, **kwargs) -> tuple[int, object]:
        status, body = http(method, base + path, key, timeout=60, **kwargs)
        with lock:
            statuses[status] += 1
            if status == 0 or status >= 500:
                failures.append((what, status, body))
        return status, body

    def client(i: int) -> None:
        rng = random.Random(i)
        key = resident_keys[i % len(resident_keys)]
        while time.monotonic() < deadline:
            roll = rng.random()
            if roll < 0.35:
                status, body = call("file", "POST", "/api/requests", key,
                                    body={"category": "water", "description": f"负载测试 {i}-{rng.random():.6f}"})
                if status == 201:
                    with lock:
                        filed.append(body["id"])
            elif roll < 0.5:
                home = homes[rng.randrange(len(homes))]
                status, body = call("award", "POST", "/api/points/awards", cadre_key,
                                    form={"household_id": home.pk, "rule_id": setup.rule.pk,
                                          "occurred_on": dt.date.today().isoformat()})
                if status == 201:
                    status, body = call("approve", "POST", f"/api/points/awards/{body['id']}/approve", reviewer_key,
                                        body={"note": ""})
                    if status == 200:
                        with lock:
                            approved.append(body["id"])
            elif roll < 0.8:
                call("list", "GET", "/api/requests?queue=mine", key)
            else:
                call("awards", "GET", "/api/points/awards", cadre_key)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LOAD_SECONDS + 120)
    assert not any(t.is_alive() for t in threads)

    log = server.output()
    assert failures == [], failures[:5]
    assert "database is locked" not in log
    assert "Internal Server Error" not in log
    assert filed, statuses
    assert approved, statuses
    assert set(statuses) <= {200, 201}, statuses  # nothing refused either: a 409/422 here would be a bug
    server.stop()

    with sqlite3.connect(str(database)) as db:
        stored = {r[0] for r in db.execute("SELECT id FROM casework_servicerequest")}
        posted = {r[0] for r in db.execute("SELECT id FROM points_award WHERE state = 'approved'")}
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert set(filed) <= stored
    assert set(approved) <= posted
