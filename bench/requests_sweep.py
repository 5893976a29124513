"""The escalation sweep over many open requests, few of them overdue.

    .venv/bin/python bench/requests_sweep.py                     # PostgreSQL on 127.0.0.1, 1,000,000 open
    .venv/bin/python bench/requests_sweep.py --open 200000 --database-url postgres://postgres@127.0.0.1:5432/x

In a scratch PostgreSQL database (dropped and created) holding the test factories' county,
it loads open requests spread over the county's grids with one SQL ``INSERT ... SELECT
generate_series`` (the sweep's input, not what is timed), a share of them past their
deadline, and times ``services.sweep`` as the periodic task runs it: finding the overdue
requests, escalating each one level (one UPDATE per group, a history row and an audit entry
each) and writing the notices to both levels into the outbox (queued for the worker, as
with Redis). Then it times the same number of overdue requests among ten times fewer open
ones, and a sweep with nothing overdue: the cost follows the overdue requests, not the
table (the partial index on escalation_due; the plan is printed). Goal: under 5 s for
1,000,000 open requests with 1% overdue.
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
       CASE WHEN i %% %(every)s = 0 THEN now() - interval '10 minutes' ELSE now() + interval '5 hours' END,
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
        cursor.execute("ANALYZE casework_servicerequest")
    print(f"  loaded {n:,} open requests ({n // every:,} overdue) in {time.perf_counter() - started:.1f} s")


def _sweep() -> tuple[float, int]:
    from shanzhi.casework import services

    started, cpu = time.perf_counter(), time.process_time()
    result = services.sweep()
    seconds = time.perf_counter() - started
    print(f"    (of which this process's CPU: {time.process_time() - cpu:.2f} s; the rest is the database)")
    return seconds, result["escalated"]


def _plan() -> str:
    from django.db import connection
    from django.utils import timezone

    from shanzhi.casework.models import ServiceRequest

    qs = (ServiceRequest.objects.filter(escalation_due__isnull=False, escalation_due__lte=timezone.now())
          .order_by("escalation_due").values_list("pk", flat=True)[:1000])
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


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
    from shanzhi.core.models import Notification, StateChange
    from tests import factories

    county = factories.small_county()
    factories.role_users(county)
    services.categories_install_defaults(actor=None, county=county.county)
    category = Category.objects.get(county=county.county, code="water")
    every = max(1, round(1 / args.overdue_share))
    overdue = args.open // every

    print(f"database: {connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}")
    print(f"1. {args.open:,} open requests, {overdue:,} past their deadline")
    _load(county.county, category, args.open, every, "a")
    print("  the sweep's query plan:\n" + _plan())
    seconds, escalated = _sweep()
    print(f"  sweep: escalated {escalated:,} in {seconds:.2f} s  (goal < 5 s)   "
          f"history rows {StateChange.objects.filter(transition='escalate').count():,}, "
          f"notices {Notification.objects.filter(kind='request.escalated').count():,}")
    again, twice = _sweep()
    print(f"  the same sweep again: escalated {twice} in {again:.3f} s (idempotent)")
    first = seconds

    print(f"2. {args.open // 10:,} open requests, the same {overdue:,} past their deadline")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE casework_servicerequest CASCADE")
    _load(county.county, category, args.open // 10, every // 10 or 1, "b")
    seconds, escalated = _sweep()
    print(f"  sweep: escalated {escalated:,} in {seconds:.2f} s")
    print(f"  ratio (10x the open requests, same overdue): {first / seconds:.2f}  (cost follows the overdue: ~1)")


if __name__ == "__main__":
    main()
