"""Every write of the request loop. Each function: keyword-only arguments, an explicit actor,
one transaction, the permission check (through ``access`` and the workflow's guards), the
audit entry (the workflow writes one per step), notifications through the one outbox."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shanzhi.casework import photos as photo_checks
from shanzhi.casework.flow import OPEN_UNRESOLVED, REQUEST_FLOW, State, is_requester
from shanzhi.casework.models import (
    DESCRIPTION_MAX,
    ESCALATION_CLOCK,
    MAX_PHOTOS,
    Category,
    CategoryAttribute,
    Channel,
    Follower,
    HandlerKind,
    Open311Client,
    RequestPhoto,
    RoutingRule,
    ServiceRequest,
)
from shanzhi.core import access, audit, notify, roles, sla, tree, workflow
from shanzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from shanzhi.core.tiers import Level, handling_path, next_level, township_path_length
from shanzhi.people.models import Department, PartyMember, Position, Role, User
from shanzhi.regions.models import Household, Region, Resident

REOPEN_WINDOW = dt.timedelta(days=7)
AUTO_CLOSE_AFTER = dt.timedelta(days=7)
UNATTACHED_PHOTO_TTL = dt.timedelta(days=1)
SIMILAR_WINDOW = dt.timedelta(days=30)
PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
GRID_NOTIFIED = [Role.GRID_LEADER, Role.GRID_WORKER]
STAFF_CHANNELS = {Channel.GRID, Channel.HOTLINE, Channel.SERVICE_CENTRE}


# -- deadlines, levels, routing ------------------------------------------------------------

def deadline(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    return sla.add(start, amount, unit)


def response_deadline(category: Category, start: dt.datetime) -> dt.datetime:
    return deadline(start, category.response_amount, category.response_unit)


def resolve_deadline(category: Category, start: dt.datetime) -> dt.datetime:
    return deadline(start, category.resolve_amount, category.resolve_unit)


def route(category: Category, region_path: str) -> RoutingRule | None:
    """The routing rule for a request of ``category`` at ``region_path``: the one whose
    region is the nearest ancestor of (or is) the place."""
    return (RoutingRule.objects.filter(category=category, region_path__in=tree.ancestors(region_path),
                                       department__is_active=True)
            .select_related("department").order_by("-region_path").first())


def level_of_region(region_level: int) -> str:
    if region_level <= Region.Level.COUNTY:
        return Level.COUNTY
    if region_level == Region.Level.TOWNSHIP:
        return Level.TOWNSHIP
    return Level.VILLAGE


def _seconds(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds()))


# -- who is told -----------------------------------------------------------------------------

PLACEHOLDER = 987654321


@functools.cache
def _link_pattern() -> str:
    return reverse("casework:detail", args=[PLACEHOLDER]).replace(str(PLACEHOLDER), "{}")


def _link(request_id: int) -> str:
    return _link_pattern().format(request_id)


def level_recipients(level: str, region_path: str, path: str) -> list[int]:
    """The people of the level responsible: the grid leaders and workers of the place (the
    village cadres where there are none), or the township's or county's staff."""
    current = Position.objects.current()
    if level == Level.VILLAGE:
        ids = list(current.filter(region_path__in=tree.ancestors(region_path), role__in=GRID_NOTIFIED)
                   .values_list("user_id", flat=True))
        if not ids:
            ids = list(current.filter(region_path__in=tree.ancestors(region_path),
                                      role__in=roles.VILLAGE_CADRES).values_list("user_id", flat=True))
        return ids
    return list(current.filter(region_path=path, role__in=roles.GOVERNMENT).values_list("user_id", flat=True))


def handler_recipients(req: ServiceRequest) -> list[int]:
    if req.handler_kind == HandlerKind.DEPARTMENT and req.assignee_department_id:
        return list(Position.objects.current().filter(department_id=req.assignee_department_id,
                                                      role=Role.DEPARTMENT_STAFF).values_list("user_id", flat=True))
    if req.handler_kind == HandlerKind.MEMBER and req.assignee_user_id:
        return [req.assignee_user_id]
    if req.handler_kind == HandlerKind.LEVEL:
        return level_recipients(req.level, req.region_path, req.handling_path)
    return []


def requester_recipients(req: ServiceRequest) -> list[int]:
    """The resident who asked (their account), the resident who filed, and the followers."""
    residents = [req.resident_id] if req.resident_id else []
    users: list[int] = []
    if req.filed_by_id and req.channel == Channel.RESIDENT:
        users.append(req.filed_by_id)
    for user_id, resident_id in Follower.objects.filter(request=req).values_list("user_id", "resident_id"):
        if user_id:
            users.append(user_id)
        if resident_id:
            residents.append(resident_id)
    if not residents and not users:
        return []
    return list(User.objects.filter(Q(resident_id__in=residents) | Q(pk__in=users), is_active=True)
                .values_list("pk", flat=True))


def _tell(recipients: Iterable[int], req: ServiceRequest, kind: str, title: str, body: str = "",
          skip: Any = None) -> None:
    skip_id = getattr(skip, "pk", None)
    notify.notify([r for r in recipients if r != skip_id], kind, title, body=body, link=_link(req.pk), target=req)


def _county_language() -> Any:
    # Messages are written once for whoever reads them: in the county's language, not in the
    # language the actor happened to browse in.
    return translation.override(settings.LANGUAGE_CODE)


# -- filing ----------------------------------------------------------------------------------

def _clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def _clean_coordinate(value: Any, *, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number."), field=field) from None
    if not -limit <= number <= limit:
        raise ValidationError(_("Between -%(n)d and %(n)d.") % {"n": limit}, field=field)
    return number


def clean_attributes(category: Category, answers: dict[str, Any] | None, *, field: str = "attributes"
                     ) -> dict[str, Any]:
    """Check the answers to a category's questions (the Open311 service definition)."""
    answers = dict(answers or {})
    if getattr(category, "n_questions", None) == 0 and not answers:
        return {}
    questions = {a.code: a for a in category.attributes.all()}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValidationError(_("Unknown question: %(code)s") % {"code": unknown[0][:32]},
                              field=f"{field}.{unknown[0][:32]}")
    cleaned: dict[str, Any] = {}
    for code, q in questions.items():
        value = answers.get(code)
        name = f"{field}.{code}"
        empty = value is None or value == "" or value == []
        if empty:
            if q.required:
                raise ValidationError(_("This field is required."), field=name)
            continue
        if q.datatype == CategoryAttribute.Datatype.NUMBER:
            try:
                value = float(str(value))
            except (TypeError, ValueError):
                raise ValidationError(_("Enter a number."), field=name) from None
        elif q.datatype == CategoryAttribute.Datatype.DATETIME:
            try:
                value = dt.datetime.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ValidationError(_("Enter a date and time such as 2026-01-31T09:30:00+08:00."),
                                      field=name) from None
        elif q.datatype == CategoryAttribute.Datatype.SINGLE:
            if str(value) not in q.choice_keys:
                raise ValidationError(_("Choose one of: %(keys)s.") % {"keys": ", ".join(q.choice_keys)}, field=name)
            value = str(value)
        elif q.datatype == CategoryAttribute.Datatype.MULTI:
            values = [str(v) for v in (value if isinstance(value, list) else [value])]
            bad = [v for v in values if v not in q.choice_keys]
            if bad:
                raise ValidationError(_("Choose among: %(keys)s.") % {"keys": ", ".join(q.choice_keys)}, field=name)
            value = values
        else:
            value = str(value).strip()
            if len(value) > (2000 if q.datatype == CategoryAttribute.Datatype.TEXT else 200):
                raise ValidationError(_("The answer is too long."), field=name)
        cleaned[code] = value
    return cleaned


def _check_uploads(actor: Any, photo_ids: Sequence[int], files: Sequence[Any], *, already: int = 0
                   ) -> tuple[list[RequestPhoto], list[tuple[Any, photo_checks.CheckedImage]]]:
    ids = list(dict.fromkeys(int(i) for i in photo_ids))
    if already + len(ids) + len(files) > MAX_PHOTOS:
        raise ValidationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    uploaded: list[RequestPhoto] = []
    if ids:
        user_id = getattr(actor, "pk", None)
        uploaded = list(RequestPhoto.objects.filter(pk__in=ids, request__isnull=True, uploaded_by_id=user_id))
        if len(uploaded) != len(ids) or user_id is None:
            raise ValidationError(_("A photo is unknown, not yours or already used; upload it again."),
                                  field="photos")
    checked = [(f, photo_checks.check_image(f)) for f in files]
    return uploaded, checked


def _store_photo(*, actor: Any, upload: Any, checked: photo_checks.CheckedImage, kind: str,
                 request: ServiceRequest | None, now: dt.datetime) -> RequestPhoto:
    photo = RequestPhoto(request=request, kind=kind, content_type=checked.content_type, size=checked.size,
                         width=checked.width, height=checked.height, sha256=checked.sha256,
                         uploaded_by=actor if getattr(actor, "pk", None) else None, uploaded_at=now)
    upload.seek(0)
    photo.file.save(f"photo.{checked.extension}", File(upload), save=False)
    photo.save()
    return photo


class _FilesWritten:
    """Removes the files written inside a transaction that then failed: a failed step
    leaves no row and no orphan file behind."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __enter__(self) -> _FilesWritten:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            from django.core.files.storage import default_storage

            for name in self.names:
                default_storage.delete(name)


def photo_upload(*, actor: Any, file: Any, kind: str = RequestPhoto.Kind.REPORT) -> RequestPhoto:
    """A photo uploaded before the request (or the resolution) it belongs to is filed."""
    viewer = access.viewer_for(actor)
    if not viewer.is_authenticated:
        raise PermissionDenied()
    if not any(access.ROLE_ACTIONS.get(g.role, set()) & {"request.submit", "request.resolve"}
               for g in viewer.grants) and not viewer.is_admin:
        raise PermissionDenied()
    if kind not in RequestPhoto.Kind.values:
        raise ValidationError(_("Unknown kind of photo."), field="kind")
    checked = photo_checks.check_image(file, field="file")
    with _FilesWritten() as written, transaction.atomic():
        photo = _store_photo(actor=actor, upload=file, checked=checked, kind=kind, request=None, now=timezone.now())
        written.names.append(photo.file.name)
        audit.record(actor=actor, action="request.photo_upload", target=photo,
                     detail={"size": checked.size, "type": checked.content_type})
    return photo


def _place(*, viewer: access.Viewer, household: Household | None, resident: Resident | None,
           region: Region | None, allow_county: bool = False) -> tuple[Household | None, Resident | None, Region]:
    if resident is not None:
        if resident.household_id is None:
            raise ValidationError(_("This resident has no household in the county."), field="resident_id")
        if household is not None and resident.household_id != household.pk:
            raise ValidationError(_("This resident is not a member of that household."), field="resident_id")
        household = household or resident.household
    if household is not None:
        place = household.micro_grid or household.grid or household.village
        return household, resident, place
    if region is None:
        raise ValidationError(_("Say where the matter is: a household or a place."), field="region")
    if region.level < Region.Level.TOWNSHIP and not (allow_county and region.level == Region.Level.COUNTY):
        raise ValidationError(_("Name a township, village or grid, not the whole county."), field="region")
    return None, None, region


def request_submit(*, actor: Any, category: Category, description: str, household: Household | None = None,
                   resident: Resident | None = None, region: Region | None = None, channel: str | None = None,
                   address: str = "", latitude: Any = None, longitude: Any = None, contact_name: str = "",
                   contact_phone: str = "", attributes: dict[str, Any] | None = None,
                   photo_ids: Sequence[int] = (), photo_files: Sequence[Any] = (),
                   client: Open311Client | None = None, media_url: str = "", at: dt.datetime | None = None
                   ) -> ServiceRequest:
    """File a request: a resident for themselves (群众点单), a grid worker on the spot (一键上报,
    for a resident or a public matter), staff on a resident's behalf (代办), or an Open311
    client with its key (``client``; the key is the permission)."""
    viewer = access.viewer_for(actor) if client is None else access.ANONYMOUS
    description = _clean_text(description, field="description", max_length=DESCRIPTION_MAX, required=True)
    address = _clean_text(address, field="address", max_length=200)
    contact_name = _clean_text(contact_name, field="contact_name", max_length=50)
    contact_phone = _clean_text(contact_phone, field="contact_phone", max_length=20)
    if contact_phone and not PHONE.match(contact_phone):
        raise ValidationError(_("Enter a phone number (digits only)."), field="contact_phone")
    lat = _clean_coordinate(latitude, field="latitude", limit=90)
    lng = _clean_coordinate(longitude, field="longitude", limit=180)
    if (lat is None) != (lng is None):
        raise ValidationError(_("Give both latitude and longitude, or neither."), field="longitude")
    if category is None:
        raise ValidationError(_("Choose a category."), field="category")
    if not category.is_active:
        raise ValidationError(_("This category is no longer in use."), field="category")

    staff_filing = (client is None and any(g.role != access.RESIDENT for g in viewer.grants)) or viewer.is_admin
    if client is None and not staff_filing:
        # A resident files for themselves, at their own household.
        if viewer.resident_id is None or viewer.household_id is None:
            raise PermissionDenied()
        if household is not None and household.pk != viewer.household_id:
            raise NotFound()
        me = Resident.objects.select_related("household__village", "household__grid",
                                             "household__micro_grid").get(pk=viewer.resident_id)
        household, resident, region = me.household, me, None
        channel = Channel.RESIDENT
        contact_name = contact_name or me.name
        contact_phone = contact_phone or me.phone
    elif client is not None:
        channel = Channel.OPEN311
    else:
        if channel is None:
            grid_roles = {str(r) for r in roles.GRID_TEAM}
            channel = Channel.GRID if any(g.role in grid_roles for g in viewer.grants) else Channel.SERVICE_CENTRE
        if channel not in STAFF_CHANNELS:
            raise ValidationError(_("Choose how the request came in: grid report, hotline or service centre."),
                                  field="channel")
    household, resident, place = _place(viewer=viewer, household=household, resident=resident, region=region,
                                        allow_county=client is not None)
    if resident is not None and not contact_name:
        contact_name = resident.name
    if place.county_id != category.county_id and place.pk != category.county_id:
        raise ValidationError(_("This category belongs to another county."), field="category")
    answers = clean_attributes(category, attributes)
    now = at or timezone.now()
    county = category.county
    level = category.default_level
    req = ServiceRequest(
        county=county, region=place, region_path=household.region_path if household else place.path,
        category=category, description=description, address=address or (household.address if household else ""),
        latitude=lat, longitude=lng, attributes=answers, household=household, resident=resident,
        contact_name=contact_name, contact_phone=contact_phone, channel=channel,
        filed_by=actor if client is None and getattr(actor, "pk", None) else None, open311_client=client,
        media_url=media_url[:500], state=REQUEST_FLOW.initial, level=level, submitted_at=now,
        response_due=response_deadline(category, now), resolve_due=resolve_deadline(category, now),
        state_changed_at=now,
    )
    req.handling_path = handling_path(level, req.region_path, county.path)
    req.escalation_due = req.response_due
    if client is None:
        access.require(viewer, "request.submit", req)
    uploaded, checked = _check_uploads(actor, photo_ids, photo_files)
    rule = route(category, req.region_path)
    req.suggested_department = rule.department if rule else None
    with _FilesWritten() as written, transaction.atomic(), _county_language():
        req.save()
        REQUEST_FLOW.start(req, actor=actor if client is None else None,
                           note=_("Filed through %(channel)s") % {"channel": Channel(channel).label})
        for photo in uploaded:
            photo.request = req
        if uploaded:
            RequestPhoto.objects.bulk_update(uploaded, ["request"])
        for upload, info in checked:
            photo = _store_photo(actor=actor, upload=upload, checked=info, kind=RequestPhoto.Kind.REPORT,
                                 request=req, now=now)
            written.names.append(photo.file.name)
        audit.record(actor=actor if client is None else None, action="request.submit", target=req,
                     detail={"category": category.code, "channel": channel, "photos": len(uploaded) + len(checked),
                             **({"open311_client": client.name} if client else {})})
        if rule is not None and rule.auto_dispatch:
            _dispatch(req, actor=workflow.SYSTEM, kind=HandlerKind.DEPARTMENT, department=rule.department,
                      note=_("Dispatched by the routing rule"))
        else:
            _tell(level_recipients(req.level, req.region_path, req.handling_path), req, "request.submitted",
                  _("New request #%(n)s: %(category)s") % {"n": req.number, "category": category.name},
                  body=description[:200], skip=actor)
    return req


# -- the steps -------------------------------------------------------------------------------

def _dispatch(req: ServiceRequest, *, actor: Any, kind: str, department: Department | None = None,
              member: PartyMember | None = None, note: str = "", internal: bool = False) -> Any:
    name = "reassign" if req.state in (State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS) else "dispatch"
    changes: dict[str, Any] = {"handler_kind": kind, "assignee_department": None, "assignee_member": None,
                               "assignee_user": None}
    if kind == HandlerKind.DEPARTMENT:
        changes["assignee_department"] = department
    elif kind == HandlerKind.MEMBER:
        assert member is not None
        changes["assignee_member"] = member
        changes["assignee_user"] = member.user
    if req.state == State.REOPENED and req.escalation_due is None:
        changes["escalation_due"] = resolve_deadline(req.category, timezone.now())
    change = REQUEST_FLOW.transition(req, name=name, actor=actor, note=note, internal=internal, **changes)
    with _county_language():
        target = (department.name if department else member.name if member else _("the responsible level"))
        _tell(handler_recipients(req), req, "request.dispatched",
              _("Request #%(n)s dispatched to you: %(category)s") % {"n": req.number, "category": req.category.name},
              body=req.description[:200], skip=actor)
        _tell(requester_recipients(req), req, "request.progress",
              _("Your request #%(n)s was sent to %(target)s") % {"n": req.number, "target": target})
    return change


def request_dispatch(*, actor: Any, request: ServiceRequest, to: str, department: Department | None = None,
                     member: PartyMember | None = None, note: str = "", internal: bool = False) -> ServiceRequest:
    """网格派单: to a department, to a Party member, or kept by the responsible level
    (``to`` = department / member / level). From a dispatched or accepted request it is a
    reassignment (township and county only, with a note)."""
    if to not in HandlerKind.values:
        raise ValidationError(_("Choose a department, a Party member or the level itself."), field="to")
    county_path = request.county.path if request.county_id else ""
    if to == HandlerKind.DEPARTMENT:
        if department is None:
            raise ValidationError(_("Choose a department."), field="department_id")
        if not department.is_active or not tree.is_under(department.region_path, county_path):
            raise ValidationError(_("This department cannot take requests of this county."), field="department_id")
    if to == HandlerKind.MEMBER:
        if member is None:
            raise ValidationError(_("Choose a Party member."), field="member_id")
        if member.user_id is None:
            raise ValidationError(_("This Party member has no account to receive requests."), field="member_id")
        if not tree.is_under(member.region_path, county_path):
            raise ValidationError(_("This Party member is not in this county."), field="member_id")
    note = (note or "").strip()
    with transaction.atomic():
        _dispatch(request, actor=actor, kind=to, department=department if to == HandlerKind.DEPARTMENT else None,
                  member=member if to == HandlerKind.MEMBER else None, note=note, internal=internal)
    return request


def request_accept(*, actor: Any, request: ServiceRequest, note: str = "") -> ServiceRequest:
    """部门接单. Two staff accepting at once: the workflow's compare-and-set lets one win; the
    other gets a Conflict (409)."""
    now = timezone.now()
    changes: dict[str, Any] = {"accepted_at": now}
    if request.response_seconds is None:
        changes["response_seconds"] = _seconds(request.submitted_at, now)
        changes["responded_on_time"] = now <= request.response_due
    changes["escalation_due"] = (request.resolve_due if request.resolve_due > now
                                 else resolve_deadline(request.category, now))
    with transaction.atomic():
        REQUEST_FLOW.transition(request, name="accept", actor=actor, note=note, at=now, **changes)
        with _county_language():
            _tell(requester_recipients(request), request, "request.progress",
                  _("Your request #%(n)s was accepted") % {"n": request.number})
    return request


def request_start(*, actor: Any, request: ServiceRequest, note: str = "") -> ServiceRequest:
    REQUEST_FLOW.transition(request, name="start", actor=actor, note=note)
    return request


def request_return(*, actor: Any, request: ServiceRequest, reason: str) -> ServiceRequest:
    """A department (or member) sends back a wrong dispatch, with the reason; the grid
    dispatches again."""
    with transaction.atomic():
        level_people = level_recipients(request.level, request.region_path, request.handling_path)
        REQUEST_FLOW.transition(request, name="return", actor=actor, note=reason, handler_kind="",
                                assignee_department=None, assignee_member=None, assignee_user=None,
                                return_count=F("return_count") + 1)
        with _county_language():
            _tell(level_people, request, "request.returned",
                  _("Request #%(n)s was returned: dispatch it again") % {"n": request.number},
                  body=(reason or "")[:200], skip=actor)
    return request


def _resolved_level(req: ServiceRequest) -> str:
    if req.handler_kind == HandlerKind.DEPARTMENT and req.assignee_department_id:
        dept_level = (Region.objects.filter(departments=req.assignee_department_id).values_list("level", flat=True)
                      .first())
        return level_of_region(dept_level or Region.Level.COUNTY)
    if req.handler_kind == HandlerKind.MEMBER:
        return Level.VILLAGE
    return req.level


def request_resolve(*, actor: Any, request: ServiceRequest, result: str, photo_ids: Sequence[int] = (),
                    photo_files: Sequence[Any] = ()) -> ServiceRequest:
    """The handler reports the result (a note, photos); the resident then rates it."""
    result = _clean_text(result, field="note", max_length=workflow.NOTE_MAX_LENGTH, required=True)
    access.require(actor, "request.resolve", request)
    existing = request.photos.filter(kind=RequestPhoto.Kind.RESULT).count()
    uploaded, checked = _check_uploads(actor, photo_ids, photo_files, already=existing)
    now = timezone.now()
    with _FilesWritten() as written, transaction.atomic():
        REQUEST_FLOW.transition(
            request, name="resolve", actor=actor, note=result, at=now, result_note=result,
            resolve_seconds=_seconds(request.submitted_at, now), resolved_on_time=now <= request.resolve_due,
            resolved_level=_resolved_level(request), escalation_due=None, auto_close_at=now + AUTO_CLOSE_AFTER)
        for photo in uploaded:
            photo.request, photo.kind = request, RequestPhoto.Kind.RESULT
        if uploaded:
            RequestPhoto.objects.bulk_update(uploaded, ["request", "kind"])
        for upload, info in checked:
            photo = _store_photo(actor=actor, upload=upload, checked=info, kind=RequestPhoto.Kind.RESULT,
                                 request=request, now=now)
            written.names.append(photo.file.name)
        with _county_language():
            _tell(requester_recipients(request), request, "request.resolved",
                  _("Your request #%(n)s is resolved: please rate it") % {"n": request.number}, body=result[:200])
    return request


def request_rate(*, actor: Any, request: ServiceRequest, rating: Any, comment: str = "") -> ServiceRequest:
    """群众评单: 1 to 5 stars and a comment, by the resident who asked."""
    try:
        stars = int(rating)
    except (TypeError, ValueError):
        stars = 0
    if stars < 1 or stars > 5 or str(rating).strip() not in {str(stars), f"{stars}.0"}:
        raise ValidationError(_("Give 1 to 5 stars."), field="rating")
    comment = _clean_text(comment, field="comment", max_length=500)
    with transaction.atomic():
        REQUEST_FLOW.transition(request, name="rate", actor=actor, note=comment, rating=stars, rating_comment=comment)
        with _county_language():
            _tell(handler_recipients(request), request, "request.rated",
                  _("Request #%(n)s was rated %(stars)d of 5") % {"n": request.number, "stars": stars},
                  body=comment[:200], skip=actor)
    return request


def request_reopen(*, actor: Any, request: ServiceRequest, reason: str) -> ServiceRequest:
    """The resident is not satisfied: within 7 days of the resolution, as many times as the
    category allows (once by default)."""
    reason = _clean_text(reason, field="note", max_length=workflow.NOTE_MAX_LENGTH, required=True)
    access.require(actor, "request.reopen", request)
    if not is_requester(request, access.viewer_for(actor)):
        raise PermissionDenied()
    now = timezone.now()
    if request.state in (State.RESOLVED, State.RATED):
        # Refused by the request as it now is (too late, reopened enough): a conflict, as a
        # step the workflow does not allow from its state.
        if request.resolved_at is None or now > request.resolved_at + REOPEN_WINDOW:
            raise Conflict(_("A request can be reopened within 7 days of its resolution."), field="state")
        if request.reopen_count >= request.category.max_reopens:
            raise Conflict(_("This request has already been reopened as often as allowed."), field="state")
    with transaction.atomic():
        REQUEST_FLOW.transition(
            request, name="reopen", actor=actor, note=reason, at=now, reopen_count=F("reopen_count") + 1,
            rating=None, rating_comment="", auto_close_at=None, resolved_on_time=None,
            escalation_due=resolve_deadline(request.category, now))
        with _county_language():
            _tell(handler_recipients(request) + level_recipients(request.level, request.region_path,
                                                                 request.handling_path),
                  request, "request.reopened", _("Request #%(n)s was reopened by the resident") % {"n": request.number},
                  body=reason[:200], skip=actor)
    return request


def _escalation_changes(req: ServiceRequest, now: dt.datetime, target: str) -> dict[str, Any]:
    county_path = req.county.path
    return {
        "level": target,
        "handling_path": handling_path(target, req.region_path, county_path),
        "escalation_count": F("escalation_count") + 1,
        "escalation_due": None if next_level(target) is None else response_deadline(req.category, now),
    }


def request_escalate(*, actor: Any, request: ServiceRequest, reason: str) -> ServiceRequest:
    """By hand: the level responsible (or the handler) sends the matter one level up."""
    target = next_level(request.level)
    if target is None:
        access.require(actor, "request.view", request)
        raise Conflict(_("The county is the highest level; the request cannot go higher."), field="level")
    now = timezone.now()
    before = (request.level, request.handling_path, handler_recipients(request))
    with transaction.atomic():
        REQUEST_FLOW.transition(request, name="escalate", actor=actor, note=reason, at=now,
                                expect={"level": request.level}, **_escalation_changes(request, now, target))
        with _county_language():
            _tell_escalation(request, before, actor=actor, reason=reason)
    return request


def _tell_escalation(req: ServiceRequest, before: tuple[str, str, list[int]], *, actor: Any, reason: str) -> None:
    old_level, old_path, handlers = before
    upper = level_recipients(req.level, req.region_path, req.handling_path)
    lower = level_recipients(old_level, req.region_path, old_path) + handlers
    title = _("Request #%(n)s escalated to the %(level)s") % {"n": req.number, "level": Level(req.level).label}
    _tell(upper, req, "request.escalated", title, body=reason[:200], skip=actor)
    _tell([u for u in lower if u not in upper], req, "request.escalated", title, body=reason[:200], skip=actor)


def request_reject(*, actor: Any, request: ServiceRequest, reason: str) -> ServiceRequest:
    """Not a matter for government: closed with a reason the resident sees."""
    reason = _clean_text(reason, field="note", max_length=workflow.NOTE_MAX_LENGTH, required=True)
    with transaction.atomic():
        REQUEST_FLOW.transition(request, name="reject", actor=actor, note=reason, rejection_reason=reason,
                                escalation_due=None, auto_close_at=None)
        with _county_language():
            _tell(requester_recipients(request), request, "request.rejected",
                  _("Your request #%(n)s was not taken up") % {"n": request.number}, body=reason[:200])
    return request


def request_merge(*, actor: Any, duplicate: ServiceRequest, main: ServiceRequest, note: str = "") -> ServiceRequest:
    """A duplicate is closed into the main request; its reporter (and its followers) follow
    the main one from now on."""
    access.require(actor, "request.merge", main)
    if duplicate.pk == main.pk:
        raise ValidationError(_("A request cannot be merged into itself."), field="main_id")
    if main.county_id != duplicate.county_id:
        raise ValidationError(_("The main request is in another county."), field="main_id")
    if not main.is_open or main.state in (State.RESOLVED, State.RATED):
        raise ValidationError(_("The main request must still be open."), field="main_id")
    note = note.strip() or _("Merged into request #%(n)s") % {"n": main.number}
    with transaction.atomic():
        REQUEST_FLOW.transition(duplicate, name="merge", actor=actor, note=note, merged_into=main,
                                escalation_due=None, auto_close_at=None)
        reporter = duplicate.filed_by_id if duplicate.channel == Channel.RESIDENT else None
        followers = [Follower(request=main, user_id=reporter, resident_id=duplicate.resident_id, duplicate=duplicate)]
        followers += [Follower(request=main, user_id=f.user_id, resident_id=f.resident_id, duplicate=f.duplicate)
                      for f in Follower.objects.filter(request=duplicate)]
        Follower.objects.bulk_create([f for f in followers if f.user_id or f.resident_id])
        ServiceRequest.objects.filter(merged_into=duplicate).update(merged_into=main)
        audit.record(actor=actor, action="request.merge_into", target=main, detail={"duplicate": duplicate.pk})
        with _county_language():
            _tell(requester_recipients(duplicate), duplicate, "request.merged",
                  _("Your request #%(n)s is being handled together with request #%(main)s")
                  % {"n": duplicate.number, "main": main.number})
    return duplicate


def request_follow(*, actor: Any, request: ServiceRequest) -> bool:
    """"Me too" (关注): a resident who has the same matter follows an open request of their
    village instead of filing a duplicate; they are told of its steps and can see it. Only
    what the filing page offers them: a public matter of their village, still being
    handled (or a request of their own household, which they follow already). True if they
    now follow it, False if they already did."""
    from shanzhi.casework import selectors

    viewer = access.viewer_for(actor)
    nearby = bool(request.category.is_public and viewer.resident_id and viewer.home_path
                  and tree.is_under(viewer.home_path, selectors.village_path(request.region_path)))
    if not nearby and not access.can(viewer, "request.view", request):
        raise NotFound()
    if viewer.user is None or viewer.resident_id is None:
        raise PermissionDenied()  # staff merge duplicates; following is for residents
    if request.state not in OPEN_UNRESOLVED:
        raise Conflict(_("This request is no longer being handled; file a new one if the matter remains."),
                       field="state")
    if (request.resident_id == viewer.resident_id or request.household_id == viewer.household_id
            or Follower.objects.filter(Q(user_id=viewer.user.pk) | Q(resident_id=viewer.resident_id),
                                       request=request).exists()):
        return False
    try:
        with transaction.atomic():
            Follower.objects.create(request=request, user_id=viewer.user.pk, resident_id=viewer.resident_id)
            audit.record(actor=actor, action="request.follow", target=request)
    except IntegrityError:
        return False  # the same person's other click got there first
    return True


def request_close(*, actor: Any, request: ServiceRequest, note: str = "") -> ServiceRequest:
    REQUEST_FLOW.transition(request, name="close", actor=actor, note=note, auto_close_at=None)
    return request


# -- the sweep -------------------------------------------------------------------------------

SWEEP_BATCH = 1000


def sweep(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """The periodic job: escalate the requests past their level's deadline one level up
    (telling both levels), and close those resolved more than 7 days ago. Idempotent: a
    request escalates once however many times and by however many workers this runs, since
    each escalation moves its deadline and the UPDATE re-checks the old one."""
    now = now or timezone.now()
    return {"escalated": escalate_overdue(now=now, batch=batch), "closed": close_expired(now=now, batch=batch)}


def escalate_overdue(*, now: dt.datetime, batch: int = SWEEP_BATCH) -> int:
    total = 0
    after: tuple[dt.datetime, int] | None = None
    while True:
        # Through the partial index on escalation_due (ESCALATION_CLOCK: open requests on a
        # clock), in deadline order; each batch starts where the last one ended, so it does
        # not walk again over what the last one moved (or left to another worker).
        qs = ServiceRequest.objects.filter(ESCALATION_CLOCK, escalation_due__lte=now)
        if after is not None:
            qs = qs.filter(Q(escalation_due__gt=after[0]) | Q(pk__gt=after[1]), escalation_due__gte=after[0])
        rows: list[dict[str, Any]] = list(qs.order_by("escalation_due", "pk").values(*SWEEP_FIELDS)[:batch])
        if not rows:
            return total
        last = (rows[-1]["escalation_due"], rows[-1]["pk"])
        total += _escalate_batch(rows, now, _between(after, last))
        if len(rows) < batch:
            return total
        after = last


def _between(after: tuple[dt.datetime, int] | None, last: tuple[dt.datetime, int]) -> Q:
    """The batch as a range of the partial index, (deadline, id) after ``after`` up to and
    including ``last``: the UPDATE walks the index as the selection did, with no id list."""
    q = Q(escalation_due__lte=last[0]) & (Q(escalation_due__lt=last[0]) | Q(pk__lte=last[1]))
    if after is not None:
        q &= Q(escalation_due__gte=after[0]) & (Q(escalation_due__gt=after[0]) | Q(pk__gt=after[1]))
    return q


SWEEP_FIELDS = ("pk", "escalation_due", "level", "category_id", "county_id", "county__path", "region_path",
                "handling_path", "handler_kind", "assignee_department_id", "assignee_user_id",
                "category__response_amount", "category__response_unit")


def _escalate_batch(rows: list[dict[str, Any]], now: dt.datetime, batch_range: Q) -> int:
    groups: dict[tuple[int, int, str], list[dict[str, Any]]] = {}
    for row in rows:
        if next_level(row["level"]) is None:
            continue
        groups.setdefault((row["county_id"], row["category_id"], row["level"]), []).append(row)
    moved_rows: list[dict[str, Any]] = []
    with transaction.atomic(), _county_language():
        for (_county, _category, level), members in groups.items():
            target = next_level(level)
            assert target is not None
            first = members[0]
            county_path = first["county__path"]
            changes: dict[str, Any] = {
                "level": target,
                "escalation_count": F("escalation_count") + 1,
                "escalation_due": None if next_level(target) is None else deadline(
                    now, first["category__response_amount"], first["category__response_unit"]),
            }
            if target == Level.COUNTY:
                changes["handling_path"] = county_path
            else:
                changes["handling_path"] = Substr("region_path", 1, township_path_length(county_path))
            qs = ServiceRequest.objects.filter(ESCALATION_CLOCK, batch_range, county_id=first["county_id"],
                                               category_id=first["category_id"], level=level,
                                               escalation_due__lte=now)
            moved = REQUEST_FLOW.transition_many(
                qs, name="escalate", at=now, note=_("Escalated automatically: the deadline of the %(level)s passed")
                % {"level": Level(level).label}, **changes)
            moved_ids = {c.object_id for c in moved}
            # A request that became overdue in the range since it was read moved too: told as well.
            known = {m["pk"] for m in members}
            if moved_ids - known:
                members = members + list(ServiceRequest.objects.filter(pk__in=moved_ids - known)
                                         .values(*SWEEP_FIELDS))
            for m in members:
                if m["pk"] in moved_ids:
                    m["new_level"] = target
                    m["new_path"] = handling_path(target, m["region_path"], county_path)
                    moved_rows.append(m)
        _tell_escalations(moved_rows)
    return len(moved_rows)


def _tell_escalations(rows: list[dict[str, Any]]) -> None:
    """Both levels of every escalated request, in a few queries for the whole batch."""
    if not rows:
        return
    current = Position.objects.current()
    village_paths = {p for r in rows if r["level"] == Level.VILLAGE for p in tree.ancestors(r["region_path"])}
    grid_people: dict[str, set[int]] = {}
    for path, user_id in current.filter(region_path__in=village_paths, role__in=GRID_NOTIFIED).values_list(
            "region_path", "user_id"):
        grid_people.setdefault(path, set()).add(user_id)
    government_paths = ({r["new_path"] for r in rows}
                        | {r["handling_path"] for r in rows if r["level"] != Level.VILLAGE})
    government: dict[str, set[int]] = {}
    for path, user_id in current.filter(region_path__in=government_paths, role__in=roles.GOVERNMENT).values_list(
            "region_path", "user_id"):
        government.setdefault(path, set()).add(user_id)
    departments: dict[int, set[int]] = {}
    dept_ids = {r["assignee_department_id"] for r in rows if r["handler_kind"] == HandlerKind.DEPARTMENT}
    for dept_id, user_id in current.filter(department_id__in=dept_ids, role=Role.DEPARTMENT_STAFF).values_list(
            "department_id", "user_id"):
        departments.setdefault(dept_id, set()).add(user_id)
    # Each person hears once per sweep: about the one request, or a digest of several (a
    # township's staff may see hundreds escalated at once).
    per_person: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        if r["level"] == Level.VILLAGE:
            lower = set().union(*(grid_people.get(p, set()) for p in tree.ancestors(r["region_path"])))
        else:
            lower = set(government.get(r["handling_path"], set()))
        if r["handler_kind"] == HandlerKind.DEPARTMENT:
            lower |= departments.get(r["assignee_department_id"], set())
        elif r["handler_kind"] == HandlerKind.MEMBER and r["assignee_user_id"]:
            lower.add(r["assignee_user_id"])
        for person in lower | government.get(r["new_path"], set()):
            per_person.setdefault(person, []).append(r)
    queue = reverse("casework:index") + "?queue=escalated"
    messages = []
    for person, items in per_person.items():
        if len(items) == 1:
            r = items[0]
            title = _("Request #%(n)s escalated to the %(level)s: its deadline passed") % {
                "n": f"{r['pk']:06d}", "level": Level(r["new_level"]).label}
            messages.append(notify.Message([person], "request.escalated", title, link=_link(r["pk"]),
                                           target_type="casework.servicerequest", target_id=str(r["pk"])))
            continue
        shown = ", ".join(f"#{r['pk']:06d}" for r in items[:20])
        more = _(" and %(n)d more") % {"n": len(items) - 20} if len(items) > 20 else ""
        messages.append(notify.Message(
            [person], "request.escalated",
            _("%(n)d requests escalated: their deadlines passed") % {"n": len(items)}, body=shown + more,
            link=queue))
    notify.notify_many(messages)


def close_expired(*, now: dt.datetime, batch: int = SWEEP_BATCH) -> int:
    """Resolved (rated or not) more than 7 days ago: closed; no more reopening."""
    total = 0
    while True:
        ids = list(ServiceRequest.objects.filter(auto_close_at__isnull=False, auto_close_at__lte=now)
                   .order_by("auto_close_at").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with _county_language():
            note = _("Closed automatically 7 days after the resolution")
        moved = REQUEST_FLOW.transition_many(
            ServiceRequest.objects.filter(pk__in=ids, auto_close_at__lte=now), name="close", at=now, note=note,
            auto_close_at=None)
        total += len(moved)
        if not moved or len(ids) < batch:
            return total


def photos_purge_unattached(*, now: dt.datetime | None = None) -> int:
    """Uploads never attached to a request within a day are removed (rows and files)."""
    now = now or timezone.now()
    stale = list(RequestPhoto.objects.filter(request__isnull=True, uploaded_at__lt=now - UNATTACHED_PHOTO_TTL)[:500])
    for photo in stale:
        name = photo.file.name
        photo.delete()
        if name:
            photo.file.storage.delete(name)
    return len(stale)


# -- back office -----------------------------------------------------------------------------

DEFAULT_CATEGORIES: list[dict[str, Any]] = [
    # code, name (zh-hans, the county's language), default level, response, resolve, public
    {"code": "water", "name": "供水", "level": Level.VILLAGE, "response": (6, sla.Unit.HOURS),
     "resolve": (3, sla.Unit.WORKING_DAYS), "public": True, "department": "water"},
    {"code": "roads", "name": "道路", "level": Level.TOWNSHIP, "response": (12, sla.Unit.HOURS),
     "resolve": (10, sla.Unit.WORKING_DAYS), "public": True, "department": "roads"},
    {"code": "environment", "name": "环境卫生", "level": Level.VILLAGE, "response": (12, sla.Unit.HOURS),
     "resolve": (5, sla.Unit.WORKING_DAYS), "public": True, "department": "environment"},
    {"code": "security", "name": "治安", "level": Level.TOWNSHIP, "response": (2, sla.Unit.HOURS),
     "resolve": (3, sla.Unit.WORKING_DAYS), "public": False, "department": "police"},
    {"code": "neighbourhood", "name": "邻里事务", "level": Level.VILLAGE, "response": (24, sla.Unit.HOURS),
     "resolve": (7, sla.Unit.WORKING_DAYS), "public": False, "department": None},
    {"code": "assistance", "name": "社会救助", "level": Level.TOWNSHIP, "response": (24, sla.Unit.HOURS),
     "resolve": (10, sla.Unit.WORKING_DAYS), "public": False, "department": "civil_affairs"},
    {"code": "housing", "name": "住房与土地", "level": Level.TOWNSHIP, "response": (24, sla.Unit.HOURS),
     "resolve": (15, sla.Unit.WORKING_DAYS), "public": False, "department": "natural_resources"},
    {"code": "errand", "name": "代办服务(社保、证照等)", "level": Level.VILLAGE, "response": (24, sla.Unit.HOURS),
     "resolve": (5, sla.Unit.WORKING_DAYS), "public": False, "department": "human_resources"},
    {"code": "other", "name": "其他", "level": Level.VILLAGE, "response": (24, sla.Unit.HOURS),
     "resolve": (10, sla.Unit.WORKING_DAYS), "public": False, "department": None},
]


def categories_install_defaults(*, actor: Any, county: Region) -> list[Category]:
    """The default categories of a county (water supply, roads, ...) with their deadlines, and
    a routing rule to the county department of the matching kind where there is one.
    Existing categories are left as they are."""
    if county.level != Region.Level.COUNTY:
        raise ValidationError(_("Categories belong to a county."), field="county")
    if actor is not None:
        access.require(actor, "request_category.change", Category(region_path=county.path))
    created = []
    with transaction.atomic():
        for order, spec in enumerate(DEFAULT_CATEGORIES, start=1):
            category, made = Category.objects.get_or_create(
                county=county, code=spec["code"],
                defaults={"name": spec["name"], "region_path": county.path, "default_level": spec["level"],
                          "response_amount": spec["response"][0], "response_unit": spec["response"][1],
                          "resolve_amount": spec["resolve"][0], "resolve_unit": spec["resolve"][1],
                          "is_public": spec["public"], "order": order * 10})
            if not made:
                continue
            created.append(category)
            if spec["department"]:
                dept = Department.objects.filter(region=county, kind=spec["department"], is_active=True).first()
                if dept is not None:
                    RoutingRule.objects.create(category=category, region=county, region_path=county.path,
                                               department=dept)
        if created:
            audit.record(actor=actor, action="request_category.install_defaults", target=county,
                         detail={"categories": [c.code for c in created]})
    return created


def open311_key_hash(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


def open311_client_create(*, actor: Any, county: Region, name: str, key: str | None = None
                          ) -> tuple[Open311Client, str]:
    """A new Open311 client and its key (shown once; only its hash is kept)."""
    import secrets

    if actor is not None:
        access.require(actor, "request_category.change", Category(region_path=county.path))
    name = _clean_text(name, field="name", max_length=100, required=True)
    key = key or f"o311_{secrets.token_urlsafe(24)}"
    if Open311Client.objects.filter(key_hash=open311_key_hash(key)).exists():
        raise ValidationError(_("This key is already in use."), field="key")
    with transaction.atomic():
        client = Open311Client.objects.create(county=county, region_path=county.path, name=name,
                                              key_hash=open311_key_hash(key), prefix=key[:8])
        audit.record(actor=actor, action="open311_client.create", target=client, detail={"prefix": key[:8]})
    return client, key


def open311_client_for_key(key: str) -> Open311Client | None:
    if not key:
        return None
    client = (Open311Client.objects.select_related("county").filter(key_hash=open311_key_hash(key.strip()),
                                                                   is_active=True).first())
    if client is not None:
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > dt.timedelta(minutes=5):
            Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


__all__ = [
    "categories_install_defaults", "close_expired", "escalate_overdue", "open311_client_create",
    "photo_upload", "request_accept", "request_close", "request_dispatch", "request_escalate", "request_follow",
    "request_merge",
    "request_rate", "request_reject", "request_reopen", "request_resolve", "request_return", "request_start",
    "request_submit", "route", "sweep",
]
