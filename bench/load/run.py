"""The load test: a county's peak against 5 gunicorn workers, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.load                        # full: both databases, 90 s, 300 users
    .venv/bin/python -m bench.load --database postgres --duration 120 --users 400
    .venv/bin/python -m bench.load --quick                # CI's short run: small county, SQLite, 15 s

For each database it builds the demo county once into its own data folder under
``bench/out/load/`` (on PostgreSQL in the database ``load_bench`` of ``LOAD_DATABASE_URL``'s
server, default postgres://postgres@127.0.0.1:5432), opens sessions and tokens for the
simulated people (``prepare.py``), starts ``gunicorn shanzhi.wsgi -w 5 -k gthread``, runs
locust headless (``locustfile.py``: the mix), and prints throughput, the 50th/95th/99th
percentiles and the failures per route and overall. The result, with the machine's load
average and the CPU time the server used, goes to ``bench/out/load-<database>-<time>.json``.
It exits non-zero when any response failed (a 5xx, an unexpected status, a lost session).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "load_bench"
SERVER_ERROR = re.compile(r"\b(status|HTTPError|HTTP) ?5\d\d\b")  # how locust and the locustfile word a 5xx

# The rate limits per client address (SHANZHI_RATE_LIMITS in shanzhi/settings.py; empty = off)
# would turn a load that all comes from 127.0.0.1 into 429s. The run does not log in, so the
# login throttling is not in its way.
LIMITS_OFF = {"RATE_LIMIT_OPEN311_POST": "", "RATE_LIMIT_API_TOKEN": "", "RATE_LIMIT_LOGIN": "",
              "RATE_LIMIT_PUBLIC": ""}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _env(database: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_NAME")}
    env.update(LIMITS_OFF)
    env.update({"SHANZHI_DATA_DIR": str(data_dir), "DEBUG": "0", "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "shanzhi.settings", "PYTHONPATH": str(ROOT)})
    if database == "postgres":
        env["DATABASE_URL"] = f"{PG_SERVER.rstrip('/')}/{PG_NAME}"
    return env


def _ensure_pg_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER.rstrip('/')}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')


def _drop_pg_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{what} failed (exit {done.returncode})")
    print(f"  {what}: {time.monotonic() - started:.1f} s")


class Server:
    """gunicorn with its workers, started and stopped by this run."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, port: int, log: Path):
        self.url = f"http://127.0.0.1:{port}"
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "shanzhi.wsgi", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
             "-b", f"127.0.0.1:{port}", "--backlog", "2048", "--timeout", "60",
             # The app is loaded once before the workers fork, so all five answer from the first
             # request instead of some still importing Django while the load starts.
             "--preload"],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:  # noqa: S310 (our own server)
                if r.status == 200:
                    return
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not answer /healthz within {timeout:.0f} s; see {self.log.name}")

    def cpu_seconds(self) -> float:
        import psutil

        try:
            parent = psutil.Process(self.process.pid)
            procs = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _ms(value: str) -> float:
    try:
        return round(float(value), 1)
    except ValueError:  # "N/A" for a route nobody reached
        return 0.0


def _percentile_columns(row: dict[str, str]) -> dict[str, float]:
    return {"p50": _ms(row["50%"]), "p95": _ms(row["95%"]), "p99": _ms(row["99%"])}


def _read_stats(prefix: Path) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    routes, overall = [], {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            entry = {"method": row["Type"], "route": row["Name"], "requests": int(row["Request Count"]),
                     "failures": int(row["Failure Count"]), "rps": round(float(row["Requests/s"]), 1),
                     "mean_ms": _ms(row["Average Response Time"]), **_percentile_columns(row),
                     "max_ms": _ms(row["Max Response Time"])}
            if row["Name"] == "Aggregated":
                overall = entry
            elif entry["requests"]:
                routes.append(entry)
    failures = []
    with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
        failures = [{"method": r["Method"], "route": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
                    for r in csv.DictReader(f)]
    return routes, overall, failures


def _print(database: str, result: dict[str, Any]) -> None:
    o = result["overall"]
    print(f"\n{database}: {o['rps']} requests/s, p50 {o['p50']:.0f} ms, p95 {o['p95']:.0f} ms, p99 {o['p99']:.0f} ms, "
          f"{o['failures']} failed of {o['requests']} ({result['error_rate'] * 100:.2f} %, "
          f"{result['server_errors']} server errors); "
          f"{result['users']} users, {result['duration_s']} s; load average {result['load_before']} -> "
          f"{result['load_after']}; server CPU {result['server_cpu_ms_per_request']} ms per request")
    width = max(len(r["route"]) for r in result["routes"]) + 2
    print(f"  {'route':<{width}}{'method':>7}{'req':>7}{'rps':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'fail':>6}")
    for r in sorted(result["routes"], key=lambda r: -r["requests"]):
        print(f"  {r['route']:<{width}}{r['method']:>7}{r['requests']:>7}{r['rps']:>7}{r['p50']:>7.0f}"
              f"{r['p95']:>7.0f}{r['p99']:>7.0f}{r['failures']:>6}")
    for f in result["failures"]:
        print(f"  FAILED {f['count']} x {f['method']} {f['route']}: {f['error'][:200]}")


def run_one(database: str, args: argparse.Namespace) -> dict[str, Any]:
    size = "small" if args.quick else args.size
    data_dir = args.data_dir or args.data_root / f"{database}-{size}"
    env = _env(database, data_dir)
    print(f"== {database} ({size if not args.data_dir else 'existing'} demo county, data in {data_dir})")
    if args.fresh and not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
        if database == "postgres":
            _drop_pg_database()
    if database == "postgres":
        _ensure_pg_database()
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.data_dir:
        _run([str(BIN / "shanzhi"), "migrate", "--data-dir", str(data_dir)], env, "migrations")
    else:
        _run([str(BIN / "shanzhi"), "demo", "--no-serve", "--size", size, "--data-dir", str(data_dir)], env,
             "demo county (built once, then reused)")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    fixture = OUT / f"load-fixture-{database}.json"
    _run([sys.executable, "-m", "bench.load.prepare", "--out", str(fixture), "--scale", str(args.accounts)], env,
         "sessions and tokens")
    port = _free_port()
    server = Server(env, args.workers, args.threads, port, OUT / f"load-server-{database}.log")
    try:
        server.wait_ready()
        prefix = OUT / f"load-{database}-{stamp}"
        spawn_rate = args.spawn_rate or max(1, args.users // 5)
        locust_env = {**env, "LOAD_FIXTURE": str(fixture), "LOAD_WAIT": args.wait}
        cmd = [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
               "--host", server.url, "-u", str(args.users), "-r", str(spawn_rate), "-t", f"{args.duration}s",
               "--reset-stats", "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
               "--loglevel", "WARNING"]
        load_before, cpu_before = _loadavg(), server.cpu_seconds()
        started = time.monotonic()
        ramp = args.users / spawn_rate
        done = subprocess.run(cmd, env=locust_env, cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        load_after, cpu_used = _loadavg(), server.cpu_seconds() - cpu_before
    finally:
        server.stop()
    if not Path(f"{prefix}_stats.csv").exists():
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit("locust wrote no statistics")
    routes, overall, failures = _read_stats(prefix)
    requests = overall.get("requests", 0)
    result = {
        "database": database, "size": size, "started": stamp, "users": args.users, "duration_s": args.duration,
        "ramp_s": round(ramp, 1), "wait_s": args.wait, "workers": args.workers, "threads": args.threads,
        "overall": overall, "error_rate": (overall.get("failures", 0) / requests) if requests else 1.0,
        "server_errors": sum(f["count"] for f in failures if SERVER_ERROR.search(f["error"])),
        "routes": routes, "failures": failures, "load_before": load_before, "load_after": load_after,
        "cpus": os.cpu_count(), "server_cpu_s": round(cpu_used, 1),
        # The server's CPU over the whole locust run (the ramp included) per request counted after it.
        "server_cpu_ms_per_request": round(cpu_used * 1000 / max(1, requests) * args.duration / max(1.0, elapsed), 1),
        "goal": {"rps": 300, "p95_ms": 200},
    }
    out = OUT / f"load-{database}-{stamp}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    _print(database, result)
    print(f"  -> {out}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=90, help="seconds of load (the ramp is in them, not counted)")
    parser.add_argument("--users", type=int, default=300, help="simulated people at once")
    parser.add_argument("--spawn-rate", type=int, default=0, help="people started per second (default users/5)")
    parser.add_argument("--wait", default="0.5,1.5", help="pause between one person's requests, min,max seconds")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--size", choices=["full", "small"], default="full", help="the demo county's size")
    parser.add_argument("--accounts", type=float, default=1.0, help="scale the number of accounts per persona")
    parser.add_argument("--data-root", type=Path, default=OUT / "load")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="a data folder where `shanzhi demo` built the county already (no build; one database)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo county (drop the data folder/database)")
    parser.add_argument("--quick", action="store_true",
                        help="CI's short run: small county, SQLite, 15 s, 20 users, fewer accounts")
    args = parser.parse_args(argv)
    if args.quick:
        args.database = "sqlite" if args.database == "both" else args.database
        args.duration, args.users, args.accounts = min(args.duration, 15), min(args.users, 20), 0.1
    if args.data_dir and args.database == "both":
        parser.error("--data-dir holds one database: give --database sqlite or postgres")
    OUT.mkdir(parents=True, exist_ok=True)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = [run_one(db, args) for db in databases]
    return 0 if all(r["overall"].get("failures", 1) == 0 and r["overall"].get("requests", 0) > 0
                    for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
