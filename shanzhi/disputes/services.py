"""Every write of disputes and petitions. Each function: keyword-only arguments, an explicit
actor, one transaction, the permission check (``access`` and the workflow's guards), the audit
entry (the workflow writes one per step), notifications through the one outbox. A step that
fails writes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, idnumbers, notify, roles, sla, tiers, tree, uploads
from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError
from shanzhi.core.tiers import Level, next_level
from shanzhi.disputes.flow import DISPUTE_FLOW, PETITION_FLOW, PetitionState, State
from shanzhi.disputes.models import (
    SUMMARY_MAX,
    TEXT_MAX,
    Agreement,
    Dispute,
    DisputeMediator,
    DisputeType,
    FollowUp,
    MediationSession,
    Participant,
    ParticipantKind,
    Party,
    PetitionCase,
    PetitionChannel,
    PetitionUnit,
    ReferredTo,
    ScreeningRecord,
    Side,
    Source,
    Urgency,
)
from shanzhi.people.models import Department, Position, Role, User
from shanzhi.regions.models import Household, Region, Resident

FOLLOW_UP_DAYS = (7, 30)
MAX_PARTIES = 20
MAX_MEDIATORS = 10
MAX_SCAN_BYTES = 20 * 1024 * 1024
PETITION_ACCEPT_DAYS = 15  # 信访工作条例: decide within 15 days whether to accept
PETITION_RESOLVE_DAYS = 60  # ... and settle within 60 days
GRID_NOTIFIED = [Role.GRID_LEADER, Role.GRID_WORKER, Role.VILLAGE_SECRETARY, Role.CHIEF_GRID_LEADER]
MEDIATOR_ROLES = {Role.MEDIATOR, Role.LEGAL_ADVISER, Role.VILLAGE_POLICE, Role.GRID_LEADER, Role.GRID_WORKER,
                  Role.VILLAGE_SECRETARY, Role.VILLAGE_COMMITTEE, Role.CHIEF_GRID_LEADER, Role.TOWNSHIP_STAFF,
                  Role.COUNTY_STAFF, Role.DEPARTMENT_STAFF}
PARTICIPANT_DEPARTMENTS = {
    ParticipantKind.COURT: Department.Kind.COURT, ParticipantKind.POLICE: Department.Kind.POLICE,
    ParticipantKind.PETITION_OFFICE: Department.Kind.PETITION, ParticipantKind.JUSTICE_OFFICE: Department.Kind.JUSTICE,
}


# -- small helpers --------------------------------------------------------------------------

def clean_text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def _county_language() -> Any:
    # Messages are written once for whoever reads them: in the county's language.
    return translation.override(settings.LANGUAGE_CODE)


def _link(dispute_id: int) -> str:
    return reverse("disputes:detail", args=[dispute_id])


def _petition_link(petition_id: int) -> str:
    return reverse("disputes:petition", args=[petition_id])


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (a screening week runs Monday to Sunday)."""
    return day - dt.timedelta(days=day.weekday())


def _county_of(region: Region) -> Region:
    county = region if region.level == Region.Level.COUNTY else region.county
    if county is None:
        raise ValidationError(_("This place belongs to no county."), field="region")
    return county


def person_key(*, resident: Resident | None, id_number: str, phone: str) -> str:
    """The same person across disputes and petitions: their resident record, else their ID
    number, else their phone. A name alone identifies nobody."""
    if resident is not None:
        return f"r{resident.pk}"
    if id_number:
        return f"i{id_number}"
    if phone:
        return f"p{phone}"
    return ""


# -- dispute types ---------------------------------------------------------------------------

DEFAULT_TYPES: list[tuple[str, str, bool]] = [
    # code, name (zh-hans, the county's language), one of the six common types
    ("marriage_family", "婚姻家庭纠纷", True),
    ("neighbours", "邻里纠纷", True),
    ("land_forest", "土地山林权属及宅基地纠纷", True),
    ("labour_wages", "劳动争议及拖欠工资纠纷", True),
    ("damage", "损害赔偿纠纷", True),
    ("contract_debt", "合同及债务纠纷", True),
    ("traffic", "交通事故纠纷", False),
    ("medical", "医疗纠纷", False),
    ("property_management", "物业纠纷", False),
    ("land_requisition", "征地拆迁纠纷", False),
    ("other", "其他纠纷", False),
]


def types_install_defaults(*, actor: Any, county: Region) -> list[DisputeType]:
    """The default types of a county (the six common ones and the others), each with the
    default deadlines: accept within 1 working day, settle within 15 days. Existing types are
    kept as they are."""
    if county.level != Region.Level.COUNTY:
        raise ValidationError(_("Dispute types belong to a county."), field="county")
    if actor is not None:
        access.require(actor, "dispute_type.change", DisputeType(region_path=county.path))
    created = []
    with transaction.atomic():
        for order, (code, name, six) in enumerate(DEFAULT_TYPES, start=1):
            kind, made = DisputeType.objects.get_or_create(
                county=county, code=code, defaults={"name": name, "is_six": six, "region_path": county.path,
                                                    "order": order * 10})
            if made:
                created.append(kind)
        if created:
            audit.record(actor=actor, action="dispute_type.install_defaults", target=county,
                         detail={"types": [t.code for t in created]})
    return created


def types_ensure(county: Region) -> None:
    """A county starts with the default types: installed the first time they are needed."""
    if not DisputeType.objects.filter(county=county).exists():
        types_install_defaults(actor=None, county=county)


def type_update(*, actor: Any, dispute_type: DisputeType, name: str | None = None, is_six: bool | None = None,
                accept_amount: int | None = None, accept_unit: str | None = None, mediate_amount: int | None = None,
                mediate_unit: str | None = None, is_active: bool | None = None) -> DisputeType:
    access.require(actor, "dispute_type.change", dispute_type)
    before = {f: getattr(dispute_type, f) for f in ("name", "is_six", "accept_amount", "accept_unit",
                                                    "mediate_amount", "mediate_unit", "is_active")}
    if name is not None:
        dispute_type.name = clean_text(name, field="name", max_length=100, required=True)
    for field_name, amount in (("accept_amount", accept_amount), ("mediate_amount", mediate_amount)):
        if amount is not None:
            if int(amount) < 1:
                raise ValidationError(_("A deadline is at least 1."), field=field_name)
            setattr(dispute_type, field_name, int(amount))
    for field_name, unit in (("accept_unit", accept_unit), ("mediate_unit", mediate_unit)):
        if unit is not None:
            if unit not in sla.Unit.values:
                raise ValidationError(_("Unknown unit."), field=field_name)
            setattr(dispute_type, field_name, unit)
    if is_six is not None:
        dispute_type.is_six = bool(is_six)
    if is_active is not None:
        dispute_type.is_active = bool(is_active)
    after = {f: getattr(dispute_type, f) for f in before}
    with transaction.atomic():
        dispute_type.save()
        audit.record(actor=actor, action="dispute_type.update", target=dispute_type,
                     detail={"changes": audit.changes(before, after)})
    return dispute_type


# -- who is told -----------------------------------------------------------------------------

def level_recipients(level: str, region_path: str, handling: str) -> list[int]:
    """The people of the level responsible: the grid's staff and the village heads where it
    happened, or the township's or county's staff."""
    current = Position.objects.current()
    if level == Level.VILLAGE:
        return list(current.filter(region_path__in=tree.ancestors(region_path), role__in=GRID_NOTIFIED)
                    .values_list("user_id", flat=True))
    return list(current.filter(region_path=handling, role__in=roles.GOVERNMENT).values_list("user_id", flat=True))


def mediator_recipients(dispute: Dispute) -> list[int]:
    return list(DisputeMediator.objects.filter(dispute=dispute, active=True).values_list("user_id", flat=True))


def _tell(recipients: Iterable[int], dispute: Dispute, kind: str, title: str, body: str = "", skip: Any = None
          ) -> None:
    skip_id = getattr(skip, "pk", None)
    notify.notify([r for r in recipients if r != skip_id], kind, title, body=body, link=_link(dispute.pk),
                  target=dispute)


# -- weekly screening ------------------------------------------------------------------------

@dataclasses.dataclass
class ClueIn:
    summary: str
    type_code: str = ""
    household: Household | None = None
    parties: Sequence[dict[str, Any]] = ()


def screening_file(*, actor: Any, grid: Region, week: dt.date | None = None, clues: Sequence[ClueIn] = (),
                   note: str = "", at: dt.datetime | None = None) -> ScreeningRecord:
    """The grid's weekly screening (排查): one record a week, even "nothing found"; each clue
    found becomes a dispute (a clue, from screening)."""
    access.require_any_role(actor, "dispute.screen")
    if grid is None or grid.level != Region.Level.GRID:
        raise ValidationError(_("Screening is filed for a grid."), field="grid")
    now = at or timezone.now()
    week = week_of(week or timezone.localdate(now))
    if week > week_of(timezone.localdate(now)):
        raise ValidationError(_("A week that has not begun cannot be screened."), field="week")
    note = clean_text(note, field="note", max_length=TEXT_MAX)
    record = ScreeningRecord(county=_county_of(grid), grid=grid, region_path=grid.path, week=week,
                             clues_found=len(clues), note=note, filed_by=actor if getattr(actor, "pk", None) else None,
                             filed_at=now)
    access.require(actor, "dispute.screen", record)
    if ScreeningRecord.objects.filter(grid=grid, week=week).exists():
        raise ValidationError(_("This grid's screening for that week is already filed."), field="week")
    try:
        with transaction.atomic():
            record.save()
            audit.record(actor=actor, action="dispute.screening_file", target=record,
                         detail={"week": week.isoformat(), "clues": len(clues)})
            for i, clue in enumerate(clues):
                _report(actor=actor, source=Source.SCREENING, region=grid, household=clue.household,
                        summary=clue.summary, type_code=clue.type_code, parties=clue.parties, screening=record,
                        at=now, field_prefix=f"clues.{i}.")
    except IntegrityError:
        raise ValidationError(_("This grid's screening for that week is already filed."), field="week") from None
    return record


# -- reporting a clue ------------------------------------------------------------------------

def _place(region: Region | None, household: Household | None) -> Region:
    if household is not None:
        return household.micro_grid or household.grid or household.village
    if region is None:
        raise ValidationError(_("Say where it happened: a household or a place."), field="region")
    if region.level < Region.Level.VILLAGE:
        raise ValidationError(_("Name a village or a grid."), field="region")
    return region


def _type_for(county: Region, code: str, *, field: str = "type", required: bool = False) -> DisputeType | None:
    code = (code or "").strip()
    types_ensure(county)
    if not code:
        if required:
            raise ValidationError(_("Choose the type of dispute."), field=field)
        return None
    found = DisputeType.objects.filter(county=county, code=code, is_active=True).first()
    if found is None:
        raise ValidationError(_("Unknown dispute type: %(code)s") % {"code": code[:32]}, field=field)
    return found


def _clean_party(data: dict[str, Any], county: Region, viewer: access.Viewer, *, field: str) -> Party:
    side = data.get("side") or Side.APPLICANT
    if side not in Side.values:
        raise ValidationError(_("Choose the side: applicant, respondent or other."), field=f"{field}side")
    resident = data.get("resident")
    if resident is None and data.get("resident_id"):
        resident = Resident.objects.select_related("household").filter(
            pk=data["resident_id"], county=county, status=Resident.Status.ACTIVE).first()
        if resident is None:
            raise ValidationError(_("Unknown resident."), field=f"{field}resident_id")
    phone = clean_text(data.get("phone"), field=f"{field}phone", max_length=20)
    if phone:
        problem = idnumbers.phone_problem(phone)
        if problem:
            raise ValidationError(problem, field=f"{field}phone")
    id_number = clean_text(data.get("id_number"), field=f"{field}id_number", max_length=18)
    if id_number:
        id_number = idnumbers.normalise_id(id_number)
        problem = idnumbers.id_problem(id_number)
        if problem:
            raise ValidationError(problem, field=f"{field}id_number")
    if resident is not None:
        name = resident.name
        phone = phone or resident.phone
        id_number = id_number or (resident.id_number or "")
    else:
        name = clean_text(data.get("name"), field=f"{field}name", max_length=100, required=True)
    return Party(side=side, resident=resident, household=resident.household if resident else None, name=name,
                 phone=phone, id_number=id_number,
                 person_key=person_key(resident=resident, id_number=id_number, phone=phone))


def _add_parties(dispute: Dispute, parties: Sequence[Party], start: int = 1) -> None:
    keys = [p.person_key for p in parties if p.person_key]
    earlier: dict[str, int] = {}
    if keys:
        for key, n in (Party.objects.filter(dispute__county_id=dispute.county_id, person_key__in=keys)
                       .exclude(dispute=dispute).values_list("person_key").annotate(n=Count("id"))
                       .values_list("person_key", "n")):
            earlier[key] = n
    for i, p in enumerate(parties, start=start):
        p.dispute = dispute
        p.order = i
        p.earlier_disputes = min(earlier.get(p.person_key, 0), 32767) if p.person_key else 0
    Party.objects.bulk_create(list(parties))
    if any(p.earlier_disputes for p in parties) and not dispute.repeat_parties:
        Dispute.objects.filter(pk=dispute.pk).update(repeat_parties=True)
        dispute.repeat_parties = True


def _report(*, actor: Any, source: str, region: Region | None, household: Household | None, summary: str,
            type_code: str = "", parties: Sequence[dict[str, Any]] = (), screening: ScreeningRecord | None = None,
            request: Any = None, address: str = "", at: dt.datetime | None = None, field_prefix: str = "",
            tell: bool = True) -> Dispute:
    viewer = access.require_any_role(actor, "dispute.report")
    if source not in Source.values:
        raise ValidationError(_("Unknown source."), field=f"{field_prefix}source")
    summary = clean_text(summary, field=f"{field_prefix}summary", max_length=SUMMARY_MAX, required=True)
    address = clean_text(address, field=f"{field_prefix}address", max_length=200)
    place = _place(region, household)
    county = _county_of(place)
    kind = _type_for(county, type_code, field=f"{field_prefix}type")
    if len(parties) > MAX_PARTIES:
        raise ValidationError(_("At most %(n)d parties.") % {"n": MAX_PARTIES}, field=f"{field_prefix}parties")
    cleaned = [_clean_party(dict(p), county, viewer, field=f"{field_prefix}parties.{i}.")
               for i, p in enumerate(parties)]
    now = at or timezone.now()
    accept_due = sla.add(now, kind.accept_amount if kind else 1, kind.accept_unit if kind else sla.Unit.WORKING_DAYS)
    dispute = Dispute(county=county, region=place, region_path=household.region_path if household else place.path,
                      type=kind, source=source, summary=summary, address=address or (household.address if household
                                                                                        else ""),
                      screening=screening, request=request,
                      reported_by=actor if getattr(actor, "pk", None) else None, reported_at=now,
                      state=DISPUTE_FLOW.initial, level=Level.VILLAGE, accept_due=accept_due,
                      escalation_due=accept_due, state_changed_at=now)
    dispute.handling_path = dispute.region_path
    if not access.can(viewer, "dispute.report", dispute):
        # A place the viewer sees (the field was checked) but does not report for.
        raise PermissionDenied()
    with transaction.atomic():
        dispute.save()
        DISPUTE_FLOW.start(dispute, actor=actor, note=str(Source(source).label))
        _add_parties(dispute, cleaned)
        audit.record(actor=actor, action="dispute.report", target=dispute,
                     detail={"source": source, "type": kind.code if kind else "", "parties": len(cleaned)})
        if tell:
            with _county_language():
                _tell(level_recipients(dispute.level, dispute.region_path, dispute.handling_path), dispute,
                      "dispute.reported", _("New dispute clue #%(n)s") % {"n": dispute.number}, body=summary[:200],
                      skip=actor)
    return dispute


def dispute_report(*, actor: Any, source: str, summary: str, region: Region | None = None,
                   household: Household | None = None, type_code: str = "",
                   parties: Sequence[dict[str, Any]] = (), request: Any = None, address: str = "",
                   at: dt.datetime | None = None) -> Dispute:
    """A clue: from a resident's report, a referral (a request, the police, the court, the
    petition office, the hotline), or a grid worker outside the weekly screening."""
    if request is not None:
        access.require(actor, "request.view", request)
        household = household or request.household
        region = region or request.region
    return _report(actor=actor, source=source, region=region, household=household, summary=summary,
                   type_code=type_code, parties=parties, request=request, address=address, at=at)


def party_add(*, actor: Any, dispute: Dispute, side: str = Side.APPLICANT, resident: Resident | None = None,
              name: str = "", phone: str = "", id_number: str = "") -> Party:
    """A party joins while the dispute is open and before its agreement is signed."""
    access.require(actor, "dispute.accept", dispute)
    if not dispute.is_open or dispute.state == State.AGREED:
        raise ValidationError(_("Parties are added before the agreement is signed."), field="state")
    if dispute.parties.count() >= MAX_PARTIES:
        raise ValidationError(_("At most %(n)d parties.") % {"n": MAX_PARTIES}, field="parties")
    party = _clean_party({"side": side, "resident": resident, "name": name, "phone": phone, "id_number": id_number},
                         dispute.county, access.viewer_for(actor), field="")
    with transaction.atomic():
        _add_parties(dispute, [party], start=dispute.parties.count() + 1)
        audit.record(actor=actor, action="dispute.party_add", target=dispute,
                     detail={"side": party.side, "resident": party.resident_id})
    return party


# -- the steps -------------------------------------------------------------------------------

def dispute_accept(*, actor: Any, dispute: Dispute, type_code: str = "", summary: str | None = None,
                   parties: Sequence[dict[str, Any]] = (), note: str = "") -> Dispute:
    """分类受理: the type, the parties and the summary are settled; the mediation clock starts."""
    kind = _type_for(dispute.county, type_code, required=dispute.type_id is None) or dispute.type
    assert kind is not None
    text = clean_text(summary if summary is not None else dispute.summary, field="summary", max_length=SUMMARY_MAX,
                      required=True)
    viewer = access.viewer_for(actor)
    cleaned = [_clean_party(dict(p), dispute.county, viewer, field=f"parties.{i}.") for i, p in enumerate(parties)]
    if not cleaned and not dispute.parties.exists():
        access.require(actor, "dispute.view", dispute)
        raise ValidationError(_("Name at least one party."), field="parties")
    now = timezone.now()
    due = sla.add(now, kind.mediate_amount, kind.mediate_unit)
    with transaction.atomic():
        DISPUTE_FLOW.transition(dispute, name="accept", actor=actor, note=note, at=now, type=kind, summary=text,
                                mediation_due=due, escalation_due=None if dispute.level == Level.COUNTY else due)
        if cleaned:
            _add_parties(dispute, cleaned, start=dispute.parties.count() + 1)
    return dispute


def dispute_dismiss(*, actor: Any, dispute: Dispute, reason: str) -> Dispute:
    reason = clean_text(reason, field="note", max_length=TEXT_MAX, required=True)
    DISPUTE_FLOW.transition(dispute, name="dismiss", actor=actor, note=reason, escalation_due=None)
    return dispute


def dispute_assess(*, actor: Any, dispute: Dispute, risk_level: Any, urgency: str = Urgency.NORMAL,
                   risk_violence: bool = False, risk_petition: bool = False, note: str = "") -> Dispute:
    """研判: the risk level (1 low to 4 high), the urgency, and whether it may turn violent or
    become a petition."""
    try:
        level = int(risk_level)
    except (TypeError, ValueError):
        level = 0
    if level < 1 or level > 4 or str(risk_level).strip() not in {str(level)}:
        raise ValidationError(_("The risk level is 1, 2, 3 or 4."), field="risk_level")
    if urgency not in Urgency.values:
        raise ValidationError(_("Choose the urgency."), field="urgency")
    note = clean_text(note, field="note", max_length=TEXT_MAX)
    DISPUTE_FLOW.transition(dispute, name="assess", actor=actor, note=note, risk_level=level, urgency=urgency,
                            risk_violence=bool(risk_violence), risk_petition=bool(risk_petition),
                            assessment_note=note)
    return dispute


def mediator_candidates(dispute: Dispute) -> Any:
    """The accounts who can be assigned: anyone holding a mediating role in the dispute's
    county now (a village or township mediator, a legal adviser, a police officer, the
    grid's or the level's staff, a department's staff for joint mediation)."""
    county_path = dispute.county.path
    positions = Position.objects.current().filter(role__in=MEDIATOR_ROLES).filter(
        tree.under(county_path) | Q(department__region_path__startswith=county_path))
    return User.objects.filter(is_active=True, pk__in=positions.values("user_id")).order_by("full_name", "username")


def dispute_assign(*, actor: Any, dispute: Dispute, mediators: Sequence[User], lead: User | None = None,
                   participants: Sequence[dict[str, Any]] = (), note: str = "") -> Dispute:
    """Assign the mediators at the dispute's level (grid mediation room, township one-stop
    centre, county centre) and record the units joining the mediation."""
    mediators = list(dict.fromkeys(mediators))
    if not mediators:
        access.require(actor, "dispute.view", dispute)
        raise ValidationError(_("Choose at least one mediator."), field="mediator_ids")
    if len(mediators) > MAX_MEDIATORS:
        raise ValidationError(_("At most %(n)d mediators.") % {"n": MAX_MEDIATORS}, field="mediator_ids")
    allowed = set(mediator_candidates(dispute).filter(pk__in=[m.pk for m in mediators]).values_list("pk", flat=True))
    if any(m.pk not in allowed for m in mediators):
        access.require(actor, "dispute.view", dispute)
        raise ValidationError(_("A chosen person cannot mediate in this county."), field="mediator_ids")
    lead = lead or mediators[0]
    if lead not in mediators:
        raise ValidationError(_("The lead mediator must be one of the mediators."), field="lead_id")
    if dispute.state == State.ESCALATED and dispute.risk_level is None:
        access.require(actor, "dispute.view", dispute)
        raise ValidationError(_("Assess the dispute before assigning it."), field="state")
    rows = []
    for i, p in enumerate(participants):
        kind = p.get("kind")
        if kind not in ParticipantKind.values:
            raise ValidationError(_("Choose the court, the police station, the petition office or the justice "
                                    "office."), field=f"participants.{i}.kind")
        department = p.get("department")
        if department is not None and not tree.is_under(department.region_path, dispute.county.path):
            raise ValidationError(_("This unit is not in this county."), field=f"participants.{i}.department_id")
        person = clean_text(p.get("person"), field=f"participants.{i}.person", max_length=100)
        rows.append((kind, department, person))
    note = clean_text(note, field="note", max_length=TEXT_MAX)
    now = timezone.now()
    with transaction.atomic():
        DISPUTE_FLOW.transition(dispute, name="assign", actor=actor, note=note, at=now)
        DisputeMediator.objects.filter(dispute=dispute, active=True).update(active=False)
        DisputeMediator.objects.bulk_create([
            DisputeMediator(dispute=dispute, user=m, level=dispute.level, lead=(m == lead), assigned_at=now,
                            assigned_by=actor if getattr(actor, "pk", None) else None) for m in mediators])
        Participant.objects.bulk_create([
            Participant(dispute=dispute, kind=kind, department=department, person=person, level=dispute.level,
                        added_at=now) for kind, department, person in rows])
        audit.record(actor=actor, action="dispute.assign_mediators", target=dispute,
                     detail={"mediators": [m.pk for m in mediators], "lead": lead.pk, "level": dispute.level,
                             "participants": [k for k, _d, _p in rows]})
        with _county_language():
            _tell([m.pk for m in mediators], dispute, "dispute.assigned",
                  _("Dispute #%(n)s assigned to you for mediation") % {"n": dispute.number},
                  body=dispute.summary[:200], skip=actor)
    return dispute


def session_record(*, actor: Any, dispute: Dispute, held_on: dt.date, place: str, attendees: str, record: str
                   ) -> MediationSession:
    """A mediation session (date, place, attendees, record); the first starts the mediation."""
    place = clean_text(place, field="place", max_length=200, required=True)
    attendees = clean_text(attendees, field="attendees", max_length=500, required=True)
    record = clean_text(record, field="record", max_length=TEXT_MAX, required=True)
    if not isinstance(held_on, dt.date):
        raise ValidationError(_("Enter a date."), field="held_on")
    if held_on > timezone.localdate() or (dispute.reported_at and held_on < timezone.localdate(dispute.reported_at)):
        access.require(actor, "dispute.view", dispute)
        raise ValidationError(_("A session is held between the report and today."), field="held_on")
    with transaction.atomic():
        if dispute.state == State.ASSIGNED:
            DISPUTE_FLOW.transition(dispute, name="start", actor=actor, note=_("First session held"))
        elif dispute.state == State.MEDIATING:
            access.require(actor, "dispute.mediate", dispute)
            if not DISPUTE_FLOW.get_transition("agree").guard(dispute, access.viewer_for(actor)):  # type: ignore[misc]
                raise PermissionDenied()
        else:
            access.require(actor, "dispute.view", dispute)
            raise ValidationError(_("Sessions are recorded once mediators are assigned and before the agreement."),
                                  field="state")
        session = MediationSession.objects.create(
            dispute=dispute, held_on=held_on, place=place, attendees=attendees, record=record, level=dispute.level,
            recorded_by=actor if getattr(actor, "pk", None) else None, recorded_at=timezone.now())
        audit.record(actor=actor, action="dispute.session", target=dispute,
                     detail={"session": session.pk, "held_on": held_on.isoformat()})
    return session


def _escalation_changes(dispute: Dispute, now: dt.datetime, target: str) -> dict[str, Any]:
    kind = dispute.type
    due = sla.add(now, kind.mediate_amount if kind else 15, kind.mediate_unit if kind else sla.Unit.DAYS)
    return {"level": target, "handling_path": tiers.handling_path(target, dispute.region_path, dispute.county.path),
            "escalation_count": F("escalation_count") + 1,
            "escalation_due": None if next_level(target) is None else due,
            **({} if dispute.state == State.CLUE else {"mediation_due": due})}


def dispute_escalate(*, actor: Any, dispute: Dispute, reason: str) -> Dispute:
    """By hand (not reached at this level, or beyond it): one level up; the mediators of the
    level below stay on record but are no longer assigned."""
    reason = clean_text(reason, field="note", max_length=TEXT_MAX, required=True)
    target = next_level(dispute.level)
    if target is None:
        access.require(actor, "dispute.view", dispute)
        raise ValidationError(_("The county is the highest level: refer the dispute to court or arbitration."),
                              field="level")
    now = timezone.now()
    before = (dispute.level, dispute.handling_path, mediator_recipients(dispute))
    name = "escalate_clue" if dispute.state == State.CLUE else "escalate"
    with transaction.atomic():
        DISPUTE_FLOW.transition(dispute, name=name, actor=actor, note=reason, at=now, expect={"level": dispute.level},
                                **_escalation_changes(dispute, now, target))
        DisputeMediator.objects.filter(dispute=dispute, active=True).update(active=False)
        with _county_language():
            old_level, old_path, mediators = before
            upper = level_recipients(dispute.level, dispute.region_path, dispute.handling_path)
            title = _("Dispute #%(n)s escalated to the %(level)s") % {"n": dispute.number,
                                                                       "level": Level(dispute.level).label}
            _tell(upper, dispute, "dispute.escalated", title, body=reason[:200], skip=actor)
            lower = [u for u in level_recipients(old_level, dispute.region_path, old_path) + mediators
                     if u not in upper]
            _tell(lower, dispute, "dispute.escalated", title, body=reason[:200], skip=actor)
    return dispute


def dispute_refer(*, actor: Any, dispute: Dispute, to: str, reason: str) -> Dispute:
    """Not reached: the parties are referred to the court or to arbitration."""
    if to not in ReferredTo.values:
        raise ValidationError(_("Refer to the court or to arbitration."), field="to")
    reason = clean_text(reason, field="note", max_length=TEXT_MAX, required=True)
    DISPUTE_FLOW.transition(dispute, name="refer", actor=actor, note=reason, referred_to=to, escalation_due=None)
    return dispute


def dispute_withdraw(*, actor: Any, dispute: Dispute, reason: str) -> Dispute:
    reason = clean_text(reason, field="note", max_length=TEXT_MAX, required=True)
    DISPUTE_FLOW.transition(dispute, name="withdraw", actor=actor, note=reason, escalation_due=None)
    return dispute


# -- the agreement ---------------------------------------------------------------------------

def committee_for(level: str, names: dict[int, str]) -> str:
    """The mediation committee that issues an agreement settled at ``level``, from the names
    of the places above the dispute (by region level)."""
    if level == Level.COUNTY:
        return f"{names.get(Region.Level.COUNTY, '')}社会治理综合服务中心人民调解委员会"
    if level == Level.TOWNSHIP:
        return f"{names.get(Region.Level.TOWNSHIP, '')}矛盾纠纷多元化解中心人民调解委员会"
    return f"{names.get(Region.Level.VILLAGE, '')}人民调解委员会"


def committee_name(dispute: Dispute) -> str:
    """The mediation committee of the level the dispute is settled at."""
    names = dict(Region.objects.filter(path__in=tree.ancestors(dispute.region_path)).values_list("level", "name"))
    return committee_for(dispute.level, names)


def _snapshot(dispute: Dispute) -> tuple[list[dict[str, Any]], list[str]]:
    parties = [{"side": p.side, "name": p.name, "id_number": p.id_number, "phone": p.phone,
                "address": p.household.address if p.household else ""}
               for p in dispute.parties.select_related("household").order_by("order", "id")]
    mediators = [m.user.get_full_name() for m in dispute.mediators.filter(active=True).select_related("user")]
    return parties, mediators


def agreement_draft(*, actor: Any, dispute: Dispute, facts: str, terms: str, performance: str = "") -> Agreement:
    """The agreement drafted from the template (parties, facts, terms, mediators), or its
    draft changed. A signed agreement is never edited: a new draft supersedes it when signed."""
    facts = clean_text(facts, field="facts", max_length=TEXT_MAX, required=True)
    terms = clean_text(terms, field="terms", max_length=TEXT_MAX, required=True)
    performance = clean_text(performance, field="performance", max_length=500)
    access.require(actor, "dispute.mediate", dispute)
    if dispute.state not in (State.MEDIATING, State.AGREED):
        raise ValidationError(_("An agreement is drafted during mediation."), field="state")
    if not DISPUTE_FLOW.get_transition("agree").guard(dispute, access.viewer_for(actor)):  # type: ignore[misc]
        raise PermissionDenied()
    parties, mediators = _snapshot(dispute)
    if len(parties) < 2:
        raise ValidationError(_("An agreement needs the parties on both sides: add them first."), field="parties")
    if not mediators:
        raise ValidationError(_("An agreement needs its mediators: assign them first."), field="mediators")
    with transaction.atomic():
        draft = Agreement.objects.select_for_update().filter(dispute=dispute, status=Agreement.Status.DRAFT).first()
        current = Agreement.objects.filter(dispute=dispute, status=Agreement.Status.SIGNED).first()
        if draft is None:
            draft = Agreement(dispute=dispute, created_by=actor if getattr(actor, "pk", None) else None,
                              supersedes=current)
        draft.facts, draft.terms, draft.performance = facts, terms, performance
        draft.parties, draft.mediators, draft.committee = parties, mediators, committee_name(dispute)
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            raise Conflict() from None
        audit.record(actor=actor, action="dispute.agreement_draft", target=dispute, detail={"agreement": draft.pk})
    return draft


def check_scan(upload: Any, *, field: str = "scan") -> tuple[bytes, str, str]:
    """The scanned signed copy, checked by what it contains: a PDF (its header and end
    marker) or a JPEG/PNG image Pillow can verify. Returns (content, type, extension)."""
    upload.seek(0)
    content = upload.read(MAX_SCAN_BYTES + 1)
    if not content:
        raise ValidationError(_("The scanned copy is empty."), field=field)
    if len(content) > MAX_SCAN_BYTES:
        raise ValidationError(_("The scanned copy is larger than %(mb)d MB.") % {"mb": MAX_SCAN_BYTES // 2**20},
                              field=field)
    wrong = _("The scanned copy must be a PDF, JPEG or PNG file.")
    if uploads.sniff(content) == "pdf":
        if b"%%EOF" not in content[-2048:]:
            raise ValidationError(_("The scanned copy is not a complete PDF."), field=field)
        if uploads.PDF_ACTIVE.search(content):
            raise ValidationError(_("PDF files with scripts or embedded files are not accepted."), field=field)
        return content, "application/pdf", "pdf"
    image = uploads.check_image(io.BytesIO(content), field=field, max_bytes=MAX_SCAN_BYTES,
                                kinds=frozenset({"jpeg", "png"}), not_image=wrong)
    return content, image.content_type, image.extension


def _store_scan(agreement: Agreement, scan: tuple[bytes, str, str]) -> None:
    content, content_type, ext = scan
    agreement.scan.save(f"scan.{ext}", ContentFile(content), save=False)
    agreement.scan_type = content_type
    agreement.scan_sha256 = hashlib.sha256(content).hexdigest()


def _check_signatories(agreement: Agreement, signatories: Sequence[str]) -> list[str]:
    names = [clean_text(n, field="signatories", max_length=100) for n in signatories]
    names = [n for n in dict.fromkeys(names) if n]
    missing = [p["name"] for p in agreement.parties if p["name"] not in names]
    if missing:
        raise ValidationError(_("Every party signs: %(names)s has not.") % {"names": "、".join(missing)},
                              field="signatories")
    return names


def _schedule_follow_ups(dispute: Dispute, agreement: Agreement, start: dt.datetime) -> None:
    FollowUp.objects.bulk_create([
        FollowUp(dispute=dispute, agreement=agreement, after_days=days, due_at=start + dt.timedelta(days=days))
        for days in FOLLOW_UP_DAYS])


def agreement_sign(*, actor: Any, agreement: Agreement, signed_on: dt.date, signatories: Sequence[str],
                   scan: Any = None) -> Agreement:
    """The signatures: who signed (every party) and when, and the scanned signed copy. The
    dispute is settled at its level; follow-ups are scheduled at 7 and 30 days. A second
    signature of the same agreement is refused."""
    dispute = agreement.dispute
    access.require(actor, "dispute.mediate", dispute)
    if agreement.status != Agreement.Status.DRAFT:
        raise ValidationError(_("This agreement is already signed; it can only be superseded."), field="status")
    if not isinstance(signed_on, dt.date):
        raise ValidationError(_("Enter a date."), field="signed_on")
    if signed_on > timezone.localdate() or signed_on < timezone.localdate(dispute.reported_at):
        raise ValidationError(_("The agreement is signed between the report and today."), field="signed_on")
    names = _check_signatories(agreement, signatories)
    checked = check_scan(scan) if scan is not None else None
    now = timezone.now()
    with transaction.atomic():
        if agreement.supersedes_id:
            # First: one signed agreement per dispute (a partial unique index) at any moment.
            Agreement.objects.filter(pk=agreement.supersedes_id, status=Agreement.Status.SIGNED).update(
                status=Agreement.Status.SUPERSEDED)
        moved = Agreement.objects.filter(pk=agreement.pk, status=Agreement.Status.DRAFT).update(
            status=Agreement.Status.SIGNED, signed_on=signed_on, signatories=names, signed_at=now,
            signed_by=actor if getattr(actor, "pk", None) else None)
        if moved != 1:
            raise Conflict(field="status")
        agreement.refresh_from_db()
        if checked is not None:
            _store_scan(agreement, checked)
            agreement.save(update_fields=["scan", "scan_type", "scan_sha256"])
        if dispute.state == State.MEDIATING:
            DISPUTE_FLOW.transition(dispute, name="agree", actor=actor, at=now, note=_("Agreement signed"),
                                    settled_level=dispute.level, escalation_due=None)
            FollowUp.objects.filter(dispute=dispute, status=FollowUp.Status.PENDING).update(
                status=FollowUp.Status.CANCELLED)
            _schedule_follow_ups(dispute, agreement, now)
        elif dispute.state == State.AGREED:
            # A correction: the new agreement replaces the old one; its follow-ups move to it.
            FollowUp.objects.filter(dispute=dispute, status=FollowUp.Status.PENDING).update(agreement=agreement)
        else:
            raise ValidationError(_("An agreement is signed during mediation."), field="state")
        audit.record(actor=actor, action="dispute.agreement_sign", target=dispute,
                     detail={"agreement": agreement.pk, "signed_on": signed_on.isoformat(), "signatories": names,
                             "scan": agreement.scan_sha256})
    return agreement


def agreement_attach_scan(*, actor: Any, agreement: Agreement, scan: Any) -> Agreement:
    """The scanned signed copy, when it was not at hand at signing. Only once."""
    access.require(actor, "dispute.mediate", agreement.dispute)
    if agreement.status != Agreement.Status.SIGNED:
        raise ValidationError(_("The scanned copy belongs to a signed agreement."), field="status")
    if agreement.scan:
        raise ValidationError(_("The scanned copy is already there; a signed agreement is not changed."),
                              field="scan")
    checked = check_scan(scan)
    with transaction.atomic():
        _store_scan(agreement, checked)
        moved = Agreement.objects.filter(pk=agreement.pk, scan="").update(
            scan=agreement.scan.name, scan_type=agreement.scan_type, scan_sha256=agreement.scan_sha256)
        if moved != 1:
            agreement.scan.storage.delete(agreement.scan.name)
            raise Conflict(field="scan")
        audit.record(actor=actor, action="dispute.agreement_scan", target=agreement.dispute,
                     detail={"agreement": agreement.pk, "sha256": agreement.scan_sha256})
    return agreement


# -- on the spot -----------------------------------------------------------------------------

def dispute_on_the_spot(*, actor: Any, type_code: str, summary: str, parties: Sequence[dict[str, Any]],
                        facts: str, terms: str, signatories: Sequence[str], signed_on: dt.date | None = None,
                        region: Region | None = None, household: Household | None = None, address: str = "",
                        scan: Any = None, at: dt.datetime | None = None) -> Dispute:
    """随手调: a grid worker records a simple dispute, its settlement and the parties'
    signatures on site, on one screen. It counts as settled at village level and still gets
    its follow-ups."""
    access.require_any_role(actor, "dispute.on_the_spot")
    now = at or timezone.now()
    signed_on = signed_on or timezone.localdate(now)
    if len(parties) < 2:
        raise ValidationError(_("An agreement needs the parties on both sides: add them first."), field="parties")
    facts = clean_text(facts, field="facts", max_length=TEXT_MAX, required=True)
    terms = clean_text(terms, field="terms", max_length=TEXT_MAX, required=True)
    if not (type_code or "").strip():
        raise ValidationError(_("Choose the type of dispute."), field="type")
    checked = check_scan(scan) if scan is not None else None
    with transaction.atomic():
        dispute = _report(actor=actor, source=Source.SCREENING, region=region, household=household, summary=summary,
                          type_code=type_code, parties=parties, address=address, at=now, tell=False)
        DisputeMediator.objects.create(dispute=dispute, user=actor, level=Level.VILLAGE, lead=True, assigned_at=now,
                                       assigned_by=actor)
        parties_snapshot, mediators = _snapshot(dispute)
        agreement = Agreement(dispute=dispute, facts=facts, terms=terms, parties=parties_snapshot,
                              mediators=mediators, committee=committee_name(dispute), created_by=actor)
        names = _check_signatories(agreement, signatories)
        if signed_on > timezone.localdate(now):
            raise ValidationError(_("The agreement is signed between the report and today."), field="signed_on")
        agreement.status, agreement.signed_on, agreement.signatories = Agreement.Status.SIGNED, signed_on, names
        agreement.signed_at, agreement.signed_by = now, actor
        if checked is not None:
            _store_scan(agreement, checked)
        agreement.save()
        DISPUTE_FLOW.transition(dispute, name="settle_on_spot", actor=actor, at=now,
                                note=_("Settled on the spot and signed"), on_the_spot=True,
                                settled_level=Level.VILLAGE, accepted_at=now, escalation_due=None)
        _schedule_follow_ups(dispute, agreement, now)
        audit.record(actor=actor, action="dispute.on_the_spot", target=dispute,
                     detail={"agreement": agreement.pk, "signatories": names})
    return dispute


# -- follow-ups ------------------------------------------------------------------------------

def follow_up_record(*, actor: Any, follow_up: FollowUp, holds: bool, note: str = "") -> FollowUp:
    """回访: whether the agreement holds. When the last visit finds it holding the dispute is
    closed; a visit finding the dispute alive reopens it (the remaining visits are cancelled,
    the mediation clock starts again)."""
    dispute = follow_up.dispute
    note = clean_text(note, field="note", max_length=TEXT_MAX, required=not holds)
    access.require(actor, "dispute.follow_up", dispute)
    if follow_up.status != FollowUp.Status.PENDING:
        raise ValidationError(_("This follow-up visit is already recorded."), field="status")
    if dispute.state != State.AGREED:
        raise ValidationError(_("Follow-up visits come after the agreement."), field="state")
    now = timezone.now()
    with transaction.atomic():
        moved = FollowUp.objects.filter(pk=follow_up.pk, status=FollowUp.Status.PENDING).update(
            status=FollowUp.Status.DONE, holds=bool(holds), note=note, done_at=now,
            done_by=actor if getattr(actor, "pk", None) else None)
        if moved != 1:
            raise Conflict(field="status")
        follow_up.refresh_from_db()
        if not holds:
            kind = dispute.type
            due = sla.add(now, kind.mediate_amount if kind else 15, kind.mediate_unit if kind else sla.Unit.DAYS)
            DISPUTE_FLOW.transition(dispute, name="reopen", actor=actor, at=now, note=note,
                                    reopen_count=F("reopen_count") + 1, mediation_due=due,
                                    escalation_due=None if dispute.level == Level.COUNTY else due)
            FollowUp.objects.filter(dispute=dispute, status=FollowUp.Status.PENDING).update(
                status=FollowUp.Status.CANCELLED)
            if not DisputeMediator.objects.filter(dispute=dispute, active=True).exists():
                # Nobody assigned now: those of the last assignment mediate again.
                last = (DisputeMediator.objects.filter(dispute=dispute).order_by("-assigned_at")
                        .values_list("assigned_at", flat=True).first())
                if last is not None:
                    DisputeMediator.objects.filter(dispute=dispute, assigned_at=last).update(active=True)
            with _county_language():
                _tell(mediator_recipients(dispute) + level_recipients(dispute.level, dispute.region_path,
                                                                      dispute.handling_path),
                      dispute, "dispute.reopened",
                      _("Dispute #%(n)s is alive again: the agreement does not hold") % {"n": dispute.number},
                      body=note[:200], skip=actor)
        elif not FollowUp.objects.filter(dispute=dispute, status=FollowUp.Status.PENDING).exists():
            DISPUTE_FLOW.transition(dispute, name="close", actor=actor, at=now,
                                    note=_("The agreement holds at the last follow-up"))
        audit.record(actor=actor, action="dispute.follow_up", target=dispute,
                     detail={"follow_up": follow_up.pk, "holds": bool(holds)})
    return follow_up


# -- the sweep -------------------------------------------------------------------------------

SWEEP_BATCH = 500


def sweep(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """The periodic job: escalate the disputes past their level's deadline one level up
    (telling both levels), and tell the case leaders of petitions past their deadline.
    Idempotent: each escalation moves the deadline and the UPDATE re-checks the old one."""
    now = now or timezone.now()
    return {"escalated": escalate_overdue(now=now, batch=batch), "petitions": petitions_overdue(now=now)}


def escalate_overdue(*, now: dt.datetime, batch: int = SWEEP_BATCH) -> int:
    total = 0
    while True:
        ids = list(Dispute.objects.filter(escalation_due__isnull=False, escalation_due__lte=now)
                   .order_by("escalation_due").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        moved, cleared = _escalate_batch(ids, now)
        total += moved
        if moved + cleared == 0 or len(ids) < batch:
            # Nothing done: another sweep is on these rows (it carries on with the rest).
            return total


def _escalate_batch(ids: list[int], now: dt.datetime) -> tuple[int, int]:
    """Escalate these disputes; returns how many moved up and how many, already at the top,
    had their clock stopped."""
    disputes = list(Dispute.objects.filter(pk__in=ids, escalation_due__lte=now).select_related("type", "county"))
    moved_rows: list[tuple[Dispute, str, str, list[int]]] = []
    cleared = 0
    with transaction.atomic(), _county_language():
        for d in disputes:
            target = next_level(d.level)
            if target is None:
                cleared += Dispute.objects.filter(pk=d.pk, escalation_due__lte=now).update(escalation_due=None)
                continue
            name = "escalate_clue" if d.state == State.CLUE else "escalate"
            before = (d.level, d.handling_path, mediator_recipients(d))
            note = _("Escalated automatically: the deadline of the %(level)s passed") % {"level": Level(d.level).label}
            changed = DISPUTE_FLOW.transition_many(
                Dispute.objects.filter(pk=d.pk, level=d.level, escalation_due__lte=now), name=name, at=now,
                note=note, **_escalation_changes(d, now, target))
            if changed:
                DisputeMediator.objects.filter(dispute=d, active=True).update(active=False)
                d.refresh_from_db(fields=["level", "handling_path"])
                moved_rows.append((d, *before))
        messages = []
        for d, old_level, old_path, mediators in moved_rows:
            upper = set(level_recipients(d.level, d.region_path, d.handling_path))
            lower = set(level_recipients(old_level, d.region_path, old_path)) | set(mediators)
            title = _("Dispute #%(n)s escalated to the %(level)s: its deadline passed") % {
                "n": d.number, "level": Level(d.level).label}
            messages.append(notify.Message(sorted(upper | lower), "dispute.escalated", title, link=_link(d.pk),
                                           target=d))
        notify.notify_many(messages)
    return len(moved_rows), cleared


def petitions_overdue(*, now: dt.datetime) -> int:
    """Petitions past their deadline: the case leader and the county staff are told once."""
    rows = list(PetitionCase.objects.filter(
        Q(state=PetitionState.RECEIVED, accept_due__lt=now) | Q(state=PetitionState.ACCEPTED, resolve_due__lt=now),
        overdue_notified_at__isnull=True).select_related("county")[:SWEEP_BATCH])
    if not rows:
        return 0
    with transaction.atomic(), _county_language():
        county_staff: dict[str, list[int]] = {}
        messages = []
        for p in rows:
            if PetitionCase.objects.filter(pk=p.pk, overdue_notified_at__isnull=True).update(
                    overdue_notified_at=now) != 1:
                continue
            path = p.county.path
            if path not in county_staff:
                county_staff[path] = list(Position.objects.current().filter(
                    region_path=path, role=Role.COUNTY_STAFF).values_list("user_id", flat=True))
            people = set(county_staff[path]) | ({p.case_leader_id} if p.case_leader_id else set())
            messages.append(notify.Message(sorted(people), "petition.overdue",
                                           _("Petition %(n)s is past its deadline") % {"n": p.number},
                                           link=_petition_link(p.pk), target=p))
        notify.notify_many(messages)
    return len(rows)


# -- petitions -------------------------------------------------------------------------------

def _units(departments: Sequence[Department], county: Region, lead: Department | None) -> list[Department]:
    units = list(dict.fromkeys(departments))
    for d in units:
        if not d.is_active or not tree.is_under(d.region_path, county.path):
            raise ValidationError(_("A unit is not in this county."), field="unit_ids")
    if lead is not None and lead not in units:
        raise ValidationError(_("The lead unit must be one of the units."), field="lead_unit_id")
    return units


def _check_leader(leader: User | None, county: Region) -> None:
    if leader is None:
        return
    ok = Position.objects.current().filter(user=leader, role__in=roles.GOVERNMENT).filter(
        tree.under(county.path)).exists()
    if not ok:
        raise ValidationError(_("The case leader is one of the township's or county's leaders."),
                              field="case_leader_id")


def petition_register(*, actor: Any, region: Region | None = None, household: Household | None = None,
                      petitioner: Resident | None = None, petitioner_name: str = "", petitioner_phone: str = "",
                      petitioner_id_number: str = "", channel: str = PetitionChannel.VISIT, subject: str,
                      matter: str, case_leader: User | None = None, units: Sequence[Department] = (),
                      lead_unit: Department | None = None, disputes: Sequence[Dispute] = (),
                      requests: Sequence[Any] = (), at: dt.datetime | None = None) -> PetitionCase:
    """A petition (信访) received: the petitioner, the matter, the case leader and the
    responsible units ("5+N"), linked to the disputes and requests it concerns. A petition by
    the same person on the same matter (the same subject, or a dispute or request already
    petitioned) is flagged as repeated."""
    access.require_any_role(actor, "petition.register")
    if channel not in PetitionChannel.values:
        raise ValidationError(_("Choose how the petition came in."), field="channel")
    subject = clean_text(subject, field="subject", max_length=100, required=True)
    matter = clean_text(matter, field="matter", max_length=TEXT_MAX, required=True)
    if petitioner is not None:
        household = household or petitioner.household
    place = _place(region, household)
    county = _county_of(place)
    party = _clean_party({"resident": petitioner, "name": petitioner_name, "phone": petitioner_phone,
                          "id_number": petitioner_id_number}, county, access.viewer_for(actor), field="petitioner_")
    if petitioner is not None and petitioner.county_id != county.pk:
        raise ValidationError(_("Unknown resident."), field="petitioner_id")
    units = _units(units, county, lead_unit)
    _check_leader(case_leader, county)
    for d in disputes:
        access.require(actor, "dispute.view", d)
    for r in requests:
        access.require(actor, "request.view", r)
    now = at or timezone.now()
    case = PetitionCase(
        county=county, region=place, region_path=household.region_path if household else place.path,
        petitioner=petitioner, petitioner_name=party.name, petitioner_phone=party.phone,
        petitioner_id_number=party.id_number, person_key=party.person_key, channel=channel, subject=subject,
        matter=matter, received_at=now, case_leader=case_leader, state=PETITION_FLOW.initial,
        accept_due=sla.add(now, PETITION_ACCEPT_DAYS, sla.Unit.DAYS),
        resolve_due=sla.add(now, PETITION_ACCEPT_DAYS + PETITION_RESOLVE_DAYS, sla.Unit.DAYS), state_changed_at=now,
        filed_by=actor if getattr(actor, "pk", None) else None)
    access.require(actor, "petition.register", case)
    earlier = _earlier_petitions(case, [d.pk for d in disputes], [r.pk for r in requests])
    case.repeat_count = len(earlier)
    case.repeat_of = earlier[0] if earlier else None
    with transaction.atomic():
        case.save()
        PETITION_FLOW.start(case, actor=actor, note=str(PetitionChannel(channel).label))
        PetitionUnit.objects.bulk_create([PetitionUnit(petition=case, department=d, lead=(d == lead_unit))
                                          for d in units])
        case.disputes.set(disputes)
        case.requests.set(requests)
        audit.record(actor=actor, action="petition.register", target=case,
                     detail={"repeat_of": case.repeat_of_id, "units": [d.pk for d in units],
                             "case_leader": case_leader.pk if case_leader else None})
        with _county_language():
            _tell_petition(case, _("Petition %(n)s given to you: %(subject)s") % {"n": case.number, "subject": subject},
                           skip=actor)
    return case


def _earlier_petitions(case: PetitionCase, dispute_ids: list[int], request_ids: list[int]) -> list[PetitionCase]:
    same = Q(pk__in=[])
    if case.person_key:
        same |= Q(person_key=case.person_key, subject=case.subject)
    if dispute_ids:
        same |= Q(disputes__in=dispute_ids)
    if request_ids:
        same |= Q(requests__in=request_ids)
    by_person = Q(person_key=case.person_key) if case.person_key else Q(petitioner_name=case.petitioner_name)
    return list(PetitionCase.objects.filter(same, by_person, county=case.county).distinct()
                .order_by("-received_at", "-id"))


def _unit_staff(case: PetitionCase) -> list[int]:
    return list(Position.objects.current().filter(department__petition_units__petition=case,
                                                  role=Role.DEPARTMENT_STAFF).values_list("user_id", flat=True))


def _tell_petition(case: PetitionCase, title: str, skip: Any = None) -> None:
    people = _unit_staff(case) + ([case.case_leader_id] if case.case_leader_id else [])
    skip_id = getattr(skip, "pk", None)
    notify.notify([p for p in people if p != skip_id], "petition.assigned", title, link=_petition_link(case.pk),
                  target=case)


def petition_assign(*, actor: Any, petition: PetitionCase, case_leader: User | None,
                    units: Sequence[Department], lead_unit: Department | None = None) -> PetitionCase:
    """Change the case leader and the responsible units of an open case."""
    access.require(actor, "petition.register", petition)
    if petition.state not in (PetitionState.RECEIVED, PetitionState.ACCEPTED):
        raise ValidationError(_("Only an open case is given to someone else."), field="state")
    units = _units(units, petition.county, lead_unit)
    _check_leader(case_leader, petition.county)
    with transaction.atomic():
        petition.case_leader = case_leader
        petition.save(update_fields=["case_leader", "updated_at"])
        PetitionUnit.objects.filter(petition=petition).delete()
        PetitionUnit.objects.bulk_create([PetitionUnit(petition=petition, department=d, lead=(d == lead_unit))
                                          for d in units])
        audit.record(actor=actor, action="petition.assign", target=petition,
                     detail={"case_leader": case_leader.pk if case_leader else None, "units": [d.pk for d in units]})
        with _county_language():
            _tell_petition(petition, _("Petition %(n)s given to you: %(subject)s")
                           % {"n": petition.number, "subject": petition.subject}, skip=actor)
    return petition


def petition_accept(*, actor: Any, petition: PetitionCase, note: str = "") -> PetitionCase:
    now = timezone.now()
    PETITION_FLOW.transition(petition, name="accept", actor=actor, at=now, note=note,
                             resolve_due=sla.add(now, PETITION_RESOLVE_DAYS, sla.Unit.DAYS), overdue_notified_at=None)
    return petition


def petition_decline(*, actor: Any, petition: PetitionCase, reason: str) -> PetitionCase:
    reason = clean_text(reason, field="note", max_length=TEXT_MAX, required=True)
    PETITION_FLOW.transition(petition, name="decline", actor=actor, note=reason, resolution=reason)
    return petition


def petition_resolve(*, actor: Any, petition: PetitionCase, resolution: str) -> PetitionCase:
    resolution = clean_text(resolution, field="note", max_length=TEXT_MAX, required=True)
    PETITION_FLOW.transition(petition, name="resolve", actor=actor, note=resolution, resolution=resolution)
    return petition


def petition_feedback(*, actor: Any, petition: PetitionCase, satisfied: bool, feedback: str = "") -> PetitionCase:
    """The petitioner's own word on the resolution (by themselves, or taken down by staff)."""
    feedback = clean_text(feedback, field="feedback", max_length=TEXT_MAX, required=not satisfied)
    PETITION_FLOW.transition(petition, name="feedback", actor=actor, note=feedback, satisfied=bool(satisfied),
                             feedback=feedback)
    return petition


def dispute_get_for_update(actor: Any, pk: Any) -> Dispute:
    """A dispute the actor may see (404 otherwise), for a service to act on."""
    return access.get_for(actor, "dispute.view", Dispute.objects.select_related("type", "county"), pk=pk)


__all__ = [
    "ClueIn", "agreement_attach_scan", "agreement_draft", "agreement_sign", "dispute_accept", "dispute_assess",
    "dispute_assign", "dispute_dismiss", "dispute_escalate", "dispute_on_the_spot", "dispute_refer",
    "dispute_report", "dispute_withdraw", "follow_up_record", "party_add", "petition_accept", "petition_assign",
    "petition_decline", "petition_feedback", "petition_register", "petition_resolve", "screening_file",
    "session_record", "sweep", "type_update", "types_ensure", "types_install_defaults",
]

