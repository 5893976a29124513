"""The pages of household contact, phone first: a member's households, logging a visit and the
month's report; the branch's coverage, assignments and reports to review; the township's
coverage by village; a community's units, members and wishes. Views parse and render; the
services and selectors decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.contact import forms, selectors, services
from shanzhi.contact.api import _file
from shanzhi.contact.flow import REPORT_FLOW, WISH_FLOW, WishState, is_member_self
from shanzhi.contact.models import Assignment, MicroWish, Unit, Visit
from shanzhi.contact.pages import viewer_member
from shanzhi.core import access, tree
from shanzhi.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from shanzhi.people.models import PartyMember
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region
from shanzhi.web.pages import chosen_tab, home_regions, is_staff, may, page_view, paginate, viewer_of


def _place(request: HttpRequest, viewer: access.Viewer, *, level_max: int = Region.Level.VILLAGE) -> Region | None:
    """The place a page is about: ``?region=code``, else the viewer's first place."""
    code = request.GET.get("region") or request.POST.get("region")
    if code:
        try:
            return region_selectors.region_ref(viewer, code[:20], field="region")
        except ValidationError:
            raise NotFound() from None
    places = [p for p in home_regions(viewer) if p.level <= level_max]
    return places[0] if places else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- the hub ---------------------------------------------------------------------------------

@page_view
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    member = viewer_member(viewer)
    ctx: dict[str, Any] = {"member": member, "today": timezone.localdate()}
    if member is not None:
        ctx["mine"] = list(selectors.my_households(viewer, member))
        this_month = timezone.localdate().replace(day=1)
        ctx["report"] = selectors.reports(viewer, queue="mine").filter(month=this_month).first()
        ctx["recent"] = list(selectors.visits(viewer, member=member)[:10])
    if may(viewer, "contact.view"):
        place = _place(request, viewer)
        ctx["place"] = place
        if place is not None:
            ctx["coverage"] = selectors.coverage(viewer, place)
    ctx["may_review"] = may(viewer, "contact.review")
    ctx["to_review"] = selectors.reports(viewer, queue="review").count() if ctx["may_review"] else 0
    ctx["may_wishes"] = may(viewer, "wish.view")
    if member is None and not may(viewer, "contact.view") and not ctx["may_wishes"]:
        raise NotFound()
    return render(request, "contact/index.html", ctx)


# -- visits ------------------------------------------------------------------------------------

@page_view
def visit_new(request: HttpRequest) -> HttpResponse:
    """Log a visit: a member for a household in their care; the village for a member."""
    viewer = viewer_of(request)
    member = viewer_member(viewer)
    recording = request.GET.get("for") == "member" or request.POST.get("member") is not None
    members = None
    if member is None or recording:
        access.require_any_role(viewer, "contact.record")
        place = _place(request, viewer)
        members = list(selectors.members(viewer, region=place)) if place else []
        households = list(selectors.current_assignments(viewer, region=place).select_related("household")
                          .order_by("household__number")) if place else []
        choices = [a.household for a in households]
    else:
        choices = [a.household for a in selectors.my_households(viewer, member)]
    initial: dict[str, Any] = {}
    if request.GET.get("household"):
        initial["household"] = _int(request.GET["household"])
    form = forms.VisitForm(request.POST or None, request.FILES or None, households=choices, members=members,
                           initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = next((h for h in choices if h.pk == data["household"]), None)
        try:
            named = None
            if members is not None:
                named = next((m for m in members if m.pk == data.get("member")), None)
                if named is None:
                    raise ValidationError(_("Choose a Party member."), field="member")
            if household is None:
                raise ValidationError(_("This household is not in your care."), field="household")
            visit = services.visit_log(actor=request.user, household=household, visited_on=data["visited_on"],
                                       purpose=data["purpose"], note=data["note"], settled=data["settled"],
                                       photo=data.get("photo"), latitude=data.get("latitude"),
                                       longitude=data.get("longitude"), member=named)
        except DomainError as exc:
            forms.add_domain_error(form, exc, aliases={"household_id": "household", "member_id": "member"})
        else:
            messages.success(request, _("The visit to %(number)s is logged.") % {"number": household.number})
            return redirect("contact:visit", pk=visit.pk)
    return render(request, "contact/visit_new.html", {"form": form, "recording": members is not None},
                  status=422 if request.method == "POST" else 200)


def _follow_up_forms(viewer: access.Viewer, visit: Visit, data: Any = None, kind: str = "") -> dict[str, Any]:
    from shanzhi.casework import selectors as casework_selectors
    from shanzhi.disputes.models import DisputeType

    done = {f.kind for f in visit.follow_ups.all()}
    out: dict[str, Any] = {}
    if "request" not in done and may(viewer, "request.submit"):
        out["request_form"] = forms.RequestStartForm(
            data if kind == "request" else None, categories=casework_selectors.categories(visit.county),
            initial={"description": visit.note})
    if "dispute" not in done and may(viewer, "dispute.report"):
        out["dispute_form"] = forms.DisputeStartForm(
            data if kind == "dispute" else None,
            types=DisputeType.objects.filter(county_id=visit.county_id, is_active=True).order_by("code"),
            initial={"summary": visit.note})
    if "points" not in done and may(viewer, "points.propose"):
        out["points_form"] = forms.PointsStartForm(
            data if kind == "points" else None, rules=selectors.village_rules(visit.household, visit.visited_on),
            initial={"note": visit.note})
    return out


def _visit_page(request: HttpRequest, visit: Visit, *, data: Any = None, kind: str = "", status: int = 200
                ) -> HttpResponse:
    viewer = viewer_of(request)
    mine = is_member_self(visit.member, viewer)
    may_start = mine or access.can(viewer, "contact.record", visit)
    ctx = {"visit": visit, "mine": mine, "follow_ups": list(visit.follow_ups.all()),
           "show_note": viewer.is_admin or mine or any(visit.region_path.startswith(p)
                                                        for p in viewer.paths_for("contact.view"))}
    if may_start:
        ctx.update(_follow_up_forms(viewer, visit, data, kind))
    return render(request, "contact/visit.html", ctx, status=status)


@page_view
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    return _visit_page(request, selectors.visit_get(viewer_of(request), pk))


@page_view
@require_POST
def visit_follow_up(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    viewer = viewer_of(request)
    found = selectors.visit_get(viewer, pk)
    if kind not in ("request", "dispute", "points"):
        raise NotFound()
    ctx = _follow_up_forms(viewer, found, request.POST, kind)
    form = ctx.get(f"{kind}_form")
    if form is None:
        raise NotFound()
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "request":
                follow = services.visit_start_request(actor=request.user, visit=found, category=data["category"],
                                                      description=data["description"])
            elif kind == "dispute":
                follow = services.visit_start_dispute(actor=request.user, visit=found, summary=data["summary"],
                                                      type_code=data.get("type") or "")
            else:
                follow = services.visit_start_points(actor=request.user, visit=found, rule_id=data["rule"],
                                                     note=data["note"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            forms.add_domain_error(form, exc, aliases={"rule_id": "rule", "type": "type"})
        else:
            messages.success(request, _("Started: %(what)s %(label)s.") % {"what": follow.get_kind_display(),
                                                                            "label": follow.label})
            return redirect("contact:visit", pk=found.pk)
    return _visit_page(request, found, data=request.POST, kind=kind, status=422)


@page_view
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.visit_get(viewer_of(request), pk)
    if not found.photo:
        raise NotFound()
    return _file(found.photo, found.photo_type)


@page_view
def visits(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    member = viewer_member(viewer)
    mine = request.GET.get("mine") == "1" and member is not None
    region = _place(request, viewer) if request.GET.get("region") else None
    qs = selectors.visits(viewer, member=member) if mine else selectors.visits(viewer, region=region)
    return render(request, "contact/visits.html", {"page": paginate(request, qs), "mine": mine})


# -- reports --------------------------------------------------------------------------------------

@page_view
def reports(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    member = viewer_member(viewer)
    tabs = []
    if member is not None:
        tabs.append(("mine", _("My reports")))
    if may(viewer, "contact.review"):
        tabs.append(("review", _("To review")))
    if may(viewer, "contact.view"):
        tabs.append(("all", _("All reports")))
    if not tabs:
        raise NotFound()
    queue = chosen_tab(request, tabs)
    return render(request, "contact/reports.html", {
        "tabs": tabs, "queue": queue, "page": paginate(request, selectors.reports(viewer, queue=queue)),
        "member": member, "month_form": forms.MonthForm(initial={"month": timezone.localdate().replace(day=1)}),
    })


@page_view
@require_POST
def report_new(request: HttpRequest) -> HttpResponse:
    form = forms.MonthForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Enter a month as YYYY-MM."), field="month")
    report = services.report_assemble(actor=request.user, month=form.cleaned_data["month"])
    return redirect("contact:report", pk=report.pk)


def _report_page(request: HttpRequest, report: Any, *, form: Any = None, status: int = 200) -> HttpResponse:
    viewer = viewer_of(request)
    steps = [t.name for t in REPORT_FLOW.allowed_transitions(report, viewer)]
    return render(request, "contact/report.html", {
        "report": report, "steps": steps, "visits": list(selectors.report_visits(report)),
        "summary_form": form if isinstance(form, forms.SummaryForm) else forms.SummaryForm(
            initial={"summary": report.summary}),
        "review_form": form if isinstance(form, forms.ReviewForm) else forms.ReviewForm(),
        "history": REPORT_FLOW.history_in_words(report), "state_label": REPORT_FLOW.label(report.state),
        "may_refresh": "submit" in steps,
    }, status=status)


@page_view
def report(request: HttpRequest, pk: int) -> HttpResponse:
    return _report_page(request, selectors.report_get(viewer_of(request), pk))


@page_view
@require_POST
def report_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    viewer = viewer_of(request)
    found = selectors.report_get(viewer, pk)
    if step == "refresh":
        services.report_assemble(actor=request.user, month=found.month, member=found.member)
        return redirect("contact:report", pk=pk)
    if step not in ("submit", "approve", "return"):
        raise NotFound()
    form = forms.SummaryForm(request.POST) if step == "submit" else forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            if step == "submit":
                services.report_submit(actor=request.user, report=found, summary=form.cleaned_data["summary"])
            elif step == "approve":
                services.report_approve(actor=request.user, report=found, note=form.cleaned_data["note"])
            else:
                services.report_return(actor=request.user, report=found, note=form.cleaned_data["note"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            forms.add_domain_error(form, exc)
        else:
            messages.success(request, _("Done: %(step)s.") % {"step": REPORT_FLOW.get_transition(step).display})
            return redirect("contact:report", pk=pk)
    return _report_page(request, selectors.report_get(viewer, pk), form=form, status=422)


# -- coverage and assignments ----------------------------------------------------------------------

def _coverage_context(request: HttpRequest, viewer: access.Viewer, place: Region) -> dict[str, Any]:
    loads = selectors.member_loads(viewer, region=place, county_id=place.county_id)
    arranges = access.can(viewer, "contact.assign", Assignment(region_path=place.path))
    ctx: dict[str, Any] = {
        "place": place, "coverage": selectors.coverage(viewer, place), "policy": loads["policy"],
        "over": list(loads["over"][:100]), "under": list(loads["under"][:100]),
        "without": paginate(request, selectors.households_without_contact(viewer, region=place)),
        "due": list(selectors.households_due(viewer, region=place)[:100]), "arranges": arranges,
        "children": selectors.coverage_by_child(viewer, place) if place.level < Region.Level.VILLAGE else [],
    }
    if place.level == Region.Level.VILLAGE:
        ctx["members"] = list(selectors.members(viewer, region=place))
    return ctx


@page_view
def coverage(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "contact.view")
    place = _place(request, viewer)
    if place is None:
        raise NotFound()
    ctx = _coverage_context(request, viewer, place)
    if ctx.get("members") is not None and ctx["arranges"]:
        ctx["assign_form"] = forms.AssignForm(members=ctx["members"], households=ctx["without"].object_list)
    return render(request, "contact/coverage.html", ctx)


@page_view
@require_POST
def assign(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "contact.assign")
    place = _place(request, viewer)
    if place is None or place.level != Region.Level.VILLAGE:
        raise NotFound()
    ctx = _coverage_context(request, viewer, place)
    members = list(selectors.members(viewer, region=place))
    households = list(access.scope(viewer, "contact.view", Household.objects.filter(
        tree.under(place.path), pk__in=[_int(v) for v in request.POST.getlist("households") if _int(v)])))
    form = forms.AssignForm(request.POST, members=members, households=households)
    if form.is_valid():
        data = form.cleaned_data
        try:
            member = next((m for m in members if m.pk == data["member"]), None)
            if member is None:
                raise ValidationError(_("Unknown Party member."), field="member")
            chosen = [h for h in households if h.pk in set(data["households"])]
            _rows, warning = services.assignment_create(actor=request.user, member=member, households=chosen,
                                                        replace=data["replace"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            forms.add_domain_error(form, exc, aliases={"household_ids": "households", "member_id": "member"})
        else:
            messages.success(request, _("%(n)d household(s) are now in %(name)s's care.")
                             % {"n": len(chosen), "name": member.name})
            if warning:
                messages.warning(request, warning)
            return redirect(f"{reverse('contact:coverage')}?region={place.code}")
    ctx.update(members=members, assign_form=form)
    return render(request, "contact/coverage.html", ctx, status=422)


@page_view
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    found = access.get_for(viewer, "contact.view", Assignment.objects.select_related("household", "member"), pk=pk)
    services.assignment_end(actor=request.user, assignment=found)
    messages.success(request, _("%(name)s no longer looks after %(number)s.")
                     % {"name": found.member.name, "number": found.household.number})
    return redirect("web:household", pk=found.household_id)


# -- quarters and the county's policy --------------------------------------------------------------

@page_view
def quarters(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if not is_staff(viewer):
        raise PermissionDenied()
    access.require_any_role(viewer, "contact.view")
    today = timezone.localdate()
    year = _int(request.GET.get("year")) or today.year
    quarter = _int(request.GET.get("quarter")) or (today.month - 1) // 3 + 1
    if not (2000 <= year <= today.year + 1 and 1 <= quarter <= 4):
        raise NotFound()
    branches = list(selectors.branches(viewer)[:200])
    chosen = None
    pk = _int(request.GET.get("branch") or request.POST.get("branch"))
    if pk is not None:
        chosen = next((b for b in branches if b.pk == pk), None)
        if chosen is None:
            raise NotFound()
    elif len(branches) == 1:
        chosen = branches[0]
    ctx: dict[str, Any] = {"branches": branches, "branch": chosen, "year": year, "quarter": quarter,
                           "summaries": list(selectors.quarter_summaries(viewer)[:40])}
    form = None
    if chosen is not None:
        written = selectors.quarter_summaries(viewer, branch=chosen).filter(year=year, quarter=quarter).first()
        ctx["written"] = written
        ctx["figures"] = selectors.branch_quarter_figures(chosen, year, quarter)
        from shanzhi.contact.models import QuarterSummary

        if access.can(viewer, "contact.summarise", QuarterSummary(region_path=chosen.region_path)):
            form = forms.QuarterForm(request.POST or None, initial={"summary": written.summary if written else ""})
    if request.method == "POST":
        if form is None or chosen is None:
            raise NotFound()
        if form.is_valid():
            try:
                services.quarter_summary_write(actor=request.user, branch=chosen, year=year, quarter=quarter,
                                               summary=form.cleaned_data["summary"])
            except DomainError as exc:
                forms.add_domain_error(form, exc)
            else:
                messages.success(request, _("The quarterly summary is saved."))
                return redirect(f"{request.path}?branch={chosen.pk}&year={year}&quarter={quarter}")
    ctx["form"] = form
    return render(request, "contact/quarters.html", ctx, status=422 if request.method == "POST" else 200)


@page_view
def policy(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "contact.policy")
    place = _place(request, viewer, level_max=Region.Level.COUNTY)
    if place is None or place.level != Region.Level.COUNTY:
        places = list(home_regions(viewer))
        county_id = places[0].county_id if places else None
        place = Region.objects.filter(pk=county_id).first() if county_id else None
    if place is None:
        raise NotFound()
    current, intervals = services.policy_for(place.pk)
    initial = {"min_households": current.min_households, "max_households": current.max_households,
               "interval_days": current.interval_days, **{f"tag_{t}": d for t, d in intervals.items()}}
    form = forms.PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.policy_update(actor=request.user, county=place, min_households=data["min_households"],
                                   max_households=data["max_households"], interval_days=data["interval_days"],
                                   tag_intervals=form.tag_intervals())
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            forms.add_domain_error(form, exc)
        else:
            messages.success(request, _("The contact policy of %(county)s is saved.") % {"county": place.name})
            return redirect(f"{request.path}?region={place.code}")
    may_change = access.can(viewer, "contact.policy", current if current.pk else _policy_probe(place))
    return render(request, "contact/policy.html", {"form": form, "place": place, "may_change": may_change},
                  status=422 if request.method == "POST" else 200)


def _policy_probe(place: Region) -> Any:
    from shanzhi.contact.models import ContactPolicy

    return ContactPolicy(county=place, region_path=place.path)


# -- dual registration and wishes ------------------------------------------------------------------

def _communities(viewer: access.Viewer, action: str) -> list[Region]:
    paths = viewer.paths_for(action)
    qs = Region.objects.filter(level=Region.Level.VILLAGE)
    if not viewer.is_admin:
        qs = qs.filter(tree.under_any(paths, "path")) if paths else qs.none()
    return list(qs.order_by("path")[:300])


@page_view
def community(request: HttpRequest) -> HttpResponse:
    """A community's registered units and members and its wishes (its needs)."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "wish.view")
    place = _place(request, viewer)
    registered = [Region.objects.get(path=g.region_path) for g in viewer.grants
                  if g.role == "dual_registered" and g.region_path]
    if place is None and registered:
        place = registered[0]
    if place is None:
        raise NotFound()
    return render(request, "contact/community.html", {
        "place": place, "registered_with": registered,
        "units": list(selectors.unit_registrations(viewer, community=place)) if place.level == Region.Level.VILLAGE
        else list(selectors.unit_registrations(viewer)[:200]),
        "members": list(selectors.member_registrations(viewer, community=place)[:200])
        if place.level == Region.Level.VILLAGE else [],
        "open": list(selectors.wishes(viewer, state=WishState.OPEN, region=place)[:50]),
        "counts": selectors.wish_counts(viewer, region=place),
        "may_manage": may(viewer, "unit.manage"), "may_post": may(viewer, "wish.post"),
        "member": viewer_member(viewer),
    })


@page_view
def units(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "unit.view")
    form = forms.UnitForm(request.POST or None)
    may_manage = may(viewer, "unit.manage")
    if request.method == "POST":
        if not may_manage:
            access.require_any_role(viewer, "unit.manage")
        place = _place(request, viewer, level_max=Region.Level.VILLAGE)
        if form.is_valid() and place is not None:
            data = form.cleaned_data
            try:
                unit = services.unit_create(actor=request.user, region=place, **data)
            except DomainError as exc:
                if isinstance(exc, (NotFound, PermissionDenied)):
                    raise
                forms.add_domain_error(form, exc)
            else:
                messages.success(request, _("%(unit)s is recorded.") % {"unit": unit.name})
                return redirect("contact:unit", pk=unit.pk)
    return render(request, "contact/units.html", {
        "page": paginate(request, selectors.units(viewer, q=request.GET.get("q", "")[:50])), "form": form,
        "may_manage": may_manage, "places": [p for p in home_regions(viewer) if p.level <= Region.Level.VILLAGE],
    }, status=422 if request.method == "POST" else 200)


@page_view
def unit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    found = selectors.unit_get(viewer, pk)
    communities = _communities(viewer, "unit.manage")
    form = forms.RegisterForm(request.POST or None, communities=communities)
    if request.method == "POST":
        if not communities:
            access.require_any_role(viewer, "unit.manage")
        if form.is_valid():
            place = next((c for c in communities if c.code == form.cleaned_data["community"]), None)
            try:
                if place is None:
                    raise ValidationError(_("Choose a community."), field="community")
                services.unit_register(actor=request.user, unit=found, community=place,
                                       pledge=form.cleaned_data["pledge"])
            except DomainError as exc:
                if isinstance(exc, (NotFound, PermissionDenied)):
                    raise
                forms.add_domain_error(form, exc)
            else:
                messages.success(request, _("%(unit)s is registered with %(community)s.")
                                 % {"unit": found.name, "community": place.name})
                return redirect("contact:unit", pk=pk)
    return render(request, "contact/unit.html", {
        "unit": found, "registrations": list(found.registrations.filter(ended_on__isnull=True)
                                             .select_related("community")),
        "members": list(found.member_registrations.filter(ended_on__isnull=True).select_related("member",
                                                                                                 "community")),
        "form": form if communities else None, "claimed": list(found.claimed_wishes.order_by("-claimed_at")[:20]),
    }, status=422 if request.method == "POST" else 200)


@page_view
@require_POST
def member_register(request: HttpRequest) -> HttpResponse:
    """A member registers themselves with a community (双报到)."""
    viewer = viewer_of(request)
    code = (request.POST.get("community") or "")[:20]
    community_ = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first()
    if community_ is None:
        raise ValidationError(_("Unknown community: %(code)s") % {"code": code}, field="community")
    member_pk = _int(request.POST.get("member"))
    if member_pk is not None:
        member = access.get_for(viewer, "party.view", PartyMember.objects.all(), pk=member_pk)
    else:
        member = services.acting_member(viewer)
    services.member_register(actor=request.user, member=member, community=community_)
    messages.success(request, _("%(name)s is registered with %(community)s.")
                     % {"name": member.name, "community": community_.name})
    return redirect(f"{reverse('contact:community')}?region={community_.code}")


@page_view
def wishes(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    state = request.GET.get("state", "")
    if state and state not in {s.value for s in WISH_FLOW.states}:
        state = ""
    mine = request.GET.get("mine") == "1"
    qs = selectors.wishes(viewer, state=state, mine=mine)
    return render(request, "contact/wishes.html", {
        "page": paginate(request, qs), "state": state, "mine": mine, "states": WISH_FLOW.choices,
        "may_post": may(viewer, "wish.post"),
    })


@page_view
def wish_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "wish.post")
    staff = any(g.role != access.RESIDENT for g in viewer.grants) or viewer.is_admin
    form_class = forms.StaffWishForm if staff else forms.WishForm
    initial = {"household": request.GET.get("household", "")[:32]} if staff else {}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if staff:
                household = region_selectors.households(viewer).filter(number=data["household"].strip()).first()
                if household is None:
                    raise ValidationError(_("Unknown household."), field="household")
            elif viewer.household_id is not None:
                household = Household.objects.get(pk=viewer.household_id)
            else:
                raise ValidationError(_("Say which household the wish is for."), field="household")
            wish = services.wish_post(actor=request.user, household=household, title=data["title"],
                                      category=data["category"], description=data["description"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            forms.add_domain_error(form, exc, aliases={"household_id": "household"})
        else:
            messages.success(request, _("The wish is posted."))
            return redirect("contact:wish", pk=wish.pk)
    return render(request, "contact/wish_new.html", {"form": form, "staff": staff},
                  status=422 if request.method == "POST" else 200)


def _wish_page(request: HttpRequest, found: MicroWish, *, form: Any = None, status: int = 200) -> HttpResponse:
    viewer = viewer_of(request)
    steps = [t.name for t in WISH_FLOW.allowed_transitions(found, viewer)]
    return render(request, "contact/wish.html", {
        "wish": found, "steps": steps, "state_label": WISH_FLOW.label(found.state),
        "history": WISH_FLOW.history_in_words(found), "units": selectors.liaison_units(viewer),
        "fulfil_form": form if isinstance(form, forms.FulfilForm) else forms.FulfilForm(),
        "reason_form": form if isinstance(form, forms.ReasonForm) else forms.ReasonForm(),
        "may_claim_as_member": viewer_member(viewer) is not None,
    }, status=status)


@page_view
def wish(request: HttpRequest, pk: int) -> HttpResponse:
    return _wish_page(request, selectors.wish_get(viewer_of(request), pk))


@page_view
@require_POST
def wish_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    viewer = viewer_of(request)
    found = selectors.wish_get(viewer, pk)
    form: Any = None
    try:
        if step == "claim":
            unit_pk = _int(request.POST.get("unit"))
            unit_ = Unit.objects.filter(pk=unit_pk).first() if unit_pk else None
            if unit_pk and unit_ is None:
                raise ValidationError(_("Unknown unit."), field="unit")
            services.wish_claim(actor=request.user, wish=found, unit=unit_)
        elif step == "fulfil":
            form = forms.FulfilForm(request.POST, request.FILES)
            if not form.is_valid():
                return _wish_page(request, found, form=form, status=422)
            services.wish_fulfil(actor=request.user, wish=found, note=form.cleaned_data["note"],
                                 photo=form.cleaned_data.get("photo"))
        elif step == "thank":
            services.wish_thank(actor=request.user, wish=found, note=(request.POST.get("note") or "")[:1000])
        elif step in ("release", "withdraw"):
            form = forms.ReasonForm(request.POST)
            if not form.is_valid():
                return _wish_page(request, found, form=form, status=422)
            service = services.wish_release if step == "release" else services.wish_withdraw
            service(actor=request.user, wish=found, reason=form.cleaned_data["reason"])
        else:
            raise NotFound()
    except DomainError as exc:
        if isinstance(exc, (NotFound, PermissionDenied)) or form is None:
            raise
        forms.add_domain_error(form, exc)
        return _wish_page(request, selectors.wish_get(viewer, pk), form=form, status=exc.status)
    messages.success(request, _("Done: %(step)s.") % {"step": WISH_FLOW.get_transition(step).display})
    return redirect("contact:wish", pk=pk)


@page_view
def wish_photo(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.wish_get(viewer_of(request), pk)
    if not found.fulfilment_photo:
        raise NotFound()
    return _file(found.fulfilment_photo, found.fulfilment_photo_type)


