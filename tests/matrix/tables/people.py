"""Accounts and tokens, people and positions, departments and the Party."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shanzhi.people.models import Department, PartyMember, PartyOrganisation, Role
from shanzhi.regions.models import Region
from tests import factories
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api
from tests.matrix.world import ANONYMOUS, World

ROLE_AT_LEVEL = {
    Region.Level.GRID: Role.GRID_WORKER,
    Region.Level.VILLAGE: Role.VILLAGE_COMMITTEE,
    Region.Level.TOWNSHIP: Role.TOWNSHIP_STAFF,
    Region.Level.COUNTY: Role.COUNTY_STAFF,
}


def _credentials(world: World, role: str, _obj: Any) -> dict[str, Any]:
    if role == ANONYMOUS:
        return {"username": "nobody", "password": "not-the-password"}
    return {"username": world.users[role].username, "password": factories.PASSWORD, "name": "matrix"}


def _appointment(world: World, role: str, region: Region) -> dict[str, Any]:
    return {"user_id": world.other["appointee"].pk, "role": str(ROLE_AT_LEVEL[Region.Level(region.level)]),
            "region": region.code, "start_date": "2026-01-01"}


def _grow_people(world: World, n: int) -> None:
    grid = world.county.grids[0]
    for _ in range(n):
        i = world.cache["grown_people"] = world.cache.get("grown_people", 0) + 1
        factories.user(f"u_grown_{i}", role=Role.GRID_WORKER, region=grid)


def _grow_departments(world: World, n: int) -> None:
    county = world.county.county
    for _ in range(n):
        i = world.cache["grown_departments"] = world.cache.get("grown_departments", 0) + 1
        Department.objects.create(name=f"部门{i}", kind=Department.Kind.OTHER, region=county, region_path=county.path)


def _grow_party(world: World, n: int) -> None:
    branch = world.other["party"][world.county.villages[0].code]
    grid = world.county.grids[0]
    for _ in range(n):
        i = world.cache["grown_party"] = world.cache.get("grown_party", 0) + 1
        group = PartyOrganisation.objects.create(name=f"党小组{i}", kind=PartyOrganisation.Kind.GROUP, region=grid,
                                                 region_path=grid.path, parent=branch)
        member = factories.user(f"u_member_{i}")
        PartyMember.objects.create(name=f"党员{i}", organisation=group, user=member, region_path=grid.path,
                                   joined_on=dt.date(2015, 7, 1))


ENTRIES: list[Entry] = [
    api("POST", "/api/auth/token", ok=201, anonymous=422, body=_credentials,
        note="open to all: right credentials give a token, wrong ones a 422 naming the password"),
    api("GET", "/api/auth/tokens", kind="token", lists=True, visible=R.EVERYONE, global_roles=frozenset(),
        items=lambda body: body, note="one's own tokens only, whoever one is"),
    api("DELETE", "/api/auth/tokens/{token_id}", kind="token", visible=R.EVERYONE, global_roles=frozenset(),
        ok=204),
    api("GET", "/api/auth/me"),

    api("GET", "/api/people", kind="person", lists=True, visible=R.SEE_POSITIONS, grow=Grow(_grow_people)),
    api("GET", "/api/people/{user_id}", kind="person", visible=R.SEE_POSITIONS),
    api("GET", "/api/positions", kind="position", lists=True, visible=R.SEE_POSITIONS, grow=Grow(_grow_people)),
    api("POST", "/api/positions", kind="region", visible=R.SEE_POSITIONS, allowed=R.CHANGE_POSITIONS, ok=201,
        hidden=422, outside=422, body=_appointment,
        note="the region is named in the body: one the caller cannot see is an unknown code (422)"),
    api("POST", "/api/positions/{position_id}/end", kind="position", visible=R.SEE_POSITIONS,
        allowed=R.CHANGE_POSITIONS, body=lambda w, role, p: {}),

    api("GET", "/api/departments", kind="department", lists=True, visible=R.SEE_DEPARTMENTS,
        grow=Grow(_grow_departments)),
    api("GET", "/api/departments/{department_id}", kind="department", visible=R.SEE_DEPARTMENTS),

    api("GET", "/api/party/organisations", kind="party_organisation", lists=True, visible=R.SEE_PARTY,
        grow=Grow(_grow_party)),
    api("GET", "/api/party/organisations/{organisation_id}", kind="party_organisation", visible=R.SEE_PARTY),
    api("GET", "/api/party/members", kind="party_member", lists=True, visible=R.SEE_PARTY, grow=Grow(_grow_party)),
]

