"""The governance map's API: regions, households, residents, search, coverage."""

from __future__ import annotations

from typing import Any

from shanzhi.regions.models import Region
from tests import factories
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api
from tests.matrix.world import World

CHILD = {  # the kind and code of a new child under a region of each level
    Region.Level.COUNTY: ("town", lambda r: r.code[:6] + "199000"),
    Region.Level.TOWNSHIP: ("village", lambda r: r.code[:9] + "299"),
    Region.Level.VILLAGE: ("grid", lambda r: r.code + "009"),
    Region.Level.GRID: ("micro_grid", lambda r: r.code + "09"),
}


def _new_child(world: World, role: str, parent: Region) -> dict[str, Any]:
    kind, code = CHILD[Region.Level(parent.level)]
    return {"parent": parent.code, "code": code(parent), "name": "新建区划", "kind": kind}


def _grow_grids(world: World, n: int) -> None:
    village = world.county.villages[0]
    start = 100 + world.cache.setdefault("grown_grids", 0)
    for i in range(start, start + n):
        factories.region(village, f"{village.code}{i:03d}", f"网格{i}", Region.Kind.GRID)
    world.cache["grown_grids"] += n


def _grow_households(world: World, n: int) -> None:
    for _ in range(n):
        factories.household(world.county.grids[0])


ENTRIES: list[Entry] = [
    api("GET", "/api/regions", kind="region", lists=True, visible=R.SEE_REGIONS, grow=Grow(_grow_grids)),
    api("POST", "/api/regions", kind="region", visible=R.SEE_REGIONS, allowed=R.CHANGE_REGIONS, ok=201,
        hidden=422, outside=422, body=_new_child,
        note="the parent is named in the body: one the caller cannot see is an unknown code (422)"),
    api("GET", "/api/regions/{code}", kind="region", visible=R.SEE_REGIONS),
    api("GET", "/api/regions/{code}/coverage", kind="region", visible=R.SEE_REGIONS, allowed=R.SEE_COVERAGE),

    api("GET", "/api/households", kind="household", lists=True, visible=R.SEE_HOUSEHOLDS,
        grow=Grow(_grow_households)),
    api("POST", "/api/households", kind="grid", visible=R.SEE_REGIONS, allowed=R.CHANGE_HOUSEHOLDS, ok=201,
        hidden=422, outside=422,
        body=lambda w, role, grid: {"number": f"N{grid.code}", "grid": grid.code, "address": "新址"}),
    api("GET", "/api/households/{household_id}", kind="household", visible=R.SEE_HOUSEHOLDS),
    api("POST", "/api/households/{household_id}/place", kind="household", visible=R.SEE_HOUSEHOLDS,
        allowed=R.CHANGE_HOUSEHOLDS, body=lambda w, role, h: {"grid": h.grid.code}, expect={"resident:inside": 422},
        note="a resident sees their household but no region: the grid they name is unknown to them"),
    api("GET", "/api/households/{household_id}/members", kind="household", visible=R.SEE_HOUSEHOLDS),

    api("GET", "/api/residents", kind="resident", lists=True, visible=R.SEE_HOUSEHOLDS,
        grow=Grow(_grow_households)),
    api("POST", "/api/residents", kind="household", visible=R.SEE_HOUSEHOLDS, allowed=R.CHANGE_HOUSEHOLDS,
        ok=201, hidden=422, outside=422,
        body=lambda w, role, h: {"household_id": h.pk, "name": "新成员", "relation": "other", "gender": "F"}),
    api("GET", "/api/residents/{resident_id}", kind="resident", visible=R.SEE_HOUSEHOLDS),
    api("PATCH", "/api/residents/{resident_id}", kind="resident", visible=R.SEE_HOUSEHOLDS,
        allowed=R.CHANGE_HOUSEHOLDS, body=lambda w, role, r: {"phone": "0934-5550000", "tags": ["veteran"]}),
    api("POST", "/api/residents/{resident_id}/move", kind="resident", visible=R.SEE_HOUSEHOLDS,
        allowed=R.CHANGE_HOUSEHOLDS, body=lambda w, role, r: {"reason": "外出务工"}),
    api("POST", "/api/residents/{resident_id}/reveal-id", kind="resident", visible=R.SEE_HOUSEHOLDS,
        allowed=R.REVEAL_ID, body=lambda w, role, r: {"purpose": "核实身份"}, reveals=True),

    api("GET", "/api/search", kind="resident", lists=True, visible=R.SEE_HOUSEHOLDS,
        query=lambda w, role, r: {"q": r.name}, items=lambda body: body["residents"]),
]
