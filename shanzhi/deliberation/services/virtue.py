"""Rule of virtue: role models chosen by the moral review council or by a vote, the
council's meetings and the admonitions it makes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, workflow
from shanzhi.core.errors import PermissionDenied, ValidationError
from shanzhi.deliberation import hooks
from shanzhi.deliberation.models import (
    HOUSEHOLD_TITLES,
    Admonition,
    Board,
    Category,
    Conduct,
    CouncilMeeting,
    Notice,
    NoticeSource,
    RoleModel,
    RoleModelTitle,
    Secrecy,
    Vote,
    VotePurpose,
)
from shanzhi.deliberation.services._common import names, not_future, placed, text, village_of, village_rules, whole
from shanzhi.regions.models import Household, Region, Resident


def after_award(role_model: RoleModel, actor: Any) -> None:
    """Tell the modules that asked (the points system) once the award has committed."""
    transaction.on_commit(partial(hooks.run_role_model_awarded, role_model, actor), robust=True)


@transaction.atomic
def role_model_nominate(*, actor: Any, household: Household | None, title: str, year: int, deeds: str,
                        resident: Resident | None = None, points: int | None = None) -> RoleModel:
    if household is None:
        raise ValidationError(_("Choose the household."), field="household")
    village = household.village
    nomination = RoleModel(village=village, household=household, nominated_by=actor, **placed(village))
    access.require(actor, "rolemodel.nominate", nomination, view_action="rolemodel.view")
    if title not in RoleModelTitle.values:
        raise ValidationError(_("Choose the title."), field="title")
    nomination.title = title
    if resident is not None:
        if resident.household_id != household.pk or resident.status != Resident.Status.ACTIVE:
            raise ValidationError(_("This person is not a member of the household."), field="resident")
    elif title not in HOUSEHOLD_TITLES:
        raise ValidationError(_("This title is given to a person: choose who."), field="resident")
    nomination.resident = resident
    this_year = timezone.localdate().year
    nomination.year = whole(year, field="year", minimum=this_year - 1, maximum=this_year)
    nomination.deeds = text(deeds, field="deeds", max_length=4000)
    if points is not None:
        nomination.points = whole(points, field="points", maximum=100)
    try:
        with transaction.atomic():
            nomination.save()
    except IntegrityError:
        raise ValidationError(_("Already nominated for this title this year."), field="title") from None
    workflow.start(nomination, actor=actor)
    audit.record(actor=actor, action="rolemodel.nominate", target=nomination,
                 detail={"title": title, "year": nomination.year, "household": household.pk})
    return nomination


@transaction.atomic
def council_meeting_record(*, actor: Any, village: Region | None, held_on: dt.date | None, member_count: int,
                           present_count: int, minutes: str, place: str = "", attendee_names: Any = None
                           ) -> CouncilMeeting:
    village = village_of(village)
    meeting = CouncilMeeting(village=village, recorded_by=actor, **placed(village))
    access.require(actor, "council.record", meeting, view_action="council.view")
    meeting.held_on = not_future(held_on, field="held_on")
    meeting.member_count = whole(member_count, field="member_count", minimum=1, maximum=200)
    meeting.present_count = whole(present_count, field="present_count", maximum=200)
    if meeting.present_count > meeting.member_count:
        raise ValidationError(_("More present than the council has members."), field="present_count")
    meeting.attendee_names = names(attendee_names)
    if len(meeting.attendee_names) > meeting.present_count:
        raise ValidationError(_("More names than members present."), field="attendee_names")
    meeting.place = text(place, field="place", max_length=100, required=False)
    meeting.minutes = text(minutes, field="minutes", max_length=20000)
    meeting.save()
    audit.record(actor=actor, action="council.meeting", target=meeting,
                 detail={"present": meeting.present_count, "members": meeting.member_count})
    return meeting


def _quorate(meeting: CouncilMeeting | None, village_id: int) -> CouncilMeeting:
    if meeting is None:
        raise ValidationError(_("Choose the council meeting."), field="meeting")
    if meeting.village_id != village_id:
        raise ValidationError(_("That meeting was held in another village."), field="meeting")
    if not meeting.quorate:
        raise ValidationError(
            _("The council meeting was not quorate (%(present)d of %(members)d members); it cannot decide.")
            % {"present": meeting.present_count, "members": meeting.member_count}, field="meeting")
    return meeting


@transaction.atomic
def role_model_review(*, actor: Any, role_model: RoleModel, meeting: CouncilMeeting | None, award: bool,
                      note: str = "") -> RoleModel:
    """The moral review council decides a nomination at a quorate meeting."""
    access.require(actor, "rolemodel.review", role_model, view_action="rolemodel.view")
    role_model = RoleModel.objects.select_for_update().get(pk=role_model.pk)
    meeting = _quorate(meeting, role_model.village_id)
    if role_model.state != "nominated":
        raise ValidationError(_("This nomination is %(state)s; the council decides nominations waiting for it.")
                              % {"state": role_model.get_state_display()}, field="state")
    note = text(note, field="note", max_length=2000, required=not award)
    workflow.transition(role_model, name="award" if award else "decline", actor=actor,
                        note=note or _("awarded by the moral review council on %(day)s")
                        % {"day": meeting.held_on.isoformat()}, council_meeting=meeting)
    if award:
        after_award(role_model, actor)
    return role_model


@transaction.atomic
def role_model_vote_open(*, actor: Any, role_models: Sequence[RoleModel], title: str, opens_at: dt.datetime,
                         closes_at: dt.datetime, seats: int = 1, secrecy: str = Secrecy.SECRET,
                         basis: str | None = None, online: bool | None = None) -> Vote:
    """Put nominations to the villagers' vote: one option per nominee."""
    from shanzhi.deliberation.services.votes import vote_create

    models = list(RoleModel.objects.select_for_update(of=("self",)).select_related("household", "resident", "village")
                  .filter(pk__in=[m.pk for m in role_models]).order_by("pk"))
    if len(models) < 2:
        raise ValidationError(_("A vote needs at least two nominees."), field="role_models")
    for model in models:
        access.require(actor, "rolemodel.review", model, view_action="rolemodel.view")
    first = models[0]
    if any((m.village_id, m.title, m.year) != (first.village_id, first.title, first.year) for m in models):
        raise ValidationError(_("Nominees of one vote share the village, the title and the year."),
                              field="role_models")
    if any(m.state != "nominated" for m in models):
        raise ValidationError(_("Only nominations still waiting can be put to a vote."), field="role_models")
    labels = [m.resident.name if m.resident else _("the household of %(head)s") % {
        "head": _head_name(m.household, True)} for m in models]
    if len(set(labels)) != len(labels):  # namesakes: tell them apart by household number
        labels = [f"{label}（{m.household.number}）" for label, m in zip(labels, models, strict=True)]
    vote = vote_create(
        actor=actor, village=first.village, title=title, purpose=VotePurpose.ROLE_MODELS,
        question=_("Choose %(seats)d for the title “%(title)s” (%(year)d).")
        % {"seats": seats, "title": first.get_title_display(), "year": first.year},
        options=labels, opens_at=opens_at, closes_at=closes_at, seats=seats, secrecy=secrecy, basis=basis,
        online=online, role_models=models)
    for model in models:
        workflow.transition(model, name="put_to_vote", actor=actor, note=vote.title)
    return vote


def public_name(name: str, publish: bool) -> str:
    """A name as the public boards show it: whole where the village's rules publish names,
    else the surname and a star for each other character (张**)."""
    if publish or not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


@transaction.atomic
def role_models_publish(*, actor: Any, village: Region | None, year: int, remove_on: dt.date | None = None
                        ) -> Notice:
    """Post the year's role models on the village-affairs board (表彰公示)."""
    from shanzhi.deliberation.services.notices import notice_post

    village = village_of(village)
    if not access.can(actor, "notice.post", Notice(region=village, **placed(village))):
        # Whoever sees the village's role models learns only that posting is not theirs.
        access.require(actor, "rolemodel.view", RoleModel(village=village, **placed(village)))
        raise PermissionDenied()
    awarded = list(RoleModel.objects.filter(village=village, year=year, state="awarded")
                   .select_related("household", "resident").order_by("title", "id"))
    if not awarded:
        raise ValidationError(_("No role models were awarded in %(year)d.") % {"year": year}, field="year")
    publish = village_rules(village).publish_names
    lines = [_("The following were chosen as role models of %(village)s in %(year)d:")
             % {"village": village.name, "year": year}, ""]
    for model in awarded:
        if model.resident is not None:
            who = public_name(model.resident.name, publish)
        else:
            who = _("the household of %(head)s") % {"head": _head_name(model.household, publish)}
        lines.append(f"{model.get_title_display()}：{who}")
    return notice_post(actor=actor, region=village, board=Board.VILLAGE, category=Category.ROLE_MODELS,
                       title=(_("Role models of %(year)d") % {"year": year})[:100], body="\n".join(lines),
                       remove_on=remove_on, source=NoticeSource.ROLE_MODELS)


def _head_name(household: Household, publish: bool) -> str:
    head = household.members.filter(relation=Resident.Relation.HEAD, status=Resident.Status.ACTIVE).first()
    return public_name(head.name, publish) if head else household.number


@transaction.atomic
def admonition_record(*, actor: Any, meeting: CouncilMeeting | None, household: Household | None, conduct: str,
                      description: str, resident: Resident | None = None) -> Admonition:
    if meeting is None:
        raise ValidationError(_("Choose the council meeting."), field="meeting")
    access.require(actor, "council.record", meeting, view_action="council.view")
    if household is None:
        raise ValidationError(_("Choose the household."), field="household")
    meeting = _quorate(meeting, household.village_id)
    if resident is not None and resident.household_id != household.pk:
        raise ValidationError(_("This person is not a member of the household."), field="resident")
    if conduct not in Conduct.values:
        raise ValidationError(_("Choose the conduct."), field="conduct")
    admonition = Admonition.objects.create(
        meeting=meeting, village_id=household.village_id, household=household, resident=resident, conduct=conduct,
        description=text(description, field="description", max_length=4000), recorded_by=actor,
        region_path=household.region_path, county_id=household.county_id)
    audit.record(actor=actor, action="council.admonition", target=admonition,
                 detail={"meeting": meeting.pk, "household": household.pk, "conduct": conduct})
    return admonition


@transaction.atomic
def admonition_follow_up(*, actor: Any, admonition: Admonition, follow_up: str,
                         corrected_on: dt.date | None = None) -> Admonition:
    access.require(actor, "council.record", admonition, view_action="admonition.view")
    admonition = Admonition.objects.select_for_update().get(pk=admonition.pk)
    admonition.follow_up = text(follow_up, field="follow_up", max_length=4000)
    if corrected_on is not None:
        admonition.corrected_on = not_future(corrected_on, field="corrected_on")
        if admonition.corrected_on < admonition.meeting.held_on:
            raise ValidationError(_("Corrected before the admonition was made?"), field="corrected_on")
    admonition.save(update_fields=["follow_up", "corrected_on"])
    audit.record(actor=actor, action="council.follow_up", target=admonition,
                 detail={"corrected_on": corrected_on.isoformat() if corrected_on else None})
    return admonition
