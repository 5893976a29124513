"""REST endpoints of the command centre: the dashboard's figures, the drill-down, the trends,
the list behind a number, and the alerts (list, detail, assign, act, close). Parsing and
calling selectors and services only. The place is named by ``region`` (its code); out of
scope answers 404, a place seen only from below 403, as on the pages."""


import dataclasses
import datetime as dt
from typing import Any

from django.db import models
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from shanzhi.command import selectors, services
from shanzhi.core import access, workflow
from shanzhi.regions.models import Region

router = Router(tags=["command"])


class PlaceQuery(Schema):
    region: str = Field("", max_length=20, description="the place's code (default: the top of your places)")
    period: str = Field("month", max_length=10, description="today, week, month, quarter or year")


class TrendQuery(Schema):
    region: str = Field("", max_length=20)
    unit: str = Field("month", max_length=10, description="day, week or month")


class ListQuery(PlaceQuery):
    figure: str = Field("requests_open", max_length=32, description=", ".join(selectors.LISTS))


class PlaceOut(Schema):
    code: str
    name: str
    level: int


class FiguresOut(Schema):
    region: PlaceOut
    period: str
    since: dt.datetime
    until: dt.datetime
    requests_today: int | None = None
    requests_now: dict[str, Any] | None = None
    requests: dict[str, Any] | None = None
    disputes_now: dict[str, Any] | None = None
    disputes: dict[str, Any] | None = None
    points: dict[str, Any] | None = None
    households_visited_30_days: int | None = None
    grids: int | None = None
    grids_out_of_standard: int | None = None
    late_villages: int | None = None
    open_alerts: int | None = None


class ChildOut(Schema):
    region: PlaceOut
    requests: dict[str, Any] | None = None
    disputes: dict[str, Any] | None = None


class TrendOut(Schema):
    unit: str
    labels: list[str]
    requests: list[int]
    requests_last_year: list[int]
    disputes: list[int]
    disputes_last_year: list[int]


class ListItemOut(Schema):
    id: int
    label: str
    region: str
    state: str


class AlertOut(Schema):
    id: int
    rule: str
    rule_label: str
    reason: str
    region: PlaceOut
    state: str
    assignee: str | None = None
    raised_at: dt.datetime
    closed_at: dt.datetime | None = None

    @staticmethod
    def resolve_rule_label(obj: Any) -> str:
        return str(obj.get_rule_display())

    @staticmethod
    def resolve_assignee(obj: Any) -> str | None:
        return obj.assignee.username if obj.assignee_id else None


class StepOut(Schema):
    at: dt.datetime
    from_state: str
    to_state: str
    actor_name: str
    note: str


class AlertDetail(AlertOut):
    evidence: dict[str, Any]
    history: list[StepOut]
    steps: list[str]


class AssignIn(Schema, extra="forbid"):
    assignee_id: int
    note: str = Field("", max_length=2000)


class NoteIn(Schema, extra="forbid"):
    note: str = Field(..., max_length=2000)


def _place(region: Any) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "level": int(region.level)}


def _plain(value: Any) -> Any:
    """Figures as JSON: a place named by its code, other records by their text."""
    if isinstance(value, Region):
        return value.code
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _dict(figures: Any) -> dict[str, Any] | None:
    if figures is None:
        return None
    return {f.name: _plain(getattr(figures, f.name)) for f in dataclasses.fields(figures)}


def _where(request: HttpRequest, code: str) -> tuple[access.Viewer, Any]:
    viewer = access.viewer_for(request.user)
    region = selectors.region_for(viewer, code or None)
    access.require_any_role(viewer, "command.dashboard")
    return viewer, region


def _period(key: str) -> selectors.Period:
    return selectors.period(key)


@router.get("/command/figures", response=FiguresOut, summary="The dashboard's figures for a place and period")
def figures(request: HttpRequest, filters: PlaceQuery = Query(...)) -> Any:
    viewer, region = _where(request, filters.region)
    per = _period(filters.period)
    d = selectors.dashboard(viewer, region, per)
    return {
        "region": _place(region), "period": per.key, "since": per.since, "until": per.until,
        "requests_today": d.requests_today, "requests_now": _dict(d.requests_now), "requests": _dict(d.requests),
        "disputes_now": _dict(d.disputes_now), "disputes": _dict(d.disputes), "points": _dict(d.points),
        "households_visited_30_days": d.contact.households_visited_30_days if d.contact else None,
        "grids": d.grids.grids if d.grids else None,
        "grids_out_of_standard": len(d.grids.out_of_standard) if d.grids else None,
        "late_villages": d.late_villages, "open_alerts": d.open_alerts,
    }


@router.get("/command/children", response=list[ChildOut], summary="The same figures one level down (drill-down)")
def children(request: HttpRequest, filters: PlaceQuery = Query(...)) -> Any:
    viewer, region = _where(request, filters.region)
    return [{"region": _place(row.region), "requests": _dict(row.requests), "disputes": _dict(row.disputes)}
            for row in selectors.children(viewer, region, _period(filters.period))]


@router.get("/command/trend", response=TrendOut, summary="Requests and disputes by day, week or month")
def trend(request: HttpRequest, filters: TrendQuery = Query(...)) -> Any:
    viewer, region = _where(request, filters.region)
    return selectors.trend(viewer, region, filters.unit)


def _item(obj: Any) -> dict[str, Any]:
    region = getattr(obj, "region", None) or getattr(obj, "grid", None)
    label = getattr(obj, "number", None) or getattr(obj, "reason", None) or obj.pk
    return {"id": obj.pk, "label": str(label), "region": region.name if region else "",
            "state": str(getattr(obj, "state", ""))}


@router.get("/command/list", response=list[ListItemOut], summary="The records behind one figure")
@paginate(PageNumberPagination)
def listing(request: HttpRequest, filters: ListQuery = Query(...)) -> Any:
    viewer, region = _where(request, filters.region)
    return _Items(selectors.listing(viewer, filters.figure, region, _period(filters.period)))


class _Items:
    """A queryset that pages as list items (ninja slices it once, then reads the slice)."""

    def __init__(self, qs: Any):
        names = {f.name for f in qs.model._meta.get_fields()}
        self.qs = qs.select_related(*[n for n in ("region", "grid") if n in names])

    def count(self) -> int:
        return int(self.qs.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [_item(o) for o in self.qs[window]]


@router.get("/command/alerts", response=list[AlertOut], summary="Alerts in your places")
@paginate(PageNumberPagination)
def alerts(request: HttpRequest, state: str = Query("", max_length=16), rule: str = Query("", max_length=32)
           ) -> Any:
    return selectors.alerts(request.user, state=state, rule=rule)


def _alert_detail(request: HttpRequest, alert: Any) -> Any:
    alert.history = list(workflow.history(alert))
    alert.steps = [t.name for t in workflow.allowed_transitions(alert, access.viewer_for(request.user))]
    return alert


@router.get("/command/alerts/{alert_id}", response=AlertDetail, summary="One alert with its evidence and history")
def alert_detail(request: HttpRequest, alert_id: int) -> Any:
    return _alert_detail(request, selectors.alert_get(request.user, alert_id))


@router.post("/command/alerts/{alert_id}/assign", response=AlertDetail, summary="Give the alert to someone")
def alert_assign(request: HttpRequest, alert_id: int, payload: AssignIn) -> Any:
    alert = selectors.alert_get(request.user, alert_id)
    services.alert_assign(actor=request.user, alert=alert, assignee_id=payload.assignee_id, note=payload.note)
    return _alert_detail(request, selectors.alert_get(request.user, alert_id))


@router.post("/command/alerts/{alert_id}/act", response=AlertDetail, summary="Record what was done")
def alert_act(request: HttpRequest, alert_id: int, payload: NoteIn) -> Any:
    alert = selectors.alert_get(request.user, alert_id)
    services.alert_act(actor=request.user, alert=alert, note=payload.note)
    return _alert_detail(request, selectors.alert_get(request.user, alert_id))


@router.post("/command/alerts/{alert_id}/close", response=AlertDetail, summary="Close the alert")
def alert_close(request: HttpRequest, alert_id: int, payload: NoteIn) -> Any:
    alert = selectors.alert_get(request.user, alert_id)
    services.alert_close(actor=request.user, alert=alert, note=payload.note)
    return _alert_detail(request, selectors.alert_get(request.user, alert_id))
