"""Faults, on real processes (issue 11): a process killed with SIGKILL in the middle of a roster
import and of a run of redemptions leaves nothing half written; with Redis down a request is
still filed and its background work catches up when Redis returns; a PostgreSQL restart
under a running server needs no manual step.

Run alone: ``.venv/bin/pytest -n 0 tests/trust/test_faults.py`` (add DATABASE_URL=... for
PostgreSQL). Each test is bounded (about a minute at most on a busy 2-core machine).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from shanzhi.casework import services as casework
from shanzhi.core import backup, idnumbers
from shanzhi.core.models import AuditEvent, Notification
from shanzhi.ledger import services as ledger
from shanzhi.ledger.models import Account, Entry
from shanzhi.people import services as people
from shanzhi.points import selectors as points_selectors
from shanzhi.points import services as points_services
from shanzhi.points.models import Goods, Redemption, StockMovement
from shanzhi.regions.models import Household, Resident
from tests import factories
from tests.concurrency import http, serve, shared_db  # noqa: F401 (fixture)
from tests.core.conftest import background  # noqa: F401 (fixture)
from tests.core.processes import SHANZHI, database_url, subprocess_env
from tests.points.conftest import award, build_setup
from tests.roster.conftest import GRID_A, GRID_B, write_csv

pytestmark = pytest.mark.usefixtures("shared_db")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return subprocess_env(tmp_path / "data", DATABASE_URL=database_url(), **extra)


def _kill_when(proc: subprocess.Popen, log: Path, ready, timeout: float = 60) -> str:
    """SIGKILL ``proc`` as soon as ``ready(output)`` holds; fails if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if ready(output):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            return output
        if proc.poll() is not None:
            pytest.fail(f"the process ended ({proc.returncode}) before it could be killed:\n{output[-3000:]}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"timed out:\n{log.read_text(errors='replace')[-3000:]}")


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    connections.close_all()
    return subprocess.Popen(args, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


# -- (a) SIGKILL mid-write ----------------------------------------------------------------------

def _roster_rows(households: int) -> list[list[str]]:
    rows = []
    for h in range(households):
        number, grid = f"K{h:06d}", (GRID_A, GRID_B)[h % 2]
        for i, (name, relation, male) in enumerate((("王大山", "户主", True), ("李秀兰", "妻", False),
                                                    ("王小明", "儿子", True))):
            k = h * 3 + i
            born = dt.date(1950, 1, 1) + dt.timedelta(days=k // 400)
            rows.append([number, "王大山", name, relation, "男" if male else "女",
                         idnumbers.make_id("621023", born, k % 400, male), "", "", grid, f"张湾村{h}号", ""])
    return rows


def test_sigkill_mid_import_writes_nothing(tmp_path):
    factories.small_county()
    households, residents = Household.objects.count(), Resident.objects.count()
    roster = write_csv(tmp_path / "roster.csv", _roster_rows(8000))  # 24,000 rows, batches of 1,000
    log = tmp_path / "import.log"
    proc = _start([SHANZHI, "import", "households", str(roster), "--progress", "--batch-rows", "1000",
                   "--language", "en"], _env(tmp_path), log)

    def some_batches_written(output: str) -> bool:
        done = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) rows read", output)]
        return bool(done) and max(done) >= 3000

    output = _kill_when(proc, log, some_batches_written)
    assert "imported" not in output.lower()
    # The import is one transaction (ADR 0005): all of it or none; killed, none.
    assert Household.objects.count() == households
    assert Resident.objects.count() == residents
    assert not Household.objects.filter(number__startswith="K").exists()
    assert not AuditEvent.objects.filter(action__startswith="roster.").exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone()[0] == "ok"


REDEEM_LOOP = """
import os
from shanzhi.core.errors import DomainError
from shanzhi.people.models import User
from shanzhi.points import services
from shanzhi.points.models import Shop
from shanzhi.regions.models import Household
keeper = User.objects.get(pk=int(os.environ["KEEPER"]))
shop = Shop.objects.get(pk=int(os.environ["SHOP"]))
home = Household.objects.get(pk=int(os.environ["HOME"]))
n = 0
while True:
    try:
        services.redeem(actor=keeper, shop=shop, household=home, lines=[(int(os.environ["GOODS"]), 1)])
    except DomainError as exc:
        print("stopped:", exc.code, flush=True)
        break
    n += 1
    print("redeemed", n, flush=True)
"""


def test_sigkill_mid_redemptions_leaves_the_ledger_whole(tmp_path):
    county = factories.small_county()
    factories.role_users(county)
    setup = build_setup(county)
    home = setup.households()[0]
    for _ in range(30):
        award(setup, home)  # 150 points
    keeper = setup.users["shopkeeper"]
    soap = points_services.goods_create(actor=setup.users["village_committee"], shop=setup.shop, name="肥皂",
                                        points_price=1, value_fen=300, unit="块")
    points_services.stock_in(actor=setup.users["village_committee"], goods=soap, quantity=1000)
    balance, stock = points_selectors.balance(home), Goods.objects.get(pk=soap.pk).stock
    log = tmp_path / "redeem.log"
    proc = _start([SHANZHI, "shell", "-c", REDEEM_LOOP],
                  _env(tmp_path, KEEPER=str(keeper.pk), SHOP=str(setup.shop.pk), HOME=str(home.pk),
                       GOODS=str(soap.pk)), log)
    output = _kill_when(proc, log, lambda out: "redeemed 15\n" in out)
    assert "stopped" not in output
    acknowledged = max(int(n) for n in re.findall(r"redeemed (\d+)", output))

    redeemed = Redemption.objects.filter(household=home).count()
    assert redeemed in (acknowledged, acknowledged + 1)  # the one in flight committed or not, whole
    assert points_selectors.balance(home) == balance - redeemed
    assert Goods.objects.get(pk=soap.pk).stock == stock - redeemed
    assert StockMovement.objects.filter(goods=soap, kind="redemption").count() == redeemed
    assert ledger.verify() == []
    # Every account's balance is the sum of its entries.
    for account in Account.objects.all():
        entries = sum(Entry.objects.filter(account=account).values_list("amount", flat=True))
        assert account.balance == entries, account
    verified = subprocess.run([SHANZHI, "verify-ledger"], env=_env(tmp_path), capture_output=True, text=True,
                              timeout=120, check=False)
    assert verified.returncode == 0, verified.stderr


# -- (b) Redis down ------------------------------------------------------------------------------

def _redis(start, port: int, name: str):
    server = start([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no"], {"PATH": os.environ.get("PATH", "")}, name=name)
    server.wait_for(lambda: "Ready to accept connections" in server.output(), timeout=30, what="redis-server")
    return server


def test_with_redis_down_requests_are_filed_and_the_work_catches_up(tmp_path, background):  # noqa: F811
    from tests.concurrency import free_port

    if not shutil.which("redis-server"):
        if os.environ.get("SHANZHI_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is not installed (SHANZHI_REQUIRE_REDIS=1)")
        pytest.skip("redis-server is not installed (set SHANZHI_REQUIRE_REDIS=1 to fail instead)")
    county = factories.small_county()
    factories.role_users(county)
    casework.categories_install_defaults(actor=None, county=county.county)
    _token, key = people.token_create(actor=county.users["resident"], name="faults")
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    redis = _redis(background, port, "redis")
    env = _env(tmp_path, REDIS_URL=redis_url)
    server, base = serve(background, env, threads=4)

    redis.stop()
    status, body = http("POST", f"{base}/api/requests", key, {"category": "water", "description": "Redis 停了也要受理"})
    assert status == 201, (body, server.output()[-4000:])
    filed = body["id"]
    pending = Notification.objects.filter(delivered_at__isnull=True)
    assert pending.exists(), "filing tells the grid (a notification row in the outbox)"
    waiting = set(pending.values_list("pk", flat=True))
    assert http("GET", f"{base}/api/requests?queue=mine", key)[0] == 200
    assert http("GET", f"{base}/healthz")[0] == 200
    assert "could not queue core.notifications_deliver" in server.output()
    assert "Internal Server Error" not in server.output()

    # Redis returns; a worker runs; the periodic catch-up (as beat sends it every minute)
    # delivers what was missed, and new work flows through Redis again.
    _redis(background, port, "redis-again")
    worker = background([SHANZHI, "worker", "--no-beat", "--concurrency", "1"], env, name="worker")
    worker.wait_for(lambda: "ready" in worker.output(), timeout=60, what="the Celery worker")
    sent = subprocess.run([SHANZHI, "shell", "-c", "from shanzhi.core.tasks import notifications_deliver_pending as t;"
                           " t.delay()"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert sent.returncode == 0, sent.stderr
    status, body = http("POST", f"{base}/api/requests", key, {"category": "water", "description": "Redis 回来了"})
    assert status == 201, body

    def all_delivered() -> bool:
        return not Notification.objects.filter(delivered_at__isnull=True).exists()

    worker.wait_for(all_delivered, timeout=40, what="the notifications to be delivered")
    assert Notification.objects.filter(pk__in=waiting, delivered_at__isnull=False).count() == len(waiting)
    assert http("GET", f"{base}/api/requests/{filed}", key)[0] == 200


# -- (c) the database restarted ------------------------------------------------------------------

def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return found[0].parent if found else None


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    runner = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    return subprocess.run([*runner, *args], capture_output=True, text=True, check=False, timeout=60, **kwargs)


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of this test's own (initdb in a temporary folder, a free port),
    stopped and removed at the end. Never the machine's shared server."""
    from tests.concurrency import free_port

    if connection.vendor != "postgresql":
        pytest.skip("a database restart is a PostgreSQL matter (the embedded SQLite is a file, not a server); "
                    "runs in the suite's PostgreSQL run")
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed under /usr/lib/postgresql")
    folder = Path(tempfile.mkdtemp(prefix="shanzhi-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    made = _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                         "--no-sync"])
    assert made.returncode == 0, made.stderr

    def pg_ctl(*args: str) -> subprocess.CompletedProcess:
        return _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "30",
                             "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", *args])

    started = pg_ctl("start")
    assert started.returncode == 0, started.stderr + (folder / "log").read_text(errors="replace")
    try:
        yield port, pg_ctl
    finally:
        pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)


def test_the_server_recovers_when_postgresql_restarts(tmp_path, background, private_postgres):  # noqa: F811
    port, pg_ctl = private_postgres
    county = factories.small_county()
    factories.role_users(county)
    casework.categories_install_defaults(actor=None, county=county.county)
    _token, key = people.token_create(actor=county.users["resident"], name="restart")
    # The private cluster gets this test database's schema and data (a backup, restored).
    file, _manifest = backup.backup(tmp_path / "seed.tar.gz", media=False)
    private_url = f"postgres://postgres@127.0.0.1:{port}/postgres"
    env = subprocess_env(tmp_path / "data", DATABASE_URL=private_url, DB_CONN_MAX_AGE="600")
    seeded = subprocess.run([SHANZHI, "restore", str(file), "--yes"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert seeded.returncode == 0, seeded.stderr

    server, base = serve(background, env, threads=2)
    for _ in range(4):  # every thread holds a persistent connection now
        assert http("GET", f"{base}/api/requests?queue=mine", key)[0] == 200
    restarted = pg_ctl("restart", "-m", "fast")
    assert restarted.returncode == 0, restarted.stderr

    statuses = [http("GET", f"{base}/api/requests?queue=mine", key)[0] for _ in range(4)]
    filed = http("POST", f"{base}/api/requests", key, {"category": "water", "description": "数据库重启之后"})
    assert statuses == [200] * 4, server.output()[-3000:]
    assert filed[0] == 201, filed
    assert http("GET", f"{base}/healthz")[0] == 200
