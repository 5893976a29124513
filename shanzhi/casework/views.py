"""The pages of the request loop: residents file, follow, rate and reopen; the grid works its
queue, files quick reports and dispatches; departments accept, return and resolve; the
township and county see escalations, overdue requests and the statistics. Views parse and
render; the services and selectors decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.casework import forms, selectors, services
from shanzhi.casework.flow import REQUEST_FLOW
from shanzhi.casework.models import RequestPhoto, ServiceRequest
from shanzhi.core import access, tree, uploads
from shanzhi.core.errors import DomainError, NotFound, ValidationError
from shanzhi.people.models import Department, PartyMember
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Region
from shanzhi.web.forms import add_domain_error
from shanzhi.web.pages import is_staff, may, page_view, paginate, viewer_of

PERIODS = {"30": 30, "90": 90, "365": 365}


def _tabs(viewer: access.Viewer) -> list[tuple[str, str]]:
    tabs = []
    if viewer.resident_id:
        tabs.append(("mine", _("My requests")))
    if may(viewer, "request.dispatch"):
        tabs.append(("dispatch", _("To dispatch")))
    if may(viewer, "request.accept") or viewer.departments_for("request.accept"):
        tabs.append(("incoming", _("Incoming")))
    if may(viewer, "request.reassign"):
        tabs.append(("escalated", _("Escalated")))
    if is_staff(viewer):
        tabs.append(("overdue", _("Overdue")))
        tabs.append(("open", _("All open")))
    return tabs


@page_view
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    tabs = _tabs(viewer)
    if not tabs:
        tabs = [("incoming", _("Incoming"))]  # a Party member with requests given to them
    keys = [k for k, _label in tabs]
    queue = request.GET.get("queue") or keys[0]
    if queue not in keys:
        queue = keys[0]
    listing = paginate(request, selectors.requests(viewer, queue=queue, q=request.GET.get("q", "")[:50]))
    return render(request, "casework/index.html", {
        "tabs": tabs, "queue": queue, "page": listing, "q": request.GET.get("q", ""),
        "may_file": may(viewer, "request.submit"), "is_staff": is_staff(viewer),
        "may_stats": may(viewer, "request.stats"), "now": timezone.now(),
    })


def _staff_places(viewer: access.Viewer) -> list[Region]:
    """Villages and grids where the viewer may file (for the place of a public matter)."""
    paths = viewer.paths_for("request.submit")
    if not paths and not viewer.is_admin:
        return []
    qs = region_selectors.regions(viewer).filter(level__in=[Region.Level.VILLAGE, Region.Level.GRID,
                                                            Region.Level.MICRO_GRID, Region.Level.TOWNSHIP])
    if paths:
        qs = qs.filter(tree.under_any(paths, "path"))
    return list(qs.order_by("path")[:300])


@page_view
def new(request: HttpRequest) -> HttpResponse:
    """File a request: a resident for themselves; a grid worker's quick report; staff on a
    resident's behalf."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "request.submit")
    county = selectors.viewer_county(viewer)
    cats = list(selectors.categories(county))
    staff = is_staff(viewer)
    places = _staff_places(viewer) if staff else []
    form_class = forms.StaffFileForm if staff else forms.FileForm
    extra: dict[str, Any] = {"places": places} if staff else {}
    initial: dict[str, Any] = {}
    if staff:
        initial["channel"] = "grid" if request.GET.get("quick") else "service_centre"
        if request.GET.get("household"):
            initial["household"] = request.GET["household"][:32]
        if len(places) and request.GET.get("quick"):
            grids = [p for p in places if p.level == Region.Level.GRID]
            if grids:
                initial["region"] = grids[0].code
    form = form_class(request.POST or None, categories=cats, initial=initial, **extra)
    similar: dict[str, Any] | None = None
    if request.method == "POST" and "check_similar" in request.POST:
        # Without JavaScript: the same page again, what was typed kept (no errors yet: the
        # person has not sent it), with the similar requests to say "me too" to.
        form = form_class(categories=cats, initial={**initial, **request.POST.dict()}, **extra)
        similar = _similar_for_form(viewer, staff, request.POST)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            kwargs: dict[str, Any] = {}
            if staff:
                kwargs["household"] = selectors.household_by_number(viewer, data.get("household", ""))
                kwargs["region"] = region_selectors.region_ref(viewer, data.get("region"), field="region")
                kwargs["channel"] = data.get("channel")
                kwargs["contact_name"] = data.get("contact_name", "")
            req = services.request_submit(
                actor=request.user, category=selectors.category_get(county, data["category"]),
                description=data["description"], address=data.get("address", ""), latitude=data.get("latitude"),
                longitude=data.get("longitude"), contact_phone=data.get("contact_phone", ""),
                photo_files=request.FILES.getlist("photos"), **kwargs)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            add_domain_error(form, exc, aliases={"household_id": "household", "resident_id": "household"})
        else:
            messages.success(request, _("Your request #%(n)s has been filed.") % {"n": req.number})
            return redirect("casework:detail", pk=req.pk)
    status = 422 if request.method == "POST" and similar is None else 200
    return render(request, "casework/new.html", {
        "form": form, "staff": staff, "quick": bool(request.GET.get("quick")), "max_photos": 6,
        "max_photo_mb": services.photo_checks.max_bytes() // (1024 * 1024), "similar": similar,
    }, status=status)


def _similar_for_form(viewer: access.Viewer, staff: bool, data: Any) -> dict[str, Any]:
    """The similar open requests for what the filing form holds, or why there are none."""
    if not data.get("category"):
        return {"items": [], "error": _("Choose what it is about first.")}
    try:
        household = region = None
        if staff:
            household = selectors.household_by_number(viewer, data.get("household", ""))
            region = region_selectors.region_ref(viewer, data.get("region") or None, field="region")
        items = selectors.similar_before_filing(viewer, category_code=data["category"],
                                                text=data.get("description", "")[:200], household=household,
                                                region=region)
    except (ValidationError, NotFound) as exc:
        return {"items": [], "error": exc.message}
    return {"items": items, "error": ""}


@require_POST
@page_view
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    """"Me too" from the filing page: follow the similar request instead of filing it again."""
    viewer = viewer_of(request)
    req = selectors.request_to_follow(viewer, pk)
    if services.request_follow(actor=request.user, request=req):
        messages.success(request, _("You now follow request #%(n)s: you will be told of its progress.")
                         % {"n": req.number})
    else:
        messages.info(request, _("You already follow request #%(n)s.") % {"n": req.number})
    return redirect("casework:detail", pk=req.pk)


def _detail_context(request: HttpRequest, req: ServiceRequest, **forms_in: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    steps = {t.name for t in REQUEST_FLOW.allowed_transitions(req, viewer)}
    staff_view = access.can(viewer, "request.view_internal", req)
    context: dict[str, Any] = {
        "req": req, "steps": steps, "timeline": selectors.timeline(viewer, req),
        "photos": selectors.photos(viewer, req), "staff_view": staff_view, "now": timezone.now(),
        "overdue": req.is_open and req.state not in ("resolved", "rated") and (
            (req.accepted_at is None and req.response_due < timezone.now()) or req.resolve_due < timezone.now()),
    }
    if "dispatch" in steps or "reassign" in steps:
        context["dispatch_form"] = forms_in.get("dispatch_form") or forms.DispatchForm(
            departments=selectors.department_choices(viewer, req), members=selectors.member_choices(viewer, req),
            suggested=req.suggested_department)
    if "rate" in steps:
        context["rate_form"] = forms_in.get("rate_form") or forms.RateForm()
    if "merge" in steps:
        context["merge_form"] = forms_in.get("merge_form") or forms.MergeForm()
        context["similar"] = selectors.similar(viewer, category=req.category, region_path=req.region_path,
                                               exclude=req.pk)
    context["note_form"] = forms_in.get("note_form") or forms.NoteForm()
    context["error_action"] = forms_in.get("error_action", "")
    if req.merged_into_id:
        context["main"] = req.merged_into
    return context


@page_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.request_get(viewer_of(request), pk)
    return render(request, "casework/detail.html", _detail_context(request, req))


ACTIONS = {"dispatch", "accept", "start", "return", "resolve", "rate", "reopen", "escalate", "reject", "merge",
           "close"}


@require_POST
@page_view
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step from the detail page's forms."""
    viewer = viewer_of(request)
    req = selectors.request_get(viewer, pk)
    if action not in ACTIONS:
        raise NotFound()
    user = request.user
    note = request.POST.get("note", "")
    form: Any = None
    form_key = "note_form"
    try:
        if action == "dispatch":
            form = forms.DispatchForm(request.POST, departments=selectors.department_choices(viewer, req),
                                      members=selectors.member_choices(viewer, req))
            form_key = "dispatch_form"
            if not form.is_valid():
                raise ValidationError(_("Some fields are not valid."))
            data = form.cleaned_data
            department = (Department.objects.filter(pk=data["department"]).first()
                          if data.get("department") else None)
            member = PartyMember.objects.filter(pk=data["member"]).first() if data.get("member") else None
            services.request_dispatch(actor=user, request=req, to=data["to"], department=department, member=member,
                                      note=data.get("note", ""), internal=data.get("internal", False))
        elif action == "accept":
            services.request_accept(actor=user, request=req, note=note)
        elif action == "start":
            services.request_start(actor=user, request=req, note=note)
        elif action == "return":
            services.request_return(actor=user, request=req, reason=note)
        elif action == "resolve":
            services.request_resolve(actor=user, request=req, result=note, photo_files=request.FILES.getlist("photos"))
        elif action == "rate":
            form, form_key = forms.RateForm(request.POST), "rate_form"
            if not form.is_valid():
                raise ValidationError(_("Choose how many stars."), field="rating")
            services.request_rate(actor=user, request=req, rating=form.cleaned_data["rating"],
                                  comment=form.cleaned_data.get("comment", ""))
        elif action == "reopen":
            services.request_reopen(actor=user, request=req, reason=note)
        elif action == "escalate":
            services.request_escalate(actor=user, request=req, reason=note)
        elif action == "reject":
            services.request_reject(actor=user, request=req, reason=note)
        elif action == "merge":
            form, form_key = forms.MergeForm(request.POST), "merge_form"
            if not form.is_valid():
                raise ValidationError(_("Enter the number of the main request."), field="main")
            main = _main_request(viewer, form.cleaned_data["main"])
            services.request_merge(actor=user, duplicate=req, main=main, note=note)
        elif action == "close":
            services.request_close(actor=user, request=req, note=note)
    except DomainError as exc:
        if isinstance(exc, NotFound) and action != "merge":
            raise
        if exc.status == 403:
            raise
        req = selectors.request_get(viewer, pk)
        if form is None:
            form = forms.NoteForm(request.POST)
            form.is_valid()
        add_domain_error(form, exc, aliases={"main_id": "main", "department_id": "department",
                                                   "member_id": "member", "photos": "note"})
        context = _detail_context(request, req, **{form_key: form, "error_action": action})
        return render(request, "casework/detail.html", context, status=exc.status)
    messages.success(request, _("Done: %(step)s.") % {"step": REQUEST_FLOW.get_transition(
        "dispatch" if action == "dispatch" else action).display})
    if not access.can(viewer, "request.view", req):
        # Returned by a department, for one: no longer theirs to see.
        return redirect("casework:index")
    return redirect("casework:detail", pk=pk)


def _main_request(viewer: access.Viewer, number: int) -> ServiceRequest:
    try:
        return selectors.request_get(viewer, number)
    except NotFound:
        raise ValidationError(_("No request with this number in your area."), field="main") from None


@page_view
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo, to those who may see its request (never a public address)."""
    item: RequestPhoto = selectors.photo_get(viewer_of(request), pk)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound() from None
    return uploads.file_response(handle, content_type=item.content_type)


@page_view
def stats(request: HttpRequest) -> HttpResponse:
    """Township and county: the figures by category, place, department, level and state."""
    viewer = viewer_of(request)
    access.require_any_role(viewer, "request.stats")
    by = request.GET.get("by", "category")
    if by not in selectors.GROUPINGS:
        by = "category"
    period = request.GET.get("period", "90")
    days = PERIODS.get(period, 90)
    places = list(region_selectors.regions(viewer).filter(path__in=viewer.paths_for("request.stats")
                                                           ).order_by("path")) if not viewer.is_admin else list(
        Region.objects.filter(level=Region.Level.COUNTY).order_by("path"))
    code = request.GET.get("region", "")
    region = region_selectors.region_get(viewer, code=code) if code else (places[0] if places else None)
    if region is not None and not viewer.is_admin and not any(tree.is_under(region.path, p)
                                                              for p in viewer.paths_for("request.stats")):
        raise NotFound()
    since = timezone.now() - dt.timedelta(days=days)
    rows = selectors.stats(viewer, by=by, region=region, since=since)
    total = selectors.totals(viewer, region=region, since=since)
    groupings = [("category", _("category")), ("region", _("place")), ("department", _("department")),
                 ("level", _("level")), ("state", _("state"))]
    return render(request, "casework/stats.html", {
        "rows": rows, "total": total, "by": by, "by_label": dict(groupings)[by], "period": period, "region": region,
        "places": places, "groupings": groupings,
        "periods": [("30", _("30 days")), ("90", _("90 days")), ("365", _("a year"))],
        "children_url": reverse("casework:stats"),
    })
