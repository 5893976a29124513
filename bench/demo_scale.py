"""Generate the demo at a given scale into a given database; print households per second
and memory after each county, to show that streaming keeps memory flat.

    .venv/bin/python bench/demo_scale.py --scale 5 --data-dir /tmp/bench-demo
    .venv/bin/python bench/demo_scale.py --scale 5 --database-url postgres://postgres@127.0.0.1:5432/demo_bench
    .venv/bin/python bench/demo_scale.py --scale 3 --data-dir /tmp/bench-demo2 --tracemalloc

Ten million households is ``--scale 556`` (18,000 households a county). The database must
be new (the demo refuses one holding anything else, and reuses a finished demo); a
PostgreSQL database named in the URL is created when missing. Peak RSS is the process's
high-water mark (getrusage; it includes SQLite's page cache, up to 64 MB); with
--tracemalloc, also the Python heap's peak per county (many times slower: every
allocation is traced, so use it with a small --scale).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ensure_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1, help="number of counties (18,000 households each)")
    parser.add_argument("--size", choices=["full", "small"], default="full")
    parser.add_argument("--seed", type=int, default=None)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--data-dir", help="folder of a new embedded SQLite database")
    target.add_argument("--database-url", help="a PostgreSQL URL (the database is created when missing)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap's peak per county")
    args = parser.parse_args()

    os.environ.pop("DATABASE_URL", None)
    if args.database_url:
        _ensure_postgres_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ["SHANZHI_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    os.environ["DJANGO_SETTINGS_MODULE"] = "shanzhi.settings"
    os.environ.setdefault("DEBUG", "0")  # DEBUG would keep every query in memory

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shanzhi.demo import accounts, services

    call_command("migrate", verbosity=0, interactive=False)
    if services.demo_last_build() is not None:
        print("this database holds a finished demo already; give a new --data-dir or database")
        raise SystemExit(2)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"{'county':>6} {'households':>11} {'seconds':>8} {'hh/s':>8} {'total hh/s':>10} {'RSS MB':>8} "
          f"{'peak MB':>8}" + (f" {'heap peak MB':>12}" if args.tracemalloc else ""))
    if args.tracemalloc:
        tracemalloc.start()
    started = time.monotonic()
    done = 0
    first_rss: list[float] = []

    def progress(step) -> None:
        nonlocal done
        done += step.counts.households
        rate = step.counts.households / step.seconds if step.seconds else 0
        total_rate = done / (time.monotonic() - started)
        rss = _rss_mb()
        first_rss.append(rss)
        line = (f"{step.county + 1:>6} {done:>11,} {step.seconds:>8.1f} {rate:>8,.0f} {total_rate:>10,.0f} "
                f"{rss:>8.1f} {_peak_mb():>8.1f}")
        if args.tracemalloc:
            line += f" {tracemalloc.get_traced_memory()[1] / 2**20:>12.1f}"
            tracemalloc.reset_peak()
        print(line, flush=True)

    result = services.demo_build(scale=args.scale, size=args.size, progress=progress,
                                 **({"seed": args.seed} if args.seed is not None else {"seed": accounts.DEMO_SEED}))
    seconds = time.monotonic() - started
    households = result.counts["households"]
    print(f"\n{result.counts['counties']} counties, {households:,} households, {result.counts['residents']:,} "
          f"residents in {seconds:.1f} s: {households / seconds:,.0f} households/s")
    print(f"RSS after the first county {first_rss[0]:.1f} MB, after the last {first_rss[-1]:.1f} MB, "
          f"peak {_peak_mb():.1f} MB")


if __name__ == "__main__":
    main()
