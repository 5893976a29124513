"""Every write of rule of law and supervision: one transaction, the permission check, the
audit entry. Pages, the API and the demo call these."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, notify, sla
from shanzhi.core.errors import NotFound, PermissionDenied, ValidationError
from shanzhi.legal.flow import LEGAL_AID_FLOW, State, is_lawyer
from shanzhi.legal.models import (
    SUMMARY_MAX,
    AdmissionItem,
    CommunityTask,
    EducationEvent,
    EducationKind,
    LegalAidApplication,
    LegalAidStep,
    Liaison,
    LiaisonActivity,
    MatterType,
    PowerItem,
    ReminderStage,
    ReminderTalk,
)
from shanzhi.people.models import Position, Role, User
from shanzhi.regions.models import Household, Region, Resident

if TYPE_CHECKING:
    from shanzhi.disputes.models import Dispute

# The justice office decides within 7 working days (法律援助法 第四十三条).
DECISION_WORKING_DAYS = 7
MAX_FEN = 10**13  # a hundred billion yuan: anything above is a typing error


def clean_text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def clean_fen(value: Any, *, field: str, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            raise ValidationError(_("This field is required."), field=field)
        return None
    try:
        fen = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number of fen."), field=field) from None
    if fen < 0 or fen > MAX_FEN:
        raise ValidationError(_("Enter an amount between 0 and %(max)d fen.") % {"max": MAX_FEN}, field=field)
    return fen


def clean_choice(value: Any, choices: Any, *, field: str) -> str:
    if value not in choices.values:
        raise ValidationError(_("Choose one of the listed values."), field=field)
    return str(value)


def clean_count(value: Any, *, field: str, maximum: int = 1_000_000) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number."), field=field) from None
    if n < 0 or n > maximum:
        raise ValidationError(_("Enter a number between 0 and %(max)d.") % {"max": maximum}, field=field)
    return n


def clean_date(value: Any, *, field: str) -> dt.date:
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except (TypeError, ValueError):
            raise ValidationError(_("Enter a date as YYYY-MM-DD."), field=field) from None
    if day > timezone.localdate() + dt.timedelta(days=366):
        raise ValidationError(_("The date is too far in the future."), field=field)
    return day


def _viewer(actor: Any) -> access.Viewer:
    return actor if isinstance(actor, access.Viewer) else access.viewer_for(actor)


def village_of(region: Region) -> Region:
    node = region
    while node.level > Region.Level.VILLAGE and node.parent is not None:
        node = node.parent
    return node


def _county_of(region: Region) -> Region:
    if region.level == Region.Level.COUNTY:
        return region
    if region.county_id is None:
        raise ValidationError(_("Choose a place inside a county."), field="region")
    return Region.objects.get(pk=region.county_id)


def _household_of(resident: Resident, *, field: str) -> Household:
    """The resident's household, with its village (every resident on the roster has one)."""
    if resident.household_id is None:
        raise ValidationError(_("This resident has no household on the roster."), field=field)
    return Household.objects.select_related("village").get(pk=resident.household_id)


def _place(actor: Any, action: str, region: Region | None, *, field: str = "region") -> Region:
    """A place the actor may record ``action`` at (a village, a township or the county)."""
    viewer = access.require_any_role(actor, action)
    if region is None:
        raise ValidationError(_("Choose a place."), field=field)
    if viewer.is_admin:
        return region
    if not any(region.path.startswith(p) for p in viewer.paths_for(action)):
        raise ValidationError(_("You may not record this for that place."), field=field)
    return region


# -- legal aid -------------------------------------------------------------------------------

def _next_number(county: Region, now: dt.datetime) -> str:
    """The county's next number; call inside the transaction that saves it. The county's row
    is locked first, so two applications at once wait for each other on PostgreSQL (locking
    the aggregate's rows would not: the year's first has no row to lock); SQLite's
    IMMEDIATE transactions already run one writer at a time."""
    Region.objects.select_for_update().filter(pk=county.pk).values_list("pk", flat=True).first()
    prefix = f"FY{now:%Y}"
    last = (LegalAidApplication.objects.filter(county=county, number__startswith=prefix)
            .aggregate(m=Max("number"))["m"])
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:06d}"[:20]


def legal_aid_submit(*, actor: Any, matter_type: str, summary: str, hardship_declared: bool = False,
                     hardship_statement: str = "", amount_claimed_fen: Any = None, applicant: Resident | None = None,
                     dispute: Any = None, at: dt.datetime | None = None) -> LegalAidApplication:
    """A resident applies for themselves; the justice office files for a resident who comes
    in (``applicant`` then names them)."""
    viewer = access.require_any_role(actor, "legal_aid.submit")
    matter_type = clean_choice(matter_type, MatterType, field="matter_type")
    summary = clean_text(summary, field="summary", max_length=SUMMARY_MAX, required=True)
    hardship_statement = clean_text(hardship_statement, field="hardship_statement", max_length=SUMMARY_MAX)
    if hardship_declared and not hardship_statement:
        raise ValidationError(_("Say briefly why you cannot afford a lawyer."), field="hardship_statement")
    claimed = clean_fen(amount_claimed_fen, field="amount_claimed_fen")
    staff = viewer.is_admin or bool(viewer.paths_for("legal_aid.submit"))
    if applicant is None:
        if viewer.resident_id is None:
            raise ValidationError(_("Name the applicant."), field="applicant_id")
        applicant = Resident.objects.get(pk=viewer.resident_id)
    elif not staff and applicant.pk != viewer.resident_id:
        raise ValidationError(_("You may apply only for yourself."), field="applicant_id")
    elif staff and not access.can(viewer, "legal_aid.submit", applicant):
        raise ValidationError(_("No such resident in your area."), field="applicant_id")
    if applicant.status != Resident.Status.ACTIVE:
        raise ValidationError(_("This resident is no longer on the roster."), field="applicant_id")
    household = _household_of(applicant, field="applicant_id")
    if dispute is not None:
        _check_dispute(viewer, dispute, applicant=applicant, county_id=household.county_id)
    now = at or timezone.now()
    with transaction.atomic():
        county = _county_of(household.village)
        case = LegalAidApplication.objects.create(
            county=county, region=household.village, region_path=household.region_path,
            number=_next_number(county, now), household=household, applicant=applicant, matter_type=matter_type,
            summary=summary, amount_claimed_fen=claimed, hardship_declared=bool(hardship_declared),
            hardship_statement=hardship_statement, dispute=dispute, filed_by=actor if staff else None,
            submitted_at=now, accept_due=sla.add(now, DECISION_WORKING_DAYS, sla.Unit.WORKING_DAYS),
            state_changed_at=now)
        LEGAL_AID_FLOW.start(case, actor=actor)
        audit.record(actor=actor, action="legal_aid.submit", target=case,
                     detail={"matter_type": matter_type, "hardship": bool(hardship_declared)})
    return case


def _check_dispute(viewer: access.Viewer, dispute: Dispute, *, applicant: Resident, county_id: int | None) -> None:
    """A legal aid application may name a dispute its applicant is a party to, or one the
    person filing may see, in the same county; any other looks unknown."""
    visible = access.can(viewer, "dispute.view", dispute) or dispute.parties.filter(resident_id=applicant.pk).exists()
    if not visible or dispute.county_id != county_id:
        raise ValidationError(_("No such dispute."), field="dispute_id")


def legal_aid_link_dispute(*, actor: Any, case: LegalAidApplication, dispute: Dispute | None
                           ) -> LegalAidApplication:
    """Link an open application to the dispute it grew out of (or unlink it with ``None``):
    the justice office or the case's lawyer."""
    viewer = _viewer(actor)
    if not (access.can(viewer, "legal_aid.accept", case) or (access.can(viewer, "legal_aid.handle", case)
                                                             and is_lawyer(case, viewer))):
        access.require(viewer, "legal_aid.accept", case)
    if case.state in LEGAL_AID_FLOW.terminal:
        raise ValidationError(_("The application is closed."), field="state")
    if dispute is not None:
        _check_dispute(viewer, dispute, applicant=case.applicant, county_id=case.county_id)
    with transaction.atomic():
        LegalAidApplication.objects.filter(pk=case.pk).update(dispute=dispute)
        case.dispute = dispute
        audit.record(actor=actor, action="legal_aid.link_dispute", target=case,
                     detail={"dispute": dispute.pk if dispute is not None else None})
    return case


def lawyer_candidates(case: LegalAidApplication) -> Any:
    """Legal advisers holding a current position in the case's county."""
    county = Region.objects.get(pk=case.county_id)
    ids = Position.objects.current().filter(role=Role.LEGAL_ADVISER, region_path__startswith=county.path) \
        .values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "id")


def legal_aid_accept(*, actor: Any, case: LegalAidApplication, lawyer: User | None, note: str = ""
                     ) -> LegalAidApplication:
    access.require(actor, "legal_aid.accept", case)
    if lawyer is None or not lawyer_candidates(case).filter(pk=lawyer.pk).exists():
        raise ValidationError(_("Choose a legal adviser of this county."), field="lawyer_id")
    with transaction.atomic():
        LEGAL_AID_FLOW.transition(case, name="accept", actor=actor, note=note, lawyer=lawyer)
        notify.notify([lawyer], "legal_aid.assigned", _("Legal aid case %(n)s assigned to you") % {"n": case.number},
                      target=case)
    return case


def legal_aid_reject(*, actor: Any, case: LegalAidApplication, reason: str) -> LegalAidApplication:
    LEGAL_AID_FLOW.transition(case, name="reject", actor=actor, note=reason, note_field="reason")
    return case


def legal_aid_start(*, actor: Any, case: LegalAidApplication, note: str = "") -> LegalAidApplication:
    LEGAL_AID_FLOW.transition(case, name="start", actor=actor, note=note)
    return case


def legal_aid_step(*, actor: Any, case: LegalAidApplication, on: Any, note: str) -> LegalAidStep:
    access.require(actor, "legal_aid.handle", case)
    if not is_lawyer(case, _viewer(actor)):
        raise PermissionDenied()
    if case.state not in (State.ACCEPTED, State.IN_PROGRESS):
        raise ValidationError(_("Steps are recorded while the case is open."), field="state")
    day = clean_date(on, field="on")
    text = clean_text(note, field="note", max_length=SUMMARY_MAX, required=True)
    with transaction.atomic():
        step = LegalAidStep.objects.create(application=case, on=day, note=text, by=actor)
        audit.record(actor=actor, action="legal_aid.step", target=case, detail={"on": day.isoformat()})
    return step


def legal_aid_conclude(*, actor: Any, case: LegalAidApplication, result: str, amount_recovered_fen: Any = 0
                       ) -> LegalAidApplication:
    text = clean_text(result, field="result", max_length=SUMMARY_MAX, required=True)
    fen = clean_fen(amount_recovered_fen, field="amount_recovered_fen") or 0
    LEGAL_AID_FLOW.transition(case, name="conclude", actor=actor, note=text, result=text, amount_recovered_fen=fen)
    return case


def legal_aid_withdraw(*, actor: Any, case: LegalAidApplication, reason: str = "") -> LegalAidApplication:
    LEGAL_AID_FLOW.transition(case, name="withdraw", actor=actor, note=reason, note_field="reason")
    return case


# -- legal education and liaisons ------------------------------------------------------------

def event_record(*, actor: Any, region: Region | None, kind: str, title: str, held_on: Any, place: str,
                 organiser: str, attendance: Any, materials: Any = 0) -> EducationEvent:
    region = _place(actor, "legal.record", region)
    event = EducationEvent(
        county=_county_of(region), region=region, region_path=region.path,
        kind=clean_choice(kind, EducationKind, field="kind"),
        title=clean_text(title, field="title", max_length=200, required=True),
        held_on=clean_date(held_on, field="held_on"),
        place=clean_text(place, field="place", max_length=200, required=True),
        organiser=clean_text(organiser, field="organiser", max_length=100, required=True),
        attendance=clean_count(attendance, field="attendance"), materials=clean_count(materials, field="materials"),
        recorded_by=actor)
    with transaction.atomic():
        event.save()
        audit.record(actor=actor, action="legal.event_record", target=event)
    return event


def liaison_add(*, actor: Any, resident: Resident | None, trained_on: Any, training_hours: Any) -> Liaison:
    access.require_any_role(actor, "legal.record")
    if resident is None or not access.can(actor, "legal.record", resident):
        raise ValidationError(_("No such resident in your area."), field="resident_id")
    if Liaison.objects.filter(resident=resident).exists():
        raise ValidationError(_("This resident is already a legal liaison."), field="resident_id")
    village = _household_of(resident, field="resident_id").village
    liaison = Liaison(county=_county_of(village), region=village, region_path=resident.region_path,
                      resident=resident, trained_on=clean_date(trained_on, field="trained_on"),
                      training_hours=clean_count(training_hours, field="training_hours", maximum=1000))
    with transaction.atomic():
        liaison.save()
        audit.record(actor=actor, action="legal.liaison_add", target=liaison)
    return liaison


def liaison_activity_record(*, actor: Any, liaison: Liaison, held_on: Any, description: str,
                            people_reached: Any = 0) -> LiaisonActivity:
    access.require(actor, "legal.record", liaison, view_action="legal.view")
    activity = LiaisonActivity(
        county_id=liaison.county_id, region_id=liaison.region_id, region_path=liaison.region_path, liaison=liaison,
        held_on=clean_date(held_on, field="held_on"),
        description=clean_text(description, field="description", max_length=500, required=True),
        people_reached=clean_count(people_reached, field="people_reached"))
    with transaction.atomic():
        activity.save()
        audit.record(actor=actor, action="legal.liaison_activity", target=liaison)
    return activity


# -- supervision -----------------------------------------------------------------------------

def power_item_add(*, actor: Any, region: Region | None, which: str, title: str, legal_basis: str = "",
                   steps: Any = (), position: int | None = None) -> PowerItem:
    region = _place(actor, "supervision.lists", region)
    if not isinstance(steps, (list, tuple)) or not steps or not all(isinstance(s, str) and s.strip() for s in steps):
        raise ValidationError(_("List the steps, one per line."), field="steps")
    if len(steps) > 30 or any(len(s) > 200 for s in steps):
        raise ValidationError(_("At most 30 steps of 200 characters each."), field="steps")
    item = PowerItem(county=_county_of(region), region=region, region_path=region.path,
                     list=clean_choice(which, PowerItem.List, field="list"),
                     title=clean_text(title, field="title", max_length=200, required=True),
                     legal_basis=clean_text(legal_basis, field="legal_basis", max_length=2000),
                     steps=[s.strip() for s in steps],
                     position=position if position is not None else PowerItem.objects.filter(region=region).count())
    with transaction.atomic():
        item.save()
        audit.record(actor=actor, action="supervision.power_item_add", target=item)
    return item


def talk_record(*, actor: Any, region: Region | None, stage: str, cadre_name: str, reason: str, talked_by: str,
                held_on: Any, record: str, cadre: User | None = None) -> ReminderTalk:
    region = _place(actor, "supervision.talk", region)
    talk = ReminderTalk(
        county=_county_of(region), region=region, region_path=region.path,
        stage=clean_choice(stage, ReminderStage, field="stage"),
        cadre_name=clean_text(cadre_name, field="cadre_name", max_length=50, required=True), cadre=cadre,
        reason=clean_text(reason, field="reason", max_length=500, required=True),
        talked_by=clean_text(talked_by, field="talked_by", max_length=100, required=True),
        held_on=clean_date(held_on, field="held_on"),
        record=clean_text(record, field="record", max_length=4000, required=True), recorded_by=actor)
    with transaction.atomic():
        talk.save()
        audit.record(actor=actor, action="supervision.talk_record", target=talk, detail={"stage": talk.stage})
    return talk


def admission_item_add(*, actor: Any, county: Region | None, title: str, basis: str = "") -> AdmissionItem:
    county = _place(actor, "supervision.admission", county, field="county")
    if county.level != Region.Level.COUNTY:
        raise ValidationError(_("The admission list is kept at the county."), field="county")
    title = clean_text(title, field="title", max_length=200, required=True)
    if AdmissionItem.objects.filter(county=county, title=title).exists():
        raise ValidationError(_("This task is already on the list."), field="title")
    item = AdmissionItem(county=county, region=county, region_path=county.path, title=title,
                         basis=clean_text(basis, field="basis", max_length=500))
    with transaction.atomic():
        item.save()
        audit.record(actor=actor, action="supervision.admission_add", target=item)
    return item


def task_record(*, actor: Any, region: Region | None, title: str, assigned_by: str, assigned_on: Any,
                admission_item: AdmissionItem | None = None) -> CommunityTask:
    """Record a task a higher level gave a village or community; without an item of the
    county's admission list it is flagged (and the township and county are told)."""
    region = _place(actor, "supervision.task", region)
    if region.level != Region.Level.VILLAGE:
        raise ValidationError(_("Choose a village or community."), field="region")
    if admission_item is not None and admission_item.county_id != region.county_id:
        raise NotFound()
    task = CommunityTask(
        county=_county_of(region), region=region, region_path=region.path,
        title=clean_text(title, field="title", max_length=200, required=True),
        assigned_by=clean_text(assigned_by, field="assigned_by", max_length=100, required=True),
        assigned_on=clean_date(assigned_on, field="assigned_on"), admission_item=admission_item,
        flagged=admission_item is None, recorded_by=actor)
    with transaction.atomic():
        task.save()
        audit.record(actor=actor, action="supervision.task_record", target=task, detail={"flagged": task.flagged})
    return task
