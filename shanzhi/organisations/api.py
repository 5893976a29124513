"""REST endpoints of the organisations' register: the councils and teams of a place with
their figures, one organisation with its members and activities, and the writes that keep
them. Parsing and calling services and selectors only."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core import access
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.organisations import selectors, services
from shanzhi.organisations.models import Activity, Member, Organisation
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Resident

router = Router(tags=["organisations"])

KindIn = Literal["villagers_council", "ceremonies_council", "filial_piety_council", "moral_review_council",
                 "anti_drug_gambling_council", "womens_team", "volunteers", "other"]
ActivityKindIn = Literal["meeting", "mediation", "clean_up", "ceremony", "visit", "admonition", "outreach", "other"]


class Ref(Schema):
    code: str
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    village: Ref
    founded_on: dt.date | None = None
    description: str
    is_active: bool
    member_count: int = 0


class OrganisationIn(Schema, extra="forbid"):
    village: str = Field(..., max_length=20)
    kind: KindIn
    name: str = Field(..., min_length=1, max_length=100)
    founded_on: dt.date | None = None
    description: str = Field("", max_length=2000)


class OrganisationPatch(Schema, extra="forbid"):
    description: str | None = Field(None, max_length=2000)
    is_active: bool | None = None


class MemberOut(Schema):
    id: int
    name: str
    role: str
    resident_id: int | None = None
    phone: str = Field(..., description="masked")
    joined_on: dt.date
    left_on: dt.date | None = None


class MemberIn(Schema, extra="forbid"):
    resident_id: int | None = Field(None, description="a resident on the roster (else give the name)")
    name: str = Field("", max_length=50)
    role: Literal["chair", "deputy", "secretary", "member"] = "member"
    phone: str = Field("", max_length=20)
    joined_on: dt.date | None = None


class LeaveIn(Schema, extra="forbid"):
    left_on: dt.date | None = None


class ActivityOut(Schema):
    id: int
    organisation_id: int
    kind: str
    held_on: dt.date
    subject: str
    place: str
    participants: int
    outcome: str
    matters_settled: int


class ActivityIn(Schema, extra="forbid"):
    kind: ActivityKindIn
    held_on: dt.date
    subject: str = Field(..., min_length=1, max_length=200)
    place: str = Field("", max_length=100)
    participants: int = Field(0, ge=0, le=100_000)
    outcome: str = Field("", max_length=4000)
    matters_settled: int = Field(0, ge=0, le=100)


class FiguresOut(Schema):
    organisations: int
    councils: int
    teams: int
    members: int
    meetings: int
    activities: int
    matters_settled: int
    disputes_settled: int
    clean_ups: int
    by_kind: dict[str, int]


def _org(o: Organisation) -> dict[str, Any]:
    return {"id": o.pk, "name": o.name, "kind": o.kind, "village": {"code": o.village.code, "name": o.village.name},
            "founded_on": o.founded_on, "description": o.description, "is_active": o.is_active,
            "member_count": getattr(o, "member_count", 0)}


def _member(m: Member) -> dict[str, Any]:
    return {"id": m.pk, "name": m.name, "role": m.role, "resident_id": m.resident_id, "phone": m.phone_masked,
            "joined_on": m.joined_on, "left_on": m.left_on}


@router.get("/organisations", response=list[OrganisationOut], summary="Councils and teams in your scope")
@paginate(PageNumberPagination)
def list_organisations(request: HttpRequest, region: str | None = None, kind: str = "") -> Any:
    viewer = access.viewer_for(request.user)
    place = region_selectors.region_ref(viewer, region, field="region")
    return [_org(o) for o in selectors.organisations(viewer, region=place, kind=kind)]


@router.get("/organisations/figures", response=FiguresOut, summary="The register in figures")
def get_figures(request: HttpRequest, region: str | None = None, since: dt.date | None = None,
                until: dt.date | None = None) -> Any:
    viewer = access.viewer_for(request.user)
    access.require_any_role(viewer, "organisation.view")
    place = region_selectors.region_ref(viewer, region, field="region")
    return selectors.figures(viewer, region=place, since=since, until=until).__dict__


@router.post("/organisations", response={201: OrganisationOut}, summary="Register an organisation")
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    viewer = access.viewer_for(request.user)
    village = region_selectors.region_ref(viewer, payload.village, field="village")
    if village is None:
        raise ValidationError(_("This field is required."), field="village")
    org = services.organisation_create(actor=request.user, village=village, kind=payload.kind, name=payload.name,
                                       founded_on=payload.founded_on, description=payload.description)
    return Status(201, _org(selectors.organisation_get(viewer, org.pk)))


@router.get("/organisations/{int:organisation_id}", response=OrganisationOut, summary="One organisation")
def get_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return _org(selectors.organisation_get(request.user, organisation_id))


@router.patch("/organisations/{int:organisation_id}", response=OrganisationOut, summary="Change or retire it")
def patch_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationPatch) -> Any:
    org = selectors.organisation_get(request.user, organisation_id)
    services.organisation_update(actor=request.user, organisation=org, description=payload.description,
                                 is_active=payload.is_active)
    return _org(selectors.organisation_get(request.user, organisation_id))


@router.get("/organisations/{int:organisation_id}/members", response=list[MemberOut], summary="Its members")
def list_members(request: HttpRequest, organisation_id: int, current: bool = True) -> Any:
    org = selectors.organisation_get(request.user, organisation_id)
    return [_member(m) for m in selectors.members(org, current=current)]


@router.post("/organisations/{int:organisation_id}/members", response={201: MemberOut}, summary="Add a member")
def add_member(request: HttpRequest, organisation_id: int, payload: MemberIn) -> Any:
    viewer = access.viewer_for(request.user)
    org = selectors.organisation_get(viewer, organisation_id)
    resident = None
    if payload.resident_id is not None:
        resident = access.scope(viewer, "resident.view", Resident.objects.filter(pk=payload.resident_id)).first()
        if resident is None:
            raise ValidationError(_("Unknown resident."), field="resident_id")
    member = services.member_add(actor=request.user, organisation=org, role=payload.role, resident=resident,
                                 name=payload.name, phone=payload.phone, joined_on=payload.joined_on)
    return Status(201, _member(member))


@router.post("/organisations/{int:organisation_id}/members/{int:member_id}/leave", response=MemberOut,
             summary="A member leaves")
def leave(request: HttpRequest, organisation_id: int, member_id: int, payload: LeaveIn) -> Any:
    org = selectors.organisation_get(request.user, organisation_id)
    member = Member.objects.filter(pk=member_id, organisation=org).first()
    if member is None:
        raise NotFound()
    return _member(services.member_leave(actor=request.user, member=member, left_on=payload.left_on))


@router.get("/organisations/{int:organisation_id}/activities", response=list[ActivityOut],
            summary="Its meetings and activities (the latest 200, or those between two dates)")
def list_activities(request: HttpRequest, organisation_id: int, since: dt.date | None = None,
                    until: dt.date | None = None) -> Any:
    org = selectors.organisation_get(request.user, organisation_id)
    return list(selectors.activities(request.user, organisation=org, since=since, until=until)[:200])


@router.post("/organisations/{int:organisation_id}/activities", response={201: ActivityOut},
             summary="Record a meeting or activity, and what it settled")
def record_activity(request: HttpRequest, organisation_id: int, payload: ActivityIn) -> Any:
    org = selectors.organisation_get(request.user, organisation_id)
    activity: Activity = services.activity_record(actor=request.user, organisation=org, **payload.dict())
    return Status(201, activity)
