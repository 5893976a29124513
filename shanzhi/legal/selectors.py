"""Reads of rule of law and supervision, scoped to the viewer, with the joins they show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from shanzhi.core import access, tree
from shanzhi.legal.flow import LEGAL_AID_FLOW
from shanzhi.legal.models import (
    AdmissionItem,
    CommunityTask,
    EducationEvent,
    LegalAidApplication,
    Liaison,
    LiaisonActivity,
    MatterType,
    PowerItem,
    ReminderStage,
    ReminderTalk,
)
from shanzhi.people.models import Position, Role
from shanzhi.regions.models import Region, Resident


def _viewer(viewer: Any) -> access.Viewer:
    return viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)


def applications(viewer: Any, *, queue: str = "all", state: str = "") -> QuerySet[LegalAidApplication]:
    """``mine``: the viewer's household's; ``cases``: those the viewer is the lawyer of;
    ``open``/``all``: everything in scope."""
    v = _viewer(viewer)
    qs = access.scope(v, "legal_aid.view", LegalAidApplication.objects.all())
    if queue == "mine":
        qs = qs.filter(household_id=v.household_id) if v.household_id else qs.none()
    elif queue == "cases":
        qs = qs.filter(lawyer_id=v.user.pk) if v.user is not None else qs.none()
    elif queue == "open":
        qs = qs.exclude(state__in=LEGAL_AID_FLOW.terminal)
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("applicant", "region", "lawyer").order_by("-submitted_at", "-id")


def application_get(viewer: Any, pk: int) -> LegalAidApplication:
    return access.get_for(viewer, "legal_aid.view",
                          LegalAidApplication.objects.select_related("applicant", "household", "region", "lawyer",
                                                                     "dispute"), pk=pk)


@dataclass
class AidFigures:
    total: int
    concluded: int
    recovered_fen: int
    by_type: list[tuple[str, Any, int]]


def aid_figures(viewer: Any, *, start: dt.date, end: dt.date) -> AidFigures:
    qs = access.scope(viewer, "legal_aid.stats", LegalAidApplication.objects.all()).filter(
        submitted_at__date__gte=start, submitted_at__date__lte=end).order_by()
    agg = qs.aggregate(total=Count("id"), concluded=Count("id", filter=Q(state="concluded")),
                       recovered=Sum("amount_recovered_fen"))
    counts = dict(qs.values_list("matter_type").annotate(n=Count("id")))
    return AidFigures(agg["total"], agg["concluded"], agg["recovered"] or 0,
                      [(m.value, m.label, counts.get(m.value, 0)) for m in MatterType])


# -- the public page -------------------------------------------------------------------------

def public_village(code: str) -> Region:
    from shanzhi.core.errors import NotFound

    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first()
    if village is None:
        raise NotFound()
    return village


@dataclass
class PublicContact:
    role: str
    name: str
    organisation: str
    work_phone: str


def public_contacts(village: Region) -> list[PublicContact]:
    """The village's legal adviser(s) and police officer(s): name, organisation and work
    phone from their profile (never an account's own phone)."""
    positions = (Position.objects.current().filter(role__in=[Role.LEGAL_ADVISER, Role.VILLAGE_POLICE])
                 .filter(region_path=village.path)
                 .select_related("user__legal_profile").order_by("role", "id"))
    out = []
    for pos in positions:
        profile = getattr(pos.user, "legal_profile", None)
        out.append(PublicContact(role=pos.get_role_display(), name=pos.user.get_full_name(),
                                 organisation=profile.organisation if profile else "",
                                 work_phone=profile.work_phone if profile else ""))
    return out


def power_items(village: Region) -> list[PowerItem]:
    """The village's own items and those the township or county set for all its villages."""
    return list(PowerItem.objects.filter(region_path__in=tree.ancestors(village.path)).order_by(
        "list", "region_path", "position", "id"))


def power_items_in_scope(viewer: Any) -> QuerySet[PowerItem]:
    """The list items of the viewer's places and of the places above them."""
    return access.scope(viewer, "supervision.view", PowerItem.objects.select_related("region")).order_by(
        "region_path", "list", "position", "id")


# -- figures per place and period --------------------------------------------------------------

def _in(qs: QuerySet[Any], start: dt.date, end: dt.date, field: str = "held_on") -> QuerySet[Any]:
    return qs.filter(**{f"{field}__gte": start, f"{field}__lte": end}).order_by()


@dataclass
class EducationFigures:
    events: int
    attendance: int
    materials: int
    by_village: list[dict[str, Any]]
    liaisons: int
    liaison_activities: int


def education_figures(viewer: Any, *, start: dt.date, end: dt.date) -> EducationFigures:
    events = _in(access.scope(viewer, "legal.view", EducationEvent.objects.all()), start, end)
    agg = events.aggregate(n=Count("id"), people=Sum("attendance"), materials=Sum("materials"))
    by_village = list(events.values("region__name", "region__code").annotate(
        events=Count("id"), attendance=Sum("attendance")).order_by("region__code"))
    liaisons = access.scope(viewer, "legal.view", Liaison.objects.filter(active=True)).count()
    activities = _in(access.scope(viewer, "legal.view", LiaisonActivity.objects.all()), start, end).count()
    return EducationFigures(agg["n"], agg["people"] or 0, agg["materials"] or 0, by_village, liaisons, activities)


def events(viewer: Any) -> QuerySet[EducationEvent]:
    return access.scope(viewer, "legal.view", EducationEvent.objects.select_related("region"))


def liaisons(viewer: Any) -> QuerySet[Liaison]:
    return access.scope(viewer, "legal.view", Liaison.objects.select_related("region", "resident")).annotate(
        n_activities=Count("activities")).order_by("region_path", "id")


def talks(viewer: Any) -> QuerySet[ReminderTalk]:
    return access.scope(viewer, "supervision.view", ReminderTalk.objects.select_related("region"))


def talk_figures(viewer: Any, *, start: dt.date, end: dt.date) -> dict[str, int]:
    """Reminder talks per stage in the period (seed 002: before 160, during 171, after 125)."""
    counts = dict(_in(talks(viewer), start, end).values_list("stage").annotate(n=Count("id")))
    return {stage.value: counts.get(stage.value, 0) for stage in ReminderStage}


def tasks(viewer: Any, *, flagged: bool | None = None) -> QuerySet[CommunityTask]:
    qs = access.scope(viewer, "supervision.view", CommunityTask.objects.select_related("region", "admission_item"))
    return qs if flagged is None else qs.filter(flagged=flagged)


def admission_items(viewer: Any) -> QuerySet[AdmissionItem]:
    """The admission lists of the viewer's counties (kept at the county, seen from below)."""
    return access.scope(viewer, "supervision.view", AdmissionItem.objects.select_related("county")).annotate(
        n_tasks=Count("tasks")).order_by("county__code", "id")


def liaison_get(viewer: Any, pk: int) -> Liaison:
    return access.get_for(viewer, "legal.view", Liaison.objects.select_related("region", "resident"), pk=pk)


def liaison_activities(liaison: Liaison) -> QuerySet[LiaisonActivity]:
    return liaison.activities.order_by("-held_on", "-id")


def places(viewer: Any, action: str, *, levels: tuple[int, ...] = ()) -> QuerySet[Region]:
    """The places (county, townships, villages) where the viewer may ``action``, for a
    form's choice; ``levels`` narrows them (only villages, only counties)."""
    v = _viewer(viewer)
    wanted = levels or (Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE)
    qs = Region.objects.filter(level__in=wanted)
    if not v.is_admin:
        paths = v.paths_for(action)
        if not paths:
            return qs.none()
        q = Q()
        for path in paths:
            q |= Q(path__startswith=path)
        qs = qs.filter(q)
    return qs.order_by("path")


def place_get(viewer: Any, action: str, code: str, *, levels: tuple[int, ...] = ()) -> Region | None:
    """The place a form named, if the viewer may ``action`` there (else None: the service
    then asks to choose a place)."""
    return places(viewer, action, levels=levels).filter(code=code).first() if code else None


def resident_for_liaison(pk: int | None) -> Resident | None:
    """The resident a form named by number; the service checks they are in the viewer's area."""
    return Resident.objects.filter(pk=pk).first() if pk else None


def dispute_for_link(pk: int | None) -> Any:
    """The dispute a form named by number; the service checks the viewer may link it."""
    from shanzhi.disputes.models import Dispute

    return Dispute.objects.filter(pk=pk).first() if pk else None
