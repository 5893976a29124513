"""REST endpoints of disputes and petitions: screening, clues, the whole mediation loop,
agreements (with the PDF), follow-ups, statistics, and petition cases. Parsing and calling
services and selectors only.

A dispute outside the caller's scope answers 404 like an unknown one; a step the caller may
not take on a dispute they can see answers 403; a step not allowed from the dispute's state
answers 422 on ``state``; two people taking the same step at once: one wins, the other 409.
Phone and ID numbers of parties are masked.
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core import access
from shanzhi.core.errors import PermissionDenied, ValidationError
from shanzhi.disputes import pdf, selectors, services
from shanzhi.disputes.models import SUMMARY_MAX, TEXT_MAX, Agreement, Dispute, PetitionCase
from shanzhi.people.models import Department, User
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region, Resident

router = Router(tags=["disputes"])


# -- schemas ---------------------------------------------------------------------------------

class TypeOut(Schema):
    code: str
    name: str
    is_six: bool
    accept_deadline: str
    mediation_deadline: str

    @staticmethod
    def resolve_accept_deadline(obj: Any) -> str:
        return f"{obj.accept_amount} {obj.accept_unit}"

    @staticmethod
    def resolve_mediation_deadline(obj: Any) -> str:
        return f"{obj.mediate_amount} {obj.mediate_unit}"


class PartyIn(Schema, extra="forbid"):
    side: Literal["applicant", "respondent", "other"] = "applicant"
    resident_id: int | None = Field(None, description="a resident on the map")
    name: str = Field("", max_length=100, description="someone from outside")
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=18)


class PartyOut(Schema):
    id: int
    side: str
    name: str
    resident_id: int | None = None
    household_id: int | None = None
    phone: str
    id_number: str
    earlier_disputes: int
    repeat: bool

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return obj.phone_masked

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return obj.id_number_masked

    @staticmethod
    def resolve_repeat(obj: Any) -> bool:
        return obj.is_repeat


class Ref(Schema):
    code: str
    name: str


class DisputeRow(Schema):
    id: int
    number: str
    state: str
    state_label: str
    level: str
    type: Ref | None = None
    source: str
    on_the_spot: bool
    summary: str
    region: Ref
    reported_at: dt.datetime
    accept_due: dt.datetime
    mediation_due: dt.datetime | None = None
    settled_at: dt.datetime | None = None
    settled_level: str
    risk_level: int | None = None
    repeat_parties: bool
    parties: list[PartyOut]

    @staticmethod
    def resolve_parties(obj: Any) -> list[Any]:
        parties = obj["parties"] if isinstance(obj, dict) else obj.parties
        return list(parties.all()) if hasattr(parties, "all") else list(parties)


class MediatorOut(Schema):
    user_id: int
    name: str
    level: str
    lead: bool
    active: bool


class ParticipantOut(Schema):
    kind: str
    department: str | None = None
    person: str
    level: str


class SessionOut(Schema):
    id: int
    held_on: dt.date
    place: str
    attendees: str
    record: str
    level: str


class AgreementOut(Schema):
    id: int
    status: str
    facts: str
    terms: str
    performance: str
    committee: str
    mediators: list[str]
    signed_on: dt.date | None = None
    signatories: list[str]
    has_scan: bool
    supersedes_id: int | None = None
    pdf_url: str


class FollowUpOut(Schema):
    id: int
    after_days: int
    due_at: dt.datetime
    status: str
    holds: bool | None = None
    note: str
    done_at: dt.datetime | None = None


class StepOut(Schema):
    at: dt.datetime
    transition: str
    from_state: str
    to_state: str
    actor_name: str
    note: str


class DisputeDetail(DisputeRow):
    address: str
    urgency: str
    risk_violence: bool
    risk_petition: bool
    assessment_note: str
    referred_to: str
    escalation_count: int
    reopen_count: int
    closed_at: dt.datetime | None = None
    mediators: list[MediatorOut]
    participants: list[ParticipantOut]
    sessions: list[SessionOut]
    agreements: list[AgreementOut]
    follow_ups: list[FollowUpOut]
    history: list[StepOut]
    actions: list[str] = Field(..., description="the steps the caller may take now")


class ReportIn(Schema, extra="forbid"):
    source: Literal["screening", "resident", "request", "police", "court", "petition", "hotline"]
    summary: str = Field(..., min_length=1, max_length=SUMMARY_MAX)
    type: str = Field("", max_length=32, description="the type's code (GET /api/disputes/types)")
    household_id: int | None = None
    region: str | None = Field(None, max_length=20, description="the place (code) when no household is named")
    address: str = Field("", max_length=200)
    request_id: int | None = Field(None, description="the request it was referred from")
    parties: list[PartyIn] = Field([], max_length=20)


class OnTheSpotIn(Schema, extra="forbid"):
    type: str = Field(..., max_length=32)
    summary: str = Field(..., min_length=1, max_length=SUMMARY_MAX)
    household_id: int | None = None
    region: str | None = Field(None, max_length=20)
    address: str = Field("", max_length=200)
    parties: list[PartyIn] = Field(..., max_length=20)
    facts: str = Field(..., max_length=TEXT_MAX)
    terms: str = Field(..., max_length=TEXT_MAX)
    signed_on: dt.date | None = None
    signatories: list[str] = Field(..., max_length=30)


class ClueIn(Schema, extra="forbid"):
    summary: str = Field(..., min_length=1, max_length=SUMMARY_MAX)
    type: str = Field("", max_length=32)
    household_id: int | None = None
    parties: list[PartyIn] = Field([], max_length=20)


class ScreeningIn(Schema, extra="forbid"):
    grid: str = Field(..., max_length=20, description="the grid's code")
    week: dt.date | None = Field(None, description="any day of the week screened (this week by default)")
    note: str = Field("", max_length=TEXT_MAX)
    clues: list[ClueIn] = Field([], max_length=50, description="none: nothing found this week")


class ScreeningOut(Schema):
    id: int
    grid: Ref
    week: dt.date
    clues_found: int
    nothing_found: bool
    note: str


class CoverageOut(Schema):
    week: dt.date
    grids: int
    filed: int
    found: int
    rate: float | None
    missing: list[Ref]


class NoteIn(Schema, extra="forbid"):
    note: str = Field("", max_length=TEXT_MAX)


class ReasonIn(Schema, extra="forbid"):
    reason: str = Field(..., min_length=1, max_length=TEXT_MAX)


class AcceptIn(Schema, extra="forbid"):
    type: str = Field("", max_length=32)
    summary: str | None = Field(None, max_length=SUMMARY_MAX)
    parties: list[PartyIn] = Field([], max_length=20)
    note: str = Field("", max_length=TEXT_MAX)


class AssessIn(Schema, extra="forbid"):
    risk_level: int = Field(..., description="1 (low) to 4 (high)")
    urgency: Literal["normal", "urgent", "critical"] = "normal"
    risk_violence: bool = False
    risk_petition: bool = False
    note: str = Field("", max_length=TEXT_MAX)


class ParticipantIn(Schema, extra="forbid"):
    kind: Literal["court", "police", "petition_office", "justice_office"]
    department_id: int | None = None
    person: str = Field("", max_length=100)


class AssignIn(Schema, extra="forbid"):
    mediator_ids: list[int] = Field(..., max_length=10)
    lead_id: int | None = None
    participants: list[ParticipantIn] = Field([], max_length=10)
    note: str = Field("", max_length=TEXT_MAX)


class SessionIn(Schema, extra="forbid"):
    held_on: dt.date
    place: str = Field(..., max_length=200)
    attendees: str = Field(..., max_length=500)
    record: str = Field(..., max_length=TEXT_MAX)


class ReferIn(Schema, extra="forbid"):
    to: Literal["court", "arbitration"]
    reason: str = Field(..., min_length=1, max_length=TEXT_MAX)


class AgreementIn(Schema, extra="forbid"):
    facts: str = Field(..., max_length=TEXT_MAX)
    terms: str = Field(..., max_length=TEXT_MAX)
    performance: str = Field("", max_length=500)


class SignIn(Schema, extra="forbid"):
    signed_on: dt.date
    signatories: list[str] = Field(..., max_length=30, description="the names of those who signed")


class FollowUpIn(Schema, extra="forbid"):
    holds: bool
    note: str = Field("", max_length=TEXT_MAX)


class ListFilters(Schema):
    queue: Literal["mine", "intake", "assigned", "level", "escalated", "overdue", "follow_up", "open", "all"] = "all"
    state: str | None = None
    type: str | None = None
    level: Literal["village", "township", "county"] | None = None
    source: str | None = None
    region: str | None = Field(None, description="region code: disputes at or under it")
    household_id: int | None = None
    q: str = Field("", max_length=50)


class StatsFilters(Schema):
    by: Literal["type", "level", "source", "region", "month", "all"] = "type"
    region: str | None = Field(None, description="region code (required to group by region)")
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    type: str | None = None
    level: Literal["village", "township", "county"] | None = None
    source: str | None = None


class FiguresOut(Schema):
    key: str
    label: str
    count: int
    six: int
    open: int
    overdue: int
    settled: int
    referred: int
    withdrawn: int
    escalated: int
    on_the_spot: int
    repeat: int
    success_rate: float | None
    six_share: float | None
    on_the_spot_share: float | None
    settled_at: dict[str, float | None]
    settled_count_at: dict[str, int]
    avg_days_to_settle: float | None
    follow_ups_due: int
    follow_ups_done: int
    follow_up_completion: float | None


class HistoryRow(Schema):
    id: int
    number: str
    state: str
    type: Ref | None = None
    reported_at: dt.datetime


# -- helpers ---------------------------------------------------------------------------------

def _dispute(request: HttpRequest, dispute_id: int) -> Dispute:
    return selectors.dispute_get(request.user, dispute_id)


def _detail(request: HttpRequest, dispute: Dispute) -> dict[str, Any]:
    from django.urls import reverse

    f = selectors.dispute_file(request.user, dispute)
    row = DisputeRow.model_validate(dispute).model_dump()
    row["parties"] = f.parties
    row.update({
        "address": dispute.address, "urgency": dispute.urgency, "risk_violence": dispute.risk_violence,
        "risk_petition": dispute.risk_petition, "assessment_note": dispute.assessment_note if f.staff else "",
        "referred_to": dispute.referred_to, "escalation_count": dispute.escalation_count,
        "reopen_count": dispute.reopen_count, "closed_at": dispute.closed_at,
        "mediators": [{"user_id": m.user_id, "name": m.user.get_full_name(), "level": m.level, "lead": m.lead,
                       "active": m.active} for m in f.mediators],
        "participants": [{"kind": p.kind, "department": p.department.name if p.department_id else None,
                          "person": p.person, "level": p.level} for p in f.participants],
        "sessions": [SessionOut.model_validate(s).model_dump() for s in f.sessions],
        "agreements": [{"id": a.pk, "status": a.status, "facts": a.facts, "terms": a.terms,
                        "performance": a.performance, "committee": a.committee, "mediators": a.mediators,
                        "signed_on": a.signed_on, "signatories": a.signatories, "has_scan": bool(a.scan),
                        "supersedes_id": a.supersedes_id,
                        "pdf_url": reverse("api:dispute_agreement_pdf", kwargs={"agreement_id": a.pk})}
                       for a in f.agreements],
        "follow_ups": [FollowUpOut.model_validate(x).model_dump() for x in f.follow_ups],
        "history": [{"at": h.at, "transition": h.transition, "from_state": h.from_state, "to_state": h.to_state,
                     "actor_name": h.actor_name, "note": h.note} for h in f.history],
        "actions": f.actions,
    })
    return row


def _household(viewer: Any, household_id: int | None) -> Household | None:
    if household_id is None:
        return None
    found = region_selectors.households(viewer).filter(pk=household_id).first()
    if found is None:
        raise ValidationError(_("Unknown household."), field="household_id")
    return found


def _region(viewer: Any, code: str | None, field: str = "region") -> Region | None:
    return region_selectors.region_ref(viewer, code, field=field)


def _parties(items: list[PartyIn]) -> list[dict[str, Any]]:
    return [p.model_dump() for p in items]


# -- disputes --------------------------------------------------------------------------------

@router.get("/disputes/types", response=list[TypeOut], summary="The dispute types of your county")
def list_types(request: HttpRequest) -> Any:
    return list(selectors.types(selectors.viewer_county(request.user)))


@router.get("/disputes", response=list[DisputeRow], summary="Disputes in your scope, by list")
@paginate(PageNumberPagination)
def list_disputes(request: HttpRequest, filters: ListFilters = Query(...)) -> Any:
    viewer = access.viewer_for(request.user)
    region = _region(viewer, filters.region)
    return selectors.disputes(viewer, queue=filters.queue, state=filters.state, type_code=filters.type,
                              level=filters.level, source=filters.source, region=region,
                              household_id=filters.household_id, q=filters.q)


@router.post("/disputes", response={201: DisputeDetail}, summary="Report a dispute clue")
def report(request: HttpRequest, payload: ReportIn) -> Any:
    viewer = access.viewer_for(request.user)
    service_request = None
    if payload.request_id is not None:
        from shanzhi.casework.models import ServiceRequest

        service_request = access.scope(viewer, "request.view", ServiceRequest.objects.filter(
            pk=payload.request_id)).first()
        if service_request is None:
            raise ValidationError(_("Unknown request."), field="request_id")
    dispute = services.dispute_report(
        actor=request.user, source=payload.source, summary=payload.summary, type_code=payload.type,
        household=_household(viewer, payload.household_id), region=_region(viewer, payload.region),
        address=payload.address, parties=_parties(payload.parties), request=service_request)
    return Status(201, _detail(request, selectors.dispute_get(request.user, dispute.pk)))


@router.post("/disputes/on-the-spot", response={201: DisputeDetail}, summary="Settled on the spot (随手调)")
def on_the_spot(request: HttpRequest, payload: OnTheSpotIn) -> Any:
    viewer = access.viewer_for(request.user)
    dispute = services.dispute_on_the_spot(
        actor=request.user, type_code=payload.type, summary=payload.summary,
        household=_household(viewer, payload.household_id), region=_region(viewer, payload.region),
        address=payload.address, parties=_parties(payload.parties), facts=payload.facts, terms=payload.terms,
        signed_on=payload.signed_on, signatories=payload.signatories)
    return Status(201, _detail(request, selectors.dispute_get(request.user, dispute.pk)))


@router.get("/disputes/stats", response=list[FiguresOut], summary="Statistics for the command centre")
def dispute_stats(request: HttpRequest, filters: StatsFilters = Query(...)) -> Any:
    viewer = access.viewer_for(request.user)
    access.require_any_role(viewer, "dispute.stats")
    return selectors.stats(viewer, by=filters.by, region=_region(viewer, filters.region), since=filters.since,
                           until=filters.until, type_code=filters.type, level=filters.level, source=filters.source)


@router.get("/disputes/screening", response=list[ScreeningOut], summary="Weekly screening records")
@paginate(PageNumberPagination)
def list_screening(request: HttpRequest) -> Any:
    return selectors.screenings(request.user)


@router.post("/disputes/screening", response={201: ScreeningOut}, summary="File this week's screening (排查)")
def file_screening(request: HttpRequest, payload: ScreeningIn) -> Any:
    viewer = access.viewer_for(request.user)
    grid = _region(viewer, payload.grid, field="grid")
    if grid is None:
        raise ValidationError(_("Choose the grid."), field="grid")
    clues = [services.ClueIn(summary=c.summary, type_code=c.type, household=_household(viewer, c.household_id),
                             parties=_parties(c.parties)) for c in payload.clues]
    record = services.screening_file(actor=request.user, grid=grid, week=payload.week, clues=clues,
                                     note=payload.note)
    return Status(201, record)


@router.get("/disputes/screening/coverage", response=CoverageOut, summary="Screening coverage of a week")
def screening_coverage(request: HttpRequest, week: dt.date | None = None, region: str | None = None) -> Any:
    viewer = access.viewer_for(request.user)
    if not viewer.is_admin and not any({"dispute.stats", "dispute.screen"} & access.ROLE_ACTIONS.get(g.role, set())
                                       for g in viewer.grants):
        raise PermissionDenied()
    cover = selectors.screening_coverage(viewer, week=week, region=_region(viewer, region), list_missing=200)
    return {"week": cover.week, "grids": cover.grids, "filed": cover.filed, "found": cover.found,
            "rate": cover.rate, "missing": cover.missing}


@router.get("/disputes/{int:dispute_id}", response=DisputeDetail, summary="One dispute")
def get_dispute(request: HttpRequest, dispute_id: int) -> Any:
    return _detail(request, _dispute(request, dispute_id))


def _done(request: HttpRequest, dispute_id: int) -> Any:
    return _detail(request, _dispute(request, dispute_id))


@router.post("/disputes/{int:dispute_id}/accept", response=DisputeDetail, summary="Accept (分类受理)")
def accept(request: HttpRequest, dispute_id: int, payload: AcceptIn) -> Any:
    services.dispute_accept(actor=request.user, dispute=_dispute(request, dispute_id), type_code=payload.type,
                            summary=payload.summary, parties=_parties(payload.parties), note=payload.note)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/dismiss", response=DisputeDetail, summary="Not a dispute")
def dismiss(request: HttpRequest, dispute_id: int, payload: ReasonIn) -> Any:
    services.dispute_dismiss(actor=request.user, dispute=_dispute(request, dispute_id), reason=payload.reason)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/parties", response={201: PartyOut}, summary="Add a party")
def add_party(request: HttpRequest, dispute_id: int, payload: PartyIn) -> Any:
    dispute = _dispute(request, dispute_id)
    resident = None
    if payload.resident_id is not None:
        # A resident of the dispute's county (a party may live in another grid or village).
        resident = Resident.objects.filter(pk=payload.resident_id, county_id=dispute.county_id,
                                           status=Resident.Status.ACTIVE).select_related("household").first()
        if resident is None:
            raise ValidationError(_("Unknown resident."), field="resident_id")
    party = services.party_add(actor=request.user, dispute=dispute, side=payload.side,
                               resident=resident, name=payload.name, phone=payload.phone,
                               id_number=payload.id_number)
    return Status(201, party)


@router.get("/disputes/parties/{int:party_id}/history", response=list[HistoryRow],
            summary="The other disputes of the same person (in your scope)")
def party_history(request: HttpRequest, party_id: int) -> Any:
    from shanzhi.disputes.models import Party

    party = Party.objects.select_related("dispute").filter(pk=party_id).first()
    if party is None:
        from shanzhi.core.errors import NotFound

        raise NotFound()
    access.require(request.user, "dispute.follow_up", party.dispute, view_action="dispute.view")
    return list(selectors.person_history(request.user, party)[:50])


@router.post("/disputes/{int:dispute_id}/assess", response=DisputeDetail, summary="Assess (研判)")
def assess(request: HttpRequest, dispute_id: int, payload: AssessIn) -> Any:
    services.dispute_assess(actor=request.user, dispute=_dispute(request, dispute_id), risk_level=payload.risk_level,
                            urgency=payload.urgency, risk_violence=payload.risk_violence,
                            risk_petition=payload.risk_petition, note=payload.note)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/assign", response=DisputeDetail, summary="Assign mediators")
def assign(request: HttpRequest, dispute_id: int, payload: AssignIn) -> Any:
    dispute = _dispute(request, dispute_id)
    found = {u.pk: u for u in User.objects.filter(pk__in=payload.mediator_ids)}
    if len(found) != len(set(payload.mediator_ids)):
        raise ValidationError(_("A chosen person cannot mediate in this county."), field="mediator_ids")
    lead = found.get(payload.lead_id) if payload.lead_id is not None else None
    if payload.lead_id is not None and lead is None:
        raise ValidationError(_("The lead mediator must be one of the mediators."), field="lead_id")
    participants = []
    for i, p in enumerate(payload.participants):
        department = None
        if p.department_id is not None:
            department = Department.objects.filter(pk=p.department_id).first()
            if department is None:
                raise ValidationError(_("Unknown unit."), field=f"participants.{i}.department_id")
        participants.append({"kind": p.kind, "department": department, "person": p.person})
    services.dispute_assign(actor=request.user, dispute=dispute, mediators=[found[i] for i in payload.mediator_ids
                                                                              if i in found],
                            lead=lead, participants=participants, note=payload.note)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/sessions", response=DisputeDetail, summary="Record a mediation session")
def add_session(request: HttpRequest, dispute_id: int, payload: SessionIn) -> Any:
    services.session_record(actor=request.user, dispute=_dispute(request, dispute_id), held_on=payload.held_on,
                            place=payload.place, attendees=payload.attendees, record=payload.record)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/escalate", response=DisputeDetail, summary="Escalate one level")
def escalate(request: HttpRequest, dispute_id: int, payload: ReasonIn) -> Any:
    services.dispute_escalate(actor=request.user, dispute=_dispute(request, dispute_id), reason=payload.reason)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/refer", response=DisputeDetail, summary="Refer to court or arbitration")
def refer(request: HttpRequest, dispute_id: int, payload: ReferIn) -> Any:
    services.dispute_refer(actor=request.user, dispute=_dispute(request, dispute_id), to=payload.to,
                           reason=payload.reason)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/withdraw", response=DisputeDetail, summary="Withdrawn by the parties")
def withdraw(request: HttpRequest, dispute_id: int, payload: ReasonIn) -> Any:
    services.dispute_withdraw(actor=request.user, dispute=_dispute(request, dispute_id), reason=payload.reason)
    return _done(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/agreement", response={201: AgreementOut},
             summary="Draft the agreement (or change the draft)")
def draft_agreement(request: HttpRequest, dispute_id: int, payload: AgreementIn) -> Any:
    agreement = services.agreement_draft(actor=request.user, dispute=_dispute(request, dispute_id),
                                         facts=payload.facts, terms=payload.terms, performance=payload.performance)
    return Status(201, _agreement(agreement))


def _agreement(a: Agreement) -> dict[str, Any]:
    from django.urls import reverse

    return {"id": a.pk, "status": a.status, "facts": a.facts, "terms": a.terms, "performance": a.performance,
            "committee": a.committee, "mediators": a.mediators, "signed_on": a.signed_on,
            "signatories": a.signatories, "has_scan": bool(a.scan), "supersedes_id": a.supersedes_id,
            "pdf_url": reverse("api:dispute_agreement_pdf", kwargs={"agreement_id": a.pk})}


@router.post("/disputes/agreements/{int:agreement_id}/sign", response=AgreementOut,
             summary="Record the signatures")
def sign_agreement(request: HttpRequest, agreement_id: int, payload: SignIn) -> Any:
    agreement = selectors.agreement_get(request.user, agreement_id)
    services.agreement_sign(actor=request.user, agreement=agreement, signed_on=payload.signed_on,
                            signatories=payload.signatories)
    agreement.refresh_from_db()
    return _agreement(agreement)


@router.post("/disputes/agreements/{int:agreement_id}/scan", response=AgreementOut,
             summary="Upload the scanned signed copy (PDF, JPEG or PNG)")
def upload_scan(request: HttpRequest, agreement_id: int, file: UploadedFile = File(...)) -> Any:
    agreement = selectors.agreement_get(request.user, agreement_id)
    services.check_scan(file, field="file")  # a refusal names the API's field, not the page's "scan"
    services.agreement_attach_scan(actor=request.user, agreement=agreement, scan=file)
    agreement.refresh_from_db()
    return _agreement(agreement)


@router.get("/disputes/agreements/{int:agreement_id}/pdf", url_name="dispute_agreement_pdf",
            summary="The agreement as a printable A4 PDF")
def agreement_pdf(request: HttpRequest, agreement_id: int) -> Any:
    agreement = selectors.agreement_get(request.user, agreement_id)
    response = HttpResponse(pdf.agreement_pdf(agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{agreement.pk}.pdf"'
    return response


@router.post("/disputes/follow-ups/{int:follow_up_id}", response=DisputeDetail,
             summary="Record a follow-up visit (回访)")
def record_follow_up(request: HttpRequest, follow_up_id: int, payload: FollowUpIn) -> Any:
    follow_up = selectors.follow_up_get(request.user, follow_up_id)
    services.follow_up_record(actor=request.user, follow_up=follow_up, holds=payload.holds, note=payload.note)
    return _done(request, follow_up.dispute_id)


# -- petitions -------------------------------------------------------------------------------

class UnitOut(Schema):
    department_id: int
    name: str
    lead: bool


class PetitionRow(Schema):
    id: int
    number: str
    state: str
    state_label: str
    subject: str
    petitioner_name: str
    channel: str
    received_at: dt.datetime
    accept_due: dt.datetime
    resolve_due: dt.datetime
    case_leader: str | None = None
    units: list[UnitOut]
    repeat_count: int
    repeat_of_id: int | None = None

    # The detail is validated again from the row's dict: then the values are there already.
    @staticmethod
    def resolve_case_leader(obj: Any) -> str | None:
        if isinstance(obj, dict):
            return obj["case_leader"]
        return obj.case_leader.get_full_name() if obj.case_leader_id else None

    @staticmethod
    def resolve_units(obj: Any) -> list[dict[str, Any]]:
        if isinstance(obj, dict):
            return obj["units"]
        return [{"department_id": u.department_id, "name": u.department.name, "lead": u.lead}
                for u in obj.units.all()]


class PetitionDetail(PetitionRow):
    matter: str
    petitioner_phone: str
    resolution: str
    satisfied: bool | None = None
    feedback: str
    dispute_ids: list[int]
    request_ids: list[int]
    history: list[StepOut]
    actions: list[str]


class PetitionIn(Schema, extra="forbid"):
    channel: Literal["visit", "letter", "phone", "online"] = "visit"
    subject: str = Field(..., min_length=1, max_length=100)
    matter: str = Field(..., min_length=1, max_length=TEXT_MAX)
    petitioner_id: int | None = Field(None, description="the petitioner, a resident on the map")
    petitioner_name: str = Field("", max_length=100)
    petitioner_phone: str = Field("", max_length=20)
    petitioner_id_number: str = Field("", max_length=18)
    household_id: int | None = None
    region: str | None = Field(None, max_length=20)
    case_leader_id: int | None = None
    unit_ids: list[int] = Field([], max_length=20)
    lead_unit_id: int | None = None
    dispute_ids: list[int] = Field([], max_length=20)
    request_ids: list[int] = Field([], max_length=20)


class PetitionAssignIn(Schema, extra="forbid"):
    case_leader_id: int | None = None
    unit_ids: list[int] = Field([], max_length=20)
    lead_unit_id: int | None = None


class FeedbackIn(Schema, extra="forbid"):
    satisfied: bool
    feedback: str = Field("", max_length=TEXT_MAX)


class ScheduleOut(Schema):
    petition: PetitionRow
    new_this_week: bool
    overdue: bool
    due_this_week: bool


def _petition_detail(request: HttpRequest, case: PetitionCase) -> dict[str, Any]:
    from shanzhi.core import idnumbers

    row = PetitionRow.model_validate(case).model_dump()
    row.update({
        "matter": case.matter, "petitioner_phone": idnumbers.mask_phone(case.petitioner_phone),
        "resolution": case.resolution, "satisfied": case.satisfied, "feedback": case.feedback,
        "dispute_ids": list(case.disputes.values_list("pk", flat=True)),
        "request_ids": list(case.requests.values_list("pk", flat=True)),
        "history": [{"at": h.at, "transition": h.transition, "from_state": h.from_state, "to_state": h.to_state,
                     "actor_name": h.actor_name, "note": h.note}
                    for h in selectors.petition_history(request.user, case)],
        "actions": selectors.petition_actions(request.user, case),
    })
    return row


def _departments(ids: list[int], field: str) -> list[Department]:
    found = {d.pk: d for d in Department.objects.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise ValidationError(_("Unknown unit."), field=field)
    return [found[i] for i in dict.fromkeys(ids)]


def _leader(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    found = User.objects.filter(pk=user_id, is_active=True).first()
    if found is None:
        raise ValidationError(_("The case leader is one of the township's or county's leaders."),
                              field="case_leader_id")
    return found


@router.get("/petitions", response=list[PetitionRow], summary="Petition cases in your scope")
@paginate(PageNumberPagination)
def list_petitions(request: HttpRequest, queue: Literal["mine", "open", "overdue", "repeat", "all"] = "all",
                   q: str = "") -> Any:
    return selectors.petitions(request.user, queue=queue, q=q[:50])


@router.post("/petitions", response={201: PetitionDetail}, summary="Register a petition (信访)")
def register_petition(request: HttpRequest, payload: PetitionIn) -> Any:
    viewer = access.viewer_for(request.user)
    petitioner = None
    if payload.petitioner_id is not None:
        petitioner = Resident.objects.filter(pk=payload.petitioner_id, status=Resident.Status.ACTIVE).first()
        if petitioner is None:
            raise ValidationError(_("Unknown resident."), field="petitioner_id")
    units = _departments(payload.unit_ids, "unit_ids")
    lead = next((d for d in units if d.pk == payload.lead_unit_id), None)
    if payload.lead_unit_id is not None and lead is None:
        raise ValidationError(_("The lead unit must be one of the units."), field="lead_unit_id")
    disputes = list(access.scope(viewer, "dispute.view", Dispute.objects.filter(pk__in=payload.dispute_ids)))
    if len(disputes) != len(set(payload.dispute_ids)):
        raise ValidationError(_("Unknown dispute."), field="dispute_ids")
    from shanzhi.casework.models import ServiceRequest

    reqs = list(access.scope(viewer, "request.view", ServiceRequest.objects.filter(pk__in=payload.request_ids)))
    if len(reqs) != len(set(payload.request_ids)):
        raise ValidationError(_("Unknown request."), field="request_ids")
    case = services.petition_register(
        actor=request.user, region=_region(viewer, payload.region), household=_household(viewer, payload.household_id),
        petitioner=petitioner, petitioner_name=payload.petitioner_name, petitioner_phone=payload.petitioner_phone,
        petitioner_id_number=payload.petitioner_id_number, channel=payload.channel, subject=payload.subject,
        matter=payload.matter, case_leader=_leader(payload.case_leader_id), units=units, lead_unit=lead,
        disputes=disputes, requests=reqs)
    return Status(201, _petition_detail(request, selectors.petition_get(request.user, case.pk)))


@router.get("/petitions/schedule", response=list[ScheduleOut],
            summary="The weekly scheduling list for the leaders' meeting")
def petition_schedule(request: HttpRequest, week: dt.date | None = None) -> Any:
    viewer = access.viewer_for(request.user)
    access.require_any_role(viewer, "petition.register")
    return [{"petition": r.case, "new_this_week": r.new_this_week, "overdue": r.overdue,
             "due_this_week": r.due_this_week} for r in selectors.petition_schedule(viewer, week=week)]


@router.get("/petitions/{int:petition_id}", response=PetitionDetail, summary="One petition case")
def get_petition(request: HttpRequest, petition_id: int) -> Any:
    return _petition_detail(request, selectors.petition_get(request.user, petition_id))


@router.post("/petitions/{int:petition_id}/assign", response=PetitionDetail,
             summary="Change the case leader and the responsible units")
def assign_petition(request: HttpRequest, petition_id: int, payload: PetitionAssignIn) -> Any:
    case = selectors.petition_get(request.user, petition_id)
    units = _departments(payload.unit_ids, "unit_ids")
    lead = next((d for d in units if d.pk == payload.lead_unit_id), None)
    services.petition_assign(actor=request.user, petition=case, case_leader=_leader(payload.case_leader_id),
                             units=units, lead_unit=lead)
    return _petition_detail(request, selectors.petition_get(request.user, petition_id))


@router.post("/petitions/{int:petition_id}/accept", response=PetitionDetail, summary="Accept the petition")
def accept_petition(request: HttpRequest, petition_id: int, payload: NoteIn) -> Any:
    services.petition_accept(actor=request.user, petition=selectors.petition_get(request.user, petition_id),
                             note=payload.note)
    return _petition_detail(request, selectors.petition_get(request.user, petition_id))


@router.post("/petitions/{int:petition_id}/decline", response=PetitionDetail, summary="Do not accept, with why")
def decline_petition(request: HttpRequest, petition_id: int, payload: ReasonIn) -> Any:
    services.petition_decline(actor=request.user, petition=selectors.petition_get(request.user, petition_id),
                              reason=payload.reason)
    return _petition_detail(request, selectors.petition_get(request.user, petition_id))


@router.post("/petitions/{int:petition_id}/resolve", response=PetitionDetail, summary="Record the resolution")
def resolve_petition(request: HttpRequest, petition_id: int, payload: ReasonIn) -> Any:
    services.petition_resolve(actor=request.user, petition=selectors.petition_get(request.user, petition_id),
                              resolution=payload.reason)
    return _petition_detail(request, selectors.petition_get(request.user, petition_id))


@router.post("/petitions/{int:petition_id}/feedback", response=PetitionDetail,
             summary="The petitioner's feedback")
def petition_feedback(request: HttpRequest, petition_id: int, payload: FeedbackIn) -> Any:
    services.petition_feedback(actor=request.user, petition=selectors.petition_get(request.user, petition_id),
                               satisfied=payload.satisfied, feedback=payload.feedback)
    return _petition_detail(request, selectors.petition_get(request.user, petition_id))
