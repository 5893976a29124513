"""The pages of disputes and petitions: grid workers (screening, on-the-spot mediation, their
cases), mediators (cases, sessions, agreements), the one-stop centre (intake, assignment,
joint mediation), supervisors (overdue, escalated, statistics) and residents (their own
cases and agreements). Views parse and render; the services and selectors decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from shanzhi.core import access, tree
from shanzhi.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from shanzhi.core.tiers import Level
from shanzhi.disputes import pdf, selectors, services
from shanzhi.disputes.models import (
    Agreement,
    Dispute,
    FollowUp,
    ParticipantKind,
    PetitionChannel,
    ReferredTo,
    Side,
    Source,
    Urgency,
)
from shanzhi.people.models import Department, User
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region
from shanzhi.web.pages import chosen_tab, is_staff, may, page_view, paginate, viewer_of

PERIODS = {"30": 30, "90": 90, "365": 365}


def _tabs(viewer: access.Viewer) -> list[tuple[str, str]]:
    tabs = []
    if viewer.resident_id:
        tabs.append(("mine", _("My disputes")))
    if viewer.user is not None and is_staff(viewer):
        tabs.append(("assigned", _("I mediate")))
    if may(viewer, "dispute.accept"):
        tabs += [("intake", _("Clues to accept")), ("level", _("At my level"))]
    if may(viewer, "dispute.follow_up") and is_staff(viewer):
        tabs.append(("follow_up", _("Follow-ups due")))
    if may(viewer, "dispute.stats"):
        tabs += [("overdue", _("Overdue")), ("escalated", _("Escalated"))]
    if may(viewer, "dispute.view") and is_staff(viewer):
        tabs.append(("open", _("All open")))
    return tabs or [("mine", _("My disputes"))]


@page_view
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    tabs = _tabs(viewer)
    queue = chosen_tab(request, tabs)
    listing = paginate(request, selectors.disputes(viewer, queue=queue, q=request.GET.get("q", "")[:50]))
    return render(request, "disputes/index.html", {
        "tabs": tabs, "queue": queue, "page": listing, "q": request.GET.get("q", ""),
        "may_report": may(viewer, "dispute.report"), "may_spot": may(viewer, "dispute.on_the_spot"),
        "may_screen": may(viewer, "dispute.screen"), "may_stats": may(viewer, "dispute.stats"),
        "may_petitions": may(viewer, "petition.view"), "section": "disputes",
    })


def _household(viewer: access.Viewer, number: str) -> Household | None:
    number = (number or "").strip()
    if not number:
        return None
    found = region_selectors.households(viewer).filter(number=number).first()
    if found is None:
        raise ValidationError(_("Unknown household."), field="household")
    return found


def _place(viewer: access.Viewer, code: str) -> Region | None:
    return region_selectors.region_ref(viewer, (code or "").strip() or None, field="region")


def _parties_from(post: Any) -> list[dict[str, Any]]:
    parties = []
    for side in (Side.APPLICANT, Side.RESPONDENT):
        name = post.get(f"{side}_name", "").strip()
        resident = post.get(f"{side}_resident", "").strip()
        if name or resident:
            parties.append({"side": side, "name": name, "phone": post.get(f"{side}_phone", "").strip(),
                            "resident_id": int(resident) if resident.isdigit() else None})
    return parties


def _form_context(viewer: access.Viewer) -> dict[str, Any]:
    county = selectors.viewer_county(viewer)
    return {"types": list(selectors.types(county)), "sources": Source.choices,
            "grids": list(selectors.screening_grids(viewer)[:200]) or list(
                region_selectors.regions(viewer).filter(level=Region.Level.GRID).order_by("path")[:200])}


@page_view
def new(request: HttpRequest) -> HttpResponse:
    """Report a clue (a resident's report, a referral, a grid worker's find)."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "dispute.report")
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            dispute = services.dispute_report(
                actor=request.user, source=request.POST.get("source", ""), summary=request.POST.get("summary", ""),
                type_code=request.POST.get("type", ""), household=_household(viewer, request.POST.get("household", "")),
                region=_place(viewer, request.POST.get("region", "")), address=request.POST.get("address", ""),
                parties=_parties_from(request.POST))
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            errors = {"message": exc.message, "fields": exc.fields}
        else:
            messages.success(request, _("Dispute clue #%(n)s reported.") % {"n": dispute.number})
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/new.html", {**_form_context(viewer), "errors": errors, "data": request.POST,
                                                 "section": "disputes"}, status=422 if errors else 200)


@page_view
def on_the_spot(request: HttpRequest) -> HttpResponse:
    """随手调 on one screen: the dispute, its settlement and the signatures."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "dispute.on_the_spot")
    errors: dict[str, Any] = {}
    if request.method == "POST":
        parties = _parties_from(request.POST)
        try:
            dispute = services.dispute_on_the_spot(
                actor=request.user, type_code=request.POST.get("type", ""), summary=request.POST.get("summary", ""),
                household=_household(viewer, request.POST.get("household", "")),
                region=_place(viewer, request.POST.get("region", "")), parties=parties,
                facts=request.POST.get("facts", ""), terms=request.POST.get("terms", ""),
                signatories=[p["name"] for p in parties] if request.POST.get("signed") else [],
                scan=request.FILES.get("scan"))
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            errors = {"message": exc.message, "fields": exc.fields}
        else:
            messages.success(request, _("Dispute #%(n)s settled on the spot.") % {"n": dispute.number})
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/on_the_spot.html", {**_form_context(viewer), "errors": errors,
                                                         "data": request.POST, "section": "disputes"},
                  status=422 if errors else 200)


@page_view
def screening(request: HttpRequest) -> HttpResponse:
    """The grid's weekly screening: file it (even "nothing found") and see the coverage."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "dispute.screen")
    errors: dict[str, Any] = {}
    if request.method == "POST":
        clues = [services.ClueIn(summary=line.strip()) for line in request.POST.get("clues", "").splitlines()
                 if line.strip()]
        try:
            grid = region_selectors.region_ref(viewer, request.POST.get("grid", "").strip() or None, field="grid")
            if grid is None:
                raise ValidationError(_("Choose the grid."), field="grid")
            services.screening_file(actor=request.user, grid=grid, clues=clues, note=request.POST.get("note", ""))
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            errors = {"message": exc.message, "fields": exc.fields}
        else:
            messages.success(request, _("This week's screening is filed."))
            return redirect("disputes:screening")
    return render(request, "disputes/screening.html", {
        "grids": list(selectors.screening_grids(viewer)), "errors": errors,
        "records": list(selectors.screenings(viewer)[:30]), "week": services.week_of(timezone.localdate()),
        "data": request.POST, "section": "disputes"}, status=422 if errors else 200)


@page_view
def stats(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "dispute.stats")
    days = PERIODS.get(request.GET.get("period", "365"), 365)
    by = request.GET.get("by", "type")
    if by not in selectors.GROUPINGS or by == "region":
        by = "type"
    since = timezone.now() - dt.timedelta(days=days)
    groupings = [("type", _("type")), ("level", _("level")), ("source", _("source")), ("month", _("month"))]
    return render(request, "disputes/stats.html", {
        "total": selectors.totals(viewer, since=since), "rows": selectors.stats(viewer, by=by, since=since),
        "coverage": selectors.screening_coverage(viewer, list_missing=30), "by": by, "period": str(days),
        "by_label": dict(groupings)[by], "groupings": groupings,
        "periods": [("30", _("the last 30 days")), ("90", _("the last 90 days")), ("365", _("the last 365 days"))],
        "section": "disputes"})


@page_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    dispute = selectors.dispute_get(viewer, pk)
    f = selectors.dispute_file(viewer, dispute)
    draft = next((a for a in f.agreements if a.status == Agreement.Status.DRAFT), None)
    may_mediate = "agree" in f.actions or (dispute.state == "agreed" and f.staff and access.can(
        viewer, "dispute.mediate", dispute))
    return render(request, "disputes/detail.html", {
        "d": dispute, "f": f, "draft": draft, "may_mediate": may_mediate,
        "types": list(selectors.types(dispute.county)) if "accept" in f.actions else [],
        "candidates": list(services.mediator_candidates(dispute)[:200]) if "assign" in f.actions else [],
        "participant_kinds": ParticipantKind.choices, "urgencies": Urgency.choices, "referrals": ReferredTo.choices,
        "risk_levels": [1, 2, 3, 4], "today": timezone.localdate(), "may_follow_up": f.staff and access.can(
            viewer, "dispute.follow_up", dispute), "section": "disputes"})


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError(_("Enter a date such as 2026-01-31."), field=field) from None


@require_POST
@page_view
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer = viewer_of(request)
    dispute = selectors.dispute_get(viewer, pk)
    post = request.POST
    note = post.get("note", "")
    try:
        if action == "accept":
            services.dispute_accept(actor=request.user, dispute=dispute, type_code=post.get("type", ""),
                                    parties=_parties_from(post), note=note)
        elif action == "dismiss":
            services.dispute_dismiss(actor=request.user, dispute=dispute, reason=note)
        elif action == "assess":
            services.dispute_assess(actor=request.user, dispute=dispute, risk_level=post.get("risk_level"),
                                    urgency=post.get("urgency", "normal"),
                                    risk_violence=bool(post.get("risk_violence")),
                                    risk_petition=bool(post.get("risk_petition")), note=note)
        elif action == "assign":
            ids = [int(i) for i in post.getlist("mediators") if i.isdigit()]
            mediators = list(User.objects.filter(pk__in=ids))
            lead = next((m for m in mediators if str(m.pk) == post.get("lead")), None)
            # The unit of that kind nearest the place: its township's police station or justice
            # office, else the county's.
            participants = [{"kind": k, "department": Department.objects.filter(
                kind=services.PARTICIPANT_DEPARTMENTS[ParticipantKind(k)], is_active=True,
                region_path__in=tree.ancestors(dispute.region_path)).order_by("-region_path").first(), "person": ""}
                for k in post.getlist("participants") if k in ParticipantKind.values]
            services.dispute_assign(actor=request.user, dispute=dispute, mediators=mediators, lead=lead,
                                    participants=participants, note=note)
        elif action == "session":
            services.session_record(actor=request.user, dispute=dispute, held_on=_date(post.get("held_on", ""),
                                                                                         "held_on"),
                                    place=post.get("place", ""), attendees=post.get("attendees", ""),
                                    record=post.get("record", ""))
        elif action == "agreement":
            services.agreement_draft(actor=request.user, dispute=dispute, facts=post.get("facts", ""),
                                     terms=post.get("terms", ""), performance=post.get("performance", ""))
        elif action == "sign":
            agreement = Agreement.objects.filter(dispute=dispute, status=Agreement.Status.DRAFT).first()
            if agreement is None:
                raise ValidationError(_("Draft the agreement first."), field="agreement")
            services.agreement_sign(actor=request.user, agreement=agreement,
                                    signed_on=_date(post.get("signed_on", ""), "signed_on"),
                                    signatories=post.getlist("signatories"), scan=request.FILES.get("scan"))
        elif action == "follow_up":
            visit = post.get("follow_up", "")
            follow_up = FollowUp.objects.filter(dispute=dispute, pk=int(visit)).first() if visit.isdigit() else None
            if follow_up is None:
                raise ValidationError(_("Unknown follow-up visit."), field="follow_up")
            services.follow_up_record(actor=request.user, follow_up=follow_up, holds=post.get("holds") == "yes",
                                      note=note)
        elif action == "escalate":
            services.dispute_escalate(actor=request.user, dispute=dispute, reason=note)
        elif action == "refer":
            services.dispute_refer(actor=request.user, dispute=dispute, to=post.get("to", ""), reason=note)
        elif action == "withdraw":
            services.dispute_withdraw(actor=request.user, dispute=dispute, reason=note)
        else:
            raise NotFound()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("disputes:detail", pk=dispute.pk)


@page_view
def agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.agreement_get(viewer_of(request), pk)
    response = HttpResponse(pdf.agreement_pdf(agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{agreement.pk}.pdf"'
    return response


# -- petitions -------------------------------------------------------------------------------

@page_view
def petitions(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    tabs = [("open", pgettext("petition", "Open")), ("overdue", _("Overdue")), ("repeat", _("Repeated")),
            ("all", _("All"))]
    if viewer.resident_id or not may(viewer, "petition.register"):
        tabs = [("mine", _("Mine")), *tabs]
    queue = chosen_tab(request, tabs)
    return render(request, "disputes/petitions.html", {
        "tabs": tabs, "queue": queue, "page": paginate(request, selectors.petitions(viewer, queue=queue)),
        "may_register": may(viewer, "petition.register"), "section": "disputes"})


@page_view
def petition_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "petition.register")
    county = selectors.viewer_county(viewer)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        post = request.POST
        try:
            units = list(Department.objects.filter(pk__in=[int(i) for i in post.getlist("units") if i.isdigit()]))
            leader_id = post.get("case_leader", "")
            leader = User.objects.filter(pk=int(leader_id)).first() if leader_id.isdigit() else None
            if leader_id and leader is None:
                raise ValidationError(_("The case leader is one of the township's or county's leaders."),
                                      field="case_leader")
            case = services.petition_register(
                actor=request.user, household=_household(viewer, post.get("household", "")),
                region=_place(viewer, post.get("region", "")), petitioner_name=post.get("petitioner_name", ""),
                petitioner_phone=post.get("petitioner_phone", ""), channel=post.get("channel", "visit"),
                subject=post.get("subject", ""), matter=post.get("matter", ""), case_leader=leader, units=units,
                lead_unit=units[0] if units else None)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            errors = {"message": exc.message, "fields": exc.fields}
        else:
            messages.success(request, _("Petition %(n)s registered.") % {"n": case.number})
            return redirect("disputes:petition", pk=case.pk)
    from shanzhi.core import roles, tree
    from shanzhi.people.models import Position

    leaders = User.objects.filter(pk__in=Position.objects.current().filter(role__in=roles.GOVERNMENT).filter(
        tree.under(county.path) if county else tree.under("none/")).values("user_id")).order_by("full_name")
    return render(request, "disputes/petition_new.html", {
        "errors": errors, "data": request.POST, "channels": PetitionChannel.choices,
        "units": Department.objects.filter(is_active=True, region_path__startswith=county.path if county else "x/")
        .order_by("region_path", "name")[:300], "leaders": leaders[:300], "section": "disputes"},
        status=422 if errors else 200)


@page_view
def petition_schedule(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "petition.register")
    return render(request, "disputes/petition_schedule.html", {
        "rows": selectors.petition_schedule(viewer), "week": services.week_of(timezone.localdate()),
        "section": "disputes"})


@page_view
def petition(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    case = selectors.petition_get(viewer, pk)
    return render(request, "disputes/petition.html", {
        "p": case, "history": selectors.petition_history(viewer, case),
        "actions": selectors.petition_actions(viewer, case), "section": "disputes"})


@require_POST
@page_view
def petition_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer = viewer_of(request)
    case = selectors.petition_get(viewer, pk)
    note = request.POST.get("note", "")
    try:
        if action == "accept":
            services.petition_accept(actor=request.user, petition=case, note=note)
        elif action == "decline":
            services.petition_decline(actor=request.user, petition=case, reason=note)
        elif action == "resolve":
            services.petition_resolve(actor=request.user, petition=case, resolution=note)
        elif action == "feedback":
            services.petition_feedback(actor=request.user, petition=case,
                                       satisfied=request.POST.get("satisfied") == "yes", feedback=note)
        else:
            raise NotFound()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("disputes:petition", pk=case.pk)


__all__ = ["Dispute", "Level"]
