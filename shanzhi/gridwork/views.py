"""The pages of grid work, phone first: a worker's day (tasks, visits due, key persons, the
week's screening) with the log form; the log; tasks; data updates from the field and their
review; the monthly assessments. Views parse and render; the services and selectors decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from shanzhi.contact.forms import add_domain_error
from shanzhi.core import access, tree
from shanzhi.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from shanzhi.gridwork import forms, selectors, services
from shanzhi.gridwork.flow import UPDATE_FLOW
from shanzhi.gridwork.models import Assessment, GridTask
from shanzhi.people.models import User
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region, Resident
from shanzhi.web.pages import chosen_tab, home_regions, may, page_view, paginate, viewer_of


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pk(value: Any) -> int:
    """A primary key from the query string; 0 (which matches no row) when it is not a number."""
    return _int(value) or 0


def _chosen_grid(request: HttpRequest, viewer: access.Viewer, grids: list[Region]) -> Region:
    code = request.GET.get("grid") or request.POST.get("grid")
    if code:
        found = region_selectors.regions(viewer).filter(code=code[:20], level=Region.Level.GRID).first()
        if found is None:
            raise NotFound()
        return found
    if not grids:
        raise NotFound()
    return grids[0]


def _household_number(viewer: access.Viewer, number: str, grid: Region | None = None) -> Household | None:
    number = (number or "").strip()
    if not number:
        return None
    qs = region_selectors.households(viewer).filter(number=number)
    if grid is not None:
        qs = qs.filter(tree.under(grid.path))
    found = qs.first()
    if found is None:
        raise ValidationError(_("Unknown household: %(number)s") % {"number": number[:32]}, field="household")
    return found


@page_view
def index(request: HttpRequest) -> HttpResponse:
    """Today: what the grid worker has to do in the grid, and the log form."""
    viewer = viewer_of(request)
    grids = selectors.my_grids(viewer)
    if not grids and not may(viewer, "gridwork.view"):
        raise NotFound()
    if not grids:
        return redirect("gridwork:log")
    grid = _chosen_grid(request, viewer, grids)
    form = forms.LogForm(request.POST or None, initial={"task": _int(request.GET.get("task"))})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = None
            if data.get("task"):
                task = selectors.tasks(viewer, grid=grid, state="").filter(pk=data["task"]).first()
                if task is None:
                    raise ValidationError(_("Unknown task."), field="task")
            services.log_write(actor=request.user, grid=grid, duty=data["duty"], summary=data["summary"],
                               day=data["day"], household=_household_number(viewer, data["household"], grid),
                               minutes=data.get("minutes"), task=task)
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc, aliases={"task_id": "task", "household_id": "household"})
        else:
            messages.success(request, _("Logged."))
            return redirect(f"{reverse('gridwork:index')}?grid={grid.code}")
    return render(request, "gridwork/index.html", {
        "grids": grids, "grid": grid, "day": selectors.today(viewer, grid), "form": form,
        "may_task": access.can(viewer, "gridwork.task", GridTask(region_path=grid.path)),
    }, status=422 if request.method == "POST" else 200)


@page_view
def log(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "gridwork.view")
    mine = request.GET.get("mine") == "1" or (bool(selectors.my_grids(viewer)) and "mine" not in request.GET)
    qs = selectors.log(viewer, worker=request.user if mine else None, duty=request.GET.get("duty", "")[:32])
    return render(request, "gridwork/log.html", {"page": paginate(request, qs), "mine": mine})


@page_view
def task_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    grids = selectors.my_grids(viewer)
    grid = _chosen_grid(request, viewer, grids) if (grids or request.GET.get("grid") or request.POST.get("grid")) \
        else None
    if grid is None:
        raise NotFound()
    probe = GridTask(region_path=grid.path)
    if not access.can(viewer, "gridwork.log", probe):
        access.require(viewer, "gridwork.task", probe, view_action="gridwork.view")
    workers = list(User.objects.filter(pk__in=selectors.workers(viewer, region=grid).values("user_id"))) \
        if access.can(viewer, "gridwork.task", GridTask(region_path=grid.path)) else [viewer.user]
    form = forms.TaskForm(request.POST or None, workers=workers,
                          initial={"household": request.GET.get("household", "")[:32]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worker = next((u for u in workers if u.pk == data.get("worker")), None)
            if data.get("worker") and worker is None:
                raise ValidationError(_("Unknown grid worker."), field="worker")
            services.task_create(actor=request.user, grid=grid, duty=data["duty"], title=data["title"],
                                 due_on=data["due_on"], worker=worker,
                                 household=_household_number(viewer, data["household"], grid))
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc, aliases={"worker_id": "worker", "household_id": "household"})
        else:
            messages.success(request, _("The task is set."))
            return redirect(f"{reverse('gridwork:index')}?grid={grid.code}" if grid in grids else reverse(
                "gridwork:log"))
    return render(request, "gridwork/task_new.html", {"form": form, "grid": grid},
                  status=422 if request.method == "POST" else 200)


@page_view
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(viewer_of(request), pk)
    services.task_cancel(actor=request.user, task=task, note=(request.POST.get("note") or "")[:500])
    messages.success(request, _("The task is cancelled."))
    return redirect(f"{reverse('gridwork:index')}?grid={task.grid.code}")


# -- data updates ------------------------------------------------------------------------------------

@page_view
def updates(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    tabs = []
    if may(viewer, "fieldupdate.review"):
        tabs.append(("review", _("To review")))
    if may(viewer, "fieldupdate.report"):
        tabs.append(("mine", _("My reports")))
    if may(viewer, "fieldupdate.view"):
        tabs.append(("all", _("All")))
    if not tabs:
        raise NotFound()
    queue = chosen_tab(request, tabs)
    return render(request, "gridwork/updates.html", {
        "tabs": tabs, "queue": queue, "page": paginate(request, selectors.updates(viewer, queue=queue)),
        "may_report": may(viewer, "fieldupdate.report")})


def _reportable(viewer: access.Viewer, pk: Any) -> Household:
    found = access.scope(viewer, "fieldupdate.report", Household.objects.filter(pk=_pk(pk))).select_related(
        "village").first()
    if found is None:
        raise NotFound()
    return found


@page_view
def update_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "fieldupdate.report")
    household = None
    pk = request.GET.get("household") or request.POST.get("household")
    number = (request.GET.get("number") or "").strip()
    if pk:
        household = _reportable(viewer, pk)
    elif number:
        household = access.scope(viewer, "fieldupdate.report", Household.objects.filter(number=number[:32])).first()
        if household is None:
            messages.error(request, _("Unknown household: %(number)s") % {"number": number[:32]})
    if household is None:
        return render(request, "gridwork/update_pick.html", {"number": number})
    residents = list(household.members.filter(status=Resident.Status.ACTIVE).order_by("id"))
    form = forms.UpdateForm(request.POST or None, residents=residents)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            resident = next((r for r in residents if r.pk == form.cleaned_data.get("resident")), None)
            update = services.update_report(actor=request.user, household=household, kind=kind,
                                            data=form.data_for(kind), resident=resident,
                                            note=form.cleaned_data["note"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc, aliases={"resident_id": "resident"})
        else:
            messages.success(request, _("Reported: the village reviews it before the map changes."))
            return redirect("gridwork:update", pk=update.pk)
    return render(request, "gridwork/update_new.html", {"form": form, "household": household},
                  status=422 if request.method == "POST" else 200)


def _update_page(request: HttpRequest, update: Any, *, form: Any = None, status: int = 200) -> HttpResponse:
    viewer = viewer_of(request)
    return render(request, "gridwork/update.html", {
        "update": update, "steps": [t.name for t in UPDATE_FLOW.allowed_transitions(update, viewer)],
        "state_label": UPDATE_FLOW.label(update.state), "form": form or forms.ReviewForm(),
        "history": list(UPDATE_FLOW.history(update)),
    }, status=status)


@page_view
def update(request: HttpRequest, pk: int) -> HttpResponse:
    return _update_page(request, selectors.update_get(viewer_of(request), pk))


@page_view
@require_POST
def update_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    viewer = viewer_of(request)
    found = selectors.update_get(viewer, pk)
    form = forms.ReviewForm(request.POST)
    if step not in ("approve", "reject", "withdraw"):
        raise NotFound()
    if form.is_valid():
        try:
            if step == "approve":
                services.update_approve(actor=request.user, update=found, note=form.cleaned_data["note"])
            elif step == "reject":
                services.update_reject(actor=request.user, update=found, note=form.cleaned_data["note"])
            else:
                services.update_withdraw(actor=request.user, update=found)
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc)
            return _update_page(request, selectors.update_get(viewer, pk), form=form, status=exc.status)
        messages.success(request, _("Done: %(step)s.") % {"step": UPDATE_FLOW.get_transition(step).display})
        return redirect("gridwork:update", pk=pk)
    return _update_page(request, found, form=form, status=422)


# -- assessments -------------------------------------------------------------------------------------

def _month(value: str | None) -> dt.date:
    today = timezone.localdate()
    if value:
        try:
            return dt.date(int(value[:4]), int(value[5:7]), 1)
        except ValueError:
            raise NotFound() from None
    return today.replace(day=1)


@page_view
def assessments(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "gridwork.view")
    month = _month(request.GET.get("month"))
    assesses = may(viewer, "gridwork.assess")
    done = {(a.worker_id, a.grid_id): a for a in selectors.assessments(viewer, month=month)}
    rows = []
    if assesses:
        for position in selectors.workers(viewer, month=month)[:300]:
            place = position.region  # workers() keeps positions with a region
            grid = place if place is None or place.level == Region.Level.GRID else place.parent
            if grid is not None:
                rows.append((position, grid, done.get((position.user_id, grid.pk))))
    mine = list(selectors.assessments(viewer, worker=request.user)[:24])
    return render(request, "gridwork/assessments.html", {
        "month": month, "rows": rows, "assesses": assesses, "mine": mine,
        "places": list(home_regions(viewer))})


def _assessment_form(indicators: list[Any], data: Any = None, initial: dict[str, Any] | None = None
                     ) -> django_forms.Form:
    fields: dict[str, django_forms.Field] = {}
    for i in indicators:
        fields[f"score_{i.code}"] = django_forms.IntegerField(
            label=f"{i.name} (0–{i.max_score})", min_value=0, max_value=i.max_score)
        fields[f"comment_{i.code}"] = django_forms.CharField(label=pgettext("assessment", "Comment"), max_length=300,
                                                             required=False)
    fields["comment"] = django_forms.CharField(label=_("Overall comment"), max_length=2000, required=False,
                                               widget=django_forms.Textarea(attrs={"rows": 3}))
    fields["publish"] = django_forms.BooleanField(label=_("Publish to the worker (final)"), required=False)
    form_class = type("AssessmentForm", (django_forms.Form,), fields)
    return form_class(data, initial=initial or {})


@page_view
def assessment_edit(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "gridwork.assess")
    month = _month(request.GET.get("month") or request.POST.get("month"))
    worker = User.objects.filter(pk=_pk(request.GET.get("worker") or request.POST.get("worker"))).first()
    code = request.GET.get("grid") or request.POST.get("grid") or ""
    grid = region_selectors.regions(viewer).filter(code=code[:20], level=Region.Level.GRID).first()
    if worker is None or grid is None:
        raise NotFound()
    access.require(viewer, "gridwork.assess", Assessment(region_path=grid.path), view_action="gridwork.view")
    indicators = services.indicators_for(grid.county_pk)
    existing = Assessment.objects.filter(worker=worker, grid=grid, month=month).prefetch_related(
        "scores__indicator").first()
    initial: dict[str, Any] = {}
    if existing is not None:
        initial = {"comment": existing.comment, **{f"score_{s.indicator.code}": s.score for s in existing.scores.all()},
                   **{f"comment_{s.indicator.code}": s.comment for s in existing.scores.all()}}
    form = _assessment_form(indicators, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = services.assessment_save(
                actor=request.user, worker=worker, grid=grid, month=month,
                scores={i.code: data[f"score_{i.code}"] for i in indicators},
                comments={i.code: data[f"comment_{i.code}"] for i in indicators}, comment=data["comment"],
                publish=data["publish"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The assessment is saved."))
            return redirect("gridwork:assessment", pk=row.pk)
    return render(request, "gridwork/assessment_edit.html", {
        "form": form, "worker": worker, "grid": grid, "month": month, "existing": existing,
        "figures": services.month_figures(worker, grid, month)}, status=422 if request.method == "POST" else 200)


@page_view
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    found = selectors.assessment_get(viewer, pk)
    return render(request, "gridwork/assessment.html", {
        "assessment": found, "scores": list(found.scores.all()),
        "may_edit": not found.published and access.can(viewer, "gridwork.assess", found)})

