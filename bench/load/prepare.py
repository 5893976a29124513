"""Accounts, sessions and ids for the load run, taken from a built demo county.

Run in the environment of the data folder under test (``SHANZHI_DATA_DIR`` or ``DATABASE_URL``):

    python -m bench.load.prepare --out bench/out/load-fixture.json

Logging in hashes the password (PBKDF2, about half a second of CPU on the development machine),
so the load does not log in: at a county's peak people already have their session from earlier
in the day. This script opens those sessions beforehand (one session row and one API token per
account) and writes, per persona, the accounts with what they look at: their grid, their
village, ids of requests and disputes in their scope. The locustfile reads that file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

# How many accounts of each persona take part (others in the county stay idle).
DEFAULT_COUNTS = {"resident": 300, "grid_worker": 120, "village": 40, "township": 12, "department": 8, "county": 6}
IDS_PER_ACCOUNT = 20
LOAD_PREFIX = "load-r"  # usernames of the residents' accounts this script adds


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    import django

    django.setup()


def _spread(items: list[Any], n: int) -> list[Any]:
    """n items evenly spread over the list (so every township takes part), deterministic."""
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _session(user: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"  # as a login by username stores
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return str(store.session_key)


def _resident_accounts(n: int) -> list[Any]:
    """Accounts for n residents spread over the county (the demo has one resident account),
    with the demo password's hash, so a person could also log in as them."""
    from django.db import transaction

    from shanzhi.people.models import User
    from shanzhi.regions.models import Resident

    existing = list(User.objects.filter(username__startswith=LOAD_PREFIX, resident__isnull=False)
                    .select_related("resident__household__village").order_by("pk")[:n])
    if len(existing) >= n:
        return existing
    demo = User.objects.filter(username="resident").first()
    password = demo.password if demo else "!"
    taken = set(User.objects.filter(resident__isnull=False).values_list("resident_id", flat=True))
    phones = set(User.objects.exclude(phone=None).values_list("phone", flat=True))
    pool = [(pk, phone) for pk, phone in Resident.objects.filter(phone__isnull=False, status="active")
            .exclude(phone="").order_by("pk").values_list("pk", "phone") if pk not in taken and phone not in phones]
    chosen = _spread(pool, n - len(existing))
    with transaction.atomic():
        User.objects.bulk_create([User(username=f"{LOAD_PREFIX}{pk}", phone=phone, resident_id=pk, password=password)
                                  for pk, phone in chosen])
    return list(User.objects.filter(username__startswith=LOAD_PREFIX)
                .select_related("resident__household__village").order_by("pk")[:n])


def _staff(roles: list[str], n: int, *, with_region: bool = True) -> list[tuple[Any, Any]]:
    from shanzhi.people.models import Position

    qs = Position.objects.filter(role__in=roles, end_date__isnull=True).select_related("user", "region")
    if with_region:
        qs = qs.filter(region__isnull=False)
    seen: dict[int, tuple[Any, Any]] = {}
    for position in qs.order_by("user__username"):
        seen.setdefault(position.user_id, (position.user, position.region))
    return _spread(list(seen.values()), n)


def _ids(qs: Any) -> list[int]:
    return list(qs.order_by("-pk").values_list("pk", flat=True)[:IDS_PER_ACCOUNT])


def build(counts: dict[str, int]) -> dict[str, Any]:
    from shanzhi.casework import selectors as casework
    from shanzhi.casework.models import Category, ServiceRequest
    from shanzhi.core import access
    from shanzhi.demo import accounts as demo
    from shanzhi.disputes import selectors as disputes
    from shanzhi.people.models import Role
    from shanzhi.people.services import token_create
    from shanzhi.points.models import Shop
    from shanzhi.regions.models import Household, Region

    county = Region.objects.get(code=demo.COUNTY_CODE)

    def account(user: Any, **extra: Any) -> dict[str, Any]:
        _, key = token_create(actor=user, name="load test", days=2)
        viewer = access.viewer_for(user)
        row = {"username": user.username, "session": _session(user), "token": key, **extra}
        if "requests" not in row:
            row["requests"] = _ids(casework.requests(viewer))
        if "disputes" not in row:
            row["disputes"] = _ids(disputes.disputes(viewer))
        return row

    personas: dict[str, list[dict[str, Any]]] = {}
    personas["resident"] = [
        account(u, household=u.resident.household_id, village=u.resident.household.village.code,
                requests=_ids(ServiceRequest.objects.filter(household_id=u.resident.household_id)), disputes=[])
        for u in _resident_accounts(counts["resident"])]
    personas["grid_worker"] = [
        account(u, grid=region.code,
                households=list(Household.objects.filter(grid=region).order_by("pk")
                                .values_list("pk", flat=True)[:IDS_PER_ACCOUNT]))
        for u, region in _staff([Role.GRID_WORKER], counts["grid_worker"])]
    personas["village"] = [account(u, village=region.code) for u, region in
                           _staff([Role.VILLAGE_SECRETARY, Role.VILLAGE_COMMITTEE], counts["village"])]
    personas["township"] = [account(u, township=region.code) for u, region in
                            _staff([Role.TOWNSHIP_STAFF], counts["township"])]
    personas["department"] = [account(u) for u, _ in
                              _staff([Role.DEPARTMENT_STAFF], counts["department"], with_region=False)]
    personas["county"] = [account(u) for u, _ in _staff([Role.COUNTY_STAFF], counts["county"])]

    villages = list(Region.objects.filter(path__startswith=county.path, level=Region.Level.VILLAGE)
                    .order_by("code").values_list("code", flat=True))
    required = Category.objects.filter(county=county, attributes__required=True).values("pk")
    categories = list(casework.categories(county).exclude(pk__in=required).order_by("code")
                      .values_list("code", flat=True))
    grids = list(Region.objects.filter(path__startswith=county.path, level=Region.Level.GRID)
                 .order_by("code").values_list("code", flat=True))
    return {
        "county": county.code,
        "personas": personas,
        "villages": villages,
        "grids": _spread(grids, 200),
        "categories": categories,
        "shops": list(Shop.objects.filter(county=county, is_active=True).order_by("pk").values_list("pk", flat=True)),
        "open311_key": f"shanzhi-demo-open311-{county.code[:6]}",
        "public_requests": _ids(ServiceRequest.objects.filter(county=county, category__is_public=True)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of accounts per persona")
    args = parser.parse_args(argv)
    _setup()
    counts = {k: max(1, round(v * args.scale)) for k, v in DEFAULT_COUNTS.items()}
    data = build(counts)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False))
    sizes = ", ".join(f"{k} {len(v)}" for k, v in data["personas"].items())
    print(f"load fixture: {sizes}; {len(data['villages'])} villages, {len(data['categories'])} categories -> "
          f"{args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
