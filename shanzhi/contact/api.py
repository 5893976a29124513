"""REST endpoints of household contact (for the members' mini-program and the command centre),
dual registration and micro-wishes. Parsing and calling services and selectors only.

A record outside the caller's scope answers 404 like an unknown one; one named in the body
that the caller cannot see answers 422 on that field; a step the caller's role may not take
answers 403, one not allowed from the record's state 422 on ``state``; claiming a wish
someone has claimed answers 409.
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.contact import selectors, services
from shanzhi.contact.flow import REPORT_FLOW, WISH_FLOW
from shanzhi.contact.models import (
    NOTE_MAX,
    Assignment,
    MemberRegistration,
    MicroWish,
    MonthlyReport,
    Purpose,
    Unit,
    UnitRegistration,
    Visit,
)
from shanzhi.core import access, idnumbers, uploads
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.people.models import PartyMember, PartyOrganisation
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region, Resident, Tag

router = Router(tags=["contact"])

PurposeIn = Literal["policy", "help", "dispute_screening", "data_update", "festival"]


# -- schemas ---------------------------------------------------------------------------------

class Ref(Schema):
    code: str
    name: str


class MemberRef(Schema):
    id: int
    name: str


class HouseholdRef(Schema):
    id: int
    number: str
    address: str


class PolicyOut(Schema):
    county: Ref
    min_households: int
    max_households: int
    interval_days: int
    tag_intervals: dict[str, int]


class PolicyIn(Schema, extra="forbid"):
    county: str = Field(..., max_length=20, description="the county's code")
    min_households: int = Field(..., ge=1, le=365)
    max_households: int = Field(..., ge=1, le=365)
    interval_days: int = Field(..., ge=1, le=365)
    tag_intervals: dict[str, int] = Field({}, description="tag → days between visits, e.g. {\"elderly_alone\": 7}")


class MemberOut(Schema):
    id: int
    name: str
    organisation: str
    organisation_kind: str
    load: int = Field(..., description="households in the member's care now")

    @staticmethod
    def resolve_organisation(obj: PartyMember) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_organisation_kind(obj: PartyMember) -> str:
        return obj.organisation.kind


class AssignmentOut(Schema):
    id: int
    member: MemberRef
    household: HouseholdRef
    village: Ref
    start_date: dt.date
    end_date: dt.date | None = None


class AssignIn(Schema, extra="forbid"):
    member_id: int
    household_ids: list[int] = Field(..., min_length=1, max_length=services.MAX_BATCH)
    start_date: dt.date | None = None
    replace: bool = Field(False, description="hand over households in another member's care")


class AssignedOut(Schema):
    assignments: list[AssignmentOut]
    load: int
    warning: str = Field(..., description="set when the member is now outside the county's limits")


class EndIn(Schema, extra="forbid"):
    end_date: dt.date | None = None


class DueOut(Schema):
    assignment_id: int
    household: HouseholdRef
    head_name: str | None = None
    member: MemberRef
    last_visit: dt.date | None = None
    interval_days: int
    due_on: dt.date
    days_overdue: int


class HouseholdRow(Schema):
    id: int
    number: str
    address: str
    head_name: str | None = None
    village: Ref
    grid: Ref | None = None


class MyHouseholdOut(Schema):
    assignment_id: int
    household: HouseholdRef
    head_name: str | None = None
    head_phone: str = Field(..., description="masked")
    last_visit: dt.date | None = None
    interval_days: int
    due_on: dt.date
    due: bool


class CoverageOut(Schema):
    region: Ref
    households: int
    in_care: int
    without_contact: int
    members: int
    members_with_households: int
    over_limit: int
    under_limit: int
    visits_30_days: int
    households_visited_30_days: int
    due: int
    care_rate: float | None
    visited_rate: float | None


class FollowUpOut(Schema):
    kind: str
    target_id: int
    label: str


class VisitOut(Schema):
    id: int
    member: MemberRef
    household: HouseholdRef
    visited_on: dt.date
    purpose: str
    purpose_label: str
    note: str
    settled: bool
    photo_url: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    follow_ups: list[FollowUpOut]
    recorded_at: dt.datetime


class VisitIn(Schema, extra="forbid"):
    household_id: int
    visited_on: dt.date
    purpose: PurposeIn
    note: str = Field("", max_length=NOTE_MAX)
    settled: bool = Field(False, description="a small matter settled on the spot")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    member_id: int | None = Field(None, description="the village, logging a visit for a member")


class VisitForm(Schema):
    household_id: int
    visited_on: dt.date
    purpose: PurposeIn
    note: str = Field("", max_length=NOTE_MAX)
    settled: bool = False
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    member_id: int | None = None


class RequestFromVisitIn(Schema, extra="forbid"):
    category: str = Field(..., max_length=32, description="the request category's code")
    description: str = Field("", max_length=2000, description="empty: the visit's note")
    resident_id: int | None = Field(None, description="who asks (default: the head of household)")


class DisputeFromVisitIn(Schema, extra="forbid"):
    summary: str = Field("", max_length=2000, description="empty: the visit's note")
    type: str = Field("", max_length=32, description="the dispute type's code, if known")


class PointsFromVisitIn(Schema, extra="forbid"):
    rule_id: int
    points: int | None = None
    note: str = Field("", max_length=2000)


class ReportOut(Schema):
    id: int
    member: MemberRef
    branch: str
    village: Ref
    month: str
    state: str
    state_label: str
    summary: str
    households_assigned: int
    households_visited: int
    visits: int
    settled: int
    follow_ups: int
    by_purpose: dict[str, int]
    submitted_at: dt.datetime | None = None
    reviewed_at: dt.datetime | None = None
    review_note: str
    actions: list[str] = []


class ReportIn(Schema, extra="forbid"):
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    member_id: int | None = Field(None, description="the village, assembling for a member")


class SummaryIn(Schema, extra="forbid"):
    summary: str = Field("", max_length=4000)


class ReviewIn(Schema, extra="forbid"):
    note: str = Field("", max_length=4000)


class ReturnIn(Schema, extra="forbid"):
    note: str = Field(..., min_length=1, max_length=4000)


class ReportFilters(Schema):
    queue: Literal["mine", "review", "all"] = "all"
    state: str = ""
    region: str | None = None


class QuarterOut(Schema):
    branch: MemberRef
    year: int
    quarter: int
    figures: dict[str, Any]
    summary: str
    written_at: dt.datetime | None = None


class QuarterIn(Schema, extra="forbid"):
    summary: str = Field(..., min_length=1, max_length=8000)


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    party_organisation: str | None = None
    address: str
    contact_name: str
    contact_phone: str = Field(..., description="masked")
    communities: int = 0


class UnitIn(Schema, extra="forbid"):
    region: str = Field(..., max_length=20, description="where the unit is recorded: the county or a community")
    name: str = Field(..., min_length=1, max_length=100)
    kind: Literal["agency", "institution", "enterprise", "school", "hospital", "other"]
    party_organisation_id: int | None = None
    address: str = Field("", max_length=200)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=20)


class RegisterUnitIn(Schema, extra="forbid"):
    community: str = Field(..., max_length=20)
    pledge: str = Field("", max_length=2000)


class RegisterMemberIn(Schema, extra="forbid"):
    community: str = Field(..., max_length=20)
    member_id: int | None = Field(None, description="the community, registering a member; empty: yourself")
    unit_id: int | None = None


class RegistrationOut(Schema):
    id: int
    kind: str
    name: str
    community: Ref
    unit: str | None = None
    registered_on: dt.date
    ended_on: dt.date | None = None
    pledge: str = ""


class WishOut(Schema):
    id: int
    title: str
    description: str
    category: str
    state: str
    state_label: str
    village: Ref
    household_id: int
    posted_for: bool
    claimer: str
    claimed_at: dt.datetime | None = None
    fulfilled_at: dt.datetime | None = None
    fulfilment_note: str
    photo_url: str | None = None
    thanked_at: dt.datetime | None = None
    thanks_note: str
    created_at: dt.datetime
    actions: list[str] = []


class WishIn(Schema, extra="forbid"):
    title: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=1000)
    category: Literal["daily", "study", "health", "repair", "company", "other"]
    household_id: int | None = Field(None, description="staff: the household the wish is for")
    resident_id: int | None = None


class ClaimIn(Schema, extra="forbid"):
    unit_id: int | None = Field(None, description="claim for a unit you are the liaison of")


class ReasonIn(Schema, extra="forbid"):
    reason: str = Field(..., min_length=1, max_length=1000)


class NoteIn(Schema, extra="forbid"):
    note: str = Field("", max_length=1000)


class WishFilters(Schema):
    state: str = ""
    region: str | None = None
    mine: bool = Field(False, description="the wishes you claimed")


# -- helpers ---------------------------------------------------------------------------------

def _ref(region: Region | None) -> dict[str, str] | None:
    return {"code": region.code, "name": region.name} if region is not None else None


def _household_ref(h: Household) -> dict[str, Any]:
    return {"id": h.pk, "number": h.number, "address": h.address}


def _assignment(a: Assignment) -> dict[str, Any]:
    return {"id": a.pk, "member": {"id": a.member_id, "name": a.member.name}, "household": _household_ref(a.household),
            "village": _ref(a.village), "start_date": a.start_date, "end_date": a.end_date}


def _due(a: Any) -> dict[str, Any]:
    due_on = a.seen + dt.timedelta(days=a.interval)
    return {"assignment_id": a.pk, "household": _household_ref(a.household), "head_name": a.head_name,
            "member": {"id": a.member_id, "name": a.member.name}, "last_visit": a.last_visit,
            "interval_days": a.interval, "due_on": due_on, "days_overdue": max(0, (a.cutoff - a.seen).days)}


def _sees_notes(viewer: access.Viewer, visit: Visit) -> bool:
    """A visit's note is for the member who wrote it and the staff of the place, not for the
    household reading its own file."""
    from shanzhi.contact.flow import is_member_self

    return viewer.is_admin or is_member_self(visit.member, viewer) or any(
        visit.region_path.startswith(p) for p in viewer.paths_for("contact.view"))


def _visit(viewer: access.Viewer, v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk, "member": {"id": v.member_id, "name": v.member.name}, "household": _household_ref(v.household),
        "visited_on": v.visited_on, "purpose": v.purpose, "purpose_label": str(Purpose(v.purpose).label),
        "note": v.note if _sees_notes(viewer, v) else "", "settled": v.settled,
        "photo_url": f"/api/contact/visits/{v.pk}/photo" if v.photo else None,
        "latitude": float(v.latitude) if v.latitude is not None else None,
        "longitude": float(v.longitude) if v.longitude is not None else None,
        "follow_ups": [{"kind": f.kind, "target_id": f.target_id, "label": f.label} for f in v.follow_ups.all()],
        "recorded_at": v.recorded_at,
    }


def _report(viewer: access.Viewer, r: MonthlyReport, *, with_actions: bool = True) -> dict[str, Any]:
    return {
        "id": r.pk, "member": {"id": r.member_id, "name": r.member.name}, "branch": r.branch.name,
        "village": _ref(r.village), "month": r.month.strftime("%Y-%m"), "state": r.state,
        "state_label": REPORT_FLOW.label(r.state), "summary": r.summary, "households_assigned": r.households_assigned,
        "households_visited": r.households_visited, "visits": r.visits, "settled": r.settled,
        "follow_ups": r.follow_ups, "by_purpose": r.by_purpose, "submitted_at": r.submitted_at,
        "reviewed_at": r.reviewed_at, "review_note": r.review_note,
        "actions": [t.name for t in REPORT_FLOW.allowed_transitions(r, viewer)] if with_actions else [],
    }


def _wish(viewer: access.Viewer, w: MicroWish, *, with_actions: bool = True) -> dict[str, Any]:
    return {
        "id": w.pk, "title": w.title, "description": w.description, "category": w.category, "state": w.state,
        "state_label": WISH_FLOW.label(w.state), "village": _ref(w.village), "household_id": w.household_id,
        "posted_for": w.posted_for, "claimer": w.claimer_name, "claimed_at": w.claimed_at,
        "fulfilled_at": w.fulfilled_at, "fulfilment_note": w.fulfilment_note,
        "photo_url": f"/api/wishes/{w.pk}/photo" if w.fulfilment_photo else None,
        "thanked_at": w.thanked_at, "thanks_note": w.thanks_note, "created_at": w.created_at,
        "actions": [t.name for t in WISH_FLOW.allowed_transitions(w, viewer)] if with_actions else [],
    }


def _viewer(request: HttpRequest) -> access.Viewer:
    return access.viewer_for(request.user)


def _member(viewer: access.Viewer, member_id: int | None, *, field: str = "member_id") -> PartyMember | None:
    if member_id is None:
        return None
    found = selectors.members(viewer).filter(pk=member_id).first()
    if found is None:
        raise ValidationError(_("Unknown Party member."), field=field)
    return found


def _households(viewer: access.Viewer, ids: list[int]) -> list[Household]:
    found = {h.pk: h for h in access.scope(viewer, "contact.view", Household.objects.filter(pk__in=ids))
             .select_related("village")}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(_("Unknown household: %(id)s") % {"id": missing[0]}, field="household_ids")
    return [found[i] for i in ids]


def _household_for(viewer: access.Viewer, household_id: int, *, field: str = "household_id") -> Household:
    """A household the viewer may work with: in their scope, or in their own care as a member."""
    qs = Household.objects.select_related("village")
    found = access.scope(viewer, "contact.view", qs.filter(pk=household_id)).first()
    if found is None:
        mine = services.members_of(viewer)
        if mine:
            found = qs.filter(pk=household_id, contact_assignments__member__in=mine,
                              contact_assignments__end_date__isnull=True).first()
    if found is None:
        raise ValidationError(_("This household is not in your care."), field=field)
    return found


def _region(viewer: access.Viewer, code: str | None, *, field: str = "region", required: bool = False
            ) -> Region | None:
    region = region_selectors.region_ref(viewer, code, field=field)
    if region is None and required:
        raise ValidationError(_("This field is required."), field=field)
    return region


def _month(value: str) -> dt.date:
    try:
        return dt.date(int(value[:4]), int(value[5:7]), 1)
    except ValueError:
        raise ValidationError(_("Enter a month as YYYY-MM."), field="month") from None


def _file(field_file: Any, content_type: str) -> Any:
    try:
        handle = field_file.open("rb")
    except (OSError, ValueError):
        raise NotFound() from None
    return uploads.file_response(handle, content_type=content_type)


# -- policy, members, assignments ----------------------------------------------------------------

@router.get("/contact/policy", response=PolicyOut, summary="A county's limits and visit intervals")
def get_policy(request: HttpRequest, county: str) -> Any:
    viewer = _viewer(request)
    place = _region(viewer, county, field="county", required=True)
    assert place is not None
    if place.level != Region.Level.COUNTY:
        raise ValidationError(_("Name a county."), field="county")
    policy, intervals = services.policy_for(place.pk)
    return {"county": _ref(place), "min_households": policy.min_households, "max_households": policy.max_households,
            "interval_days": policy.interval_days, "tag_intervals": intervals}


@router.put("/contact/policy", response=PolicyOut, summary="Set a county's limits and visit intervals")
def put_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    viewer = _viewer(request)
    place = _region(viewer, payload.county, field="county", required=True)
    assert place is not None
    services.policy_update(actor=request.user, county=place, min_households=payload.min_households,
                           max_households=payload.max_households, interval_days=payload.interval_days,
                           tag_intervals=payload.tag_intervals)
    return get_policy(request, place.code)


@router.get("/contact/tags", response=dict[str, str], summary="The tags a visit interval can be set for")
def list_tags(request: HttpRequest) -> Any:
    return {str(value): str(label) for value, label in Tag.choices}


@router.get("/contact/members", response=list[MemberOut], summary="Party members and their load")
@paginate(PageNumberPagination)
def list_members(request: HttpRequest, region: str | None = None,
                 load: Literal["over", "under", "all"] = "all") -> Any:
    viewer = _viewer(request)
    place = _region(viewer, region)
    if load == "all" or place is None:
        return selectors.members(viewer, region=place)
    return selectors.member_loads(viewer, region=place, county_id=place.county_id)[load]


@router.get("/contact/assignments", response=list[AssignmentOut], summary="Households in members' care now")
@paginate(PageNumberPagination)
def list_assignments(request: HttpRequest, region: str | None = None, member_id: int | None = None) -> Any:
    viewer = _viewer(request)
    return [_assignment(a) for a in selectors.current_assignments(
        viewer, region=_region(viewer, region), member=_member(viewer, member_id))
        .select_related("member", "household", "village").order_by("region_path", "household__number")]


@router.post("/contact/assignments", response={201: AssignedOut}, summary="Put households in a member's care")
def create_assignments(request: HttpRequest, payload: AssignIn) -> Any:
    viewer = _viewer(request)
    member = _member(viewer, payload.member_id)
    assert member is not None
    rows, warning = services.assignment_create(actor=request.user, member=member,
                                               households=_households(viewer, payload.household_ids),
                                               start_date=payload.start_date, replace=payload.replace)
    for a in rows:
        a.member = member
    return Status(201, {"assignments": [_assignment(a) for a in rows], "load": services.member_load(member),
                        "warning": warning})


@router.post("/contact/assignments/{int:assignment_id}/end", response=AssignmentOut, summary="End a contact")
def end_assignment(request: HttpRequest, assignment_id: int, payload: EndIn) -> Any:
    found = access.get_for(request.user, "contact.view", Assignment.objects.select_related(
        "member", "household", "village"), pk=assignment_id)
    return _assignment(services.assignment_end(actor=request.user, assignment=found, end_date=payload.end_date))


@router.get("/contact/households/without-contact", response=list[HouseholdRow],
            summary="Households no member looks after")
@paginate(PageNumberPagination)
def list_without_contact(request: HttpRequest, region: str | None = None) -> Any:
    viewer = _viewer(request)
    return [{"id": h.pk, "number": h.number, "address": h.address, "head_name": h.head_name,  # type: ignore[attr-defined]
             "village": _ref(h.village), "grid": _ref(h.grid)}
            for h in selectors.households_without_contact(viewer, region=_region(viewer, region))]


@router.get("/contact/households/due", response=list[DueOut],
            summary="Households not visited within their interval (for follow-up)")
@paginate(PageNumberPagination)
def list_due(request: HttpRequest, region: str | None = None, member_id: int | None = None,
             on: dt.date | None = None) -> Any:
    viewer = _viewer(request)
    return [_due(a) for a in selectors.households_due(viewer, region=_region(viewer, region),
                                                      member=_member(viewer, member_id), on=on)]


@router.get("/contact/coverage", response=CoverageOut, summary="Coverage of a place")
def get_coverage(request: HttpRequest, region: str) -> Any:
    viewer = _viewer(request)
    place = _region(viewer, region, required=True)
    assert place is not None
    access.require_any_role(viewer, "contact.view")
    return {"region": _ref(place), **selectors.coverage(viewer, place).as_dict()}


@router.get("/contact/me/households", response=list[MyHouseholdOut], summary="A member's own households")
def my_households(request: HttpRequest) -> Any:
    viewer = _viewer(request)
    member = services.acting_member(viewer)
    # head_name, head_phone, last_visit, interval, seen, cutoff: annotated by the selector.
    return [{"assignment_id": a.pk, "household": _household_ref(a.household),
             "head_name": a.head_name,  # type: ignore[attr-defined]
             "head_phone": idnumbers.mask_phone(a.head_phone),  # type: ignore[attr-defined]
             "last_visit": a.last_visit, "interval_days": a.interval,  # type: ignore[attr-defined]
             "due_on": a.seen + dt.timedelta(days=a.interval), "due": a.seen < a.cutoff}  # type: ignore[attr-defined]
            for a in selectors.my_households(viewer, member)]


# -- visits ------------------------------------------------------------------------------------

@router.get("/contact/visits", response=list[VisitOut], summary="Visits in your scope (or your own)")
@paginate(PageNumberPagination)
def list_visits(request: HttpRequest, region: str | None = None, member_id: int | None = None,
                household_id: int | None = None, since: dt.date | None = None, until: dt.date | None = None,
                purpose: str = "") -> Any:
    viewer = _viewer(request)
    household = None
    if household_id is not None:
        household = access.scope(viewer, "contact.view", Household.objects.filter(pk=household_id)).first()
        if household is None:
            raise ValidationError(_("Unknown household."), field="household_id")
    return [_visit(viewer, v) for v in selectors.visits(
        viewer, member=_member(viewer, member_id), household=household, region=_region(viewer, region), since=since,
        until=until, purpose=purpose)]


def _log(request: HttpRequest, payload: Any, photo: Any = None) -> Any:
    viewer = _viewer(request)
    household = _household_for(viewer, payload.household_id)
    visit = services.visit_log(actor=request.user, household=household, visited_on=payload.visited_on,
                               purpose=payload.purpose, note=payload.note, settled=payload.settled, photo=photo,
                               latitude=payload.latitude, longitude=payload.longitude,
                               member=_member(viewer, payload.member_id))
    return Status(201, _visit(viewer, selectors.visit_get(viewer, visit.pk)))


@router.post("/contact/visits", response={201: VisitOut}, summary="Log a visit")
def log_visit(request: HttpRequest, payload: VisitIn) -> Any:
    return _log(request, payload)


@router.post("/contact/visits/with-photo", response={201: VisitOut}, summary="Log a visit with its photo (multipart)")
def log_visit_with_photo(request: HttpRequest, payload: Form[VisitForm], photo: UploadedFile = File(...)) -> Any:
    return _log(request, payload, photo)


@router.get("/contact/visits/{int:visit_id}/photo", summary="A visit's photo (to those who see the visit)")
def get_visit_photo(request: HttpRequest, visit_id: int) -> Any:
    visit = selectors.visit_get(request.user, visit_id)
    if not visit.photo:
        raise NotFound()
    return _file(visit.photo, visit.photo_type)


@router.get("/contact/visits/{int:visit_id}", response=VisitOut, summary="One visit")
def get_visit(request: HttpRequest, visit_id: int) -> Any:
    viewer = _viewer(request)
    return _visit(viewer, selectors.visit_get(viewer, visit_id))


def _started(request: HttpRequest, visit_id: int, start: Any) -> Any:
    viewer = _viewer(request)
    visit = selectors.visit_get(viewer, visit_id)
    follow = start(visit)
    return Status(201, {"kind": follow.kind, "target_id": follow.target_id, "label": follow.label})


@router.post("/contact/visits/{int:visit_id}/request", response={201: FollowUpOut},
             summary="File a request from the visit, pre-filled")
def visit_request(request: HttpRequest, visit_id: int, payload: RequestFromVisitIn) -> Any:
    viewer = _viewer(request)

    def start(visit: Visit) -> Any:
        resident = None
        if payload.resident_id is not None:
            resident = Resident.objects.filter(pk=payload.resident_id, household=visit.household,
                                               status=Resident.Status.ACTIVE).first()
            if resident is None:
                raise ValidationError(_("This resident is not a member of the household."), field="resident_id")
        return services.visit_start_request(actor=viewer.user, visit=visit, category=payload.category,
                                            description=payload.description, resident=resident)

    return _started(request, visit_id, start)


@router.post("/contact/visits/{int:visit_id}/dispute", response={201: FollowUpOut},
             summary="Report a dispute clue from the visit, pre-filled")
def visit_dispute(request: HttpRequest, visit_id: int, payload: DisputeFromVisitIn) -> Any:
    return _started(request, visit_id, lambda visit: services.visit_start_dispute(
        actor=request.user, visit=visit, summary=payload.summary, type_code=payload.type))


@router.post("/contact/visits/{int:visit_id}/points", response={201: FollowUpOut},
             summary="Propose points from the visit, pre-filled")
def visit_points(request: HttpRequest, visit_id: int, payload: PointsFromVisitIn) -> Any:
    return _started(request, visit_id, lambda visit: services.visit_start_points(
        actor=request.user, visit=visit, rule_id=payload.rule_id, points=payload.points, note=payload.note))


# -- reports and summaries --------------------------------------------------------------------------

@router.get("/contact/reports", response=list[ReportOut], summary="Monthly reports: yours, to review, or all")
@paginate(PageNumberPagination)
def list_reports(request: HttpRequest, filters: ReportFilters = Query(...)) -> Any:
    viewer = _viewer(request)
    return [_report(viewer, r, with_actions=False) for r in selectors.reports(
        viewer, queue=filters.queue, state=filters.state, region=_region(viewer, filters.region))]


@router.post("/contact/reports", response={201: ReportOut}, summary="Assemble a month's report from the visits")
def assemble_report(request: HttpRequest, payload: ReportIn) -> Any:
    viewer = _viewer(request)
    report = services.report_assemble(actor=request.user, month=_month(payload.month),
                                      member=_member(viewer, payload.member_id))
    return Status(201, _report(viewer, selectors.report_get(viewer, report.pk)))


@router.get("/contact/reports/{int:report_id}", response=ReportOut, summary="One monthly report")
def get_report(request: HttpRequest, report_id: int) -> Any:
    viewer = _viewer(request)
    return _report(viewer, selectors.report_get(viewer, report_id))


@router.post("/contact/reports/{int:report_id}/submit", response=ReportOut, summary="Submit (the member)")
def submit_report(request: HttpRequest, report_id: int, payload: SummaryIn) -> Any:
    viewer = _viewer(request)
    services.report_submit(actor=request.user, report=selectors.report_get(viewer, report_id), summary=payload.summary)
    return _report(viewer, selectors.report_get(viewer, report_id))


@router.post("/contact/reports/{int:report_id}/approve", response=ReportOut, summary="Approve (the branch)")
def approve_report(request: HttpRequest, report_id: int, payload: ReviewIn) -> Any:
    viewer = _viewer(request)
    services.report_approve(actor=request.user, report=selectors.report_get(viewer, report_id), note=payload.note)
    return _report(viewer, selectors.report_get(viewer, report_id))


@router.post("/contact/reports/{int:report_id}/return", response=ReportOut, summary="Return for changes (the branch)")
def return_report(request: HttpRequest, report_id: int, payload: ReturnIn) -> Any:
    viewer = _viewer(request)
    services.report_return(actor=request.user, report=selectors.report_get(viewer, report_id), note=payload.note)
    return _report(viewer, selectors.report_get(viewer, report_id))


def _branch(viewer: access.Viewer, branch_id: int) -> PartyOrganisation:
    return access.get_for(viewer, "contact.view", selectors.branches(viewer), pk=branch_id)


def _quarter(branch: PartyOrganisation, year: int, quarter: int, viewer: access.Viewer) -> dict[str, Any]:
    written = selectors.quarter_summaries(viewer, branch=branch).filter(year=year, quarter=quarter).first()
    return {"branch": {"id": branch.pk, "name": branch.name}, "year": year, "quarter": quarter,
            "figures": written.figures if written else selectors.branch_quarter_figures(branch, year, quarter)
            .as_dict(), "summary": written.summary if written else "",
            "written_at": written.written_at if written else None}


@router.get("/contact/branches/{int:branch_id}/quarters/{int:year}/{int:quarter}", response=QuarterOut,
            summary="A branch's quarter: the summary written, or the figures so far")
def get_quarter(request: HttpRequest, branch_id: int, year: int, quarter: int) -> Any:
    viewer = _viewer(request)
    services.quarter_bounds(year, quarter)
    return _quarter(_branch(viewer, branch_id), year, quarter, viewer)


@router.post("/contact/branches/{int:branch_id}/quarters/{int:year}/{int:quarter}", response=QuarterOut,
             summary="Write the branch's quarterly summary")
def write_quarter(request: HttpRequest, branch_id: int, year: int, quarter: int, payload: QuarterIn) -> Any:
    viewer = _viewer(request)
    branch = _branch(viewer, branch_id)
    services.quarter_summary_write(actor=request.user, branch=branch, year=year, quarter=quarter,
                                   summary=payload.summary)
    return _quarter(branch, year, quarter, viewer)


@router.get("/contact/quarters", response=list[QuarterOut], summary="Quarterly summaries written")
@paginate(PageNumberPagination)
def list_quarters(request: HttpRequest, region: str | None = None) -> Any:
    viewer = _viewer(request)
    return [{"branch": {"id": q.branch_id, "name": q.branch.name}, "year": q.year, "quarter": q.quarter,
             "figures": q.figures, "summary": q.summary, "written_at": q.written_at}
            for q in selectors.quarter_summaries(viewer, region=_region(viewer, region))]


# -- units and registrations (双报到) -----------------------------------------------------------------

def _unit(u: Unit) -> dict[str, Any]:
    return {"id": u.pk, "name": u.name, "kind": u.kind,
            "party_organisation": u.party_organisation.name if u.party_organisation is not None else None,
            "address": u.address, "contact_name": u.contact_name,
            "contact_phone": idnumbers.mask_phone(u.contact_phone), "communities": getattr(u, "communities", 0)}


def _registration(r: UnitRegistration | MemberRegistration) -> dict[str, Any]:
    if isinstance(r, UnitRegistration):
        return {"id": r.pk, "kind": "unit", "name": r.unit.name, "community": _ref(r.community), "unit": r.unit.name,
                "registered_on": r.registered_on, "ended_on": r.ended_on, "pledge": r.pledge}
    return {"id": r.pk, "kind": "member", "name": r.member.name, "community": _ref(r.community),
            "unit": r.unit.name if r.unit is not None else None, "registered_on": r.registered_on,
            "ended_on": r.ended_on}


@router.get("/contact/units", response=list[UnitOut], summary="Units (双报到)")
@paginate(PageNumberPagination)
def list_units(request: HttpRequest, q: str = "") -> Any:
    return [_unit(u) for u in selectors.units(request.user, q=q[:50])]


@router.post("/contact/units", response={201: UnitOut}, summary="Record a unit")
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    viewer = _viewer(request)
    place = _region(viewer, payload.region, required=True)
    org = None
    if payload.party_organisation_id is not None:
        org = access.scope(viewer, "party.view", PartyOrganisation.objects.filter(
            pk=payload.party_organisation_id)).first()
        if org is None:
            raise ValidationError(_("Unknown Party organisation."), field="party_organisation_id")
    assert place is not None
    unit = services.unit_create(actor=request.user, region=place, name=payload.name, kind=payload.kind,
                                party_organisation=org, address=payload.address, contact_name=payload.contact_name,
                                contact_phone=payload.contact_phone)
    return Status(201, _unit(unit))


@router.get("/contact/units/{int:unit_id}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> Any:
    return _unit(selectors.unit_get(request.user, unit_id))


@router.post("/contact/units/{int:unit_id}/registrations", response={201: RegistrationOut},
             summary="Register a unit with a community")
def register_unit(request: HttpRequest, unit_id: int, payload: RegisterUnitIn) -> Any:
    viewer = _viewer(request)
    unit = selectors.unit_get(viewer, unit_id)
    community = _region(viewer, payload.community, field="community", required=True)
    assert community is not None
    return Status(201, _registration(services.unit_register(actor=request.user, unit=unit, community=community,
                                                            pledge=payload.pledge)))


@router.post("/contact/member-registrations", response={201: RegistrationOut},
             summary="Register an in-service member with a community (yourself, or as the community)")
def register_member(request: HttpRequest, payload: RegisterMemberIn) -> Any:
    viewer = _viewer(request)
    community = Region.objects.filter(code=payload.community, level=Region.Level.VILLAGE).first()
    if community is None:
        raise ValidationError(_("Unknown community: %(code)s") % {"code": payload.community[:20]}, field="community")
    if payload.member_id is None:
        member = services.acting_member(viewer)
    else:
        found = access.scope(viewer, "party.view", PartyMember.objects.filter(pk=payload.member_id)).first()
        if found is None:
            raise ValidationError(_("Unknown Party member."), field="member_id")
        member = found
    unit = None
    if payload.unit_id is not None:
        unit = Unit.objects.filter(pk=payload.unit_id, county_id=community.county_id).first()
        if unit is None:
            raise ValidationError(_("Unknown unit."), field="unit_id")
    return Status(201, _registration(services.member_register(actor=request.user, member=member, community=community,
                                                              unit=unit)))


@router.get("/contact/registrations", response=list[RegistrationOut],
            summary="Units and members registered with communities")
@paginate(PageNumberPagination)
def list_registrations(request: HttpRequest, community: str | None = None) -> Any:
    viewer = _viewer(request)
    place = _region(viewer, community, field="community")
    rows = [_registration(r) for r in selectors.unit_registrations(viewer, community=place)]
    return rows + [_registration(r) for r in selectors.member_registrations(viewer, community=place)]


@router.post("/contact/registrations/{kind}/{int:registration_id}/end", response=RegistrationOut,
             summary="End a registration")
def end_registration(request: HttpRequest, kind: Literal["unit", "member"], registration_id: int,
                     payload: EndIn) -> Any:
    found: UnitRegistration | MemberRegistration
    if kind == "unit":
        found = access.get_for(request.user, "unit.view", UnitRegistration.objects.select_related("community"),
                               pk=registration_id)
    else:
        found = access.get_for(request.user, "unit.view", MemberRegistration.objects.select_related("community"),
                               pk=registration_id)
    return _registration(services.registration_end(actor=request.user, registration=found, ended_on=payload.end_date))


# -- micro-wishes (微心愿) ----------------------------------------------------------------------------

@router.get("/wishes", response=list[WishOut], summary="Micro-wishes in your scope (a community's needs)")
@paginate(PageNumberPagination)
def list_wishes(request: HttpRequest, filters: WishFilters = Query(...)) -> Any:
    viewer = _viewer(request)
    return [_wish(viewer, w, with_actions=False) for w in selectors.wishes(
        viewer, state=filters.state, region=_region(viewer, filters.region), mine=filters.mine)]


@router.post("/wishes", response={201: WishOut}, summary="Post a wish (a resident's own, or staff for a resident)")
def post_wish(request: HttpRequest, payload: WishIn) -> Any:
    viewer = _viewer(request)
    if payload.household_id is None:
        if viewer.household_id is None:
            raise ValidationError(_("Say which household the wish is for."), field="household_id")
        household = Household.objects.get(pk=viewer.household_id)
    else:
        found = access.scope(viewer, "household.view", Household.objects.filter(pk=payload.household_id)).first()
        if found is None:
            raise ValidationError(_("Unknown household."), field="household_id")
        household = found
    resident = None
    if payload.resident_id is not None:
        resident = Resident.objects.filter(pk=payload.resident_id, household=household).first()
        if resident is None:
            raise ValidationError(_("This resident is not a member of that household."), field="resident_id")
    wish = services.wish_post(actor=request.user, household=household, title=payload.title,
                              category=payload.category, description=payload.description, resident=resident)
    return Status(201, _wish(viewer, selectors.wish_get(viewer, wish.pk)))


@router.get("/wishes/{int:wish_id}/photo", summary="The photo of a fulfilled wish")
def get_wish_photo(request: HttpRequest, wish_id: int) -> Any:
    wish = selectors.wish_get(request.user, wish_id)
    if not wish.fulfilment_photo:
        raise NotFound()
    return _file(wish.fulfilment_photo, wish.fulfilment_photo_type)


@router.get("/wishes/{int:wish_id}", response=WishOut, summary="One wish")
def get_wish(request: HttpRequest, wish_id: int) -> Any:
    viewer = _viewer(request)
    return _wish(viewer, selectors.wish_get(viewer, wish_id))


def _wish_done(request: HttpRequest, wish_id: int) -> Any:
    viewer = access.viewer_for(request.user)
    return _wish(viewer, selectors.wish_get(viewer, wish_id))


@router.post("/wishes/{int:wish_id}/claim", response=WishOut, summary="Take the wish up (one claimer per wish)")
def claim_wish(request: HttpRequest, wish_id: int, payload: ClaimIn) -> Any:
    viewer = _viewer(request)
    wish = selectors.wish_get(viewer, wish_id)
    unit = None
    if payload.unit_id is not None:
        unit = Unit.objects.filter(pk=payload.unit_id).first()
        if unit is None:
            raise ValidationError(_("Unknown unit."), field="unit_id")
    services.wish_claim(actor=request.user, wish=wish, unit=unit)
    return _wish_done(request, wish_id)


@router.post("/wishes/{int:wish_id}/release", response=WishOut, summary="Give the wish back")
def release_wish(request: HttpRequest, wish_id: int, payload: ReasonIn) -> Any:
    services.wish_release(actor=request.user, wish=selectors.wish_get(request.user, wish_id), reason=payload.reason)
    return _wish_done(request, wish_id)


@router.post("/wishes/{int:wish_id}/fulfil", response=WishOut,
             summary="Fulfilled, with a note or a photo (multipart)")
def fulfil_wish(request: HttpRequest, wish_id: int, note: str = Form(""), photo: UploadedFile | None = File(None)
                ) -> Any:
    services.wish_fulfil(actor=request.user, wish=selectors.wish_get(request.user, wish_id), note=note, photo=photo)
    return _wish_done(request, wish_id)


@router.post("/wishes/{int:wish_id}/thank", response=WishOut, summary="Thank (the resident)")
def thank_wish(request: HttpRequest, wish_id: int, payload: NoteIn) -> Any:
    services.wish_thank(actor=request.user, wish=selectors.wish_get(request.user, wish_id), note=payload.note)
    return _wish_done(request, wish_id)


@router.post("/wishes/{int:wish_id}/withdraw", response=WishOut, summary="Withdraw an open wish")
def withdraw_wish(request: HttpRequest, wish_id: int, payload: ReasonIn) -> Any:
    services.wish_withdraw(actor=request.user, wish=selectors.wish_get(request.user, wish_id), reason=payload.reason)
    return _wish_done(request, wish_id)

