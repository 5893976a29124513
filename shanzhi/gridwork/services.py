"""Writes of grid work. Every function: keyword-only arguments, an explicit actor, one
transaction, the permission check, the audit entry.

A data update from the field changes nothing on the map until the village approves it; then
it is made through the map's own services (``regions.services.resident_create``,
``resident_move``, ``resident_update``, ``resident_record_death``) by the reviewer, in the
same transaction as the approval, so the map and the record of who approved it agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, notify, roles, workflow
from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError
from shanzhi.gridwork.flow import UpdateState, not_own
from shanzhi.gridwork.models import (
    Assessment,
    AssessmentScore,
    Duty,
    FieldUpdate,
    GridTask,
    Indicator,
    LogEntry,
    UpdateKind,
)
from shanzhi.people.models import Position, User
from shanzhi.regions import services as regions
from shanzhi.regions.models import Household, Region, Resident

LOG_DAYS_BACK = 7  # a day's work is logged within a week
GRID_ROLES = [str(r) for r in roles.GRID_TEAM]

# Seed 004's six duties as a county's default assessment plan (100 marks in all).
DEFAULT_INDICATORS: list[tuple[str, str, str, int]] = [
    ("dispute_screening", "矛盾纠纷排查", Duty.DISPUTE_SCREENING, 20),
    ("data_collection", "基础信息采集", Duty.DATA_COLLECTION, 20),
    ("event_reporting", "问题事件上报", Duty.EVENT_REPORTING, 15),
    ("errands", "便民服务办理", Duty.ERRANDS, 15),
    ("key_persons", "重点人员协管", Duty.KEY_PERSONS, 15),
    ("legal_outreach", "平安法治宣传", Duty.LEGAL_OUTREACH, 15),
]


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip() if not isinstance(value, str) else value.strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def _grid(region: Region | None, field: str = "grid") -> Region:
    if region is None or region.level != Region.Level.GRID:
        raise ValidationError(_("Choose a grid."), field=field)
    return region


def _duty(value: str) -> str:
    if value not in Duty.values:
        raise ValidationError(_("Choose one of the six duties."), field="duty")
    return value


def _household_in(household: Household | None, grid: Region) -> Household | None:
    if household is not None and not household.region_path.startswith(grid.path):
        raise ValidationError(_("Household %(number)s is not in this grid.") % {"number": household.number},
                              field="household")
    return household


def works_in(user: Any, grid: Region, *, on: dt.date | None = None) -> bool:
    """Whether the account holds a grid-team position at the grid (or a micro-grid of it)."""
    if getattr(user, "pk", None) is None:
        return False
    return Position.objects.current(on).filter(user_id=user.pk, role__in=GRID_ROLES,
                                               region_path__startswith=grid.path).exists()


# -- tasks and the daily log -----------------------------------------------------------------------

@transaction.atomic
def task_create(*, actor: Any, grid: Region, duty: str, title: str, due_on: dt.date, worker: User | None = None,
                household: Household | None = None) -> GridTask:
    """A task in a grid: set by the grid leader or the village, or by a worker for themselves."""
    grid = _grid(grid)
    task = GridTask(grid=grid, region_path=grid.path, county_id=grid.county_pk, duty=_duty(duty),
                    title=_text(title, field="title", max_length=200, required=True), due_on=due_on,
                    worker=worker, household=_household_in(household, grid), created_by=_user(actor))
    own = worker is not None and worker.pk == getattr(actor, "pk", None)
    access.require(actor, "gridwork.log" if own else "gridwork.task", task, view_action="gridwork.view")
    if worker is not None and not works_in(worker, grid):
        raise ValidationError(_("%(name)s does not work in this grid.") % {"name": worker.get_full_name()},
                              field="worker_id")
    if due_on < timezone.localdate() - dt.timedelta(days=LOG_DAYS_BACK):
        raise ValidationError(_("The date is too far in the past."), field="due_on")
    task.save()
    audit.record(actor=actor, action="gridwork.task_create", target=task, detail={"duty": duty, "title": task.title})
    if worker is not None and not own:
        notify.notify([worker], "gridwork.task", _("A task for you: %(title)s") % {"title": task.title},
                      link="/gridwork/", target=task)
    return task


@transaction.atomic
def task_cancel(*, actor: Any, task: GridTask, note: str = "") -> GridTask:
    own = task.worker_id is not None and task.worker_id == getattr(actor, "pk", None) \
        and task.created_by_id == task.worker_id
    access.require(actor, "gridwork.log" if own else "gridwork.task", task, view_action="gridwork.view")
    note = _text(note, field="note", max_length=500)
    moved = GridTask.objects.filter(pk=task.pk, state=GridTask.State.OPEN).update(
        state=GridTask.State.CANCELLED, closed_at=timezone.now(), close_note=note)
    if moved != 1:
        raise ValidationError(_("This task is no longer open."), field="state")
    task.state = GridTask.State.CANCELLED
    audit.record(actor=actor, action="gridwork.task_cancel", target=task, detail={"note": note})
    return task


@transaction.atomic
def log_write(*, actor: Any, grid: Region, duty: str, summary: str, day: dt.date | None = None,
              household: Household | None = None, minutes: int | None = None, task: GridTask | None = None
              ) -> LogEntry:
    """One item of the worker's daily log; with ``task``, the task is done by it."""
    grid = _grid(grid)
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValidationError(_("The date is in the future."), field="day")
    if day < today - dt.timedelta(days=LOG_DAYS_BACK):
        raise ValidationError(_("A day's work is logged within a week."), field="day")
    if minutes is not None and not 0 < int(minutes) <= 1440:
        raise ValidationError(_("Between 1 and 1440 minutes."), field="minutes")
    entry = LogEntry(grid=grid, region_path=grid.path, county_id=grid.county_pk, day=day,
                     duty=_duty(duty), summary=_text(summary, field="summary", max_length=1000, required=True),
                     household=_household_in(household, grid), minutes=minutes)
    # Checked before the worker is named on it (a worker sees their own entries by name).
    access.require(actor, "gridwork.log", entry, view_action="gridwork.view")
    entry.worker = actor
    if task is not None:
        if task.grid_id != grid.pk or (task.worker_id is not None and task.worker_id != actor.pk):
            raise ValidationError(_("This task is not yours in this grid."), field="task_id")
        moved = GridTask.objects.filter(pk=task.pk, state=GridTask.State.OPEN).update(
            state=GridTask.State.DONE, closed_at=timezone.now())
        if moved != 1:
            raise Conflict(_("This task is done or cancelled already."), field="task_id")
        entry.task = task
        entry.household = entry.household or task.household
    entry.save()
    audit.record(actor=actor, action="gridwork.log", target=entry,
                 detail={"duty": duty, "day": day.isoformat(), "task": task.pk if task else None})
    return entry


# -- assessments ----------------------------------------------------------------------------------

def indicators_for(county_id: int) -> list[Indicator]:
    """The county's assessment plan (the six duties, unsaved, until the county sets its own)."""
    found = list(Indicator.objects.filter(county_id=county_id, is_active=True).order_by("order", "code"))
    if found:
        return found
    path = Region.objects.filter(pk=county_id).values_list("path", flat=True).first() or ""
    return [Indicator(county_id=county_id, region_path=path, code=code, name=name, duty=duty, max_score=score,
                      order=i + 1) for i, (code, name, duty, score) in enumerate(DEFAULT_INDICATORS)]


def _saved_indicators(county_id: int) -> list[Indicator]:
    rows = indicators_for(county_id)
    if rows and rows[0].pk is None:
        Indicator.objects.bulk_create(rows, ignore_conflicts=True)
        rows = list(Indicator.objects.filter(county_id=county_id, is_active=True).order_by("order", "code"))
    return rows


@transaction.atomic
def indicator_save(*, actor: Any, county: Region, code: str, name: str, max_score: int, duty: str = "",
                   order: int = 10, is_active: bool = True) -> Indicator:
    if county.level != Region.Level.COUNTY:
        raise ValidationError(_("Indicators are set for a county."), field="county")
    _saved_indicators(county.pk)
    row = Indicator.objects.filter(county=county, code=code).first() or Indicator(
        county=county, region_path=county.path, code=code)
    access.require(actor, "gridwork.indicators", row, view_action="gridwork.view")
    if duty and duty not in Duty.values:
        raise ValidationError(_("Choose one of the six duties."), field="duty")
    if not 1 <= int(max_score) <= 100:
        raise ValidationError(_("Full marks are 1 to 100."), field="max_score")
    row.name = _text(name, field="name", max_length=100, required=True)
    row.max_score, row.duty, row.order, row.is_active = int(max_score), duty, order, is_active
    row.save()
    audit.record(actor=actor, action="gridwork.indicator_save", target=row,
                 detail={"code": code, "max_score": row.max_score, "active": is_active})
    return row


def month_figures(worker: Any, grid: Region, month: dt.date) -> dict[str, Any]:
    """What the month's record says about a worker in a grid: log items by duty, tasks, data
    updates, quick reports filed and weekly screenings filed."""
    from shanzhi.casework.models import ServiceRequest
    from shanzhi.disputes.models import ScreeningRecord

    start = month
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    entries = LogEntry.objects.filter(worker=worker, grid=grid, day__gte=start, day__lt=end)
    by_duty = dict.fromkeys(Duty.values, 0)
    for duty in entries.values_list("duty", flat=True):
        by_duty[duty] += 1
    tasks = GridTask.objects.filter(grid=grid, due_on__gte=start, due_on__lt=end).filter(
        Q(worker=worker) | Q(worker__isnull=True))
    return {
        "log_entries": sum(by_duty.values()), "by_duty": by_duty,
        "days_logged": entries.values("day").distinct().count(),
        "tasks_done": tasks.filter(state=GridTask.State.DONE, entry__worker=worker).count(),
        "tasks_open": tasks.filter(state=GridTask.State.OPEN).count(),
        "data_updates": FieldUpdate.objects.filter(reported_by=worker, reported_at__date__gte=start,
                                                   reported_at__date__lt=end).count(),
        "quick_reports": ServiceRequest.objects.filter(filed_by=worker, channel="grid", submitted_at__date__gte=start,
                                                       submitted_at__date__lt=end).count(),
        "screenings": ScreeningRecord.objects.filter(grid=grid, filed_by=worker, week__gte=start,
                                                     week__lt=end).count(),
    }


@transaction.atomic
def assessment_save(*, actor: Any, worker: User, grid: Region, month: dt.date, scores: Mapping[str, Any],
                    comments: Mapping[str, str] | None = None, comment: str = "", publish: bool = False
                    ) -> Assessment:
    """Score a grid worker's month against the county's indicators (while unpublished, it
    can be scored again); ``publish`` shows it to the worker, final."""
    grid = _grid(grid)
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError(_("That month has not begun."), field="month")
    row = Assessment.objects.select_for_update().filter(worker=worker, grid=grid, month=month).first() or \
        Assessment(worker=worker, grid=grid, month=month, region_path=grid.path, county_id=grid.county_pk)
    access.require(actor, "gridwork.assess", row, view_action="gridwork.view")
    if worker.pk == getattr(actor, "pk", None):
        raise PermissionDenied(_("Nobody assesses themselves."))
    if row.published:
        raise ValidationError(_("This assessment is published; it is final."), field="month")
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if not works_in(worker, grid, on=min(end, timezone.localdate())) and not works_in(worker, grid, on=month):
        raise ValidationError(_("%(name)s does not work in this grid.") % {"name": worker.get_full_name()},
                              field="worker_id")
    indicators = _saved_indicators(grid.county_pk)
    comments = comments or {}
    unknown = set(scores) - {i.code for i in indicators}
    if unknown:
        raise ValidationError(_("Unknown indicator: %(code)s") % {"code": sorted(unknown)[0][:32]}, field="scores")
    lines = []
    for indicator in indicators:
        if indicator.code not in scores or scores[indicator.code] in (None, ""):
            raise ValidationError(_("Score every indicator: %(name)s is missing.") % {"name": indicator.name},
                                  field=f"scores.{indicator.code}")
        try:
            value = int(scores[indicator.code])
        except (TypeError, ValueError):
            raise ValidationError(_("Enter a whole number."), field=f"scores.{indicator.code}") from None
        if not 0 <= value <= indicator.max_score:
            raise ValidationError(_("%(name)s is scored 0 to %(max)d.") % {"name": indicator.name,
                                                                            "max": indicator.max_score},
                                  field=f"scores.{indicator.code}")
        lines.append((indicator, value, _text(comments.get(indicator.code, ""), field=f"comments.{indicator.code}",
                                              max_length=300)))
    row.total = sum(v for _i, v, _c in lines)
    row.full_marks = sum(i.max_score for i in indicators)
    row.comment = _text(comment, field="comment", max_length=2000)
    row.figures = month_figures(worker, grid, month)
    row.assessed_by = _user(actor)
    if publish:
        row.published_at = timezone.now()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict() from None
    row.scores.all().delete()
    AssessmentScore.objects.bulk_create([AssessmentScore(assessment=row, indicator=i, score=v, comment=c)
                                         for i, v, c in lines])
    audit.record(actor=actor, action="gridwork.assess", target=row, detail={
        "worker": worker.username, "month": month.isoformat(), "total": row.total, "published": publish,
        "scores": {i.code: v for i, v, _c in lines}})
    if publish:
        notify.notify([worker], "gridwork.assessed",
                      _("Your assessment for %(month)s: %(total)d of %(full)d")
                      % {"month": month.strftime("%Y-%m"), "total": row.total, "full": row.full_marks},
                      link=f"/gridwork/assessments/{row.pk}/", target=row)
    return row


# -- data updates from the field -------------------------------------------------------------------

def _clean_update(kind: str, household: Household, resident: Resident | None, data: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """Check what is reported now, so a bad report is refused before anyone reviews it."""
    today = timezone.localdate()
    if kind == UpdateKind.BIRTH:
        born = data.get("birth_date")
        born = parse_date(born) if isinstance(born, str) else born
        if born is None:
            raise ValidationError(_("Enter the date of birth."), field="birth_date")
        fields = regions.clean_resident_fields({
            "name": data.get("name", ""), "gender": data.get("gender", ""), "birth_date": born,
            "relation": data.get("relation") or Resident.Relation.OTHER, "id_number": data.get("id_number") or None})
        if fields["birth_date"] < today - dt.timedelta(days=366):
            raise ValidationError(_("A new-born was born within the last year."), field="birth_date")
        if not fields.get("gender"):
            raise ValidationError(_("Gender is male or female."), field="gender")
        return {"name": fields["name"], "gender": fields["gender"], "birth_date": fields["birth_date"].isoformat(),
                "relation": fields["relation"], "id_number": fields.get("id_number") or ""}
    if resident is None or resident.household_id != household.pk or resident.status != Resident.Status.ACTIVE:
        raise ValidationError(_("Choose a member of the household who lives there."), field="resident_id")
    if kind == UpdateKind.PHONE:
        phone = regions.clean_resident_fields({"phone": data.get("phone", "")})["phone"]
        if not phone:
            raise ValidationError(_("Enter the new phone number."), field="phone")
        return {"phone": phone}
    if kind == UpdateKind.DEATH:
        died = data.get("died_on")
        died = parse_date(died) if isinstance(died, str) else died
        if died is None:
            raise ValidationError(_("Enter the date of death."), field="died_on")
        if died > today:
            raise ValidationError(_("The date is in the future."), field="died_on")
        return {"died_on": died.isoformat()}
    if kind == UpdateKind.MOVE:
        number = (data.get("to_household") or "").strip()
        if number:
            target = Household.objects.filter(number=number, county_id=household.county_id).first()
            if target is None:
                raise ValidationError(_("Unknown household: %(number)s") % {"number": number[:32]},
                                      field="to_household")
            if target.pk == household.pk:
                raise ValidationError(_("The resident already lives in this household."), field="to_household")
        relation = data.get("relation") or Resident.Relation.OTHER
        if relation not in Resident.Relation.values:
            raise ValidationError(_("Unknown relation to the head of household."), field="relation")
        return {"to_household": number, "relation": relation,
                "reason": _text(data.get("reason", ""), field="reason", max_length=200)}
    raise ValidationError(_("Choose what changed: a new-born, a move, a death or a new phone."), field="kind")


@transaction.atomic
def update_report(*, actor: Any, household: Household, kind: str, data: Mapping[str, Any],
                  resident: Resident | None = None, note: str = "") -> FieldUpdate:
    if kind not in UpdateKind.values:
        raise ValidationError(_("Choose what changed: a new-born, a move, a death or a new phone."), field="kind")
    update = FieldUpdate(kind=kind, household=household, resident=resident if kind != UpdateKind.BIRTH else None,
                         village_id=household.village_id, region_path=household.region_path,
                         county_id=household.county_id, note=_text(note, field="note", max_length=500))
    # Checked before the reporter is named on it (the reporter may act on their own reports).
    access.require(actor, "fieldupdate.report", update, view_action="fieldupdate.view")
    update.data = _clean_update(kind, household, update.resident, data)
    update.reported_by = _user(actor)
    try:
        with transaction.atomic():
            update.save()
    except IntegrityError:
        raise Conflict(_("A report of this kind for this person is already waiting for review."),
                       field="resident_id") from None
    workflow.start(update, actor=actor)
    audit.record(actor=actor, action="fieldupdate.report", target=update,
                 detail={"kind": kind, "household": household.number, "resident": update.resident_id})
    reviewers = Position.objects.current().filter(role__in=[str(r) for r in roles.VILLAGE_CADRES],
                                           region_path=household.village.path).values_list("user_id", flat=True)
    notify.notify(reviewers, "fieldupdate.reported", _("A data update to review: %(kind)s, %(number)s")
                  % {"kind": UpdateKind(kind).label, "number": household.number},
                  link=f"/gridwork/updates/{update.pk}/", target=update)
    return update


def _apply(actor: Any, update: FieldUpdate) -> Resident | None:
    data = update.data
    if update.kind == UpdateKind.BIRTH:
        return regions.resident_create(
            actor=actor, household=update.household, name=data["name"], relation=data["relation"],
            gender=data["gender"], birth_date=dt.date.fromisoformat(data["birth_date"]),
            id_number=data.get("id_number") or None)
    resident = update.resident
    assert resident is not None
    if update.kind == UpdateKind.PHONE:
        regions.resident_update(actor=actor, resident=resident, phone=data["phone"])
    elif update.kind == UpdateKind.DEATH:
        regions.resident_record_death(actor=actor, resident=resident, died_on=dt.date.fromisoformat(data["died_on"]),
                                      note=update.note)
    else:
        target = None
        if data.get("to_household"):
            target = Household.objects.filter(number=data["to_household"], county_id=update.county_id).first()
            if target is None:
                raise ValidationError(_("Unknown household: %(number)s") % {"number": data["to_household"]},
                                      field="to_household")
        regions.resident_move(actor=actor, resident=resident, to_household=target, relation=data.get("relation", ""),
                              reason=data.get("reason", ""))
    return None


@transaction.atomic
def update_approve(*, actor: Any, update: FieldUpdate, note: str = "") -> FieldUpdate:
    """Approve and apply: the map changes through its own services, as the reviewer."""
    note = _text(note, field="note", max_length=500)
    access.require(actor, "fieldupdate.review", update, view_action="fieldupdate.view")
    if not not_own(update, access.viewer_for(actor)):
        raise PermissionDenied(_("Nobody reviews their own report."))
    # One reviewer at a time: the second waits here, then finds it dealt with.
    current = FieldUpdate.objects.select_for_update().filter(pk=update.pk).values_list("state", flat=True).first()
    if current != UpdateState.PENDING:
        raise Conflict(_("This update has been dealt with already."), field="state")
    created = _apply(actor, update)
    workflow.transition(update, name="approve", actor=actor, note=note, reviewed_by=_user(actor), review_note=note,
                        created_resident=created)
    notify.notify([update.reported_by_id], "fieldupdate.approved",
                  _("Your data update was approved: %(what)s") % {"what": str(update)},
                  link=f"/gridwork/updates/{update.pk}/", target=update)
    return update


@transaction.atomic
def update_reject(*, actor: Any, update: FieldUpdate, note: str) -> FieldUpdate:
    note = _text(note, field="note", max_length=500, required=True)
    workflow.transition(update, name="reject", actor=actor, note=note, reviewed_by=_user(actor), review_note=note)
    notify.notify([update.reported_by_id], "fieldupdate.rejected",
                  _("Your data update was rejected: %(what)s") % {"what": str(update)}, body=note,
                  link=f"/gridwork/updates/{update.pk}/", target=update)
    return update


@transaction.atomic
def update_withdraw(*, actor: Any, update: FieldUpdate) -> FieldUpdate:
    workflow.transition(update, name="withdraw", actor=actor)
    return update


__all__ = ["DEFAULT_INDICATORS", "assessment_save", "indicator_save", "indicators_for", "log_write", "month_figures",
           "task_cancel", "task_create", "update_approve", "update_reject", "update_report", "update_withdraw",
           "works_in"]
