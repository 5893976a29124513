"""Self-governance organisations (shanzhi/organisations): the API and the pages.

An organisation and its activities belong to a village: every staff member who works at or
below or above it reads them (the grid team too: the village is above their grid), and so do
the village's residents; the departments do not. The village's cadres and the township and
county keep the register.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shanzhi.core import tree
from shanzhi.organisations import services
from shanzhi.organisations.models import Activity, Member, Organisation
from shanzhi.regions.models import Region
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page
from tests.matrix.world import ANONYMOUS, INSIDE, SIGNED_IN, World, kind

SEE = R.REGION_STAFF | R.RESIDENT
MANAGE = R.VILLAGE_CADRES | R.GOVERNMENT
NOBODY_ELSE = frozenset(SIGNED_IN) - {"admin"}


def _village(world: World, role: str, placement: str) -> Region:
    who = "grid_worker" if role == ANONYMOUS else role
    home = world.home(who)
    if home.level >= Region.Level.VILLAGE:
        village = Region.objects.get(path__in=tree.ancestors(home.path), level=Region.Level.VILLAGE)
        if placement == INSIDE:
            return village
        if home.level == Region.Level.VILLAGE:
            return world.outside(who)
        return Region.objects.filter(parent_id=village.parent_id, level=Region.Level.VILLAGE).exclude(
            pk=village.pk).order_by("code").first()
    place = home if placement == INSIDE else world.outside(who)
    return Region.objects.filter(path__startswith=place.path, level=Region.Level.VILLAGE).order_by("code").first()


@kind("org_village", params=lambda v: {"code": v.code}, key=lambda v: v.code, item_field="code",
      text=lambda v: v.name)
def _village_kind(world: World, role: str, placement: str) -> Region:
    return _village(world, role, placement)


@kind("organisation", params=lambda o: {"organisation_id": o.pk, "pk": o.pk}, text=lambda o: o.name)
def _org_kind(world: World, role: str, placement: str) -> Organisation:
    village = _village(world, role, placement)
    key = ("organisations", village.pk)
    if key not in world.cache:
        world.cache[key] = services.organisation_create(actor=world.users["admin"], village=village,
                                                        kind="filial_piety_council", name=f"{village.name}孝善理事会")
    return Organisation.objects.get(pk=world.cache[key].pk)


@kind("org_member", params=lambda m: {"organisation_id": m.organisation_id, "member_id": m.pk,
                                      "pk": m.organisation_id, "member_pk": m.pk}, text=lambda m: m.name)
def _member_kind(world: World, role: str, placement: str) -> Member:
    org = _org_kind(world, role, placement)
    key = ("organisations-member", org.pk)
    if key not in world.cache:
        world.cache[key] = services.member_add(actor=world.users["admin"], organisation=org, name="矩阵成员")
    return Member.objects.get(pk=world.cache[key].pk)


@kind("org_activity", params=lambda a: {"organisation_id": a.organisation_id, "pk": a.pk}, text=lambda a: a.subject)
def _activity_kind(world: World, role: str, placement: str) -> Activity:
    org = _org_kind(world, role, placement)
    key = ("organisations-activity", org.pk)
    if key not in world.cache:
        world.cache[key] = services.activity_record(actor=world.users["admin"], organisation=org, kind="clean_up",
                                                    held_on=timezone.localdate(), subject=f"矩阵活动{org.pk}")
    return world.cache[key]


def _grow_orgs(world: World, n: int) -> None:
    for i in range(n):
        services.organisation_create(actor=world.users["admin"], village=world.county.villages[0], kind="volunteers",
                                     name=f"增长志愿队{Organisation.objects.count()}-{i}")


def _activity_body(world: World, role: str, org: Any) -> dict[str, Any]:
    return {"kind": "mediation", "held_on": timezone.localdate().isoformat(), "subject": "矩阵调解",
            "matters_settled": 1}


ENTRIES: list[Entry] = [
    api("GET", "/api/organisations", kind="organisation", lists=True, visible=SEE, grow=Grow(_grow_orgs)),
    api("GET", "/api/organisations/figures", expect={"department_staff": 403}),
    api("POST", "/api/organisations", kind="org_village", visible=SEE, allowed=MANAGE, ok=201, outside=422,
        body=lambda w, role, v: {"village": v.code, "kind": "volunteers", "name": "矩阵志愿队"},
        expect={"resident": 422, "department_staff:inside": 404},
        note="the village is named in the body: a resident names no place"),
    api("GET", "/api/organisations/{organisation_id}", kind="organisation", visible=SEE),
    api("PATCH", "/api/organisations/{organisation_id}", kind="organisation", visible=SEE, allowed=MANAGE,
        body=lambda w, role, o: {"description": "矩阵"}),
    api("GET", "/api/organisations/{organisation_id}/members", kind="organisation", visible=SEE),
    api("POST", "/api/organisations/{organisation_id}/members", kind="organisation", visible=SEE, allowed=MANAGE,
        ok=201, body=lambda w, role, o: {"name": "矩阵新成员"}),
    api("POST", "/api/organisations/{organisation_id}/members/{member_id}/leave", kind="org_member", visible=SEE,
        allowed=MANAGE),
    api("GET", "/api/organisations/{organisation_id}/activities", kind="organisation", visible=SEE),
    api("POST", "/api/organisations/{organisation_id}/activities", kind="organisation", visible=SEE, allowed=MANAGE,
        ok=201, body=_activity_body),

    page("organisations:index", expect={"department_staff": 403}),
    page("organisations:new", expect=dict.fromkeys(NOBODY_ELSE - MANAGE, 403)),
    page("organisations:detail", kind="organisation", visible=SEE),
    page("organisations:member_add", method="POST", kind="organisation", visible=SEE, allowed=MANAGE, ok=302,
         body=lambda w, role, o: {"name": "矩阵新成员", "role": "member"}),
    page("organisations:member_leave", method="POST", kind="org_member", visible=SEE, allowed=MANAGE, ok=302),
    page("organisations:activity_new", method="POST", kind="organisation", visible=SEE, allowed=MANAGE, ok=302,
         body=lambda w, role, o: {**_activity_body(w, role, o), "participants": 3}),
]
