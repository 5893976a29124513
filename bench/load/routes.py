"""Each route of the load mix once per persona, in-process: time and database queries.

    SHANZHI_DATA_DIR=bench/out/load/sqlite-full .venv/bin/python -m bench.load.routes bench/out/load-fixture-sqlite.json

To find what makes a route slow before and after a change (the load run gives the figures
under concurrency; this gives the cost of one request and its query count). ``--profile ROUTE``
prints a cProfile of that route.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path
from typing import Any


def _routes(fixture: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    p = fixture["personas"]
    r, g, v, t, d, c = (p[k][0] for k in ("resident", "grid_worker", "village", "township", "department", "county"))

    def req(me: dict[str, Any]) -> str:
        return f"/requests/{me['requests'][0]}/" if me["requests"] else "/requests/"

    def dis(me: dict[str, Any]) -> str:
        return f"/disputes/{me['disputes'][0]}/" if me["disputes"] else "/disputes/"

    village = fixture["villages"][0]
    return [
        ("resident", "/", r), ("resident", "/requests/", r), ("resident", req(r), r), ("resident", "/points/me/", r),
        ("resident", "/points/shops/", r), ("resident", f"/deliberation/board/{r['village']}/", r),
        ("resident", "/api/requests?queue=mine", r),
        ("grid_worker", "/", g), ("grid_worker", "/gridwork/", g),
        ("grid_worker", f"/api/gridwork/today?grid={g['grid']}", g),
        ("grid_worker", "/api/gridwork/tasks", g), ("grid_worker", "/requests/", g), ("grid_worker", req(g), g),
        ("grid_worker", f"/households/{g['households'][0]}/", g), ("grid_worker", "/requests/new/?quick=1", g),
        ("grid_worker", "/disputes/", g),
        ("village", "/", v), ("village", "/requests/", v), ("village", req(v), v), ("village", "/disputes/", v),
        ("village", dis(v), v), ("village", "/points/", v), ("village", "/points/awards/", v),
        ("village", "/deliberation/notices/", v), ("village", "/gridwork/updates/", v),
        ("village", "/api/requests?queue=dispatch", v),
        ("township", "/", t), ("township", "/requests/", t), ("township", "/disputes/", t),
        ("township", "/requests/stats/", t), ("township", "/command/", t),
        ("department", "/", d), ("department", "/requests/", d), ("department", req(d), d),
        ("county", "/", c), ("county", "/command/", c), ("county", "/command/wall.json", c),
        ("county", "/requests/stats/", c), ("county", "/disputes/stats/", c),
        ("public", f"/deliberation/board/{village}/", {}), ("public", f"/legal/village/{village}/", {}),
        ("public", f"/api/deliberation/public/villages/{village}/board", {}),
        ("public", "/open311/v2/services.json", {}),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixture", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many")
    parser.add_argument("--profile", default="", help="a route (as listed) to profile")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    fixture = json.loads(args.fixture.read_text(encoding="utf-8"))
    random.seed(1)
    for persona, url, me in _routes(fixture):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", raise_request_exception=False)
        headers = {}
        if me:
            client.cookies["sessionid"] = me["session"]
            if url.startswith("/api/"):
                headers["Authorization"] = f"Bearer {me['token']}"
        best, cpu, status, queries = float("inf"), float("inf"), 0, 0
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url, headers=headers)
                best = min(best, time.perf_counter() - started)
                cpu = min(cpu, time.process_time() - started_cpu)
            status, queries = response.status_code, len(ctx.captured_queries)
        print(f"{persona:<12}{url:<56}{status:>4}{best * 1000:>8.1f} ms{cpu * 1000:>8.1f} ms CPU{queries:>4} queries")
        if args.profile and args.profile == url:
            profiler = cProfile.Profile()
            profiler.runcall(client.get, url, headers=headers)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return 0


if __name__ == "__main__":
    sys.exit(main())
