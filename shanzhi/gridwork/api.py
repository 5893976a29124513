"""REST endpoints of grid work (for the grid workers' mini-program and the command centre):
the day, the log, tasks, data updates from the field and their review, the monthly
assessments. Parsing and calling services and selectors only."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core import access, idnumbers
from shanzhi.core.errors import ValidationError
from shanzhi.gridwork import selectors, services
from shanzhi.gridwork.flow import UPDATE_FLOW
from shanzhi.gridwork.models import Assessment, Duty, FieldUpdate, GridTask, LogEntry, UpdateKind
from shanzhi.people.models import User
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region, Resident

router = Router(tags=["grid work"])

DutyIn = Literal["dispute_screening", "data_collection", "event_reporting", "errands", "key_persons",
                 "legal_outreach"]


class Ref(Schema):
    code: str
    name: str


class DutyOut(Schema):
    code: str
    name: str


class TaskOut(Schema):
    id: int
    grid: Ref
    duty: str
    title: str
    due_on: dt.date
    state: str
    worker: str | None = None
    household_number: str | None = None


class TaskIn(Schema, extra="forbid"):
    grid: str = Field(..., max_length=20)
    duty: DutyIn
    title: str = Field(..., min_length=1, max_length=200)
    due_on: dt.date
    worker_id: int | None = Field(None, description="empty: anyone of the grid team")
    household_id: int | None = None


class CancelIn(Schema, extra="forbid"):
    note: str = Field("", max_length=500)


class LogOut(Schema):
    id: int
    worker: str
    grid: Ref
    day: dt.date
    duty: str
    summary: str
    household_number: str | None = None
    minutes: int | None = None
    task_id: int | None = None


class LogIn(Schema, extra="forbid"):
    grid: str = Field(..., max_length=20)
    duty: DutyIn
    summary: str = Field(..., min_length=1, max_length=1000)
    day: dt.date | None = None
    household_id: int | None = None
    minutes: int | None = Field(None, ge=1, le=1440)
    task_id: int | None = None


class DueOut(Schema):
    household_number: str
    head_name: str | None = None
    member: str
    last_visit: dt.date | None = None


class KeyPersonOut(Schema):
    resident_id: int
    name: str
    household_number: str


class TodayOut(Schema):
    grid: Ref
    day: dt.date
    tasks: list[TaskOut]
    visits_due: list[DueOut]
    key_persons: list[KeyPersonOut]
    screening_filed: bool | None
    logged: list[LogOut]


class UpdateOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    household_number: str
    resident: str | None = None
    data: dict[str, Any]
    note: str
    reported_by: str | None = None
    reported_at: dt.datetime
    reviewed_at: dt.datetime | None = None
    review_note: str
    created_resident_id: int | None = None
    actions: list[str] = []


class UpdateIn(Schema, extra="forbid"):
    household_id: int
    kind: Literal["birth", "move", "death", "phone"]
    resident_id: int | None = Field(None, description="the person (not for a new-born)")
    data: dict[str, Any] = Field(..., description="birth: name, gender (M/F), birth_date, relation, id_number; "
                                                  "move: to_household (number; empty: out of the county), relation, "
                                                  "reason; death: died_on; phone: phone")
    note: str = Field("", max_length=500)


class ReviewIn(Schema, extra="forbid"):
    note: str = Field("", max_length=500)


class RejectIn(Schema, extra="forbid"):
    note: str = Field(..., min_length=1, max_length=500)


class IndicatorOut(Schema):
    code: str
    name: str
    duty: str
    max_score: int


class ScoreOut(Schema):
    code: str
    name: str
    score: int
    max_score: int
    comment: str


class AssessmentOut(Schema):
    id: int
    worker: str
    worker_id: int
    grid: Ref
    month: str
    total: int
    full_marks: int
    comment: str
    figures: dict[str, Any]
    published: bool
    scores: list[ScoreOut] = []


class AssessmentIn(Schema, extra="forbid"):
    worker_id: int
    grid: str = Field(..., max_length=20)
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$")
    scores: dict[str, int]
    comments: dict[str, str] = {}
    comment: str = Field("", max_length=2000)
    publish: bool = False


def _ref(r: Region) -> dict[str, str]:
    return {"code": r.code, "name": r.name}


def _task(t: GridTask) -> dict[str, Any]:
    return {"id": t.pk, "grid": _ref(t.grid), "duty": t.duty, "title": t.title, "due_on": t.due_on, "state": t.state,
            "worker": t.worker.get_full_name() if t.worker is not None else None,
            "household_number": t.household.number if t.household is not None else None}


def _entry(e: LogEntry) -> dict[str, Any]:
    return {"id": e.pk, "worker": e.worker.get_full_name(), "grid": _ref(e.grid), "day": e.day, "duty": e.duty,
            "summary": e.summary, "household_number": e.household.number if e.household is not None else None,
            "minutes": e.minutes, "task_id": e.task_id}


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if out.get("phone"):
        out["phone"] = idnumbers.mask_phone(out["phone"])
    if out.get("id_number"):
        out["id_number"] = idnumbers.mask_id(out["id_number"])
    return out


def _update(viewer: access.Viewer, u: FieldUpdate, *, with_actions: bool = True) -> dict[str, Any]:
    return {"id": u.pk, "kind": u.kind, "kind_label": str(UpdateKind(u.kind).label), "state": u.state,
            "state_label": UPDATE_FLOW.label(u.state), "household_number": u.household.number,
            "resident": u.resident.name if u.resident is not None else None, "data": _masked(u.data), "note": u.note,
            "reported_by": u.reported_by.get_full_name() if u.reported_by is not None else None,
            "reported_at": u.reported_at,
            "reviewed_at": u.reviewed_at, "review_note": u.review_note, "created_resident_id": u.created_resident_id,
            "actions": [t.name for t in UPDATE_FLOW.allowed_transitions(u, viewer)] if with_actions else []}


def _assessment(a: Assessment, *, with_scores: bool = False) -> dict[str, Any]:
    row = {"id": a.pk, "worker": a.worker.get_full_name(), "worker_id": a.worker_id, "grid": _ref(a.grid),
           "month": a.month.strftime("%Y-%m"), "total": a.total, "full_marks": a.full_marks, "comment": a.comment,
           "figures": a.figures, "published": a.published}
    if with_scores:
        row["scores"] = [{"code": s.indicator.code, "name": s.indicator.name, "score": s.score,
                          "max_score": s.indicator.max_score, "comment": s.comment} for s in a.scores.all()]
    return row


def _grid(viewer: access.Viewer, code: str, field: str = "grid") -> Region:
    region = region_selectors.region_ref(viewer, code, field=field)
    if region is None or region.level != Region.Level.GRID:
        raise ValidationError(_("Choose a grid."), field=field)
    return region


def _household(viewer: access.Viewer, pk: int | None, *, action: str = "household.view") -> Household | None:
    if pk is None:
        return None
    found = access.scope(viewer, action, Household.objects.filter(pk=pk)).select_related("village").first()
    if found is None:
        raise ValidationError(_("Unknown household."), field="household_id")
    return found


def _month(value: str) -> dt.date:
    try:
        return dt.date(int(value[:4]), int(value[5:7]), 1)
    except ValueError:
        raise ValidationError(_("Enter a month as YYYY-MM."), field="month") from None


# -- the day, the log, tasks ---------------------------------------------------------------------

@router.get("/gridwork/duties", response=list[DutyOut], summary="The six duties of a grid worker")
def list_duties(request: HttpRequest) -> Any:
    return [{"code": value, "name": str(label)} for value, label in Duty.choices]


@router.get("/gridwork/today", response=TodayOut, summary="A grid worker's day in a grid")
def get_today(request: HttpRequest, grid: str | None = None) -> Any:
    viewer = access.viewer_for(request.user)
    if grid:
        place = _grid(viewer, grid)
    else:
        mine = selectors.my_grids(viewer)
        if not mine:
            raise ValidationError(_("Choose a grid."), field="grid")
        place = mine[0]
    day = selectors.today(viewer, place)
    return {"grid": _ref(place), "day": day.day, "tasks": [_task(t) for t in day.tasks],
            "visits_due": [{"household_number": a.household.number, "head_name": a.head_name, "member": a.member.name,
                            "last_visit": a.last_visit} for a in day.visits_due],
            "key_persons": [{"resident_id": r.pk, "name": r.name,
                             "household_number": r.household.number if r.household is not None else None}
                            for r in day.key_persons],
            "screening_filed": day.screening_filed, "logged": [_entry(e) for e in day.logged]}


@router.get("/gridwork/log", response=list[LogOut], summary="Work log entries in your scope")
@paginate(PageNumberPagination)
def list_log(request: HttpRequest, grid: str | None = None, since: dt.date | None = None,
             until: dt.date | None = None, duty: str = "", mine: bool = False) -> Any:
    viewer = access.viewer_for(request.user)
    place = _grid(viewer, grid) if grid else None
    return [_entry(e) for e in selectors.log(viewer, grid=place, since=since, until=until, duty=duty,
                                             worker=request.user if mine else None)]


@router.post("/gridwork/log", response={201: LogOut}, summary="Write an item of the day's log")
def write_log(request: HttpRequest, payload: LogIn) -> Any:
    viewer = access.viewer_for(request.user)
    task = None
    if payload.task_id is not None:
        task = selectors.tasks(viewer, state="").filter(pk=payload.task_id).first()
        if task is None:
            raise ValidationError(_("Unknown task."), field="task_id")
    entry = services.log_write(actor=request.user, grid=_grid(viewer, payload.grid), duty=payload.duty,
                               summary=payload.summary, day=payload.day,
                               household=_household(viewer, payload.household_id), minutes=payload.minutes, task=task)
    return Status(201, _entry(entry))


@router.get("/gridwork/tasks", response=list[TaskOut], summary="Tasks in your scope")
@paginate(PageNumberPagination)
def list_tasks(request: HttpRequest, grid: str | None = None,
               state: Literal["open", "done", "cancelled", ""] = "open") -> Any:
    viewer = access.viewer_for(request.user)
    return [_task(t) for t in selectors.tasks(viewer, grid=_grid(viewer, grid) if grid else None, state=state)]


@router.post("/gridwork/tasks", response={201: TaskOut}, summary="Set a task in a grid")
def create_task(request: HttpRequest, payload: TaskIn) -> Any:
    viewer = access.viewer_for(request.user)
    worker = None
    if payload.worker_id is not None:
        worker = User.objects.filter(pk=payload.worker_id, is_active=True).first()
        if worker is None:
            raise ValidationError(_("Unknown grid worker."), field="worker_id")
    task = services.task_create(actor=request.user, grid=_grid(viewer, payload.grid), duty=payload.duty,
                                title=payload.title, due_on=payload.due_on, worker=worker,
                                household=_household(viewer, payload.household_id))
    return Status(201, _task(task))


@router.post("/gridwork/tasks/{int:task_id}/cancel", response=TaskOut, summary="Cancel an open task")
def cancel_task(request: HttpRequest, task_id: int, payload: CancelIn) -> Any:
    task = selectors.task_get(request.user, task_id)
    services.task_cancel(actor=request.user, task=task, note=payload.note)
    return _task(selectors.task_get(request.user, task_id))


# -- data updates from the field -------------------------------------------------------------------

@router.get("/gridwork/updates", response=list[UpdateOut], summary="Data updates: to review, yours, or all")
@paginate(PageNumberPagination)
def list_updates(request: HttpRequest, queue: Literal["review", "mine", "all"] = "all", state: str = "") -> Any:
    viewer = access.viewer_for(request.user)
    return [_update(viewer, u, with_actions=False) for u in selectors.updates(viewer, queue=queue, state=state)]


@router.post("/gridwork/updates", response={201: UpdateOut}, summary="Report a data update from the field")
def report_update(request: HttpRequest, payload: UpdateIn) -> Any:
    viewer = access.viewer_for(request.user)
    household = _household(viewer, payload.household_id, action="fieldupdate.report")
    assert household is not None
    resident = None
    if payload.resident_id is not None:
        resident = Resident.objects.filter(pk=payload.resident_id, household=household).first()
        if resident is None:
            raise ValidationError(_("Choose a member of the household who lives there."), field="resident_id")
    update = services.update_report(actor=request.user, household=household, kind=payload.kind, data=payload.data,
                                    resident=resident, note=payload.note)
    return Status(201, _update(viewer, selectors.update_get(viewer, update.pk)))


@router.get("/gridwork/updates/{int:update_id}", response=UpdateOut, summary="One data update")
def get_update(request: HttpRequest, update_id: int) -> Any:
    viewer = access.viewer_for(request.user)
    return _update(viewer, selectors.update_get(viewer, update_id))


@router.post("/gridwork/updates/{int:update_id}/approve", response=UpdateOut,
             summary="Approve and apply to the map (the village)")
def approve_update(request: HttpRequest, update_id: int, payload: ReviewIn) -> Any:
    viewer = access.viewer_for(request.user)
    services.update_approve(actor=request.user, update=selectors.update_get(viewer, update_id), note=payload.note)
    return _update(viewer, selectors.update_get(viewer, update_id))


@router.post("/gridwork/updates/{int:update_id}/reject", response=UpdateOut, summary="Reject (the village)")
def reject_update(request: HttpRequest, update_id: int, payload: RejectIn) -> Any:
    viewer = access.viewer_for(request.user)
    services.update_reject(actor=request.user, update=selectors.update_get(viewer, update_id), note=payload.note)
    return _update(viewer, selectors.update_get(viewer, update_id))


@router.post("/gridwork/updates/{int:update_id}/withdraw", response=UpdateOut, summary="Withdraw your report")
def withdraw_update(request: HttpRequest, update_id: int) -> Any:
    viewer = access.viewer_for(request.user)
    services.update_withdraw(actor=request.user, update=selectors.update_get(viewer, update_id))
    return _update(viewer, selectors.update_get(viewer, update_id))


# -- assessments ------------------------------------------------------------------------------------

@router.get("/gridwork/indicators", response=list[IndicatorOut], summary="A county's assessment plan")
def list_indicators(request: HttpRequest, county: str) -> Any:
    viewer = access.viewer_for(request.user)
    place = region_selectors.region_ref(viewer, county, field="county")
    if place is None or place.level != Region.Level.COUNTY:
        raise ValidationError(_("Name a county."), field="county")
    return [{"code": i.code, "name": i.name, "duty": i.duty, "max_score": i.max_score}
            for i in services.indicators_for(place.pk)]


@router.get("/gridwork/assessments", response=list[AssessmentOut], summary="Monthly assessments in your scope")
@paginate(PageNumberPagination)
def list_assessments(request: HttpRequest, month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$")) -> Any:
    viewer = access.viewer_for(request.user)
    return [_assessment(a) for a in selectors.assessments(viewer, month=_month(month) if month else None)]


@router.post("/gridwork/assessments", response={201: AssessmentOut}, summary="Score a grid worker's month")
def save_assessment(request: HttpRequest, payload: AssessmentIn) -> Any:
    viewer = access.viewer_for(request.user)
    grid = _grid(viewer, payload.grid)
    worker = User.objects.filter(pk=payload.worker_id, is_active=True).first()
    if worker is None:
        raise ValidationError(_("Unknown grid worker."), field="worker_id")
    row = services.assessment_save(actor=request.user, worker=worker, grid=grid, month=_month(payload.month),
                                   scores=payload.scores, comments=payload.comments, comment=payload.comment,
                                   publish=payload.publish)
    return Status(201, _assessment(selectors.assessment_get(viewer, row.pk), with_scores=True))


@router.get("/gridwork/assessments/{int:assessment_id}", response=AssessmentOut, summary="One assessment")
def get_assessment(request: HttpRequest, assessment_id: int) -> Any:
    return _assessment(selectors.assessment_get(request.user, assessment_id), with_scores=True)


@router.get("/gridwork/figures", response=dict[str, Any], summary="A worker's month in figures (for assessing)")
def get_figures(request: HttpRequest, worker_id: int, grid: str, month: str = Query(..., pattern=r"^\d{4}-\d{2}$")
                ) -> Any:
    viewer = access.viewer_for(request.user)
    place = _grid(viewer, grid)
    access.require(viewer, "gridwork.assess", Assessment(region_path=place.path), view_action="gridwork.view")
    worker = User.objects.filter(pk=worker_id).first()
    if worker is None:
        raise ValidationError(_("Unknown grid worker."), field="worker_id")
    return services.month_figures(worker, place, _month(month))


__all__ = ["router"]
