"""Scope policies and actions of household contact, dual registration and micro-wishes.

Two kinds of people reach ``access`` through this module's own rosters rather than through a
position (``contact_grants``):

- a Party member of a village branch (or of a party group under it) who has an account, their
  own or the resident account of the resident they are: ``party_member`` at their village.
  The role lets them log visits (the service narrows it to the households in their care),
  start a request, a dispute clue or a points proposal from a visit, and take up wishes;
- an in-service member registered with a community, and a registered unit's liaison:
  ``dual_registered`` at that community, to see its needs and take up wishes.

Their own records (assignments, visits, reports) reach them by name (``named_by`` the
member's account or resident record), never by place: a member does not read another
member's reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from shanzhi.contact.models import (
    Assignment,
    ContactPolicy,
    MemberRegistration,
    MicroWish,
    MonthlyReport,
    QuarterSummary,
    Unit,
    UnitRegistration,
    Visit,
)
from shanzhi.core import access, roles, tree
from shanzhi.people.models import PartyMember, Role
from shanzhi.regions.models import Region

PARTY_MEMBER = "party_member"
DUAL_REGISTERED = "dual_registered"

BY_MEMBER = (("member__user_id", access.ASSIGNED), ("member__resident_id", access.RESIDENT))

access.register(ContactPolicy, region_field="region_path", include_ancestors=True)
access.register(Assignment, region_field="region_path", household_field="household_id", named_by=BY_MEMBER)
access.register(Visit, region_field="region_path", household_field="household_id", named_by=BY_MEMBER)
access.register(MonthlyReport, region_field="region_path", named_by=BY_MEMBER)
access.register(QuarterSummary, region_field="region_path")
access.register(Unit, region_field="region_path", include_ancestors=True, user_field="liaison_id")
access.register(UnitRegistration, region_field="region_path", named_by=(("unit__liaison_id", access.ASSIGNED),))
access.register(MemberRegistration, region_field="region_path", named_by=BY_MEMBER)
access.register(MicroWish, region_field="region_path", household_field="household_id", user_field="claimed_by_id")

CONTACT_VIEWERS = roles.GRID_TEAM | roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES | roles.GOVERNMENT
BRANCH = {Role.VILLAGE_SECRETARY, Role.VILLAGE_COMMITTEE}

# Household contact: seen by the grid team, the village and those above; arranged by the
# village (the branch) and the township; reports reviewed by the branch or the township.
access.allow(CONTACT_VIEWERS, ["contact.view"])
access.allow(roles.VILLAGE_CADRES | roles.GOVERNMENT, ["contact.assign", "contact.record"])
access.allow(BRANCH | {Role.TOWNSHIP_STAFF}, ["contact.review"])
access.allow(roles.VILLAGE_CADRES | {Role.TOWNSHIP_STAFF}, ["contact.summarise"])
access.allow(roles.GOVERNMENT, ["contact.policy"])
# The member's own records (by name) and a household's own contact and visits.
access.allow([access.ASSIGNED, access.RESIDENT], ["contact.view"])
# A member at work: visits, their report, and what a visit may start in other modules.
access.allow([PARTY_MEMBER], ["contact.visit", "contact.report", "request.submit", "dispute.report",
                              "points.propose"])

# Dual registration and micro-wishes.
access.allow(CONTACT_VIEWERS, ["wish.view", "unit.view"])
access.allow(roles.GRID_TEAM | roles.VILLAGE_CADRES, ["wish.post", "wish.thank", "wish.withdraw"])
access.allow([access.RESIDENT], ["wish.view", "wish.post", "wish.thank", "wish.withdraw"])
access.allow([PARTY_MEMBER, DUAL_REGISTERED], ["wish.view", "wish.claim", "wish.fulfil"])
access.allow([DUAL_REGISTERED], ["unit.view"])
# Both name their village or community by its code, like other staff (the map's names only).
access.allow([PARTY_MEMBER, DUAL_REGISTERED], ["region.view"])
access.allow([access.ASSIGNED], ["wish.view", "wish.fulfil", "unit.view"])  # whoever claimed; a unit's liaison
access.allow(roles.VILLAGE_CADRES | roles.GOVERNMENT, ["unit.manage"])


def _current(day: dt.date, start: str, end: str) -> Q:
    return Q(**{f"{start}__lte": day}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": day}))


def member_filter(user: Any) -> Q | None:
    """The Party member records that are this account: linked to it, or to its resident."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    q = Q(user_id=user.pk)
    if getattr(user, "resident_id", None):
        q |= Q(resident_id=user.resident_id)
    return q


def village_paths(org_paths: list[str]) -> dict[str, str]:
    """For each organisation's place at or below a village: the village's path."""
    wanted = {a for p in org_paths for a in tree.ancestors(p)}
    villages = set(Region.objects.filter(path__in=sorted(wanted), level=Region.Level.VILLAGE)
                   .values_list("path", flat=True))
    found: dict[str, str] = {}
    for path in org_paths:
        for ancestor in tree.ancestors(path):
            if ancestor in villages:
                found[path] = ancestor
    return found


def contact_grants(user: Any, on: dt.date | None) -> list[access.Grant]:
    day = on or dt.date.today()
    q = member_filter(user)
    if q is None:
        return []
    grants: list[access.Grant] = []
    members = list(PartyMember.objects.filter(q).values_list("pk", "organisation__region_path"))
    if members:
        villages = village_paths([path for _pk, path in members])
        grants += [access.Grant(role=PARTY_MEMBER, region_path=villages[path])
                   for _pk, path in members if path in villages]
        grants += [access.Grant(role=DUAL_REGISTERED, region_path=path) for path in
                   MemberRegistration.objects.filter(_current(day, "registered_on", "ended_on"),
                                                     member_id__in=[pk for pk, _ in members])
                   .values_list("region_path", flat=True)]
    grants += [access.Grant(role=DUAL_REGISTERED, region_path=path) for path in
               UnitRegistration.objects.filter(_current(day, "registered_on", "ended_on"), unit__liaison_id=user.pk)
               .values_list("region_path", flat=True)]
    return grants


access.grant_source(contact_grants)

__all__ = ["BRANCH", "CONTACT_VIEWERS", "DUAL_REGISTERED", "PARTY_MEMBER", "contact_grants", "member_filter",
           "village_paths"]
