"""The escalation sweep over many open requests, few of them overdue.

    .venv/bin/python bench/requests_sweep.py                     # PostgreSQL on 127.0.0.1, 1,000,000 open
    .venv/bin/python bench/requests_sweep.py --open 200000 --database-url postgres://postgres@127.0.0.1:5432/x

In a scratch PostgreSQL database (dropped and created) holding the test factories' county,
it loads open requests spread over the county's grids with one SQL ``INSERT ... SELECT
generate_series`` (the sweep's input, not what is timed), a share of them past their
deadline (deadlines spread over the last five minutes, the sweep's period), and then, in the
same run and on the same table:

- the baseline: one bare ``UPDATE`` that moves the same overdue requests one level up
  through the same partial index, with nothing else (no batches, no history, no audit, no
  notices), rolled back;
- ``services.sweep`` as the periodic task runs it: finding the overdue requests through the
  partial index, escalating them in batches with one UPDATE per group, a history row each and
  an audit entry per batch, and the digests to both levels in the outbox (queued for the
  worker, as with Redis).

It prints the sweep's time, the goal (under 5 s for 1,000,000 open requests with 1% overdue)
and the ratio sweep / baseline (goal: at most 2, the sweep costs at most twice the bare
UPDATE it cannot do without), then the same with ten times fewer open requests and the same
overdue ones: the cost follows the overdue requests, not the table. The machine's load
average is printed with each figure: on a busy machine the absolute times grow, the ratios
much less.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.requests_filing import _ensure_postgres_database

LOAD_SQL = """
INSERT INTO casework_servicerequest (
    county_id, region_id, region_path, category_id, description, address, attributes, media_url,
    contact_name, contact_phone, channel, token, state, level, handling_path, handler_kind,
    submitted_at, response_due, resolve_due, escalation_due, state_changed_at,
    escalation_count, reopen_count, return_count, result_note, rejection_reason, rating_comment,
    resolved_level, created_at, updated_at)
SELECT %(county)s, g.region_id, g.path, %(category)s, 'bench request ' || i, '', '{}', '', '', '', 'resident',
       md5(%(salt)s || i::text)::uuid, 'submitted', 'village', g.path, '',
       now() - interval '1 hour', now() + interval '5 hours', now() + interval '3 days',
       CASE WHEN i %% %(every)s = 0 THEN now() - interval '1 second' * (1 + i %% 300)
            ELSE now() + interval '1 second' * (600 + i %% 86400) END,
       now() - interval '1 hour', 0, 0, 0, '', '', '', '', now(), now()
FROM generate_series(1, %(n)s) AS i
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id AS region_id, path FROM regions_region
      WHERE level = 7) AS g ON g.k = i %% %(grids)s
"""


def _setup(url: str) -> None:
    os.environ.pop("REDIS_URL", None)
    os.environ["SHANZHI_DATA_DIR"] = tempfile.mkdtemp(prefix="requests-sweep-")
    _ensure_postgres_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shanzhi.celery import app

    app.conf.task_always_eager = False  # the notices are queued for a worker, as with Redis
    from django.urls import reverse

    reverse("casework:index")  # a worker has its URLs loaded after its first task: not timed here


def _load(county, category, n: int, every: int, salt: str) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    from shanzhi.regions.models import Region

    grids = Region.objects.filter(level=Region.Level.GRID).count()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(LOAD_SQL, {"county": county.pk, "category": category.pk, "n": n, "every": every,
                                  "grids": grids, "salt": salt})
        # As autovacuum leaves a table that has been there a while (hint bits, visibility map).
        cursor.execute("VACUUM ANALYZE casework_servicerequest")
    print(f"  loaded {n:,} open requests ({n // every:,} overdue) in {time.perf_counter() - started:.1f} s")


# The floor: the same requests moved one level up by one statement through the same partial
# index, with none of what the sweep adds (batches, history rows, audit, notices).
BARE_ESCALATION = """
UPDATE casework_servicerequest
   SET state = 'escalated', level = 'township', handling_path = substr(region_path, 1, %(township)s),
       escalation_count = escalation_count + 1, escalation_due = now() + interval '6 hours',
       escalated_at = now(), state_changed_at = now(), updated_at = now()
 WHERE escalation_due IS NOT NULL AND state IN ({open}) AND escalation_due <= now() AND level = 'village'
"""


def _load_average() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _baseline(county_path: str) -> tuple[float, int]:
    from django.db import connection, transaction

    from shanzhi.casework.flow import OPEN_UNRESOLVED
    from shanzhi.core.tiers import township_path_length

    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        # The states inline, as the ORM writes them, so the planner matches the partial index.
        sql = BARE_ESCALATION.format(open=", ".join(f"'{state}'" for state in OPEN_UNRESOLVED))
        cursor.execute(sql, {"township": township_path_length(county_path)})
        seconds, moved = time.perf_counter() - started, cursor.rowcount
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM casework_servicerequest")  # what the rolled-back update left behind
    return seconds, moved


def _sweep() -> tuple[float, int, float]:
    """The sweep's wall time, what it escalated, and this process's CPU time (the rest of the
    wall time is PostgreSQL, and waiting for a core on a busy machine)."""
    from shanzhi.casework import services

    started, cpu = time.perf_counter(), time.process_time()
    result = services.sweep()
    return time.perf_counter() - started, result["escalated"], time.process_time() - cpu


def _plan() -> str:
    from django.db import connection
    from django.utils import timezone

    from shanzhi.casework.models import ESCALATION_CLOCK, ServiceRequest

    qs = (ServiceRequest.objects.filter(ESCALATION_CLOCK, escalation_due__lte=timezone.now())
          .order_by("escalation_due", "pk").values_list("pk", flat=True)[:1000])
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def _round(label: str, county, category, n: int, every: int, salt: str) -> float:  # type: ignore[no-untyped-def]
    from shanzhi.core.models import Notification, StateChange

    print(f"{label}. {n:,} open requests, {n // every:,} past their deadline")
    _load(county, category, n, every, salt)
    base, moved = _baseline(county.path)
    print(f"  baseline, one bare UPDATE of the same requests: {moved:,} in {base:.2f} s   ({_load_average()})")
    history = StateChange.objects.filter(transition="escalate").count()
    notices = Notification.objects.filter(kind="request.escalated").count()
    seconds, escalated, cpu = _sweep()
    print(f"  sweep: escalated {escalated:,} in {seconds:.2f} s (goal < 5 s for 1,000,000 / 10,000; "
          f"this process's CPU {cpu:.2f} s)   ({_load_average()})")
    print(f"  ratio sweep / baseline: {seconds / base:.2f}  (goal <= 2)   "
          f"history rows {StateChange.objects.filter(transition='escalate').count() - history:,}, "
          f"notices {Notification.objects.filter(kind='request.escalated').count() - notices:,}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/requests_sweep_bench")
    parser.add_argument("--open", type=int, default=1_000_000, help="open requests")
    parser.add_argument("--overdue-share", type=float, default=0.01)
    args = parser.parse_args()
    _setup(args.database_url)

    from django.db import connection

    from shanzhi.casework import services
    from shanzhi.casework.models import Category
    from tests import factories

    county = factories.small_county()
    factories.role_users(county)
    services.categories_install_defaults(actor=None, county=county.county)
    category = Category.objects.get(county=county.county, code="water")
    every = max(1, round(1 / args.overdue_share))

    print(f"database: {connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}; "
          f"{os.cpu_count()} cores, {_load_average()}")
    # A worker's first sweep loads what every later one reuses (translations, content types,
    # the task's code): done once on a hundred requests, not timed.
    with connection.cursor() as cursor:
        cursor.execute(LOAD_SQL, {"county": county.county.pk, "category": category.pk, "n": 100, "every": 10,
                                  "grids": 1, "salt": "w"})
        _sweep()
        cursor.execute("TRUNCATE casework_servicerequest CASCADE")
    first = _round("1", county.county, category, args.open, every, "a")
    print("  the sweep's query plan:\n" + _plan())
    again, twice, _cpu = _sweep()
    print(f"  the same sweep again: escalated {twice} in {again:.3f} s (idempotent)")

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE casework_servicerequest CASCADE")
    second = _round("2", county.county, category, args.open // 10, every // 10 or 1, "b")
    print(f"ratio of the sweeps, 10x the open requests / the same overdue among 10x fewer: {first / second:.2f}  "
          f"(cost follows the overdue: ~1)")


if __name__ == "__main__":
    main()
