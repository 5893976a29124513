"""Reads of the organisations' register, scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from shanzhi.core import access, tree
from shanzhi.organisations.models import COUNCILS, Activity, ActivityKind, Kind, Member, Organisation
from shanzhi.regions.models import Region


def organisations(viewer: Any, *, region: Region | None = None, kind: str = "", active_only: bool = False
                  ) -> QuerySet[Organisation]:
    qs = access.scope(viewer, "organisation.view", Organisation.objects.all())
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if kind:
        qs = qs.filter(kind=kind)
    if active_only:
        qs = qs.filter(is_active=True)
    members = (Member.objects.filter(organisation=OuterRef("pk"), left_on__isnull=True).order_by()
               .values("organisation").annotate(n=Count("id")).values("n"))
    return (qs.select_related("village").annotate(member_count=Coalesce(Subquery(members, output_field=IntegerField()),
                                                                        0))
            .order_by("region_path", "kind", "name"))


def organisation_get(viewer: Any, pk: Any) -> Organisation:
    return access.get_for(viewer, "organisation.view", organisations(viewer), pk=pk)


def members(organisation: Organisation, *, current: bool = True) -> QuerySet[Member]:
    qs = organisation.members.all()
    if current:
        qs = qs.filter(left_on__isnull=True)
    return qs.select_related("resident").order_by("role", "name")


def activities(viewer: Any, *, organisation: Organisation | None = None, region: Region | None = None,
               since: dt.date | None = None, until: dt.date | None = None) -> QuerySet[Activity]:
    qs = access.scope(viewer, "organisation.view", Activity.objects.all())
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if since is not None:
        qs = qs.filter(held_on__gte=since)
    if until is not None:
        qs = qs.filter(held_on__lte=until)
    return qs.select_related("organisation").order_by("-held_on", "-id")


@dataclass
class Figures:
    organisations: int
    councils: int
    teams: int
    members: int
    meetings: int
    activities: int
    matters_settled: int
    disputes_settled: int
    clean_ups: int
    by_kind: dict[str, int]


def figures(viewer: Any, *, region: Region | None = None, since: dt.date | None = None,
            until: dt.date | None = None) -> Figures:
    """The register in figures (seed 000's 585 organisations, 470 disputes, 620 clean-ups)."""
    orgs = organisations(viewer, region=region, active_only=True)
    by_kind = dict(orgs.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    acts = activities(viewer, region=region, since=since, until=until).order_by()
    a = acts.aggregate(n=Count("id"), meetings=Count("id", filter=Q(kind=ActivityKind.MEETING)),
                       settled=Coalesce(Sum("matters_settled"), 0),
                       disputes=Coalesce(Sum("matters_settled", filter=Q(kind=ActivityKind.MEDIATION)), 0),
                       clean=Count("id", filter=Q(kind=ActivityKind.CLEAN_UP)))
    councils = sum(n for k, n in by_kind.items() if k in {str(c) for c in COUNCILS})
    return Figures(organisations=sum(by_kind.values()), councils=councils, teams=sum(by_kind.values()) - councils,
                   members=Member.objects.filter(organisation__in=orgs, left_on__isnull=True).count(),
                   meetings=a["meetings"], activities=a["n"], matters_settled=a["settled"],
                   disputes_settled=a["disputes"], clean_ups=a["clean"],
                   by_kind={str(k): by_kind.get(str(k), 0) for k in Kind.values})
