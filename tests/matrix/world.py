"""The world the permission matrix runs in: the ``county`` fixture (see tests/factories.py),
plus a neighbouring county, township departments, the Party organisation, people holding
positions just outside each role's home, and an API token per account.

Every role has a *home* (the place of its position) and an *outside* place: the nearest
sibling of its home (the other grid of the village, another village of the township, the
other township, the other county). A kind of record (household, resident, position, ...)
names, for each role, one record *inside* the home and one *outside* it, so each route
is tried at the edge of every role's scope. Later modules add their kinds with ``@kind``
in their table file (see tables/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from shanzhi.people import services as people_services
from shanzhi.people.models import Department, PartyMember, PartyOrganisation, Position, Role, User
from shanzhi.regions.models import Household, Region, Resident
from tests import factories

INSIDE, OUTSIDE, SELF = "inside", "outside", "self"
ANONYMOUS = "anonymous"

REGION_ROLES: list[str] = [str(role) for role in factories.ROLE_HOMES]
ROLES: list[str] = [*REGION_ROLES, "department_staff", "admin", "resident", ANONYMOUS]
SIGNED_IN: frozenset[str] = frozenset(ROLES) - {ANONYMOUS}
STAFF: frozenset[str] = frozenset([*REGION_ROLES, "department_staff"])

OTHER_COUNTY = "621024000000"  # 合水县, the neighbour of 华池县


@dataclass(frozen=True)
class RosterRole:
    """A role that comes from a module's own roster (``access.GRANT_SOURCES``: the moral
    review council, a points shop's staff) rather than from a Position. The world gives it
    an account at ``home`` (a region code of the small county) and ``enrol`` puts that
    account on the roster; the matrix tries it on the entries that name it (``Entry.roles``),
    so tables that do not know it are unaffected."""

    name: str
    home: str
    enrol: Callable[[World, User, Region], None]


ROSTER_ROLES: dict[str, RosterRole] = {}


def roster_role(name: str, *, home: str, enrol: Callable[[World, User, Region], None]) -> None:
    ROSTER_ROLES[name] = RosterRole(name=name, home=home, enrol=enrol)


@dataclass
class Kind:
    """A kind of record the matrix addresses: how to find one inside and one outside a
    role's scope, what its URL parameters are, and how a list shows it."""

    name: str
    inside: Callable[[World, str], models.Model]
    outside: Callable[[World, str], models.Model]
    params: Callable[[Any], dict[str, Any]]
    key: Callable[[Any], Any] = lambda obj: obj.pk  # its value in an API list item's ``item_field``
    item_field: str = "id"
    text: Callable[[Any], str] = str  # how a page shows it


KINDS: dict[str, Kind] = {}


def kind(name: str, *, params: Callable[[Any], dict[str, Any]], key: Callable[[Any], Any] | None = None,
         item_field: str = "id", text: Callable[[Any], str] = str
         ) -> Callable[[Callable[[World, str, str], models.Model]], Callable[[World, str, str], models.Model]]:
    """Declare a kind with one function ``(world, role, placement) -> record``."""

    def register(find: Callable[[World, str, str], models.Model]) -> Callable[[World, str, str], models.Model]:
        KINDS[name] = Kind(name=name, inside=lambda w, r: find(w, r, INSIDE), outside=lambda w, r: find(w, r, OUTSIDE),
                           params=params, key=key or (lambda obj: obj.pk), item_field=item_field, text=text)
        return find

    return register


@dataclass
class World:
    county: factories.County
    users: dict[str, User]
    other: dict[str, Any]
    tokens: dict[str, str] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)

    # --- places --------------------------------------------------------------------------
    def region(self, code: str) -> Region:
        key = ("region", code)
        if key not in self.cache:
            self.cache[key] = Region.objects.get(code=code)
        return self.cache[key]

    def home(self, role: str) -> Region:
        """Where the role works (for a resident: their household's grid)."""
        if role in factories.ROLE_HOMES:
            return self.region(factories.ROLE_HOMES[role])
        if role in ROSTER_ROLES:
            return self.region(ROSTER_ROLES[role].home)
        if role == "resident":
            return self.resident_household().grid
        return self.county.county  # department staff (a county department), admin, anonymous

    def outside(self, role: str) -> Region:
        """The nearest place outside the role's home: a sibling, or the other county."""
        home = self.home(role)
        if home.parent_id is None:
            return self.other["county"]
        sibling = Region.objects.filter(parent_id=home.parent_id).exclude(pk=home.pk).order_by("code").first()
        assert sibling is not None, home
        return sibling

    def place(self, role: str, placement: str) -> Region:
        return self.home(role) if placement == INSIDE else self.outside(role)

    def grid_under(self, region: Region) -> Region:
        if region.level == Region.Level.GRID:
            return region
        return Region.objects.filter(path__startswith=region.path, level=Region.Level.GRID).order_by("code").first()

    # --- the resident's own household -----------------------------------------------------
    def resident_household(self) -> Household:
        return self.county.households[0]

    def household(self, role: str, placement: str) -> Household:
        if role == "resident":
            # Inside is their own household, outside the neighbour's in the same grid.
            return self.county.households[0] if placement == INSIDE else self.county.households[1]
        place = self.place(role, placement)
        found = Household.objects.filter(region_path__startswith=place.path).order_by("number").first()
        assert found is not None, place
        return found

    def member(self, household: Household) -> Resident:
        """A member who is not the head (their moves leave the household valid)."""
        return household.members.filter(status=Resident.Status.ACTIVE).exclude(
            relation=Resident.Relation.HEAD).order_by("id").first() or household.members.order_by("id").first()

    def user(self, role: str) -> User | None:
        return None if role == ANONYMOUS else self.users[role]

    def secrets(self) -> list[str]:
        """Every full ID number and phone number in the world: none may appear in a
        response except a deliberate reveal."""
        if "secrets" not in self.cache:
            values: set[str] = set()
            for id_number, phone in Resident.objects.values_list("id_number", "phone"):
                values.update(v for v in (id_number, phone) if v)
            values.update(p for p in User.objects.exclude(phone=None).values_list("phone", flat=True) if p)
            self.cache["secrets"] = sorted(values)
        return self.cache["secrets"]


# --- building the world -------------------------------------------------------------------

def _region(parent: Region | None, code: str, name: str, kind_: str) -> Region:
    return factories.region(parent, code, name, kind_)


def _party(region: Region, name: str, kind_: str, parent: PartyOrganisation | None) -> PartyOrganisation:
    org = PartyOrganisation.objects.create(name=name, kind=kind_, region=region, region_path=region.path, parent=parent)
    resident = Resident.objects.filter(region_path__startswith=region.path, party_membership__isnull=True,
                                       status=Resident.Status.ACTIVE).order_by("id").first()
    PartyMember.objects.create(name=f"{name}党员", organisation=org, resident=resident, region_path=region.path,
                               joined_on=dt.date(2010, 7, 1))
    return org


def build_world(c: factories.County) -> World:
    users = dict(c.users)
    county = c.county
    t1, t2 = c.townships
    _v1, v2, _v3 = c.villages

    # The neighbouring county, with a little of everything.
    oc = _region(None, OTHER_COUNTY, "合水县", Region.Kind.COUNTY)
    ot = _region(oc, "621024100000", "西华池镇", Region.Kind.TOWN)
    ov = _region(ot, "621024100201", "郑家村", Region.Kind.VILLAGE)
    og = _region(ov, "621024100201001", "郑家村第1网格", Region.Kind.GRID)
    other_homes = [factories.household(og, number=f"HS{i:04d}") for i in range(1, 3)]
    other_dept = Department.objects.create(name="合水县水务局", kind=Department.Kind.WATER, region=oc,
                                           region_path=oc.path)

    # Departments of the townships (a grid worker sees its own township's, not the other's).
    Department.objects.create(name="柔远镇农业综合服务中心", kind=Department.Kind.AGRICULTURE, region=t1,
                              region_path=t1.path)
    t2_dept = Department.objects.create(name="悦乐镇农业综合服务中心", kind=Department.Kind.AGRICULTURE, region=t2,
                                        region_path=t2.path)

    # The Party: a committee per county and township, a branch per village, a group per grid.
    party: dict[str, PartyOrganisation] = {}
    for top in (county, oc):
        party[top.code] = _party(top, f"中共{top.name}委员会", PartyOrganisation.Kind.COMMITTEE, None)
    for township in (t1, t2, ot):
        party[township.code] = _party(township, f"中共{township.name}委员会", PartyOrganisation.Kind.COMMITTEE,
                                      party[township.parent.code])
    for village in (*c.villages, ov):
        party[village.code] = _party(village, f"{village.name}党支部", PartyOrganisation.Kind.BRANCH,
                                     party[village.parent.code])
    for grid in (*c.grids, og):
        village = grid.parent
        party[grid.code] = _party(grid, f"{grid.name}党小组", PartyOrganisation.Kind.GROUP, party[village.code])

    # People holding positions just outside the homes of the roles.
    outsiders = {
        "621023100201002": factories.user("u_out_grid", role=Role.GRID_WORKER, region=c.grid("621023100201002")),
        v2.code: factories.user("u_out_village", role=Role.VILLAGE_COMMITTEE, region=v2),
        t2.code: factories.user("u_out_township", role=Role.TOWNSHIP_STAFF, region=t2),
        oc.code: factories.user("u_out_county", role=Role.COUNTY_STAFF, region=oc),
    }
    appointee = factories.user("u_appointee")  # an account with no position, to appoint

    world = World(county=c, users=users, other={
        "county": oc, "township": ot, "village": ov, "grid": og, "households": other_homes,
        "department": other_dept, "township_department": t2_dept, "party": party, "outsiders": outsiders,
        "appointee": appointee,
    })
    for name, roster in ROSTER_ROLES.items():
        users[name] = factories.user(f"u_{name}")
        roster.enrol(world, users[name], world.region(roster.home))
    for role, user in users.items():
        _token, key = people_services.token_create(actor=user, name="matrix")
        world.tokens[role] = key
    for code, user in outsiders.items():
        _token, key = people_services.token_create(actor=user, name="matrix")
        world.tokens[f"outsider:{code}"] = key
    return world


# --- the kinds of the foundation -----------------------------------------------------------

@kind("region", params=lambda r: {"code": r.code}, key=lambda r: r.code, item_field="code", text=lambda r: r.name)
def _region_kind(world: World, role: str, placement: str) -> Region:
    return world.place(role, placement)


@kind("grid", params=lambda r: {"code": r.code}, key=lambda r: r.code, item_field="code", text=lambda r: r.name)
def _grid_kind(world: World, role: str, placement: str) -> Region:
    """A grid at or under the role's home (or outside place): where households are added."""
    return world.grid_under(world.place(role, placement))


@kind("household", params=lambda h: {"household_id": h.pk, "pk": h.pk}, text=lambda h: h.number)
def _household_kind(world: World, role: str, placement: str) -> Household:
    return world.household(role, placement)


@kind("resident", params=lambda r: {"resident_id": r.pk, "pk": r.pk}, text=lambda r: r.name)
def _resident_kind(world: World, role: str, placement: str) -> Resident:
    return world.member(world.household(role, placement))


def _position_at(world: World, place: Region) -> Position:
    user = world.other["outsiders"][place.code if place.code in world.other["outsiders"] else OTHER_COUNTY]
    return Position.objects.get(user=user)


@kind("position", params=lambda p: {"position_id": p.pk, "pk": p.pk})
def _position_kind(world: World, role: str, placement: str) -> Position:
    if placement == INSIDE:
        user = world.users["grid_worker" if role in ("resident", ANONYMOUS) else role]
        return Position.objects.filter(user=user).order_by("id").first()
    return _position_at(world, world.outside(role))


@kind("person", params=lambda u: {"user_id": u.pk, "pk": u.pk}, text=lambda u: u.get_full_name())
def _person_kind(world: World, role: str, placement: str) -> User:
    return _position_kind(world, role, placement).user


@kind("department", params=lambda d: {"department_id": d.pk, "pk": d.pk}, text=lambda d: d.name)
def _department_kind(world: World, role: str, placement: str) -> Department:
    if placement == INSIDE:
        return world.county.department
    home = world.home(role)
    if home.level == Region.Level.COUNTY:
        return world.other["department"]
    return world.other["township_department"]


@kind("party_organisation", params=lambda o: {"organisation_id": o.pk, "pk": o.pk}, text=lambda o: o.name)
def _party_org_kind(world: World, role: str, placement: str) -> PartyOrganisation:
    return world.other["party"][world.place(role, placement).code]


@kind("party_member", params=lambda m: {"member_id": m.pk, "pk": m.pk}, text=lambda m: m.name)
def _party_member_kind(world: World, role: str, placement: str) -> PartyMember:
    return _party_org_kind(world, role, placement).members.order_by("id").first()


@kind("token", params=lambda t: {"token_id": t.pk})
def _token_kind(world: World, role: str, placement: str) -> Any:
    """An API token: inside is one of the role's own, outside someone else's."""
    from shanzhi.people.models import ApiToken

    owner = world.users["grid_worker" if role == ANONYMOUS else role]
    if placement == INSIDE:
        return ApiToken.objects.filter(user=owner).order_by("id").first()
    other = world.other["outsiders"][OTHER_COUNTY]
    return ApiToken.objects.filter(user=other).order_by("id").first()
