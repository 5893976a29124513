"""Test data: a small county built through the same code paths as real data.

``small_county()`` builds, deterministically:
  county 621023 (华池县)
  ├─ township 621023100 柔远镇 ─ villages 621023100201 张湾村 (rural), 621023100001 城关社区 (urban)
  └─ township 621023101 悦乐镇 ─ village  621023101201 李塬村 (rural)
each village with two grids (…001, …002), each grid with three households of two or three
residents (head, spouse, child), and one county department (water).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from shanzhi.core import idnumbers
from shanzhi.people.models import Department, Position, Role, User
from shanzhi.people.services import build_position
from shanzhi.regions.models import Household, Region, Resident
from shanzhi.regions.services import build_region

PASSWORD = "Shanzhi-test-2026"
_seq = itertools.count(1)


def _password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    global _HASH
    if _HASH is None:
        _HASH = make_password(PASSWORD)
    return _HASH


_HASH: str | None = None


def region(parent: Region | None, code: str, name: str, kind: str) -> Region:
    r = build_region(parent=parent, code=code, name=name, kind=kind)
    r.save()
    if r.level == Region.Level.COUNTY:
        r.county = r
        r.save(update_fields=["county"])
    return r


def household(grid: Region, number: str | None = None, members: int = 3) -> Household:
    village = grid.parent
    while village.level != Region.Level.VILLAGE:
        village = village.parent
    h = Household.objects.create(number=number or f"H{next(_seq):06d}", address=f"{village.name}{next(_seq)}号",
                                 village=village, grid=grid, region_path=grid.path, county_id=grid.county_id)
    relations = [Resident.Relation.HEAD, Resident.Relation.SPOUSE, Resident.Relation.SON][:members]
    for i, rel in enumerate(relations):
        resident(h, relation=rel, male=(i != 1), name=f"居民{h.number[-3:]}{i}")
    return h


def resident(h: Household, relation: str = Resident.Relation.OTHER, male: bool = True, name: str = "张三",
             phone: str | None = None) -> Resident:
    n = next(_seq)
    birth = dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28)
    return Resident.objects.create(
        household=h, name=name, gender="M" if male else "F", birth_date=birth,
        id_number=idnumbers.make_id("621023", birth, n, male), phone=phone or f"139{n:08d}",
        relation=relation, region_path=h.region_path, county_id=h.county_id)


def user(username: str, role: str | None = None, region: Region | None = None,
         department: Department | None = None, **extra: object) -> User:
    u = User(username=username, full_name=extra.pop("full_name", username), **extra)  # type: ignore[arg-type]
    u.password = _password_hash()
    u.save()
    if role:
        build_position(user=u, role=role, region=region, department=department,
                       start_date=dt.date(2020, 1, 1)).save()
    return u


@dataclass
class County:
    county: Region
    townships: list[Region]
    villages: list[Region]
    grids: list[Region]
    households: list[Household]
    department: Department
    users: dict[str, User] = field(default_factory=dict)

    def grid(self, code: str) -> Region:
        return next(g for g in self.grids if g.code == code)

    def households_in(self, *grids: Region) -> list[Household]:
        ids = {g.pk for g in grids}
        return [h for h in self.households if h.grid_id in ids]


def small_county() -> County:
    county = region(None, "621023000000", "华池县", Region.Kind.COUNTY)
    t1 = region(county, "621023100000", "柔远镇", Region.Kind.TOWN)
    t2 = region(county, "621023101000", "悦乐镇", Region.Kind.TOWN)
    v1 = region(t1, "621023100201", "张湾村", Region.Kind.VILLAGE)
    v2 = region(t1, "621023100001", "城关社区", Region.Kind.COMMUNITY)
    v3 = region(t2, "621023101201", "李塬村", Region.Kind.VILLAGE)
    grids, homes = [], []
    for v in (v1, v2, v3):
        for g in ("001", "002"):
            grid = region(v, v.code + g, f"{v.name}第{int(g)}网格", Region.Kind.GRID)
            grids.append(grid)
            homes += [household(grid) for _ in range(3)]
    water = Department.objects.create(name="县水务局", kind=Department.Kind.WATER, region=county,
                                      region_path=county.path)
    return County(county, [t1, t2], [v1, v2, v3], grids, homes, water)


# One account per role, each at a known place of small_county (the "home" of the role).
ROLE_HOMES: dict[str, str] = {
    Role.GRID_WORKER: "621023100201001",
    Role.GRID_LEADER: "621023100201001",
    Role.MICRO_GRID_WORKER: "621023100201001",
    Role.GROUP_LEADER: "621023100201001",
    Role.NEIGHBOUR_LEADER: "621023100201001",
    Role.CHIEF_GRID_LEADER: "621023100201",
    Role.GRID_INSTRUCTOR: "621023100201",
    Role.VILLAGE_SECRETARY: "621023100201",
    Role.VILLAGE_COMMITTEE: "621023100201",
    Role.MEDIATOR: "621023100000",
    Role.LEGAL_ADVISER: "621023100201",
    Role.VILLAGE_POLICE: "621023100201",
    Role.TOWNSHIP_STAFF: "621023100000",
    Role.COUNTY_STAFF: "621023000000",
}


def role_users(c: County) -> dict[str, User]:
    """Creates and returns an account per role, plus 'department_staff', 'admin' and
    'resident' (the head of the first household of grid 621023100201001)."""
    users = {}
    for role, code in ROLE_HOMES.items():
        users[str(role)] = user(f"u_{role}", role=role, region=Region.objects.get(code=code))
    users["department_staff"] = user("u_department_staff", role=Role.DEPARTMENT_STAFF, department=c.department)
    users["admin"] = user("u_admin", role=Role.ADMIN, region=c.county)
    head = Resident.objects.filter(household=c.households[0], relation=Resident.Relation.HEAD).get()
    users["resident"] = user("u_resident", phone=head.phone, resident=head)
    c.users = users
    return users


__all__ = ["PASSWORD", "County", "Position", "role_users", "small_county"]
