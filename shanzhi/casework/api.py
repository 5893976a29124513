"""REST endpoints of the request loop (for the mini-program, the hotline system and the
command centre): file, list, follow, and every step of the workflow. Parsing and calling
services and selectors only.

A request outside the caller's scope answers 404 like an unknown one; a step the caller's
role may not take on a request they can see answers 403; a step not allowed from the
request's state answers 409 (a conflict with the request as it is now) on ``state``, as does
the slower of two people taking the same step at once.
"""


import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.casework import selectors, services
from shanzhi.casework.flow import REQUEST_FLOW
from shanzhi.casework.models import DESCRIPTION_MAX, MAX_PHOTOS, Category, ServiceRequest
from shanzhi.core import access, idnumbers, uploads
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.people.models import Department, PartyMember
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region, Resident

router = Router(tags=["requests"])


# -- schemas ---------------------------------------------------------------------------------

class AttributeOut(Schema):
    code: str
    label: str
    datatype: str
    required: bool
    description: str
    values: list[dict[str, Any]]


class CategoryOut(Schema):
    code: str
    name: str
    description: str
    default_level: str
    response_deadline: str
    resolve_deadline: str
    attributes: list[AttributeOut]

    @staticmethod
    def resolve_response_deadline(obj: Category) -> str:
        return f"{obj.response_amount} {obj.response_unit}"

    @staticmethod
    def resolve_resolve_deadline(obj: Category) -> str:
        return f"{obj.resolve_amount} {obj.resolve_unit}"

    @staticmethod
    def resolve_attributes(obj: Category) -> list[Any]:
        return list(obj.attributes.all())


class Ref(Schema):
    code: str
    name: str


class DepartmentRef(Schema):
    id: int
    name: str


class PhotoOut(Schema):
    id: int
    kind: str
    content_type: str
    size: int
    width: int
    height: int
    url: str


def _photo(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "kind": obj.kind, "content_type": obj.content_type, "size": obj.size,
            "width": obj.width, "height": obj.height, "url": reverse("casework:photo", args=[obj.pk])}


class RequestFields(Schema):
    """What a list row and a request's detail both show."""

    id: int
    number: str
    state: str
    state_label: str
    level: str
    category: Ref
    description: str
    address: str
    region: Ref
    household_id: int | None = None
    channel: str
    handler_kind: str
    department: DepartmentRef | None = None
    member: str | None = None
    submitted_at: dt.datetime
    response_due: dt.datetime
    resolve_due: dt.datetime
    accepted_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    overdue: bool
    rating: int | None = None
    merged_into_id: int | None = None


class RequestRow(RequestFields):
    @staticmethod
    def resolve_department(obj: ServiceRequest) -> Any:
        return obj.assignee_department

    @staticmethod
    def resolve_member(obj: ServiceRequest) -> str | None:
        return obj.assignee_member.name if obj.assignee_member else None

    @staticmethod
    def resolve_overdue(obj: ServiceRequest) -> bool:
        return _overdue(obj)


def _overdue(obj: ServiceRequest) -> bool:
    now = timezone.now()
    if obj.state not in ("submitted", "dispatched", "returned", "accepted", "in_progress", "escalated", "reopened"):
        return False
    return (obj.accepted_at is None and obj.response_due < now) or obj.resolve_due < now


class RequestDetail(RequestFields):
    """A request with everything its page shows (the list row, see ``_detail``, and more)."""

    latitude: float | None = None
    longitude: float | None = None
    attributes: dict[str, Any]
    contact_name: str
    contact_phone: str = Field(..., description="in full for staff in scope, masked for others")
    result_note: str
    rejection_reason: str
    rating_comment: str
    reopen_count: int
    escalation_count: int
    closed_at: dt.datetime | None = None
    suggested_department: DepartmentRef | None = None
    photos: list[PhotoOut]
    actions: list[str] = Field(..., description="the steps the caller may take now")
    similar: list[int] = Field([], description="open requests of the same category in the same grid (staff)")


class TimelineOut(Schema):
    at: dt.datetime
    transition: str
    label: str
    from_state: str
    to_state: str
    to_label: str
    actor_name: str
    note: str
    internal: bool


class RequestIn(Schema, extra="forbid"):
    category: str = Field(..., max_length=32, description="the category's code (GET /api/requests/categories)")
    description: str = Field(..., min_length=1, max_length=DESCRIPTION_MAX)
    address: str = Field("", max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=20)
    household_id: int | None = Field(None, description="staff: the household asking (代办, quick report)")
    resident_id: int | None = Field(None, description="staff: the resident asking")
    region: str | None = Field(None, max_length=20, description="staff: the place of a public matter (code)")
    channel: Literal["grid", "hotline", "service_centre"] | None = Field(None, description="staff: how it came in")
    photo_ids: list[int] = Field([], max_length=MAX_PHOTOS, description="ids from POST /api/requests/photos")
    attributes: dict[str, Any] = Field({}, description="answers to the category's questions")


class NoteIn(Schema, extra="forbid"):
    note: str = Field("", max_length=4000)


class ReasonIn(Schema, extra="forbid"):
    reason: str = Field(..., min_length=1, max_length=4000)


class DispatchIn(Schema, extra="forbid"):
    to: Literal["department", "member", "level"]
    department_id: int | None = None
    member_id: int | None = None
    note: str = Field("", max_length=4000)
    internal: bool = Field(False, description="the note is for staff only")


class ResolveIn(Schema, extra="forbid"):
    result: str = Field(..., min_length=1, max_length=4000)
    photo_ids: list[int] = Field([], max_length=MAX_PHOTOS)


class RateIn(Schema, extra="forbid"):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


class MergeIn(Schema, extra="forbid"):
    main_id: int = Field(..., description="the request this one duplicates")
    note: str = Field("", max_length=4000)


class ListFilters(Schema):
    queue: Literal["mine", "dispatch", "incoming", "escalated", "overdue", "open", "all"] = "all"
    state: str | None = None
    category: str | None = None
    region: str | None = Field(None, description="region code: requests at or under it")
    level: Literal["village", "township", "county"] | None = None
    q: str = Field("", max_length=50)


class SimilarFilters(Schema):
    category: str = Field(..., max_length=32, description="the category's code")
    title: str = Field("", max_length=200, description="what the person has typed so far")
    household_id: int | None = Field(None, description="staff: the household asking")
    household: str | None = Field(None, max_length=32, description="staff: the household's number, as typed")
    region: str | None = Field(None, max_length=20, description="staff: the place of a public matter (code)")
    limit: int = Field(selectors.SIMILAR_SHOWN, ge=1, le=10)


class SimilarOut(Schema):
    id: int
    number: str
    category: str
    excerpt: str = Field(..., description="the start of what was asked (no name, phone or address)")
    state_label: str
    submitted_at: dt.datetime
    place: str
    followers: int = Field(..., description="residents who said \"me too\"")
    same_grid: bool
    following: bool = Field(..., description="the caller follows it already (or asked it)")


class FollowOut(Schema):
    id: int
    following: bool
    added: bool = Field(..., description="false if the caller followed it already")


class StatsFilters(Schema):
    by: Literal["state", "category", "region", "department", "level"] = "category"
    region: str | None = Field(None, description="region code (required to group by region)")
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    category: str | None = None


class FiguresOut(Schema):
    key: str
    label: str
    count: int
    open: int
    overdue: int
    resolved: int
    avg_response_hours: float | None
    p90_response_hours: float | None
    avg_resolve_hours: float | None
    p90_resolve_hours: float | None
    responded_on_time_rate: float | None
    resolved_on_time_rate: float | None
    rated: int
    satisfaction: float | None
    satisfied_rate: float | None
    reopen_rate: float | None
    resolved_at: dict[str, float | None]


# -- helpers ---------------------------------------------------------------------------------

def _detail(request: HttpRequest, req: ServiceRequest, *, with_similar: bool = True,
            with_photos: bool = True) -> dict[str, Any]:
    viewer = access.viewer_for(request.user)
    staff = access.can(viewer, "request.view_internal", req)
    steps = [t.name for t in REQUEST_FLOW.allowed_transitions(req, viewer)]
    similar: list[int] = []
    if with_similar and "merge" in steps:
        similar = [r.pk for r in selectors.similar(viewer, category=req.category, region_path=req.region_path,
                                                   exclude=req.pk)]
    row = RequestRow.model_validate(req).model_dump()
    suggested = req.suggested_department
    row.update({
        "attributes": req.attributes, "contact_name": req.contact_name, "result_note": req.result_note,
        "rejection_reason": req.rejection_reason, "rating_comment": req.rating_comment,
        "reopen_count": req.reopen_count, "escalation_count": req.escalation_count, "closed_at": req.closed_at,
        "suggested_department": {"id": suggested.pk, "name": suggested.name} if suggested and staff else None,
        # In full only for staff who must call back; masked everywhere else, the resident's own
        # page included (as every phone number the platform shows).
        "contact_phone": req.contact_phone if staff else idnumbers.mask_phone(req.contact_phone),
        "photos": [_photo(p) for p in req.photos.all()] if with_photos else [],
        "actions": steps, "similar": similar,
        "latitude": float(req.latitude) if req.latitude is not None else None,
        "longitude": float(req.longitude) if req.longitude is not None else None,
    })
    return row


def _get(request: HttpRequest, request_id: int) -> ServiceRequest:
    return selectors.request_get(request.user, request_id)


def _household(viewer: Any, household_id: int | None) -> Household | None:
    if household_id is None:
        return None
    found = region_selectors.households(viewer).filter(pk=household_id).first()
    if found is None:
        raise ValidationError(field="household_id", message=_("Unknown household."))
    return found


def _resident(viewer: Any, resident_id: int | None) -> Resident | None:
    if resident_id is None:
        return None
    found = access.scope(viewer, "resident.view", Resident.objects.filter(pk=resident_id)).first()
    if found is None:
        raise ValidationError(field="resident_id", message=_("Unknown resident."))
    return found


def _county_for(viewer: access.Viewer, household: Household | None, resident: Resident | None,
                region: Region | None) -> str | None:
    """The path of the county the request is filed in."""
    if household is not None:
        return selectors.county_path_of(household.region_path)
    if resident is not None and resident.region_path:
        return selectors.county_path_of(resident.region_path)
    if region is not None:
        return selectors.county_path_of(region.path)
    return selectors.viewer_county_path(viewer)


# -- endpoints -------------------------------------------------------------------------------

@router.get("/requests/categories", response=list[CategoryOut], summary="The categories one can file in")
def list_categories(request: HttpRequest, county: str | None = None) -> Any:
    viewer = access.viewer_for(request.user)
    place = region_selectors.region_ref(viewer, county, field="county") if county else selectors.viewer_county(viewer)
    return list(selectors.categories(place).prefetch_related("attributes"))


@router.post("/requests/photos", response={201: PhotoOut}, summary="Upload a photo (before filing or resolving)")
def upload_photo(request: HttpRequest, file: UploadedFile = File(...),
                 kind: Literal["report", "result"] = Form("report")) -> Any:
    return Status(201, _photo(services.photo_upload(actor=request.user, file=file, kind=kind)))


@router.get("/requests/photos/{int:photo_id}", summary="A photo (to those who may see its request)")
def get_photo(request: HttpRequest, photo_id: int) -> Any:
    item = selectors.photo_get(request.user, photo_id)
    try:
        handle = item.file.open("rb")
    except OSError:
        raise NotFound() from None
    return uploads.file_response(handle, content_type=item.content_type)


@router.post("/requests", response={201: RequestDetail}, summary="File a request")
def file_request(request: HttpRequest, payload: RequestIn) -> Any:
    viewer = access.viewer_for(request.user)
    household = _household(viewer, payload.household_id)
    resident = _resident(viewer, payload.resident_id)
    region = region_selectors.region_ref(viewer, payload.region, field="region")
    county = _county_for(viewer, household, resident, region)
    category = selectors.category_get(county, payload.category)
    req = services.request_submit(
        actor=request.user, category=category, description=payload.description, household=household,
        resident=resident, region=region, channel=payload.channel, address=payload.address,
        latitude=payload.latitude, longitude=payload.longitude, contact_name=payload.contact_name,
        contact_phone=payload.contact_phone, attributes=payload.attributes, photo_ids=payload.photo_ids)
    # The request in hand has what the answer shows (no second read).
    return Status(201, _detail(request, req, with_photos=bool(payload.photo_ids)))


@router.get("/requests", response=list[RequestRow], summary="Requests in your scope, by queue")
@paginate(PageNumberPagination)
def list_requests(request: HttpRequest, filters: ListFilters = Query(...)) -> Any:
    viewer = access.viewer_for(request.user)
    region = region_selectors.region_ref(viewer, filters.region, field="region")
    return selectors.requests(viewer, queue=filters.queue, state=filters.state, category=filters.category,
                              region=region, level=filters.level, q=filters.q)


@router.get("/requests/similar", response=list[SimilarOut], url_name="request_similar",
            summary="Before filing: open requests like the one being typed (at most 10)")
def similar_requests(request: HttpRequest, filters: SimilarFilters = Query(...)) -> Any:
    """Same category, same village, last 30 days, the closest to ``title`` first. A resident
    gets those around their home; staff name the household or the place."""
    viewer = access.viewer_for(request.user)
    access.require_any_role(viewer, "request.submit")
    household = region = None
    if selectors.files_for_others(viewer):
        household = _household(viewer, filters.household_id)
        if household is None and filters.household:
            household = selectors.household_by_number(viewer, filters.household, field="household")
        region = region_selectors.region_ref(viewer, filters.region, field="region")
    return selectors.similar_before_filing(viewer, category_code=filters.category, text=filters.title,
                                           household=household, region=region, limit=filters.limit)


@router.post("/requests/{int:request_id}/follow", response=FollowOut,
             summary="\"Me too\" (关注): follow a similar open request instead of filing it again")
def follow(request: HttpRequest, request_id: int) -> Any:
    req = selectors.request_to_follow(request.user, request_id)
    added = services.request_follow(actor=request.user, request=req)
    return {"id": req.pk, "following": True, "added": added}


@router.get("/requests/stats", response=list[FiguresOut], summary="Statistics for the command centre")
def request_stats(request: HttpRequest, filters: StatsFilters = Query(...)) -> Any:
    viewer = access.viewer_for(request.user)
    access.require_any_role(viewer, "request.stats")
    region = region_selectors.region_ref(viewer, filters.region, field="region")
    return selectors.stats(viewer, by=filters.by, region=region, since=filters.since, until=filters.until,
                           category=filters.category)


@router.get("/requests/{int:request_id}", response=RequestDetail, summary="One request")
def get_request(request: HttpRequest, request_id: int) -> Any:
    return _detail(request, _get(request, request_id))


@router.get("/requests/{int:request_id}/timeline", response=list[TimelineOut], summary="Its steps")
def get_timeline(request: HttpRequest, request_id: int) -> Any:
    return selectors.timeline(request.user, _get(request, request_id))


def _done(request: HttpRequest, req: ServiceRequest) -> Any:
    """The request as the step left it (the object in hand: a department that returned it,
    for one, can no longer read it again)."""
    return _detail(request, req, with_similar=False)


@router.post("/requests/{int:request_id}/dispatch", response=RequestDetail, summary="Dispatch (网格派单)")
def dispatch(request: HttpRequest, request_id: int, payload: DispatchIn) -> Any:
    req = _get(request, request_id)
    department = member = None
    if payload.department_id is not None:
        department = Department.objects.filter(pk=payload.department_id).first()
        if department is None:
            raise ValidationError(_("Unknown department."), field="department_id")
    if payload.member_id is not None:
        member = PartyMember.objects.filter(pk=payload.member_id).first()
        if member is None:
            raise ValidationError(_("Unknown Party member."), field="member_id")
    services.request_dispatch(actor=request.user, request=req, to=payload.to, department=department, member=member,
                              note=payload.note, internal=payload.internal)
    return _done(request, req)


@router.post("/requests/{int:request_id}/accept", response=RequestDetail, summary="Accept (部门接单)")
def accept(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = _get(request, request_id)
    services.request_accept(actor=request.user, request=req, note=payload.note)
    return _done(request, req)


@router.post("/requests/{int:request_id}/start", response=RequestDetail, summary="Start work")
def start(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = _get(request, request_id)
    services.request_start(actor=request.user, request=req, note=payload.note)
    return _done(request, req)


@router.post("/requests/{int:request_id}/return", response=RequestDetail, summary="Return a wrong dispatch")
def return_request(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    req = _get(request, request_id)
    services.request_return(actor=request.user, request=req, reason=payload.reason)
    return _done(request, req)


@router.post("/requests/{int:request_id}/resolve", response=RequestDetail, summary="Resolve, with the result")
def resolve(request: HttpRequest, request_id: int, payload: ResolveIn) -> Any:
    req = _get(request, request_id)
    services.request_resolve(actor=request.user, request=req, result=payload.result,
                             photo_ids=payload.photo_ids)
    return _done(request, req)


@router.post("/requests/{int:request_id}/rate", response=RequestDetail, summary="Rate (群众评单)")
def rate(request: HttpRequest, request_id: int, payload: RateIn) -> Any:
    req = _get(request, request_id)
    services.request_rate(actor=request.user, request=req, rating=payload.rating,
                          comment=payload.comment)
    return _done(request, req)


@router.post("/requests/{int:request_id}/reopen", response=RequestDetail, summary="Reopen (within 7 days)")
def reopen(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    req = _get(request, request_id)
    services.request_reopen(actor=request.user, request=req, reason=payload.reason)
    return _done(request, req)


@router.post("/requests/{int:request_id}/escalate", response=RequestDetail, summary="Escalate one level")
def escalate(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    req = _get(request, request_id)
    services.request_escalate(actor=request.user, request=req, reason=payload.reason)
    return _done(request, req)


@router.post("/requests/{int:request_id}/reject", response=RequestDetail, summary="Reject, with the reason")
def reject(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    req = _get(request, request_id)
    services.request_reject(actor=request.user, request=req, reason=payload.reason)
    return _done(request, req)


@router.post("/requests/{int:request_id}/merge", response=RequestDetail, summary="Merge into the main request")
def merge(request: HttpRequest, request_id: int, payload: MergeIn) -> Any:
    req = _get(request, request_id)
    try:
        main = selectors.request_get(request.user, payload.main_id)
    except NotFound:
        raise ValidationError(_("Unknown request."), field="main_id") from None
    services.request_merge(actor=request.user, duplicate=req, main=main, note=payload.note)
    return _done(request, req)


@router.post("/requests/{int:request_id}/close", response=RequestDetail, summary="Close a resolved request")
def close(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = _get(request, request_id)
    services.request_close(actor=request.user, request=req, note=payload.note)
    return _done(request, req)
