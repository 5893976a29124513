"""The pages of the organisations' register: the village's councils and teams with their
figures, one organisation with its members and activities, and the forms to keep them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.contact.forms import add_domain_error
from shanzhi.core import access, tree
from shanzhi.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from shanzhi.organisations import forms, selectors, services
from shanzhi.organisations.models import Activity, Kind, Member, Organisation
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Region, Resident
from shanzhi.web.pages import may, page_view, paginate, viewer_of


def _villages(viewer: access.Viewer, action: str) -> list[Region]:
    qs = region_selectors.regions(viewer, level=Region.Level.VILLAGE)
    if not viewer.is_admin:
        paths = viewer.paths_for(action)
        qs = qs.filter(tree.under_any(paths, "path")) if paths else qs.none()
    return list(qs[:300])


@page_view
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "organisation.view")
    code = request.GET.get("region", "")[:20]
    region = region_selectors.region_ref(viewer, code, field="region") if code else None
    kind = request.GET.get("kind", "") if request.GET.get("kind") in Kind.values else ""
    return render(request, "organisations/index.html", {
        "page": paginate(request, selectors.organisations(viewer, region=region, kind=kind)), "kind": kind,
        "kinds": Kind.choices, "figures": selectors.figures(viewer, region=region), "region": region,
        "may_manage": may(viewer, "organisation.manage"),
    })


@page_view
def new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "organisation.manage")
    villages = _villages(viewer, "organisation.manage")
    form = forms.OrganisationForm(request.POST or None, villages=villages,
                                  initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        village = next((v for v in villages if v.code == data["village"]), None)
        if village is None:
            raise NotFound()  # the form only offers the viewer's villages
        try:
            org = services.organisation_create(actor=request.user, village=village, kind=data["kind"],
                                               name=data["name"], founded_on=data["founded_on"],
                                               description=data["description"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": org.name})
            return redirect("organisations:detail", pk=org.pk)
    return render(request, "organisations/new.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


def _detail(request: HttpRequest, org: Organisation, *, member_form: Any = None, activity_form: Any = None,
            status: int = 200) -> HttpResponse:
    viewer = viewer_of(request)
    manages = access.can(viewer, "organisation.manage", org)
    records = access.can(viewer, "organisation.record", Activity(region_path=org.region_path))
    staff = any(g.role != access.RESIDENT for g in viewer.grants) or viewer.is_admin
    return render(request, "organisations/detail.html", {
        "org": org, "members": list(selectors.members(org)), "show_phones": manages,
        "activities": paginate(request, selectors.activities(viewer, organisation=org)),
        "member_form": (member_form or forms.MemberForm()) if manages else None,
        "activity_form": (activity_form or forms.ActivityForm()) if records and org.is_active else None,
        "manages": manages, "staff": staff,
    }, status=status)


@page_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.organisation_get(viewer_of(request), pk))


@page_view
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    org = selectors.organisation_get(viewer, pk)
    form = forms.MemberForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            resident = None
            if data["household"]:
                resident = region_selectors.residents(viewer).filter(
                    household__number=data["household"].strip(), name=data["name"].strip(),
                    status=Resident.Status.ACTIVE).first()
                if resident is None:
                    raise ValidationError(_("No one of this name lives in that household."), field="household")
            services.member_add(actor=request.user, organisation=org, role=data["role"], resident=resident,
                                name=data["name"], phone=data["phone"])
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc, aliases={"resident_id": "household"})
        else:
            messages.success(request, _("%(name)s has joined.") % {"name": data["name"]})
            return redirect("organisations:detail", pk=pk)
    return _detail(request, org, member_form=form, status=422)


@page_view
@require_POST
def member_leave(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    org = selectors.organisation_get(viewer, pk)
    member = Member.objects.filter(pk=member_pk, organisation=org).first()
    if member is None:
        raise NotFound()
    services.member_leave(actor=request.user, member=member)
    messages.success(request, _("%(name)s has left.") % {"name": member.name})
    return redirect("organisations:detail", pk=pk)


@page_view
@require_POST
def activity_new(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    org = selectors.organisation_get(viewer, pk)
    form = forms.ActivityForm(request.POST)
    if form.is_valid():
        try:
            services.activity_record(actor=request.user, organisation=org, **form.cleaned_data)
        except DomainError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)):
                raise
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The activity is recorded."))
            return redirect("organisations:detail", pk=pk)
    return _detail(request, org, activity_form=form, status=422)
