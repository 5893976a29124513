"""The four deliberations and two disclosures (四议两公开), and one matter, one deliberation
(一事一议) for public works.

A matter moves only through ``matter_record_meeting``: the meeting of the stage that is due
(a stage cannot be skipped or taken out of order), with its attendance and vote checked
against the quorum and majority rules (``rules.py``). A meeting that carries advances the
matter; one that fails is recorded and the matter meets again, returns to the Party branch
or ends. Asking to advance on a meeting that failed is refused and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, tree, workflow
from shanzhi.core.errors import ValidationError
from shanzhi.deliberation import rules
from shanzhi.deliberation.models import (
    Board,
    Body,
    Category,
    Matter,
    MatterKind,
    MatterMeeting,
    MeetingDecision,
    Notice,
    NoticeSource,
    Stage,
    Topic,
)
from shanzhi.deliberation.services._common import (
    adult_cutoff,
    names,
    not_future,
    placed,
    text,
    village_of,
    village_rules,
    whole,
)
from shanzhi.people.models import PartyMember
from shanzhi.regions.models import Household, Region, Resident

# The stage due in each state, by kind of matter.
NEXT_STAGE: dict[str, dict[str, str]] = {
    MatterKind.FOUR_DELIBERATIONS: {"draft": Stage.PROPOSE, "proposed": Stage.DISCUSS, "discussed": Stage.REVIEW,
                                    "reviewed": Stage.RESOLVE},
    MatterKind.ONE_MATTER: {"draft": Stage.RESOLVE},
}
STAGE_BODIES: dict[str, tuple[str, ...]] = {
    Stage.PROPOSE: (Body.BRANCH_COMMITTEE,),
    Stage.DISCUSS: (Body.JOINT_COMMITTEES,),
    Stage.REVIEW: (Body.PARTY_MEMBERS,),
    Stage.RESOLVE: (Body.VILLAGERS, Body.REPRESENTATIVES),
}


def next_stage(matter: Matter) -> str | None:
    return NEXT_STAGE[matter.kind].get(matter.state)


def stages_of(kind: str) -> list[str]:
    return list(NEXT_STAGE[kind].values())


def adult_villagers(village: Region, on: dt.date) -> int:
    return Resident.objects.filter(household__village=village, status=Resident.Status.ACTIVE,
                                   birth_date__lte=adult_cutoff(on)).count()


def village_households(village: Region) -> int:
    return Household.objects.filter(village=village, members__status=Resident.Status.ACTIVE).distinct().count()


def party_members(village: Region) -> int:
    return PartyMember.objects.filter(tree.under(village.path)).count()


def map_figures(matter: Matter, body: str, on: dt.date) -> dict[str, int | None]:
    """What the map knows of who may attend: adult villagers and households for a
    villagers' meeting, party members for their meeting; other bodies are entered."""
    if body == Body.VILLAGERS:
        return {"eligible": adult_villagers(matter.village, on), "households": village_households(matter.village)}
    if body == Body.PARTY_MEMBERS:
        return {"eligible": party_members(matter.village) or None, "households": None}
    return {"eligible": None, "households": None}


def _money(value: Any, field: str) -> int | None:
    if value is None:
        return None
    return whole(value, field=field, minimum=0, maximum=10**13)


@transaction.atomic
def matter_create(*, actor: Any, village: Region | None, title: str, proposal: str,
                  kind: str = MatterKind.FOUR_DELIBERATIONS, topic: Topic | None = None, plan: str = "",
                  total_cost_fen: int | None = None, contribution_fen: int | None = None,
                  labour_days: int | None = None) -> Matter:
    village = village_of(village)
    matter = Matter(village=village, created_by=actor, **placed(village))
    access.require(actor, "matter.propose", matter, view_action="matter.view")
    if kind not in MatterKind.values:
        raise ValidationError(_("Choose the kind of matter."), field="kind")
    matter.kind = kind
    matter.title = text(title, field="title", max_length=100)
    matter.proposal = text(proposal, field="proposal", max_length=8000)
    matter.plan = text(plan, field="plan", max_length=8000, required=kind == MatterKind.ONE_MATTER)
    matter.total_cost_fen = _money(total_cost_fen, "total_cost_fen")
    matter.contribution_fen = _money(contribution_fen, "contribution_fen")
    if labour_days is not None:
        matter.labour_days = whole(labour_days, field="labour_days", maximum=365)
    if kind == MatterKind.ONE_MATTER and matter.contribution_fen is None:
        raise ValidationError(_("State what each household contributes (0 if nothing)."), field="contribution_fen")
    if topic is not None:
        if topic.village_id != village.pk:
            raise ValidationError(_("The topic belongs to another village."), field="topic")
        matter.topic = topic
    matter.save()
    workflow.start(matter, actor=actor)
    audit.record(actor=actor, action="matter.create", target=matter,
                 detail={"kind": kind, "topic": topic.pk if topic else None})
    return matter


@transaction.atomic
def topic_convert(*, actor: Any, topic: Topic, title: str = "", proposal: str = "",
                  kind: str = MatterKind.FOUR_DELIBERATIONS, **public_works: Any) -> Matter:
    """Turn a topic residents raised into a formal matter."""
    topic = Topic.objects.select_for_update(of=("self",)).select_related("village").get(pk=topic.pk)
    if topic.hidden:
        raise ValidationError(_("A hidden topic cannot become a matter."), field="topic")
    matter = matter_create(actor=actor, village=topic.village, title=title or topic.title,
                           proposal=proposal or topic.body, kind=kind, topic=topic, **public_works)
    workflow.transition(topic, name="convert", actor=actor, note=matter.title)
    return matter


def _eligible(body: str, figures: dict[str, int | None], eligible_count: int | None) -> int:
    known = figures["eligible"]
    if body == Body.VILLAGERS:
        # The roll of a villagers' meeting is the village's adults on the map: not typed in.
        if eligible_count is not None and eligible_count != known:
            raise ValidationError(
                _("The map counts %(n)d villagers aged eighteen or over; a villagers' meeting is measured "
                  "against them.") % {"n": known or 0}, field="eligible_count")
        if not known:
            raise ValidationError(_("The map has no adult villagers in this village."), field="eligible_count")
        return known
    if eligible_count is None:
        if known:
            return known
        raise ValidationError(_("Enter how many were eligible to attend."), field="eligible_count")
    return whole(eligible_count, field="eligible_count", minimum=1, maximum=1_000_000)


@transaction.atomic
def matter_record_meeting(*, actor: Any, matter: Matter, stage: str, body: str, held_on: dt.date | None,
                          present_count: int, votes_for: int, votes_against: int, votes_abstain: int,
                          minutes: str, decision: str = MeetingDecision.ADVANCE, place: str = "",
                          eligible_count: int | None = None, households_present: int | None = None,
                          attendee_names: Any = None, resolution: str = "", note: str = "") -> MatterMeeting:
    access.require(actor, "matter.manage", matter)
    # Lock the matter: two clerks recording the same stage at once cannot both advance it.
    matter = Matter.objects.select_for_update(of=("self",)).select_related("village").get(pk=matter.pk)
    due = next_stage(matter)
    if due is None:
        raise ValidationError(
            _("No meeting is due: the matter is %(state)s.") % {"state": matter.get_state_display()}, field="stage")
    if stage != due:
        raise ValidationError(
            _("Stages cannot be skipped or taken out of order: the stage due now is “%(due)s”.")
            % {"due": Stage(due).label}, field="stage")
    if body not in STAGE_BODIES[stage]:
        raise ValidationError(_("This stage is decided by: %(bodies)s.")
                              % {"bodies": "、".join(str(Body(b).label) for b in STAGE_BODIES[stage])}, field="body")
    if decision not in MeetingDecision.values:
        raise ValidationError(_("Choose what follows from the meeting."), field="decision")
    held_on = not_future(held_on, field="held_on")
    last = matter.meetings.order_by("-held_on").values_list("held_on", flat=True).first()
    if last is not None and held_on < last:
        raise ValidationError(_("This meeting is dated before the matter's previous meeting (%(day)s).")
                              % {"day": last.isoformat()}, field="held_on")

    figures = map_figures(matter, body, held_on)
    eligible = _eligible(body, figures, eligible_count)
    present = whole(present_count, field="present_count", maximum=1_000_000)
    if present > eligible:
        raise ValidationError(_("More present (%(present)d) than eligible (%(eligible)d).")
                              % {"present": present, "eligible": eligible}, field="present_count")
    households_eligible = figures["households"]
    if households_present is not None:
        if body != Body.VILLAGERS:
            raise ValidationError(_("Households represented are counted at a villagers' meeting only."),
                                  field="households_present")
        households_present = whole(households_present, field="households_present", maximum=households_eligible or 0)
    counts = {k: whole(v, field=k, maximum=1_000_000) for k, v in
              (("votes_for", votes_for), ("votes_against", votes_against), ("votes_abstain", votes_abstain))}
    if sum(counts.values()) > present:
        raise ValidationError(_("More votes (%(votes)d) than people present (%(present)d).")
                              % {"votes": sum(counts.values()), "present": present}, field="votes_for")
    minutes = text(minutes, field="minutes", max_length=20000)
    note = text(note, field="note", max_length=2000, required=False)

    rule = rules.rule_for(body, village_rules(matter.village).meeting_rules)
    result = rules.assess(rule, eligible=eligible, present=present, votes_for=counts["votes_for"],
                          households_eligible=households_eligible, households_present=households_present)
    if decision == MeetingDecision.ADVANCE:
        if not result.quorum_met:
            raise ValidationError(
                _("No quorum: %(present)d of %(eligible)d present; %(needed)d needed (%(share)s). "
                  "The matter cannot advance on this meeting.")
                % {"present": present, "eligible": eligible, "needed": result.needed_present,
                   "share": rule.quorum.describe()}, field="present_count")
        if not result.carried:
            raise ValidationError(
                _("Not carried: %(votes)d for; %(needed)d needed (%(share)s of those %(of)s). "
                  "The matter cannot advance on this meeting.")
                % {"votes": counts["votes_for"], "needed": result.needed_for, "share": rule.majority.describe(),
                   "of": _("present") if rule.majority_of == rules.PRESENT else _("eligible")},
                field="votes_for")
    elif result.passed:
        raise ValidationError(_("The meeting was quorate and carried the proposal: the matter goes on."),
                              field="decision")
    if decision == MeetingDecision.RETURN and matter.state == "draft":
        raise ValidationError(_("At its first meeting a matter can only meet again or end."), field="decision")
    if stage == Stage.RESOLVE and decision == MeetingDecision.ADVANCE:
        resolution = text(resolution, field="resolution", max_length=8000, required=False) or matter.proposal

    meeting = MatterMeeting.objects.create(
        matter=matter, stage=stage, body=body, held_on=held_on, place=text(place, field="place", max_length=100,
                                                                         required=False),
        eligible_count=eligible, present_count=present, households_eligible=households_eligible,
        households_present=households_present, attendee_names=names(attendee_names), minutes=minutes,
        quorum_met=result.quorum_met, carried=result.carried, rule=rule.as_dict(), decision=decision,
        recorded_by=actor, region_path=matter.region_path, county_id=matter.county_id, **counts)
    summary = _("%(body)s on %(day)s: %(present)d of %(eligible)d present; %(for)d for, %(against)d against, "
                "%(abstain)d abstaining.") % {
        "body": Body(body).label, "day": held_on.isoformat(), "present": present, "eligible": eligible,
        "for": counts["votes_for"], "against": counts["votes_against"], "abstain": counts["votes_abstain"]}
    step_note = " ".join(part for part in (summary, note) if part)
    if decision == MeetingDecision.ADVANCE:
        changes: dict[str, Any] = {"resolution": resolution} if stage == Stage.RESOLVE else {}
        workflow.transition(matter, name=stage, actor=actor, note=step_note, **changes)
    elif decision == MeetingDecision.RETURN:
        workflow.transition(matter, name="return", actor=actor, note=step_note)
    elif decision == MeetingDecision.END:
        workflow.transition(matter, name="end", actor=actor, note=step_note)
    audit.record(actor=actor, action="matter.meeting", target=matter, detail={
        "meeting": meeting.pk, "stage": stage, "body": body, "quorum_met": result.quorum_met,
        "carried": result.carried, "decision": decision})
    return meeting


def _resolving_meeting(matter: Matter) -> MatterMeeting | None:
    return matter.meetings.filter(stage=Stage.RESOLVE, carried=True).order_by("-held_on", "-id").first()


def resolution_text(matter: Matter) -> str:
    meeting = _resolving_meeting(matter)
    lines = [matter.title, "", matter.resolution or matter.proposal]
    if matter.kind == MatterKind.ONE_MATTER:
        lines += ["", _("Plan: %(plan)s") % {"plan": matter.plan}]
        if matter.total_cost_fen is not None:
            lines.append(_("Total cost: %(yuan)s yuan") % {"yuan": _yuan(matter.total_cost_fen)})
        lines.append(_("Each household contributes: %(yuan)s yuan") % {"yuan": _yuan(matter.contribution_fen or 0)})
        if matter.labour_days:
            lines.append(_("and %(days)d days of labour") % {"days": matter.labour_days})
    if meeting is not None:
        lines += ["", _("Resolved by the %(body)s on %(day)s: %(present)d of %(eligible)d present; %(for)d for, "
                        "%(against)d against, %(abstain)d abstaining.") % {
            "body": meeting.get_body_display(), "day": meeting.held_on.isoformat(),
            "present": meeting.present_count, "eligible": meeting.eligible_count, "for": meeting.votes_for,
            "against": meeting.votes_against, "abstain": meeting.votes_abstain}]
    return "\n".join(lines)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@transaction.atomic
def matter_disclose_resolution(*, actor: Any, matter: Matter, body: str = "", remove_on: dt.date | None = None
                               ) -> Notice:
    """Post the resolution on the village-affairs board (决议公开) and mark it disclosed."""
    from shanzhi.deliberation.services.notices import notice_post

    access.require(actor, "matter.manage", matter)
    matter = Matter.objects.select_for_update(of=("self",)).select_related("village").get(pk=matter.pk)
    if matter.state != "resolved":
        raise ValidationError(_("Only a resolved matter's resolution is disclosed; this one is %(state)s.")
                              % {"state": matter.get_state_display()}, field="state")
    notice = notice_post(
        actor=actor, region=matter.village, board=Board.VILLAGE,
        category=Category.PUBLIC_WORKS if matter.kind == MatterKind.ONE_MATTER else Category.RESOLUTION,
        title=(_("Resolution: %(title)s") % {"title": matter.title})[:100],
        body=text(body, field="body", max_length=20000, required=False) or resolution_text(matter),
        remove_on=remove_on, source=NoticeSource.MATTER, matter=matter)
    workflow.transition(matter, name="disclose_resolution", actor=actor, note=notice.title)
    return notice


@transaction.atomic
def matter_disclose_result(*, actor: Any, matter: Matter, result: str, body: str = "",
                           remove_on: dt.date | None = None) -> Notice:
    """Post what came of carrying the resolution out (实施结果公开); the matter is done."""
    from shanzhi.deliberation.services.notices import notice_post

    access.require(actor, "matter.manage", matter)
    matter = Matter.objects.select_for_update(of=("self",)).select_related("village").get(pk=matter.pk)
    if matter.state != "resolution_disclosed":
        raise ValidationError(_("The result is disclosed after the resolution; this matter is %(state)s.")
                              % {"state": matter.get_state_display()}, field="state")
    result = text(result, field="result", max_length=8000)
    notice = notice_post(
        actor=actor, region=matter.village, board=Board.VILLAGE, category=Category.RESULT,
        title=(_("Result: %(title)s") % {"title": matter.title})[:100],
        body=text(body, field="body", max_length=20000, required=False) or f"{matter.title}\n\n{result}",
        remove_on=remove_on, source=NoticeSource.MATTER, matter=matter)
    workflow.transition(matter, name="disclose_result", actor=actor, note=notice.title, result=result)
    return notice


def matter_end(*, actor: Any, matter: Matter, note: str) -> Matter:
    """Withdraw a matter at any stage, with the reason."""
    workflow.transition(matter, name="end", actor=actor, note=note)
    return matter
