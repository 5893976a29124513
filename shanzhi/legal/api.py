"""REST endpoints of rule of law and supervision: legal aid from application to result,
legal education events, reminder talks, community tasks, figures per period, and the
public per-village legal page (no login). Parsing and calling services and selectors only."""

import builtins
import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core import access
from shanzhi.core.errors import ValidationError
from shanzhi.legal import selectors, services
from shanzhi.legal.flow import LEGAL_AID_FLOW
from shanzhi.legal.models import AdmissionItem, LegalAidApplication
from shanzhi.people.models import User
from shanzhi.regions.models import Region, Resident

router = Router(tags=["legal"])
public_router = Router(tags=["legal (public)"], auth=None)


class StepOut(Schema):
    on: dt.date
    note: str


class ApplicationRow(Schema):
    id: int
    number: str
    matter_type: str
    state: str
    state_label: str
    village: str
    applicant_name: str
    lawyer_name: str
    submitted_at: dt.datetime
    accept_due: dt.datetime
    amount_recovered_fen: int

    @staticmethod
    def resolve_state_label(obj: LegalAidApplication) -> str:
        return LEGAL_AID_FLOW.label(obj.state)

    @staticmethod
    def resolve_village(obj: LegalAidApplication) -> str:
        return obj.region.name

    @staticmethod
    def resolve_applicant_name(obj: LegalAidApplication) -> str:
        return obj.applicant.name

    @staticmethod
    def resolve_lawyer_name(obj: LegalAidApplication) -> str:
        return obj.lawyer.get_full_name() if obj.lawyer else ""


class ApplicationDetail(ApplicationRow):
    summary: str
    hardship_declared: bool
    hardship_statement: str
    amount_claimed_fen: int | None
    dispute_id: int | None
    result: str
    closed_at: dt.datetime | None
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj: LegalAidApplication) -> list[Any]:
        return list(obj.steps.all())


class ApplyIn(Schema):
    matter_type: str
    summary: str
    hardship_declared: bool = False
    hardship_statement: str = ""
    amount_claimed_fen: int | None = None
    applicant_id: int | None = None
    dispute_id: int | None = None


class AcceptIn(Schema):
    lawyer_id: int
    note: str = ""


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


class StepIn(Schema):
    on: str
    note: str


class ConcludeIn(Schema):
    result: str
    amount_recovered_fen: int = 0


class ListFilters(Schema):
    queue: Literal["all", "open", "mine", "cases"] = "all"


def _resident(request: HttpRequest, pk: int | None) -> Resident | None:
    if pk is None:
        return None
    found = Resident.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError(_("No such resident."), field="applicant_id")
    return found


def _dispute(pk: int | None) -> Any:
    if pk is None:
        return None
    from shanzhi.disputes.models import Dispute

    found = Dispute.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError(_("No such dispute."), field="dispute_id")
    return found


def _case(request: HttpRequest, application_id: int) -> LegalAidApplication:
    return selectors.application_get(request.user, application_id)


@router.post("/legal-aid", response={201: ApplicationDetail}, summary="Apply for legal aid (法律援助)")
def apply(request: HttpRequest, payload: ApplyIn) -> Any:
    case = services.legal_aid_submit(
        actor=request.user, matter_type=payload.matter_type, summary=payload.summary,
        hardship_declared=payload.hardship_declared, hardship_statement=payload.hardship_statement,
        amount_claimed_fen=payload.amount_claimed_fen, applicant=_resident(request, payload.applicant_id),
        dispute=_dispute(payload.dispute_id))
    return Status(201, selectors.application_get(request.user, case.pk))


@router.get("/legal-aid", response=list[ApplicationRow], summary="Legal aid applications in your scope")
@paginate(PageNumberPagination)
def list_applications(request: HttpRequest, filters: ListFilters = Query(...)) -> Any:
    return selectors.applications(request.user, queue=filters.queue)


@router.get("/legal-aid/{int:application_id}", response=ApplicationDetail, summary="One application")
def get_application(request: HttpRequest, application_id: int) -> Any:
    return _case(request, application_id)


@router.post("/legal-aid/{int:application_id}/accept", response=ApplicationDetail,
             summary="Accept and assign a lawyer")
def accept(request: HttpRequest, application_id: int, payload: AcceptIn) -> Any:
    case = _case(request, application_id)
    access.require(request.user, "legal_aid.accept", case)
    lawyer = User.objects.filter(pk=payload.lawyer_id).first()
    services.legal_aid_accept(actor=request.user, case=case, lawyer=lawyer, note=payload.note)
    return _case(request, application_id)


@router.post("/legal-aid/{int:application_id}/reject", response=ApplicationDetail, summary="Reject, with the reason")
def reject(request: HttpRequest, application_id: int, payload: ReasonIn) -> Any:
    services.legal_aid_reject(actor=request.user, case=_case(request, application_id), reason=payload.reason)
    return _case(request, application_id)


@router.post("/legal-aid/{int:application_id}/start", response=ApplicationDetail, summary="The lawyer takes it up")
def start(request: HttpRequest, application_id: int, payload: NoteIn) -> Any:
    services.legal_aid_start(actor=request.user, case=_case(request, application_id), note=payload.note)
    return _case(request, application_id)


@router.post("/legal-aid/{int:application_id}/steps", response={201: StepOut}, summary="Record a step taken")
def add_step(request: HttpRequest, application_id: int, payload: StepIn) -> Any:
    step = services.legal_aid_step(actor=request.user, case=_case(request, application_id), on=payload.on,
                                   note=payload.note)
    return Status(201, step)


@router.post("/legal-aid/{int:application_id}/conclude", response=ApplicationDetail,
             summary="Record the result (and money recovered, in fen)")
def conclude(request: HttpRequest, application_id: int, payload: ConcludeIn) -> Any:
    services.legal_aid_conclude(actor=request.user, case=_case(request, application_id), result=payload.result,
                                amount_recovered_fen=payload.amount_recovered_fen)
    return _case(request, application_id)


class DisputeLinkIn(Schema):
    dispute_id: int | None = Field(None, description="the dispute to link; null unlinks")


@router.post("/legal-aid/{int:application_id}/dispute", response=ApplicationDetail,
             summary="Link the dispute the application grew out of")
def link_dispute(request: HttpRequest, application_id: int, payload: DisputeLinkIn) -> Any:
    services.legal_aid_link_dispute(actor=request.user, case=_case(request, application_id),
                                    dispute=_dispute(payload.dispute_id))
    return _case(request, application_id)


@router.post("/legal-aid/{int:application_id}/withdraw", response=ApplicationDetail, summary="Withdraw")
def withdraw(request: HttpRequest, application_id: int, payload: ReasonIn) -> Any:
    services.legal_aid_withdraw(actor=request.user, case=_case(request, application_id), reason=payload.reason)
    return _case(request, application_id)


# -- education, supervision, figures -----------------------------------------------------------

class EventIn(Schema):
    region: str = Field(description="the division code of the village, township or county")
    kind: str
    title: str
    held_on: str
    place: str
    organiser: str
    attendance: int
    materials: int = 0


class EventOut(Schema):
    id: int
    kind: str
    title: str
    held_on: dt.date
    place: str
    organiser: str
    attendance: int
    materials: int


class TalkIn(Schema):
    region: str
    stage: str
    cadre_name: str
    reason: str
    talked_by: str
    held_on: str
    record: str


class TalkOut(Schema):
    id: int
    stage: str
    cadre_name: str
    reason: str
    talked_by: str
    held_on: dt.date


class TaskIn(Schema):
    region: str
    title: str
    assigned_by: str
    assigned_on: str
    admission_item_id: int | None = None


class TaskOut(Schema):
    id: int
    title: str
    assigned_by: str
    assigned_on: dt.date
    flagged: bool


class Period(Schema):
    start: dt.date | None = None
    end: dt.date | None = None


class FiguresOut(Schema):
    start: dt.date
    end: dt.date
    legal_aid: dict[str, Any]
    education: dict[str, Any]
    reminder_talks: dict[str, int]


def _region(code: str, field: str = "region") -> Region:
    found = Region.objects.filter(code=code).first()
    if found is None:
        raise ValidationError(_("No such place."), field=field)
    return found


def _period(p: Period) -> tuple[dt.date, dt.date]:
    end = p.end or timezone.localdate()
    start = p.start or end.replace(month=1, day=1)
    if start > end:
        raise ValidationError(_("The start is after the end."), field="start")
    return start, end


@router.post("/legal/events", response={201: EventOut}, summary="Record a legal education event (普法)")
def record_event(request: HttpRequest, payload: EventIn) -> Any:
    data = payload.dict()
    region = _region(data.pop("region"))
    return Status(201, services.event_record(actor=request.user, region=region, **data))


@router.post("/supervision/talks", response={201: TalkOut}, summary="Record a reminder talk (三提醒)")
def record_talk(request: HttpRequest, payload: TalkIn) -> Any:
    data = payload.dict()
    region = _region(data.pop("region"))
    return Status(201, services.talk_record(actor=request.user, region=region, **data))


@router.post("/supervision/tasks", response={201: TaskOut},
             summary="Record a task given to a community (flagged when off the admission list)")
def record_task(request: HttpRequest, payload: TaskIn) -> Any:
    data = payload.dict()
    region = _region(data.pop("region"))
    item_id = data.pop("admission_item_id")
    item = None
    if item_id is not None:
        item = AdmissionItem.objects.filter(pk=item_id, county_id=region.county_id).first()
        if item is None:
            raise ValidationError(_("No such item on the admission list."), field="admission_item_id")
    return Status(201, services.task_record(actor=request.user, region=region, admission_item=item, **data))


class LiaisonIn(Schema):
    resident_id: int
    trained_on: dt.date
    training_hours: int = Field(ge=0, le=1000)


class LiaisonOut(Schema):
    id: int
    name: str = Field(alias="resident.name")
    village: str = Field(alias="region.name")
    trained_on: dt.date
    training_hours: int
    active: bool
    activities: int = Field(0, alias="n_activities")


class LiaisonActivityIn(Schema):
    held_on: dt.date
    description: str
    people_reached: int = Field(0, ge=0)


class LiaisonActivityOut(Schema):
    id: int
    held_on: dt.date
    description: str
    people_reached: int


@router.get("/legal/liaisons", response=list[LiaisonOut], summary="Legal liaisons (法律明白人) in your scope")
@paginate(PageNumberPagination)
def list_liaisons(request: HttpRequest) -> Any:
    return selectors.liaisons(request.user)


@router.post("/legal/liaisons", response={201: LiaisonOut}, summary="Add a trained villager as a legal liaison")
def add_liaison(request: HttpRequest, payload: LiaisonIn) -> Any:
    resident = Resident.objects.filter(pk=payload.resident_id).first()
    liaison = services.liaison_add(actor=request.user, resident=resident, trained_on=payload.trained_on,
                                   training_hours=payload.training_hours)
    return Status(201, selectors.liaisons(request.user).get(pk=liaison.pk))


@router.post("/legal/liaisons/{int:liaison_id}/activities", response={201: LiaisonActivityOut},
             summary="Record a liaison's activity")
def record_liaison_activity(request: HttpRequest, liaison_id: int, payload: LiaisonActivityIn) -> Any:
    liaison = selectors.liaison_get(request.user, liaison_id)
    return Status(201, services.liaison_activity_record(actor=request.user, liaison=liaison, **payload.dict()))


@router.get("/legal/figures", response=FiguresOut, summary="Figures for a period, in your scope")
def figures(request: HttpRequest, period: Period = Query(...)) -> Any:
    access.require_any_role(request.user, "legal.view")
    start, end = _period(period)
    aid = selectors.aid_figures(request.user, start=start, end=end)
    edu = selectors.education_figures(request.user, start=start, end=end)
    return {"start": start, "end": end,
            "legal_aid": {"total": aid.total, "concluded": aid.concluded, "recovered_fen": aid.recovered_fen,
                          "by_type": {key: n for key, _label, n in aid.by_type}},
            "education": {"events": edu.events, "attendance": edu.attendance, "materials": edu.materials,
                          "liaisons": edu.liaisons, "liaison_activities": edu.liaison_activities},
            "reminder_talks": selectors.talk_figures(request.user, start=start, end=end)}


# -- public ------------------------------------------------------------------------------------

class ContactOut(Schema):
    role: str
    name: str
    organisation: str
    work_phone: str


class PowerItemOut(Schema):
    list: str
    title: str
    legal_basis: str
    steps: builtins.list[str]  # ``list`` is the field above


class VillageLegalOut(Schema):
    code: str
    name: str
    contacts: list[ContactOut]
    power_items: list[PowerItemOut]


@public_router.get("/villages/{code}", response=VillageLegalOut,
                   summary="A village's legal adviser, police officer and power lists (public)")
def public_village(request: HttpRequest, code: str) -> Any:
    village = selectors.public_village(code)
    return {"code": village.code, "name": village.name, "contacts": selectors.public_contacts(village),
            "power_items": selectors.power_items(village)}
