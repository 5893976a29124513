"""Filing a request through the API, against a bare Django JSON view in the same run.

    .venv/bin/python bench/requests_filing.py                  # SQLite (a scratch file)
    .venv/bin/python bench/requests_filing.py --database-url postgres://postgres@127.0.0.1:5432/requests_bench

In one process and one scratch database (a county of the test factories, its default
categories), through Django's test client (the whole middleware stack, no network), it times
filings by a resident's mini-program:

1. api: ``POST /api/requests`` with a bearer token: django-ninja parses and validates the
   body against the schema, the endpoint looks up the category, and the service checks the
   scope, computes the deadlines on the SLA clock, routes it, writes the row, its first
   history step, the audit entry and the notice to the grid (to the outbox), and the answer
   is the request's full schema;
2. bare: a plain Django view (``json.loads``, the bearer token checked by hand, the same
   service call, ``JsonResponse`` of a few fields): the same work without the API layer.
   The ratio api / bare is what the API layer costs (goal: at least 0.5);
3. insert: a plain view that only inserts the row (no token, no checks, no history, no
   audit, no notice): not a goal, it shows what the domain work itself costs.

The notice's delivery to the inbox is timed both ways: queued (production: Redis takes the
task, a worker delivers it) and inline (the embedded default without Redis: Celery runs it
in-process after the commit). Rounds alternate so all see the same machine; the best round
of each counts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BODY = {"category": "water", "description": "村口水管破裂,漏水严重,请尽快处理", "address": "张湾村3号"}


def _ensure_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def django_for_bench(database_url: str | None, prefix: str) -> None:
    """Django on a scratch data folder and the given database (SQLite when None), no Redis."""
    os.environ.pop("REDIS_URL", None)
    os.environ["SHANZHI_DATA_DIR"] = tempfile.mkdtemp(prefix=prefix)
    if database_url:
        _ensure_postgres_database(database_url)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _setup(database_url: str | None) -> None:
    django_for_bench(database_url, "requests-bench-")
    from django.conf import settings

    settings.ROOT_URLCONF = __name__
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bare_view(request):  # type: ignore[no-untyped-def]
    """What a hand-written endpoint would do: parse, insert, answer."""
    from django.http import JsonResponse

    from shanzhi.casework.models import ServiceRequest

    data = json.loads(request.body)
    fixed = BARE
    req = ServiceRequest.objects.create(
        county_id=fixed["county_id"], region_id=fixed["region_id"], region_path=fixed["region_path"],
        category_id=fixed["category_id"], description=data["description"], address=data.get("address", ""),
        household_id=fixed["household_id"], channel="resident", state="submitted", level="village",
        handling_path=fixed["region_path"], submitted_at=fixed["now"], response_due=fixed["now"],
        resolve_due=fixed["now"], escalation_due=fixed["now"], state_changed_at=fixed["now"])
    return JsonResponse({"id": req.pk, "state": req.state}, status=201)


def bare_service_view(request):  # type: ignore[no-untyped-def]
    """The same filing as the API, written as a plain Django view."""
    from django.http import JsonResponse

    from shanzhi.casework import selectors, services
    from shanzhi.core.errors import DomainError
    from shanzhi.people.services import token_user

    header = request.headers.get("Authorization", "")
    user = token_user(header[7:].strip()) if header.startswith("Bearer ") else None
    if user is None:
        return JsonResponse({"code": "unauthenticated"}, status=401)
    try:
        data = json.loads(request.body)
        category = selectors.category_get(selectors.viewer_county_path(user), data.get("category", ""))
        req = services.request_submit(actor=user, category=category, description=data.get("description", ""),
                                      address=data.get("address", ""))
    except (ValueError, DomainError) as exc:
        return JsonResponse({"code": "invalid", "message": str(exc)}, status=422)
    return JsonResponse({"id": req.pk, "state": req.state, "response_due": req.response_due.isoformat()},
                        status=201)


BARE: dict = {}
urlpatterns: list = []


def _urls() -> None:
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    import shanzhi.urls

    urlpatterns[:] = [path("bare/insert", csrf_exempt(bare_view)),
                      path("bare/requests", csrf_exempt(bare_service_view)), *shanzhi.urls.urlpatterns]


def _round(client, url: str, n: int, headers: dict) -> float:  # type: ignore[no-untyped-def]
    body = json.dumps(BODY)
    started = time.perf_counter()
    for _ in range(n):
        response = client.post(url, body, content_type="application/json", **headers)
        if response.status_code != 201:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL URL (a scratch database, dropped and created)")
    parser.add_argument("--filings", type=int, default=300, help="filings per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    _setup(args.database_url)
    _urls()

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from shanzhi.casework import services
    from shanzhi.people.services import token_create
    from tests import factories

    county = factories.small_county()
    users = factories.role_users(county)
    services.categories_install_defaults(actor=None, county=county.county)
    from shanzhi.casework.models import Category

    home = county.households[0]
    BARE.update(county_id=county.county.pk, region_id=home.grid_id, region_path=home.region_path,
                category_id=Category.objects.get(county=county.county, code="water").pk, household_id=home.pk,
                now=timezone.now())
    _token, key = token_create(actor=users["resident"], name="bench")
    client = Client()
    api_headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    from shanzhi.celery import app

    def timed(url: str, n: int, inline: bool, headers: dict) -> float:
        # Queued: the task goes to an in-memory broker nobody reads, as a web process hands
        # it to Redis; inline: delivered in this process after the commit.
        app.conf.task_always_eager = inline
        return _round(client, url, n, headers)

    paths = {
        "insert": ("/bare/insert", False, {}),
        "bare, queued": ("/bare/requests", False, api_headers),
        "api, queued": ("/api/requests", False, api_headers),
        "bare, inline": ("/bare/requests", True, api_headers),
        "api, inline": ("/api/requests", True, api_headers),
    }
    for url, inline, headers in paths.values():  # warm every path
        timed(url, 30, inline, headers)
    results: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, (url, inline, headers) in paths.items():
            results[name].append(timed(url, args.filings, inline, headers))
    best = {name: max(values) for name, values in results.items()}
    print(f"database: {connection.vendor}, {args.rounds} rounds of {args.filings} filings each (filings/s, best)")
    labels = {
        "insert": "plain view, row insert only        ",
        "bare, queued": "plain Django view, same service   ",
        "api, queued": "POST /api/requests                ",
        "bare, inline": "plain Django view, notice inline  ",
        "api, inline": "POST /api/requests, notice inline ",
    }
    for name, label in labels.items():
        print(f"{label}: {best[name]:8.1f}  (median {statistics.median(results[name]):.1f})")
    queued = best["api, queued"] / best["bare, queued"]
    inline = best["api, inline"] / best["bare, inline"]
    print(f"ratio api / bare Django view (notice queued, as with Redis): {queued:.2f}  (goal >= 0.5)")
    print(f"ratio api / bare Django view (notice inline, embedded)     : {inline:.2f}")
    print(f"ratio api / row insert only (what the domain work costs)   : {best['api, queued'] / best['insert']:.2f}")

if __name__ == "__main__":
    main()
