"""The pages of rule of law and supervision: residents apply for legal aid and follow their
application; lawyers work their cases; the justice office accepts and assigns; figures per
period; and each village's public legal page (no login). Views parse and render; the
services and selectors decide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from shanzhi.core import access, workflow
from shanzhi.core.errors import DomainError, NotFound
from shanzhi.legal import selectors, services
from shanzhi.legal.models import MatterType, PowerItem
from shanzhi.people.models import User
from shanzhi.web.pages import is_staff, may, page_view, paginate, viewer_of


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
    viewer = viewer_of(request)
    tabs = _tabs(viewer)
    keys = [k for k, _label in tabs]
    queue = request.GET.get("queue") if request.GET.get("queue") in keys else keys[0]
    return render(request, "legal/index.html", {
        "tabs": tabs, "queue": queue, "page": paginate(request, selectors.applications(viewer, queue=queue)),
        "may_apply": viewer.resident_id is not None and may(viewer, "legal_aid.submit"), "now": timezone.now(),
        "may_figures": is_staff(viewer),
    })


@page_view
def apply(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if viewer.resident_id is None:
        raise NotFound()
    values: dict[str, Any] = {"matter_type": "", "summary": "", "hardship_statement": "", "amount_claimed": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            claimed = _yuan_to_fen(values["amount_claimed"], field="amount_claimed_fen")
            case = services.legal_aid_submit(
                actor=request.user, matter_type=values["matter_type"], summary=values["summary"],
                hardship_declared=request.POST.get("hardship_declared") == "on",
                hardship_statement=values["hardship_statement"], amount_claimed_fen=claimed)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            errors = {k: str(v) for k, v in exc.fields.items()} or {"form": str(exc.message)}
        else:
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
        "case": case, "steps": steps, "history": workflow.history(case), "work_steps": case.steps.all(),
        "lawyers": services.lawyer_candidates(case) if "accept" in steps else [],
        "may_log": is_lawyer and case.state in ("accepted", "in_progress"), "today": timezone.localdate(),
    })


ACTIONS: dict[str, Callable[[HttpRequest, Any], Any]] = {
    "accept": lambda r, c: services.legal_aid_accept(
        actor=r.user, case=c, lawyer=User.objects.filter(pk=_int(r.POST.get("lawyer_id"))).first(),
        note=r.POST.get("note", "")),
    "reject": lambda r, c: services.legal_aid_reject(actor=r.user, case=c, reason=r.POST.get("reason", "")),
    "start": lambda r, c: services.legal_aid_start(actor=r.user, case=c),
    "step": lambda r, c: services.legal_aid_step(actor=r.user, case=c, on=r.POST.get("on", ""),
                                                  note=r.POST.get("note", "")),
    "conclude": lambda r, c: services.legal_aid_conclude(
        actor=r.user, case=c, result=r.POST.get("result", ""),
        amount_recovered_fen=_yuan_to_fen(r.POST.get("amount_recovered", "").strip(), field="amount_recovered_fen")),
    "withdraw": lambda r, c: services.legal_aid_withdraw(actor=r.user, case=c, reason=r.POST.get("reason", "")),
}


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
    try:
        ACTIONS[action](request, case)
    except DomainError as exc:
        if isinstance(exc, NotFound) or exc.status == 403:
            raise
        messages.error(request, "; ".join(str(v) for v in exc.fields.values()) or str(exc.message))
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
