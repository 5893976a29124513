"""Reads of grid work, scoped to the viewer, with the joins their pages need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from shanzhi.core import access, roles, tree
from shanzhi.core.errors import NotFound
from shanzhi.gridwork.flow import UpdateState
from shanzhi.gridwork.models import Assessment, Duty, FieldUpdate, GridTask, LogEntry
from shanzhi.people.models import Position
from shanzhi.regions.models import Region, Resident, ResidentTag, Tag

GRID_ROLES = {str(r) for r in roles.GRID_TEAM}
KEY_PERSON_DAYS = 7  # a key person is supported at least weekly


def _viewer(who: Any) -> access.Viewer:
    return who if isinstance(who, access.Viewer) else access.viewer_for(who)


def my_grids(viewer: Any) -> list[Region]:
    """The grids the viewer works in (a micro-grid's position counts for its grid)."""
    v = _viewer(viewer)
    paths = {g.region_path for g in v.grants if g.role in GRID_ROLES and g.region_path}
    if not paths:
        return []
    wanted = {a for p in paths for a in tree.ancestors(p)}
    return list(Region.objects.filter(path__in=sorted(wanted), level=Region.Level.GRID).order_by("path"))


def log(viewer: Any, *, worker: Any = None, grid: Region | None = None, since: dt.date | None = None,
        until: dt.date | None = None, duty: str = "") -> QuerySet[LogEntry]:
    qs = access.scope(viewer, "gridwork.view", LogEntry.objects.all())
    if worker is not None:
        qs = qs.filter(worker=worker)
    if grid is not None:
        qs = qs.filter(tree.under(grid.path))
    if since is not None:
        qs = qs.filter(day__gte=since)
    if until is not None:
        qs = qs.filter(day__lte=until)
    if duty:
        qs = qs.filter(duty=duty)
    return qs.select_related("worker", "grid", "household", "task").order_by("-day", "-id")


def tasks(viewer: Any, *, grid: Region | None = None, worker: Any = None, state: str = GridTask.State.OPEN,
          until: dt.date | None = None) -> QuerySet[GridTask]:
    qs = access.scope(viewer, "gridwork.view", GridTask.objects.all())
    if grid is not None:
        qs = qs.filter(grid=grid)
    if worker is not None:
        qs = qs.filter(Q(worker=worker) | Q(worker__isnull=True))
    if state:
        qs = qs.filter(state=state)
    if until is not None:
        qs = qs.filter(due_on__lte=until)
    return qs.select_related("grid", "worker", "household").order_by("due_on", "id")


def task_get(viewer: Any, pk: Any) -> GridTask:
    return access.get_for(viewer, "gridwork.view", GridTask.objects.select_related("grid", "household"), pk=pk)


@dataclass
class Today:
    grid: Region
    day: dt.date
    tasks: list[GridTask] = field(default_factory=list)
    visits_due: list[Any] = field(default_factory=list)
    key_persons: list[Resident] = field(default_factory=list)
    screening_filed: bool | None = None
    logged: list[LogEntry] = field(default_factory=list)


def today(viewer: Any, grid: Region, *, on: dt.date | None = None) -> Today:
    """A grid worker's day: the open tasks due, the households of the grid waiting for their
    contact member's visit, the key persons not supported this week, whether the week's
    dispute screening is filed, and what is logged already."""
    from shanzhi.contact import selectors as contact
    from shanzhi.disputes.models import ScreeningRecord

    v = _viewer(viewer)
    day = on or timezone.localdate()
    if not access.can(v, "gridwork.view", LogEntry(region_path=grid.path)):
        raise NotFound()
    recent = LogEntry.objects.filter(grid=grid, duty=Duty.KEY_PERSONS, day__gt=day - dt.timedelta(KEY_PERSON_DAYS),
                                     household_id=OuterRef("household_id"))
    key = (Resident.objects.filter(tree.under(grid.path), status=Resident.Status.ACTIVE,
                                   pk__in=ResidentTag.objects.filter(tag=Tag.KEY_PERSON).values("resident_id"))
           .filter(~Exists(recent)).select_related("household").order_by("household__number", "id"))
    week = day - dt.timedelta(days=day.weekday())
    return Today(
        grid=grid, day=day,
        tasks=list(tasks(v, grid=grid, worker=v.user, until=day)[:100]),
        visits_due=list(contact.households_due(v, region=grid, on=day)[:50])
        if access.can(v, "contact.view", _probe(grid)) else [],
        key_persons=list(key[:50]),
        screening_filed=ScreeningRecord.objects.filter(grid=grid, week=week).exists(),
        logged=list(log(v, grid=grid, since=day, until=day, worker=v.user)[:100]),
    )


def _probe(grid: Region) -> Any:
    from shanzhi.contact.models import Assignment

    return Assignment(region_path=grid.path)


def updates(viewer: Any, *, queue: str = "all", state: str = "", region: Region | None = None
            ) -> QuerySet[FieldUpdate]:
    v = _viewer(viewer)
    if queue == "review":
        qs = access.scope(v, "fieldupdate.review", FieldUpdate.objects.filter(state=UpdateState.PENDING))
        if v.user is not None:
            qs = qs.exclude(reported_by=v.user)
    else:
        qs = access.scope(v, "fieldupdate.view", FieldUpdate.objects.all())
    if queue == "mine":
        qs = qs.filter(reported_by_id=v.user.pk if v.user is not None else None)
    if state:
        qs = qs.filter(state=state)
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    return qs.select_related("household", "resident", "village", "reported_by").order_by("-reported_at", "-id")


def update_get(viewer: Any, pk: Any) -> FieldUpdate:
    return access.get_for(viewer, "fieldupdate.view", FieldUpdate.objects.select_related(
        "household", "household__village", "resident", "village", "reported_by", "reviewed_by", "created_resident"),
        pk=pk)


def assessments(viewer: Any, *, month: dt.date | None = None, grid: Region | None = None, worker: Any = None
                ) -> QuerySet[Assessment]:
    """Assessments in scope; an unpublished one only to those who assess."""
    qs = access.scope(viewer, "gridwork.view", Assessment.objects.all())
    assessable = access.scope(viewer, "gridwork.assess", Assessment.objects.all()).values("pk")
    qs = qs.filter(Q(published_at__isnull=False) | Q(pk__in=assessable))
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if grid is not None:
        qs = qs.filter(tree.under(grid.path))
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs.select_related("worker", "grid", "assessed_by").order_by("-month", "region_path", "worker_id")


def assessment_get(viewer: Any, pk: Any) -> Assessment:
    return access.get_for(viewer, "gridwork.view", assessments(viewer).prefetch_related("scores__indicator"), pk=pk)


def workers(viewer: Any, *, region: Region | None = None, month: dt.date | None = None) -> QuerySet[Position]:
    """Grid-team positions the viewer may assess (at or under ``region``), held in the month."""
    day = month or timezone.localdate()
    positions = Position.objects.current(min(day, timezone.localdate())).filter(
        role__in=[str(r) for r in roles.GRID_TEAM if str(r) not in {"group_leader", "neighbour_leader"}],
        region__isnull=False)
    v = _viewer(viewer)
    if not v.is_admin:
        paths = v.paths_for("gridwork.assess")
        positions = positions.filter(tree.under_any(paths)) if paths else positions.none()
    if region is not None:
        positions = positions.filter(tree.under(region.path))
    return positions.select_related("user", "region", "region__parent").order_by("region_path", "role", "user_id")


__all__ = ["Today", "assessment_get", "assessments", "log", "my_grids", "task_get", "tasks", "today", "update_get",
           "updates", "workers"]
