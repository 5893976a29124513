"""The command centre's views from the rollups against the naive queries over the raw tables.

    .venv/bin/python bench/command_dashboard.py                          # SQLite, one county
    .venv/bin/python bench/command_dashboard.py --counties 4 --requests 250000 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_command

In a scratch database (a temporary SQLite file; on PostgreSQL the named database, dropped
and created), it builds ``--counties`` counties of 12 townships x 12 villages x 4 grids and
loads ``--requests`` requests and ``--disputes`` disputes per county over the last three
years (states, times, ratings and levels varied as in real data), builds the rollups once,
then times each dashboard view as a county leader opens it: ``--repeat`` times from the
rollups (p50, p95) and from the raw tables through the modules' selectors, the live path
(p50, p95), and prints the ratio of the p95s. Last, the incremental cost: one minute of a
province's new records (``--per-minute`` new requests, four times as many changed ones,
a tenth as many disputes), written through the ORM with their history rows, then one
``refresh`` run, timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _setup(url: str | None) -> None:
    from bench.requests_filing import django_for_bench

    django_for_bench(url, "command-bench-")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _regions(n_counties: int) -> list[Any]:
    from shanzhi.regions.models import Region
    from shanzhi.regions.services import build_region

    counties = []
    for k in range(n_counties):
        code = f"62{10 + k:02d}23"
        county = build_region(parent=None, code=f"{code}000000", name=f"第{k + 1}县", kind=Region.Kind.COUNTY)
        county.save()
        county.county = county
        county.save(update_fields=["county"])
        towns = [build_region(parent=county, code=f"{code}{100 + t:03d}000", name=f"第{t + 1}镇",
                              kind=Region.Kind.TOWN) for t in range(12)]
        Region.objects.bulk_create(towns)
        villages = [build_region(parent=t, code=t.code[:9] + f"{201 + v:03d}", name=f"{t.name}第{v + 1}村",
                                 kind=Region.Kind.VILLAGE) for t in towns for v in range(12)]
        Region.objects.bulk_create(villages)
        grids = [build_region(parent=v, code=v.code + f"{g + 1:03d}", name=f"{v.name}第{g + 1}网格",
                              kind=Region.Kind.GRID) for v in villages for g in range(4)]
        Region.objects.bulk_create(grids)
        counties.append(county)
    return counties


def _load(county: Any, n_requests: int, n_disputes: int, rng: random.Random) -> None:
    from django.utils import timezone

    from shanzhi.casework import services as casework
    from shanzhi.casework.models import Category, ServiceRequest
    from shanzhi.disputes import services as disputes
    from shanzhi.disputes.models import Dispute, DisputeType
    from shanzhi.regions.models import Region

    casework.categories_install_defaults(actor=None, county=county)
    disputes.types_install_defaults(actor=None, county=county)
    categories = list(Category.objects.filter(county=county).values_list("pk", flat=True))
    types = list(DisputeType.objects.filter(county=county).values_list("pk", flat=True))
    places = list(Region.objects.filter(county=county, level__gte=Region.Level.VILLAGE).values_list("pk", "path"))
    now = timezone.now()
    states = ["closed"] * 12 + ["resolved"] * 3 + ["submitted", "dispatched", "accepted", "in_progress", "rejected"]
    batch: list[Any] = []
    for _i in range(n_requests):
        region_id, path = rng.choice(places)
        submitted = now - dt.timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        # Older requests are nearly all finished; the open ones are the last month's.
        state = rng.choice([*states[:15], "rejected"]) if submitted < now - dt.timedelta(days=30) \
            else rng.choice(states[10:])
        done = state in ("resolved", "closed")
        response = rng.randint(300, 100_000)
        batch.append(ServiceRequest(
            county_id=county.pk, region_id=region_id, region_path=path, category_id=rng.choice(categories),
            description="bench", channel="resident", state=state, level="village", handling_path=path,
            submitted_at=submitted, response_due=submitted + dt.timedelta(hours=24),
            resolve_due=submitted + dt.timedelta(days=rng.choice([3, 5, 10])), state_changed_at=submitted,
            accepted_at=submitted + dt.timedelta(seconds=response) if state not in ("submitted", "dispatched")
            else None,
            response_seconds=response if state not in ("submitted", "dispatched") else None,
            resolve_seconds=rng.randint(3600, 900_000) if done else None,
            resolved_at=submitted + dt.timedelta(days=1) if done else None,
            responded_on_time=response < 86400, resolved_on_time=rng.random() < 0.9 if done else None,
            rating=rng.choice([None, 3, 4, 5, 5]) if done else None,
            resolved_level=rng.choice(["village"] * 6 + ["township"] * 3 + ["county"]) if done else ""))
        if len(batch) >= 5000:
            ServiceRequest.objects.bulk_create(batch)
            batch = []
    ServiceRequest.objects.bulk_create(batch)
    batch = []
    d_states = ["closed"] * 8 + ["agreed", "referred", "withdrawn", "mediating", "clue", "accepted"]
    for _i in range(n_disputes):
        region_id, path = rng.choice(places)
        reported = now - dt.timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        state = rng.choice(d_states) if reported > now - dt.timedelta(days=60) else rng.choice(d_states[:11])
        settled = state in ("agreed", "closed")
        batch.append(Dispute(
            county_id=county.pk, region_id=region_id, region_path=path, handling_path=path,
            type_id=rng.choice(types), source="screening", summary="bench", reported_at=reported, state=state,
            level="village", settled_level="village" if settled else "", on_the_spot=rng.random() < 0.4,
            referred_to="court" if state == "referred" else "",
            accept_due=reported + dt.timedelta(days=1), mediation_due=reported + dt.timedelta(days=15),
            state_changed_at=reported, settled_at=reported + dt.timedelta(days=rng.randint(0, 20)) if settled
            else None))
        if len(batch) >= 5000:
            Dispute.objects.bulk_create(batch)
            batch = []
    Dispute.objects.bulk_create(batch)


def _time(fn: Any, repeat: int) -> tuple[float, float]:
    runs = []
    for _i in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return statistics.median(runs), runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]


def _views(viewer: Any, county: Any) -> dict[str, Any]:
    from shanzhi.command import selectors

    month, year = selectors.period("month"), selectors.period("year")
    town = county.children.order_by("code").first()

    def figures(region: Any, per: Any) -> Any:
        # The request and dispute figures of the dashboard (the smaller modules' are the same on both paths).
        return (selectors._requests_totals(viewer, region, now=None, hist=False),
                selectors._requests_totals(viewer, region, per.since, per.until),
                selectors._disputes_totals(viewer, region, counts_only=True),
                selectors._disputes_totals(viewer, region, per.since, per.until))

    return {
        "county figures, this month": lambda: figures(county, month),
        "township figures, this year": lambda: figures(town, year),
        "county drill-down, this month": lambda: selectors.children(viewer, county, month),
        "county trend by month (+ last year)": lambda: selectors.trend(viewer, county, "month"),
        "county trend by day (+ last year)": lambda: selectors.trend(viewer, county, "day"),
    }


def _minute(county: Any, per_minute: int, rng: random.Random) -> int:
    """One minute of new and changed records, written as the services write them (a row, a
    history row per change)."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from shanzhi.casework.models import ServiceRequest
    from shanzhi.core.models import StateChange

    template = ServiceRequest.objects.filter(county=county).order_by("-pk").first()
    assert template is not None
    now = timezone.now()
    fresh = []
    for _i in range(per_minute):
        template.pk = None
        template.token = uuid.uuid4()
        template.submitted_at, template.state = now, "submitted"
        template.save()
        fresh.append(template.pk)
    top = template.pk
    ct = ContentType.objects.get_for_model(ServiceRequest)
    changed = rng.sample(range(1, top), min(top - 1, 4 * per_minute))
    ServiceRequest.objects.filter(pk__in=changed, state="resolved").update(state="closed", closed_at=now)
    StateChange.objects.bulk_create([StateChange(content_type=ct, object_id=pk, workflow="request",
                                                 transition="close", from_state="resolved", to_state="closed", at=now)
                                     for pk in changed])
    return len(fresh) + len(changed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="PostgreSQL database (dropped and created)")
    parser.add_argument("--counties", type=int, default=1)
    parser.add_argument("--requests", type=int, default=250_000, help="per county")
    parser.add_argument("--disputes", type=int, default=10_000, help="per county")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--naive-repeat", type=int, default=5)
    parser.add_argument("--per-minute", type=int, default=20, help="new requests per minute (province: ~16)")
    args = parser.parse_args()
    _setup(args.database_url)

    from django.db import connection

    from shanzhi.command import rollups
    from shanzhi.core import access
    from shanzhi.people.models import User

    rng = random.Random(2026)
    started = time.perf_counter()
    counties = _regions(args.counties)
    for county in counties:
        _load(county, args.requests, args.disputes, rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"{connection.vendor}: {args.counties} counties, {args.counties * args.requests:,} requests, "
          f"{args.counties * args.disputes:,} disputes loaded in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    rollups.refresh_all(rebuild=True)
    print(f"rollups built from scratch in {time.perf_counter() - started:.1f} s")

    admin = User.objects.create_superuser(username="bench", password="x")  # noqa: S106
    viewer = access.viewer_for(admin)
    county = counties[0]
    views = _views(viewer, county)
    ready = rollups.ready
    print(f"\n{'view (county leader)':40} {'rollup p50':>10} {'p95 ms':>8} {'naive p50':>10} {'p95 ms':>8} "
          f"{'ratio':>7}")
    for name, fn in views.items():
        fn()  # warm
        r50, r95 = _time(fn, args.repeat)
        rollups.ready = lambda _source: False  # type: ignore[assignment]
        try:
            fn()
            n50, n95 = _time(fn, args.naive_repeat)
        finally:
            rollups.ready = ready  # type: ignore[assignment]
        print(f"{name:40} {r50:10.1f} {r95:8.1f} {n50:10.1f} {n95:8.1f} {n95 / r95:6.0f}x")

    print("\nincremental runs (one minute of new and changed records each):")
    for _i in range(3):
        records = _minute(county, args.per_minute, rng)
        started = time.perf_counter()
        run = rollups.refresh("request")
        spent = time.perf_counter() - started
        print(f"  {records} records ({args.per_minute} new) -> {run.own_cells} own + {run.tree_cells} subtree "
              f"cells, {run.due_rows} due rows in {spent * 1000:.0f} ms")
    started = time.perf_counter()
    quiet = rollups.refresh("request")
    print(f"  a run with nothing new: {(time.perf_counter() - started) * 1000:.0f} ms "
          f"({quiet.changed_records} records re-read in the lag window)")


if __name__ == "__main__":
    main()
