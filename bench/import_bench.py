"""Roster import benchmark: the import against a raw bulk insert of the same rows.

    .venv/bin/python bench/import_bench.py                      # 100,000 households, SQLite and PostgreSQL
    .venv/bin/python bench/import_bench.py --households 10000 --database sqlite --format xlsx

It generates a roster deterministically (three residents per household, so 100,000
households are 300,000 rows), builds a county with enough grids in a scratch database
(a temporary SQLite file; on PostgreSQL a database ``<name>_roster_bench`` created on the
server of DATABASE_URL, else of postgres://postgres@127.0.0.1:5432), and then, in the same
run and on the same tables:

1. raw: bulk_create of the already-validated households, residents and tags in one
   transaction, batches of 2,000 (what a hand-written loader would do, with no checks);
2. import: ``roster_import`` of the file, all or nothing, as the command line runs it.

Each step runs in a fresh child process, so its peak memory (ru_maxrss) is its own. It
prints rows per second, peak memory, and the ratio raw time / import time (goal: at least
0.25 on both databases, and memory flat as the file grows: under 500 MB for one million
rows). No timing is asserted anywhere; these are figures for docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOUSEHOLDS_PER_GRID = 30
COUNTY = "621023"
HEADER = ["户编号", "户主姓名", "姓名", "与户主关系", "性别", "身份证号", "出生日期", "联系电话", "网格编码", "住址",
          "标签"]
FIRST_DAY = dt.date(1940, 1, 1)
DAYS = 29_000  # 1940 to 2019


# -- the data, the same every run ---------------------------------------------------------------


def grid_codes(households: int) -> list[str]:
    grids = -(-households // HOUSEHOLDS_PER_GRID)
    codes = []
    for i in range(grids):
        township, rest = divmod(i, 400)
        village, grid = divmod(rest, 40)
        codes.append(f"{COUNTY}{100 + township:03d}{200 + village:03d}{1 + grid:03d}")
    return codes


def people(households: int):  # type: ignore[no-untyped-def]
    """(number, head name, name, relation, gender, id, birth, phone, grid, address, tags) per resident."""
    from shanzhi.core.idnumbers import make_id

    grids = grid_codes(households)
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "秀兰建国志强桂英玉梅海燕明华春生德福金凤小红永刚"
    k = 0
    for h in range(households):
        number = f"B{h:07d}"
        grid = grids[h // HOUSEHOLDS_PER_GRID]
        address = f"第{h // HOUSEHOLDS_PER_GRID + 1}网格{h % HOUSEHOLDS_PER_GRID + 1}号"
        family = surnames[h % len(surnames)]
        members = []
        for relation, male in (("户主", True), ("配偶", False), ("子" if h % 2 else "女", h % 2 == 1)):
            day, sequence = k % DAYS, k // DAYS
            birth = FIRST_DAY + dt.timedelta(days=day)
            name = (family if relation != "配偶" else surnames[(h + 7) % len(surnames)]) + given[k % 24] + given[
                (k * 7) % 24]
            tags = "、".join(t for t, every in (("党员", 10), ("低收入", 7)) if k % every == 0)
            members.append([number, "", name, relation, "男" if male else "女", make_id(COUNTY, birth, sequence, male),
                            birth.isoformat(), f"139{k:08d}", grid, address, tags])
            k += 1
        for member in members:
            member[1] = members[0][2]
        yield from members


def write_file(path: Path, households: int) -> None:
    rows = people(households)
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


# -- the steps, each in its own process ---------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    import django

    django.setup()


def step_setup(households: int) -> dict:
    _django()
    from django.core.management import call_command

    from shanzhi.regions.models import Region
    from shanzhi.regions.services import build_region

    call_command("migrate", verbosity=0)
    county = build_region(parent=None, code=f"{COUNTY}000000", name="华池县", kind="county")
    county.save()
    county.county = county
    county.save(update_fields=["county"])
    by_code: dict[str, Region] = {county.code: county}
    codes = grid_codes(households)
    townships = sorted({c[:9] + "000" for c in codes})
    villages = sorted({c[:12] for c in codes})
    for level_codes, kind, parent_of in ((townships, "town", lambda c: f"{COUNTY}000000"),
                                         (villages, "village", lambda c: c[:9] + "000"),
                                         (codes, "grid", lambda c: c[:12])):
        built = [build_region(parent=by_code[parent_of(c)], code=c, name=f"{kind}{c[-3:]}", kind=kind)
                 for c in level_codes]
        Region.objects.bulk_create(built, batch_size=2000)
        by_code.update({r.code: r for r in Region.objects.filter(code__in=level_codes)})
    return {"grids": len(codes)}


def step_raw(households: int) -> dict:
    """The floor: already-validated rows straight into the same tables."""
    _django()
    from django.db import transaction

    from shanzhi.regions.models import Household, Region, Resident, ResidentTag
    from shanzhi.roster import columns

    grids = {r.code: r for r in Region.objects.filter(level=Region.Level.GRID)}
    villages = {r.id: r for r in Region.objects.filter(level=Region.Level.VILLAGE)}
    rows = list(people(households))
    # Validated and converted beforehand, outside the timing.
    prepared = []
    for row in rows:
        tags, _unknown = columns.parse_tags(row[10])
        prepared.append((row, columns.parse_relation(row[3]), "M" if row[4] == "男" else "F",
                         dt.date.fromisoformat(row[6]), tags))
    start = time.perf_counter()
    with transaction.atomic():
        homes, residents, tag_rows = {}, [], []
        for row, *_rest in prepared:
            if row[0] not in homes:
                grid = grids[row[8]]
                homes[row[0]] = Household(number=row[0], address=row[9], village=villages[grid.parent_id], grid=grid,
                                          region_path=grid.path, county_id=grid.county_id)
        home_list = list(homes.values())
        for start_at in range(0, len(home_list), 2000):
            Household.objects.bulk_create(home_list[start_at:start_at + 2000])
        for row, relation, gender, birth, _tags in prepared:
            home = homes[row[0]]
            residents.append(Resident(household=home, name=row[2], gender=gender, birth_date=birth,
                                      id_number=row[5], phone=row[7], relation=relation,
                                      region_path=home.region_path, county_id=home.county_id))
        for start_at in range(0, len(residents), 2000):
            Resident.objects.bulk_create(residents[start_at:start_at + 2000])
        for resident, (_row, _relation, _gender, _birth, tags) in zip(residents, prepared, strict=True):
            tag_rows += [ResidentTag(resident=resident, tag=t) for t in sorted(tags)]
        ResidentTag.objects.bulk_create(tag_rows, batch_size=2000)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(rows)}


def step_clear() -> dict:
    _django()
    from django.db import connection, transaction

    from shanzhi.regions.models import Household, Resident, ResidentTag

    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ResidentTag, Resident, Household):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
    return {}


def step_import(path: str) -> dict:
    _django()
    from shanzhi.core import access
    from shanzhi.roster import services

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = services.roster_import(actor=None, viewer=access.Viewer(is_admin=True), source=path)
    seconds = time.perf_counter() - start
    assert report.written, report.problems[:5]
    assert not report.rejected, report.problems[:5]
    return {"seconds": seconds, "rows": report.rows, "residents": report.residents_created,
            "households": report.households_created, "baseline_mb": before / 1024}


def child(step: str, env: dict[str, str], *args: str) -> dict:
    """Run one step in a fresh process; it reports its own peak memory (ru_maxrss)."""
    proc = subprocess.run([sys.executable, __file__, "_" + step, *args], env=env, stdout=subprocess.PIPE,
                          check=False)
    if proc.returncode:
        raise SystemExit(f"the {step} step failed (exit {proc.returncode})")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def _child_main() -> None:
    step, args = sys.argv[1][1:], sys.argv[2:]
    result = {"setup": lambda: step_setup(int(args[0])), "raw": lambda: step_raw(int(args[0])),
              "clear": step_clear, "import": lambda: step_import(args[0])}[step]()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# -- the run ------------------------------------------------------------------------------------


def postgres_url(database: str) -> str:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + database))


def run_one(database: str, households: int, fmt: str, work: Path, raw_too: bool = True) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_NAME")}
    env["SHANZHI_EMBEDDED_SCHEDULER"] = "0"
    if database == "sqlite":
        env["SHANZHI_DATA_DIR"] = str(work / "sqlite")
    else:
        import psycopg

        name = "shanzhi_roster_bench"
        with psycopg.connect(postgres_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = postgres_url(name)
        env["DB_CONN_MAX_AGE"] = "0"
    path = work / f"roster-{households}.{fmt}"
    if not path.exists():
        started = time.perf_counter()
        write_file(path, households)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    child("setup", env, str(households))
    raw = {"seconds": float("nan"), "rows": 0, "peak_mb": float("nan")}
    if raw_too:
        raw = child("raw", env, str(households))
        child("clear", env)
    imported = child("import", env, str(path))
    if database == "postgres":
        import psycopg

        with psycopg.connect(postgres_url("postgres"), autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "shanzhi_roster_bench"')
    return {"database": database, "format": fmt, "households": households, "rows": imported["rows"],
            "raw_seconds": raw["seconds"], "import_seconds": imported["seconds"],
            "raw_rows_per_s": raw["rows"] / raw["seconds"], "import_rows_per_s": imported["rows"] / imported["seconds"],
            "ratio": raw["seconds"] / imported["seconds"], "import_peak_mb": imported["peak_mb"],
            "import_baseline_mb": imported["baseline_mb"], "raw_peak_mb": raw["peak_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000, help="households (three residents each)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    parser.add_argument("--import-only", action="store_true",
                        help="skip the raw insert (for the memory figure at a million rows)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    options = parser.parse_args()
    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    formats = ["csv", "xlsx"] if options.format == "both" else [options.format]
    work = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    results = []
    try:
        for database in databases:
            for fmt in formats:
                print(f"{database}, {fmt}, {options.households:,} households ...", flush=True)
                if (work / "sqlite").exists():
                    shutil.rmtree(work / "sqlite")
                result = run_one(database, options.households, fmt, work, raw_too=not options.import_only)
                results.append(result)
                print("  raw insert {raw_seconds:7.1f} s  {raw_rows_per_s:9,.0f} rows/s\n"
                      "  import     {import_seconds:7.1f} s  {import_rows_per_s:9,.0f} rows/s  "
                      "peak {import_peak_mb:5.0f} MB (of which {import_baseline_mb:.0f} MB before reading)\n"
                      "  ratio raw/import {ratio:.2f}  (goal >= 0.25)".format(**result), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if options.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        _child_main()
    else:
        main()
