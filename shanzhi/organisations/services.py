"""Writes of the organisations' register. Every function: keyword-only arguments, an explicit
actor, one transaction, the permission check, the audit entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, idnumbers
from shanzhi.core.errors import Conflict, ValidationError
from shanzhi.organisations.models import Activity, ActivityKind, Kind, Member, MemberRole, Organisation
from shanzhi.regions.models import Region, Resident


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def _past(day: dt.date | None, field: str) -> dt.date | None:
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("The date is in the future."), field=field)
    return day


def _past_day(day: dt.date | None, field: str) -> dt.date:
    """A date that must be given and not in the future."""
    if day is None:
        raise ValidationError(_("Enter the date."), field=field)
    return _past(day, field) or day


@transaction.atomic
def organisation_create(*, actor: Any, village: Region, kind: str, name: str, founded_on: dt.date | None = None,
                        description: str = "") -> Organisation:
    if village is None or village.level != Region.Level.VILLAGE:
        raise ValidationError(_("An organisation belongs to a village or community."), field="village")
    if kind not in Kind.values:
        raise ValidationError(_("Choose the kind of organisation."), field="kind")
    org = Organisation(village=village, region_path=village.path, county_id=village.county_pk, kind=kind,
                       name=_text(name, field="name", max_length=100, required=True),
                       founded_on=_past(founded_on, "founded_on"),
                       description=_text(description, field="description", max_length=2000), created_by=_user(actor))
    access.require(actor, "organisation.manage", org, view_action="organisation.view")
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:
        raise ValidationError(_("The village has an organisation of this name already."), field="name") from None
    audit.record(actor=actor, action="organisation.create", target=org, detail={"kind": kind})
    return org


@transaction.atomic
def organisation_update(*, actor: Any, organisation: Organisation, description: str | None = None,
                        is_active: bool | None = None) -> Organisation:
    access.require(actor, "organisation.manage", organisation, view_action="organisation.view")
    before = {"description": organisation.description, "active": organisation.is_active}
    if description is not None:
        organisation.description = _text(description, field="description", max_length=2000)
    if is_active is not None:
        organisation.is_active = bool(is_active)
    organisation.save(update_fields=["description", "is_active"])
    audit.record(actor=actor, action="organisation.update", target=organisation, detail=audit.changes(
        before, {"description": organisation.description, "active": organisation.is_active}))
    return organisation


@transaction.atomic
def member_add(*, actor: Any, organisation: Organisation, role: str = MemberRole.MEMBER,
               resident: Resident | None = None, name: str = "", phone: str = "",
               joined_on: dt.date | None = None) -> Member:
    """A member: a resident of the county on the roster, or someone named (a returned
    official, a retired teacher)."""
    access.require(actor, "organisation.manage", organisation, view_action="organisation.view")
    if role not in MemberRole.values:
        raise ValidationError(_("Choose the member's role."), field="role")
    if resident is not None:
        if resident.county_id != organisation.county_id or resident.status != Resident.Status.ACTIVE:
            raise ValidationError(_("Unknown resident."), field="resident_id")
        name = resident.name
        phone = phone or resident.phone
    name = _text(name, field="name", max_length=50, required=True)
    phone = _text(phone, field="phone", max_length=20)
    if phone and idnumbers.phone_problem(phone):
        raise ValidationError(idnumbers.phone_problem(phone), field="phone")
    member = Member(organisation=organisation, resident=resident, name=name, role=role, phone=phone,
                    joined_on=_past(joined_on, "joined_on") or timezone.localdate())
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        if role == MemberRole.CHAIR and organisation.members.filter(role=MemberRole.CHAIR,
                                                                    left_on__isnull=True).exists():
            raise Conflict(_("The organisation has a chair; the chair leaves first."), field="role") from None
        raise Conflict(_("%(name)s is a member already.") % {"name": name}, field="resident_id") from None
    audit.record(actor=actor, action="organisation.member_add", target=organisation,
                 detail={"member": name, "role": role, "resident": resident.pk if resident else None})
    return member


@transaction.atomic
def member_leave(*, actor: Any, member: Member, left_on: dt.date | None = None) -> Member:
    access.require(actor, "organisation.manage", member.organisation, view_action="organisation.view")
    day = _past(left_on, "left_on") or timezone.localdate()
    if member.left_on is not None:
        raise ValidationError(_("This member has left already."), field="left_on")
    if day < member.joined_on:
        raise ValidationError(_("The end date is before the start date."), field="left_on")
    Member.objects.filter(pk=member.pk).update(left_on=day)
    member.left_on = day
    audit.record(actor=actor, action="organisation.member_leave", target=member.organisation,
                 detail={"member": member.name, "left_on": day.isoformat()})
    return member


@transaction.atomic
def activity_record(*, actor: Any, organisation: Organisation, kind: str, held_on: dt.date, subject: str,
                    place: str = "", participants: int = 0, outcome: str = "", matters_settled: int = 0) -> Activity:
    if kind not in ActivityKind.values:
        raise ValidationError(_("Choose the kind of activity."), field="kind")
    if not organisation.is_active:
        raise ValidationError(_("This organisation is no longer active."), field="organisation")
    if participants < 0 or participants > 100_000:
        raise ValidationError(_("Enter the number of participants."), field="participants")
    if not 0 <= matters_settled <= 100:
        raise ValidationError(_("Between 0 and 100."), field="matters_settled")
    activity = Activity(organisation=organisation, region_path=organisation.region_path,
                        county_id=organisation.county_id, kind=kind, held_on=_past_day(held_on, "held_on"),
                        subject=_text(subject, field="subject", max_length=200, required=True),
                        place=_text(place, field="place", max_length=100), participants=participants,
                        outcome=_text(outcome, field="outcome", max_length=4000), matters_settled=matters_settled,
                        recorded_by=_user(actor))
    access.require(actor, "organisation.record", activity, view_action="organisation.view")
    activity.save()
    audit.record(actor=actor, action="organisation.activity", target=activity,
                 detail={"organisation": organisation.name, "kind": kind, "settled": matters_settled})
    return activity
