"""The pages of rule of law and supervision: residents apply for legal aid and follow their
application; lawyers work their cases; the justice office accepts and assigns; figures per
period; and each village's public legal page (no login). Views parse and render; the
services and selectors decide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from shanzhi.core import access, workflow
from shanzhi.core.errors import DomainError, NotFound
from shanzhi.core.errors import PermissionDenied as DomainPermissionDenied
from shanzhi.legal import selectors, services
from shanzhi.legal.models import EducationKind, MatterType, PowerItem, ReminderStage
from shanzhi.people.models import User
from shanzhi.regions.models import Region
from shanzhi.web.pages import is_staff, may, page_view, paginate, viewer_of

M = TypeVar("M", bound=Model)


def _tabs(viewer: access.Viewer) -> list[tuple[str, str]]:
    tabs = []
    if viewer.resident_id:
        tabs.append(("mine", _("My applications")))
    if viewer.user is not None and selectors.applications(viewer, queue="cases").exists():
        tabs.append(("cases", _("My cases")))
    if viewer.is_admin or viewer.paths_for("legal_aid.accept"):
        tabs.append(("open", _("Open applications")))
        tabs.append(("all", _("All applications")))
    return tabs or [("cases", _("My cases"))]


@page_view
def index(request: HttpRequest) -> HttpResponse:
    return _applications(request, request.GET.get("queue", ""))


@page_view
def my_cases(request: HttpRequest) -> HttpResponse:
    """A lawyer's cases: those the justice office assigned to them."""
    return _applications(request, "cases")


@page_view
def my_applications(request: HttpRequest) -> HttpResponse:
    """A resident's own (household's) applications."""
    if viewer_of(request).resident_id is None:
        raise NotFound()
    return _applications(request, "mine")


def _applications(request: HttpRequest, wanted: str) -> HttpResponse:
    viewer = viewer_of(request)
    tabs = _tabs(viewer)
    if wanted == "cases" and "cases" not in dict(tabs):
        tabs.append(("cases", _("My cases")))
    keys = [k for k, _label in tabs]
    queue = wanted if wanted in keys else keys[0]
    return render(request, "legal/index.html", {
        "tabs": tabs, "queue": queue, "page": paginate(request, selectors.applications(viewer, queue=queue)),
        "may_apply": viewer.resident_id is not None and may(viewer, "legal_aid.submit"), "now": timezone.now(),
        "may_figures": is_staff(viewer), "staff_pages": _staff_pages(viewer),
    })


@page_view
def apply(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if viewer.resident_id is None:
        raise NotFound()
    values: dict[str, Any] = {"matter_type": "", "summary": "", "hardship_statement": "", "amount_claimed": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _posted(request, values)
        made: list[Any] = []
        errors = _attempt(lambda: made.append(services.legal_aid_submit(
            actor=request.user, matter_type=values["matter_type"], summary=values["summary"],
            hardship_declared=request.POST.get("hardship_declared") == "on",
            hardship_statement=values["hardship_statement"],
            amount_claimed_fen=_yuan_to_fen(values["amount_claimed"], field="amount_claimed_fen"))))
        if not errors:
            case = made[0]
            messages.success(request, _("Your application %(n)s has been received.") % {"n": case.number})
            return redirect("legal:detail", pk=case.pk)
    return render(request, "legal/apply.html", {"values": values, "errors": errors,
                                                "matter_types": MatterType.choices,
                                                "hardship": request.POST.get("hardship_declared") == "on"},
                  status=422 if errors else 200)


def _yuan_to_fen(text: str, *, field: str) -> int | None:
    if not text:
        return None
    from decimal import Decimal, InvalidOperation

    from shanzhi.core.errors import ValidationError

    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter an amount in yuan, like 1200.50."), field=field) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Enter an amount in yuan, like 1200.50."), field=field)
    return int(amount * 100)


@page_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    case = selectors.application_get(viewer, pk)
    steps = {t.name for t in workflow.allowed_transitions(case, viewer)}
    is_lawyer = viewer.user is not None and case.lawyer_id == viewer.user.pk
    return render(request, "legal/detail.html", {
        "case": case, "steps": steps, "history": workflow.history_in_words(case), "work_steps": case.steps.all(),
        "lawyers": services.lawyer_candidates(case) if "accept" in steps else [],
        "may_log": is_lawyer and case.state in ("accepted", "in_progress"), "today": timezone.localdate(),
        "may_link": case.is_open and (is_lawyer or access.can(viewer, "legal_aid.accept", case)),
    })


ACTIONS: dict[str, Callable[[HttpRequest, Any], Any]] = {
    "accept": lambda r, c: services.legal_aid_accept(
        actor=r.user, case=c, lawyer=_by_pk(User.objects.all(), r.POST.get("lawyer_id")),
        note=r.POST.get("note", "")),
    "reject": lambda r, c: services.legal_aid_reject(actor=r.user, case=c, reason=r.POST.get("reason", "")),
    "start": lambda r, c: services.legal_aid_start(actor=r.user, case=c),
    "step": lambda r, c: services.legal_aid_step(actor=r.user, case=c, on=r.POST.get("on", ""),
                                                  note=r.POST.get("note", "")),
    "conclude": lambda r, c: services.legal_aid_conclude(
        actor=r.user, case=c, result=r.POST.get("result", ""),
        amount_recovered_fen=_yuan_to_fen(r.POST.get("amount_recovered", "").strip(), field="amount_recovered_fen")),
    "withdraw": lambda r, c: services.legal_aid_withdraw(actor=r.user, case=c, reason=r.POST.get("reason", "")),
    "dispute": lambda r, c: services.legal_aid_link_dispute(
        actor=r.user, case=c, dispute=selectors.dispute_for_link(_int(r.POST.get("dispute_id")))),
}


def _by_pk(queryset: QuerySet[M], value: Any) -> M | None:
    """The row a form named by its number, or None (the service then says what is missing)."""
    pk = _int(value)
    return queryset.filter(pk=pk).first() if pk is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
@page_view
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    case = selectors.application_get(viewer_of(request), pk)
    errors = _attempt(lambda: ACTIONS[action](request, case))
    if errors:
        messages.error(request, "; ".join(errors.values()))
        return redirect("legal:detail", pk=pk)
    messages.success(request, _("Done."))
    return redirect("legal:detail", pk=pk)


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        end = dt.date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else today
        start = dt.date.fromisoformat(request.GET.get("start", "")) if request.GET.get("start") \
            else end.replace(month=1, day=1)
    except ValueError:
        end, start = today, today.replace(month=1, day=1)
    return (start, end) if start <= end else (end, start)


@page_view
def figures(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "legal.view")
    start, end = _period(request)
    return render(request, "legal/figures.html", {
        "start": start, "end": end,
        "aid": selectors.aid_figures(viewer, start=start, end=end),
        "education": selectors.education_figures(viewer, start=start, end=end),
        "talks": selectors.talk_figures(viewer, start=start, end=end),
        "flagged": selectors.tasks(viewer, flagged=True).filter(assigned_on__gte=start, assigned_on__lte=end)[:50],
    })


@cache_control(public=True, max_age=300)
def village(request: HttpRequest, code: str) -> HttpResponse:
    """A village's legal page, for anyone, on a phone or printed: its legal adviser and police
    officer with their work phones, how to apply for legal aid, and its power and
    responsibility lists with their steps. No login, no resident's personal data."""
    try:
        place = selectors.public_village(code)
    except NotFound:
        raise Http404 from None
    items = selectors.power_items(place)
    return render(request, "legal/village.html", {
        "village": place, "contacts": selectors.public_contacts(place),
        "powers": [i for i in items if i.list == PowerItem.List.POWER],
        "responsibilities": [i for i in items if i.list == PowerItem.List.RESPONSIBILITY],
    })


# -- forms shared by the staff pages -------------------------------------------------------------

def _posted(request: HttpRequest, names: Any) -> dict[str, str]:
    return {k: request.POST.get(k, "").strip() for k in names}


def _attempt(call: Callable[[], Any]) -> dict[str, str]:
    """Run a service; its validation errors by field (or under ``form``) for the page to
    show again. Out of scope and forbidden stay the 404 and 403 pages."""
    try:
        call()
    except DomainError as exc:
        if isinstance(exc, NotFound | DomainPermissionDenied):
            raise
        return {k: str(v) for k, v in exc.fields.items()} or {"form": str(exc.message)}
    return {}


def _form_page(request: HttpRequest, template: str, context: dict[str, Any], *, fields: list[str],
               save: Callable[[dict[str, str]], Any], done: str, again: str) -> HttpResponse:
    """A list page with a form to add to it: POST runs ``save``; success redirects to
    ``again`` with the message ``done``, errors show the form again (422)."""
    values = dict.fromkeys(fields, "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _posted(request, fields)
        errors = _attempt(lambda: save(values))
        if not errors:
            messages.success(request, done)
            return redirect(again)
    return render(request, template, {**context, "values": values, "errors": errors}, status=422 if errors else 200)


def _staff_pages(viewer: access.Viewer) -> list[tuple[str, str]]:
    pages = []
    if may(viewer, "legal.view"):
        pages += [("legal:events", _("Legal education")), ("legal:liaisons", _("Legal liaisons"))]
    if may(viewer, "supervision.view"):
        pages += [("legal:power_lists", _("Power and responsibility lists")), ("legal:talks", _("Reminder talks")),
                  ("legal:admission", _("Community admission list"))]
    return pages


@page_view
def events(request: HttpRequest) -> HttpResponse:
    """Legal education events (普法): the justice office, advisers and cadres record them."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "legal.view")
    may_record = may(viewer, "legal.record")
    return _form_page(
        request, "legal/events.html", {
            "page": paginate(request, selectors.events(viewer)), "may_record": may_record,
            "places": selectors.places(viewer, "legal.record") if may_record else [],
            "kinds": EducationKind.choices, "today": timezone.localdate()},
        fields=["region", "kind", "title", "held_on", "place", "organiser", "attendance", "materials"],
        save=lambda v: services.event_record(
            actor=request.user, region=selectors.place_get(viewer, "legal.record", v["region"]), kind=v["kind"],
            title=v["title"], held_on=v["held_on"], place=v["place"], organiser=v["organiser"],
            attendance=v["attendance"], materials=v["materials"] or 0),
        done=_("The event is recorded."), again="legal:events")


@page_view
def liaisons(request: HttpRequest) -> HttpResponse:
    """Legal liaisons (法律明白人): who was trained, when, and how active they are."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "legal.view")
    may_record = may(viewer, "legal.record")
    return _form_page(
        request, "legal/liaisons.html", {"page": paginate(request, selectors.liaisons(viewer)),
                                          "may_record": may_record},
        fields=["resident", "trained_on", "training_hours"],
        save=lambda v: services.liaison_add(
            actor=request.user, resident=selectors.resident_for_liaison(_int(v["resident"])),
            trained_on=v["trained_on"], training_hours=v["training_hours"]),
        done=_("The legal liaison is added."), again="legal:liaisons")


@page_view
def liaison(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    found = selectors.liaison_get(viewer, pk)
    return _form_page(
        request, "legal/liaison.html", {
            "liaison": found, "activities": selectors.liaison_activities(found)[:100],
            "may_record": access.can(viewer, "legal.record", found), "today": timezone.localdate()},
        fields=["held_on", "description", "people_reached"],
        save=lambda v: services.liaison_activity_record(
            actor=request.user, liaison=found, held_on=v["held_on"], description=v["description"],
            people_reached=v["people_reached"] or 0),
        done=_("The activity is recorded."), again=reverse("legal:liaison", args=[pk]))


@page_view
def talks(request: HttpRequest) -> HttpResponse:
    """Reminder talks before, during and after (三提醒), with the period's count per stage."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "supervision.view")
    may_record = may(viewer, "supervision.talk")
    start, end = _period(request)
    return _form_page(
        request, "legal/talks.html", {
            "page": paginate(request, selectors.talks(viewer)), "may_record": may_record,
            "places": selectors.places(viewer, "supervision.talk") if may_record else [],
            "stages": ReminderStage.choices, "start": start, "end": end, "today": timezone.localdate(),
            "figures": selectors.talk_figures(viewer, start=start, end=end)},
        fields=["region", "stage", "cadre_name", "reason", "talked_by", "held_on", "record"],
        save=lambda v: services.talk_record(
            actor=request.user, region=selectors.place_get(viewer, "supervision.talk", v["region"]),
            stage=v["stage"], cadre_name=v["cadre_name"], reason=v["reason"], talked_by=v["talked_by"],
            held_on=v["held_on"], record=v["record"]),
        done=_("The reminder talk is recorded."), again="legal:talks")


@page_view
def admission(request: HttpRequest) -> HttpResponse:
    """The community admission list (社区准入清单), kept by the county, and the tasks given
    to villages and communities: those off the list are flagged."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "supervision.view")
    flagged_only = request.GET.get("flagged") == "1"
    items = selectors.admission_items(viewer)
    may_task = may(viewer, "supervision.task")
    context = {
        "items": items, "flagged_only": flagged_only,
        "page": paginate(request, selectors.tasks(viewer, flagged=True if flagged_only else None)),
        "counties": selectors.places(viewer, "supervision.admission", levels=(Region.Level.COUNTY,)),
        "villages": selectors.places(viewer, "supervision.task", levels=(Region.Level.VILLAGE,)) if may_task else [],
        "may_task": may_task, "today": timezone.localdate(),
    }
    if request.POST.get("form") == "item":
        return _form_page(
            request, "legal/admission.html", context, fields=["county", "title", "basis"],
            save=lambda v: services.admission_item_add(
                actor=request.user, county=selectors.place_get(viewer, "supervision.admission", v["county"],
                                                               levels=(Region.Level.COUNTY,)),
                title=v["title"], basis=v["basis"]),
            done=_("The task is added to the admission list."), again="legal:admission")
    return _form_page(
        request, "legal/admission.html", context, fields=["region", "title", "assigned_by", "assigned_on", "item"],
        save=lambda v: services.task_record(
            actor=request.user,
            region=selectors.place_get(viewer, "supervision.task", v["region"], levels=(Region.Level.VILLAGE,)),
            title=v["title"], assigned_by=v["assigned_by"], assigned_on=v["assigned_on"],
            admission_item=_by_pk(items, v["item"])),
        done=_("The task is recorded."), again="legal:admission")


@page_view
def power_lists(request: HttpRequest) -> HttpResponse:
    """The power and responsibility lists (两单) with their steps (一图), kept by the
    discipline supervisors and the village cadres; each village's public page shows them."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "supervision.view")
    may_record = may(viewer, "supervision.lists")
    return _form_page(
        request, "legal/power_lists.html", {
            "page": paginate(request, selectors.power_items_in_scope(viewer)), "may_record": may_record,
            "places": selectors.places(viewer, "supervision.lists") if may_record else [],
            "lists": PowerItem.List.choices},
        fields=["region", "list", "title", "legal_basis", "steps"],
        save=lambda v: services.power_item_add(
            actor=request.user, region=selectors.place_get(viewer, "supervision.lists", v["region"]),
            which=v["list"], title=v["title"], legal_basis=v["legal_basis"],
            steps=[line.strip() for line in v["steps"].splitlines() if line.strip()]),
        done=_("The item is added to the list."), again="legal:power_lists")
