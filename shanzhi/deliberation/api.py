"""REST endpoints of deliberation and disclosure, under /api/deliberation/. Parsing and
calling services and selectors only.

Villages, townships and households named in a body or a filter that the caller may not act
in are a 422 naming the field; records outside the caller's scope answer 404. The public
board endpoints (``/public/...``) need no login and show only what is posted on a board.
"""

# No "from __future__ import annotations": ninja reads these signatures through the
# pagination wrapper, where postponed (string) annotations would not resolve.
import datetime as dt
import inspect
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core import access, uploads, workflow
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.deliberation import attachments, indicators, selectors, services
from shanzhi.deliberation.models import (
    Board,
    Body,
    Category,
    Conduct,
    CouncilMeeting,
    Frequency,
    MatterKind,
    MeetingDecision,
    MeetingKind,
    Notice,
    NoticeAttachment,
    RoleModelTitle,
    Secrecy,
    Stage,
    VoteBasis,
)
from shanzhi.regions.models import Region, Resident

router = Router(tags=["deliberation"])
public_router = Router(tags=["public boards"], auth=None)


# -- shared shapes -------------------------------------------------------------------------

class Place(Schema):
    code: str
    name: str


class StepOut(Schema):
    transition: str
    from_state: str
    to_state: str
    actor_name: str
    note: str
    at: dt.datetime


def _field(func: Any) -> Any:
    """A schema resolver that also takes the dicts the detail endpoints build (their
    values pass through as they are)."""
    name = func.__name__[len("resolve_"):]
    wants_context = "context" in inspect.signature(func).parameters

    def resolver(obj: Any, context: Any = None) -> Any:
        if isinstance(obj, dict):
            return obj.get(name)
        return func(obj, context) if wants_context else func(obj)

    resolver.__name__ = func.__name__
    return staticmethod(resolver)


def _user(context: Any) -> Any:
    return context["request"].user


def _place(region: Region) -> dict[str, str]:
    return {"code": region.code, "name": region.name}


def _history(obj: Any) -> list[Any]:
    return list(workflow.history(obj))


def _village(request: HttpRequest, code: str | None, action: str, field: str = "village") -> Region:
    return selectors.village_ref(request.user, code, action=action, field=field)


# -- topics --------------------------------------------------------------------------------

class TopicIn(Schema, extra="forbid"):
    village: str | None = Field(None, description="village code; a resident's own village when empty")
    title: str = Field(..., max_length=100)
    body: str = Field(..., max_length=4000)


class TopicOut(Schema):
    id: int
    village: Place
    title: str
    body: str
    raised_as: str
    raised_by: str
    state: str
    hidden: bool
    hidden_reason: str
    support_count: int
    comment_count: int
    created_at: dt.datetime
    supported: bool = False
    matter_id: int | None = None

    @_field
    def resolve_raised_by(obj: Any, context: Any) -> str:
        return selectors.author_name(_user(context), obj.raised_by, obj.raised_as, obj)

    @_field
    def resolve_supported(obj: Any) -> bool:
        return bool(getattr(obj, "supported", False))

    @_field
    def resolve_matter_id(obj: Any) -> int | None:
        return _matter_of(obj)


def _matter_of(topic: Any) -> int | None:
    if topic.state != "converted":
        return None
    try:
        return topic.matter.pk
    except ObjectDoesNotExist:
        return None


class CommentOut(Schema):
    id: int
    author: str
    author_role: str
    body: str
    hidden: bool
    hidden_reason: str
    created_at: dt.datetime


class TopicDetail(TopicOut):
    comments: list[CommentOut]
    history: list[StepOut]


class TopicFilter(Schema):
    village: str | None = Field(None, description="village code")
    state: Literal["open", "closed", "converted"] | None = None
    q: str = Field("", max_length=50)


class TextIn(Schema, extra="forbid"):
    body: str = Field(..., max_length=4000)


class ReasonIn(Schema, extra="forbid"):
    reason: str = Field(..., max_length=200)


class NoteIn(Schema, extra="forbid"):
    note: str = Field("", max_length=2000)


class ConvertIn(Schema, extra="forbid"):
    kind: MatterKind = MatterKind.FOUR_DELIBERATIONS
    title: str = Field("", max_length=100, description="the topic's title when empty")
    proposal: str = Field("", max_length=8000, description="the topic's text when empty")
    plan: str = Field("", max_length=8000)
    total_cost_fen: int | None = Field(None, ge=0)
    contribution_fen: int | None = Field(None, ge=0)
    labour_days: int | None = Field(None, ge=0, le=365)


def _topic_out(request: HttpRequest, topic: Any) -> dict[str, Any]:
    return {
        "id": topic.pk, "village": _place(topic.village), "title": topic.title, "body": topic.body,
        "raised_as": topic.raised_as,
        "raised_by": selectors.author_name(request.user, topic.raised_by, topic.raised_as, topic),
        "state": topic.state, "hidden": topic.hidden, "hidden_reason": topic.hidden_reason,
        "support_count": topic.support_count, "comment_count": topic.comment_count, "created_at": topic.created_at,
        "supported": bool(getattr(topic, "supported", False)), "matter_id": _matter_of(topic),
    }


def _topic_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    topic = selectors.topic_get(request.user, pk)
    comments = [{"id": c.pk, "author": selectors.author_name(request.user, c.author, c.author_role, topic),
                 "author_role": c.author_role, "body": c.body, "hidden": c.hidden, "hidden_reason": c.hidden_reason,
                 "created_at": c.created_at} for c in selectors.topic_comments(request.user, topic)]
    return {**_topic_out(request, topic), "comments": comments, "history": _history(topic)}


@router.get("/topics", response=list[TopicOut])
@paginate(PageNumberPagination)
def list_topics(request: HttpRequest, filters: Query[TopicFilter]) -> Any:
    village = _village(request, filters.village, "topic.view") if filters.village else None
    return selectors.topics(request.user, village=village, state=filters.state, q=filters.q).select_related("matter")


@router.post("/topics", response={201: TopicDetail})
def raise_topic(request: HttpRequest, payload: TopicIn) -> Any:
    topic = services.topic_raise(actor=request.user, village=_village(request, payload.village, "topic.view"),
                                 title=payload.title, body=payload.body)
    return Status(201, _topic_detail(request, topic.pk))


@router.get("/topics/{int:topic_id}", response=TopicDetail)
def get_topic(request: HttpRequest, topic_id: int) -> Any:
    return _topic_detail(request, topic_id)


@router.post("/topics/{int:topic_id}/comments", response={201: TopicDetail})
def comment_topic(request: HttpRequest, topic_id: int, payload: TextIn) -> Any:
    services.topic_comment(actor=request.user, topic=selectors.topic_get(request.user, topic_id), body=payload.body)
    return Status(201, _topic_detail(request, topic_id))


@router.post("/topics/{int:topic_id}/support", response=TopicDetail)
def support_topic(request: HttpRequest, topic_id: int) -> Any:
    """One support per resident: a second answers 409."""
    services.topic_support(actor=request.user, topic=selectors.topic_get(request.user, topic_id))
    return _topic_detail(request, topic_id)


@router.delete("/topics/{int:topic_id}/support", response=TopicDetail)
def unsupport_topic(request: HttpRequest, topic_id: int) -> Any:
    services.topic_unsupport(actor=request.user, topic=selectors.topic_get(request.user, topic_id))
    return _topic_detail(request, topic_id)


@router.post("/topics/{int:topic_id}/hide", response=TopicDetail)
def hide_topic(request: HttpRequest, topic_id: int, payload: ReasonIn) -> Any:
    services.topic_hide(actor=request.user, topic=selectors.topic_get(request.user, topic_id), reason=payload.reason)
    return _topic_detail(request, topic_id)


@router.post("/topics/{int:topic_id}/unhide", response=TopicDetail)
def unhide_topic(request: HttpRequest, topic_id: int) -> Any:
    services.topic_unhide(actor=request.user, topic=selectors.topic_get(request.user, topic_id))
    return _topic_detail(request, topic_id)


@router.post("/comments/{int:comment_id}/hide", response=TopicDetail)
def hide_comment(request: HttpRequest, comment_id: int, payload: ReasonIn) -> Any:
    comment = selectors.comment_get(request.user, comment_id)
    services.comment_hide(actor=request.user, comment=comment, reason=payload.reason)
    return _topic_detail(request, comment.topic_id)


@router.post("/comments/{int:comment_id}/unhide", response=TopicDetail)
def unhide_comment(request: HttpRequest, comment_id: int) -> Any:
    comment = selectors.comment_get(request.user, comment_id)
    services.comment_unhide(actor=request.user, comment=comment)
    return _topic_detail(request, comment.topic_id)


@router.post("/topics/{int:topic_id}/close", response=TopicDetail)
def close_topic(request: HttpRequest, topic_id: int, payload: NoteIn) -> Any:
    services.topic_close(actor=request.user, topic=selectors.topic_get(request.user, topic_id), note=payload.note)
    return _topic_detail(request, topic_id)


@router.post("/topics/{int:topic_id}/reopen", response=TopicDetail)
def reopen_topic(request: HttpRequest, topic_id: int) -> Any:
    services.topic_reopen(actor=request.user, topic=selectors.topic_get(request.user, topic_id))
    return _topic_detail(request, topic_id)


# -- offline meetings ----------------------------------------------------------------------

class MeetingIn(Schema, extra="forbid"):
    village: str
    kind: MeetingKind
    held_on: dt.date
    place: str = Field(..., max_length=100)
    subject: str = Field(..., max_length=100)
    attendee_count: int = Field(..., ge=1, le=100_000)
    attendee_names: list[str] = Field([], max_length=500)
    outcome: str = Field(..., max_length=4000)
    settled: bool = False
    topic_ids: list[int] = Field([], max_length=50)


class MeetingOut(Schema):
    id: int
    village: Place
    kind: str
    held_on: dt.date
    place: str
    subject: str
    attendee_count: int
    attendee_names: list[str] = Field(..., description="for the village's staff only; empty for others")
    outcome: str
    settled: bool
    topic_ids: list[int]

    @_field
    def resolve_attendee_names(obj: Any, context: Any) -> list[str]:
        return obj.attendee_names if selectors.sees_names(_user(context), obj) else []

    @_field
    def resolve_topic_ids(obj: Any) -> list[int]:
        return [t.pk for t in obj.topics.all()]


def _meeting_out(request: HttpRequest, meeting: Any) -> dict[str, Any]:
    return {"id": meeting.pk, "village": _place(meeting.village), "kind": meeting.kind, "held_on": meeting.held_on,
            "place": meeting.place, "subject": meeting.subject, "attendee_count": meeting.attendee_count,
            "attendee_names": meeting.attendee_names if selectors.sees_names(request.user, meeting) else [],
            "outcome": meeting.outcome, "settled": meeting.settled,
            "topic_ids": [t.pk for t in meeting.topics.all()]}


@router.get("/meetings", response=list[MeetingOut])
@paginate(PageNumberPagination)
def list_meetings(request: HttpRequest, village: str | None = None) -> Any:
    place = _village(request, village, "deliberation.view") if village else None
    return selectors.meetings(request.user, village=place)


@router.post("/meetings", response={201: MeetingOut})
def record_meeting(request: HttpRequest, payload: MeetingIn) -> Any:
    village = _village(request, payload.village, "deliberation.view")
    topics = list(selectors.topics(request.user, village=village).filter(pk__in=payload.topic_ids))
    if len(topics) != len(set(payload.topic_ids)):
        raise ValidationError(field="topic_ids")
    meeting = services.meeting_record(
        actor=request.user, village=village, kind=payload.kind, held_on=payload.held_on, place=payload.place,
        subject=payload.subject, attendee_count=payload.attendee_count, attendee_names=payload.attendee_names,
        outcome=payload.outcome, settled=payload.settled, topics=topics)
    return Status(201, _meeting_out(request, selectors.meeting_get(request.user, meeting.pk)))


@router.get("/meetings/{int:meeting_id}", response=MeetingOut)
def get_meeting(request: HttpRequest, meeting_id: int) -> Any:
    return _meeting_out(request, selectors.meeting_get(request.user, meeting_id))


# -- matters -------------------------------------------------------------------------------

class MatterIn(Schema, extra="forbid"):
    village: str
    kind: MatterKind = MatterKind.FOUR_DELIBERATIONS
    title: str = Field(..., max_length=100)
    proposal: str = Field(..., max_length=8000)
    plan: str = Field("", max_length=8000, description="one matter, one deliberation: the plan")
    total_cost_fen: int | None = Field(None, ge=0)
    contribution_fen: int | None = Field(None, ge=0, description="what each household contributes, in fen")
    labour_days: int | None = Field(None, ge=0, le=365)


class StageMeetingIn(Schema, extra="forbid"):
    stage: Stage
    body: Body
    held_on: dt.date
    place: str = Field("", max_length=100)
    eligible_count: int | None = Field(None, ge=1, description="taken from the map for a villagers' meeting "
                                                                "(and for the party members, if the map has them)")
    present_count: int = Field(..., ge=0)
    households_present: int | None = Field(None, ge=0, description="villagers' meeting: households represented")
    attendee_names: list[str] = Field([], max_length=500)
    minutes: str = Field(..., max_length=20000)
    votes_for: int = Field(..., ge=0)
    votes_against: int = Field(..., ge=0)
    votes_abstain: int = Field(..., ge=0)
    decision: MeetingDecision = Field(MeetingDecision.ADVANCE, description=(
        "advance: the meeting carried (refused, and nothing written, if it was not quorate or not carried); "
        "reconvene, return or end: the meeting failed"))
    resolution: str = Field("", max_length=8000, description="at the resolving stage: what was resolved")
    note: str = Field("", max_length=2000)


class StageMeetingOut(Schema):
    id: int
    stage: str
    body: str
    held_on: dt.date
    place: str
    eligible_count: int
    present_count: int
    households_eligible: int | None = None
    households_present: int | None = None
    attendee_names: list[str]
    minutes: str
    votes_for: int
    votes_against: int
    votes_abstain: int
    quorum_met: bool
    carried: bool
    decision: str
    rule: dict[str, Any]


class MatterOut(Schema):
    id: int
    village: Place
    kind: str
    title: str
    proposal: str
    state: str
    next_stage: str | None = None
    topic_id: int | None = None
    plan: str
    total_cost_fen: int | None = None
    contribution_fen: int | None = None
    labour_days: int | None = None
    resolution: str
    result: str
    created_at: dt.datetime

    @_field
    def resolve_next_stage(obj: Any) -> str | None:
        return services.next_stage(obj)


class NoticeRef(Schema):
    id: int
    title: str
    category: str
    posted_on: dt.date


class MatterDetail(MatterOut):
    meetings: list[StageMeetingOut]
    notices: list[NoticeRef]
    history: list[StepOut]


class MatterFilter(Schema):
    village: str | None = None
    state: str | None = Field(None, max_length=32)
    kind: MatterKind | None = None


class DiscloseResolutionIn(Schema, extra="forbid"):
    body: str = Field("", max_length=20000, description="composed from the matter and its meeting when empty")
    remove_on: dt.date | None = None


class DiscloseResultIn(Schema, extra="forbid"):
    result: str = Field(..., max_length=8000)
    body: str = Field("", max_length=20000)
    remove_on: dt.date | None = None


def _matter_out(matter: Any) -> dict[str, Any]:
    return {"id": matter.pk, "village": _place(matter.village), "kind": matter.kind, "title": matter.title,
            "proposal": matter.proposal, "state": matter.state, "next_stage": services.next_stage(matter),
            "topic_id": matter.topic_id, "plan": matter.plan, "total_cost_fen": matter.total_cost_fen,
            "contribution_fen": matter.contribution_fen, "labour_days": matter.labour_days,
            "resolution": matter.resolution, "result": matter.result, "created_at": matter.created_at}


def _matter_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    matter = selectors.matter_get(request.user, pk)
    names = selectors.sees_names(request.user, matter)
    meetings = [{**{f: getattr(m, f) for f in StageMeetingOut.model_fields if f not in ("attendee_names", "minutes",
                                                                                        "id")},
                 "id": m.pk, "attendee_names": m.attendee_names if names else [], "minutes": m.minutes if names
                 else ""} for m in selectors.matter_meetings(matter)]
    notices = [{"id": n.pk, "title": n.title, "category": n.category, "posted_on": n.posted_on}
               for n in selectors.matter_notices(matter)]
    return {**_matter_out(matter), "meetings": meetings, "notices": notices, "history": _history(matter)}


@router.get("/matters", response=list[MatterOut])
@paginate(PageNumberPagination)
def list_matters(request: HttpRequest, filters: Query[MatterFilter]) -> Any:
    village = _village(request, filters.village, "matter.view") if filters.village else None
    return selectors.matters(request.user, village=village, state=filters.state, kind=filters.kind)


@router.post("/matters", response={201: MatterDetail})
def create_matter(request: HttpRequest, payload: MatterIn) -> Any:
    matter = services.matter_create(
        actor=request.user, village=_village(request, payload.village, "matter.view"), kind=payload.kind,
        title=payload.title, proposal=payload.proposal, plan=payload.plan, total_cost_fen=payload.total_cost_fen,
        contribution_fen=payload.contribution_fen, labour_days=payload.labour_days)
    return Status(201, _matter_detail(request, matter.pk))


@router.post("/topics/{int:topic_id}/convert", response={201: MatterDetail})
def convert_topic(request: HttpRequest, topic_id: int, payload: ConvertIn) -> Any:
    matter = services.topic_convert(actor=request.user, topic=selectors.topic_get(request.user, topic_id),
                                    **payload.dict())
    return Status(201, _matter_detail(request, matter.pk))


@router.get("/matters/{int:matter_id}", response=MatterDetail)
def get_matter(request: HttpRequest, matter_id: int) -> Any:
    return _matter_detail(request, matter_id)


@router.post("/matters/{int:matter_id}/meetings", response={201: MatterDetail})
def record_stage_meeting(request: HttpRequest, matter_id: int, payload: StageMeetingIn) -> Any:
    """Record the meeting of the stage due now. Stages go in order: branch proposes → the two
    committees discuss → the party members review → the villagers (or their representatives)
    resolve. ``advance`` on a meeting without quorum or majority is refused (422)."""
    services.matter_record_meeting(actor=request.user, matter=selectors.matter_get(request.user, matter_id),
                                   **payload.dict())
    return Status(201, _matter_detail(request, matter_id))


@router.post("/matters/{int:matter_id}/disclose-resolution", response={201: MatterDetail})
def disclose_resolution(request: HttpRequest, matter_id: int, payload: DiscloseResolutionIn) -> Any:
    services.matter_disclose_resolution(actor=request.user, matter=selectors.matter_get(request.user, matter_id),
                                        body=payload.body, remove_on=payload.remove_on)
    return Status(201, _matter_detail(request, matter_id))


@router.post("/matters/{int:matter_id}/disclose-result", response={201: MatterDetail})
def disclose_result(request: HttpRequest, matter_id: int, payload: DiscloseResultIn) -> Any:
    services.matter_disclose_result(actor=request.user, matter=selectors.matter_get(request.user, matter_id),
                                    result=payload.result, body=payload.body, remove_on=payload.remove_on)
    return Status(201, _matter_detail(request, matter_id))


@router.post("/matters/{int:matter_id}/end", response=MatterDetail)
def end_matter(request: HttpRequest, matter_id: int, payload: NoteIn) -> Any:
    services.matter_end(actor=request.user, matter=selectors.matter_get(request.user, matter_id), note=payload.note)
    return _matter_detail(request, matter_id)


# -- votes ---------------------------------------------------------------------------------

class VoteIn(Schema, extra="forbid"):
    village: str
    title: str = Field(..., max_length=100)
    question: str = Field(..., max_length=4000)
    options: list[str] = Field(..., min_length=2, max_length=30)
    opens_at: dt.datetime
    closes_at: dt.datetime
    secrecy: Secrecy = Secrecy.SECRET
    basis: VoteBasis | None = Field(None, description="the village's default when empty")
    online: bool | None = Field(None, description="the village's rule when empty")
    hide_results_until_close: bool = Field(True, description="always true for a secret ballot")
    matter_id: int | None = None


class OptionOut(Schema):
    id: int
    position: int
    label: str
    online: int | None = None
    paper: int | None = None
    total: int | None = None


class MyBallot(Schema):
    on_roll: bool
    voted: bool
    channel: str | None = None
    option_id: int | None = None


class VoteOut(Schema):
    id: int
    village: Place
    title: str
    purpose: str
    basis: str
    secrecy: str
    online: bool
    opens_at: dt.datetime
    closes_at: dt.datetime
    status: str
    hide_results_until_close: bool
    elector_count: int
    turnout_count: int
    matter_id: int | None = None
    voted: bool = False

    @_field
    def resolve_voted(obj: Any) -> bool:
        return bool(getattr(obj, "voted", False))


class VoteDetail(VoteOut):
    question: str
    seats: int
    results_visible: bool
    results_final: bool
    paper_voters: int
    options: list[OptionOut]
    my_ballot: MyBallot


class BallotIn(Schema, extra="forbid"):
    option_id: int


class PaperIn(Schema, extra="forbid"):
    resident_id: int | None = Field(None, description="one vote per adult villager: the villager")
    household_id: int | None = Field(None, description="one vote per household: the household")
    option_id: int | None = Field(None, description="named ballot: the choice; never for a secret ballot")


class TallyIn(Schema, extra="forbid"):
    counts: dict[int, int] = Field(..., description="option id → paper ballots for it")


class ElectorOut(Schema):
    id: int
    resident_id: int | None = None
    household_id: int | None = None
    name: str
    voted: bool
    channel: str | None = None

    @_field
    def resolve_name(obj: Any) -> str:
        return obj.resident.name if obj.resident_id else obj.household.number

    @_field
    def resolve_voted(obj: Any) -> bool:
        return _turnout_of(obj) is not None

    @_field
    def resolve_channel(obj: Any) -> str | None:
        turnout = _turnout_of(obj)
        return turnout.channel if turnout else None


def _turnout_of(elector: Any) -> Any:
    try:
        return elector.turnout
    except ObjectDoesNotExist:
        return None


def _vote_out(vote: Any) -> dict[str, Any]:
    return {"id": vote.pk, "village": _place(vote.village), "title": vote.title, "purpose": vote.purpose,
            "basis": vote.basis, "secrecy": vote.secrecy, "online": vote.online, "opens_at": vote.opens_at,
            "closes_at": vote.closes_at, "status": vote.status,
            "hide_results_until_close": vote.hide_results_until_close, "elector_count": vote.elector_count,
            "turnout_count": vote.turnout_count, "matter_id": vote.matter_id,
            "voted": bool(getattr(vote, "voted", False))}


def _vote_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    vote = selectors.vote_get(request.user, pk)
    results = selectors.vote_results(request.user, vote)
    ballot = selectors.my_ballot(request.user, vote)
    return {
        **_vote_out(vote), "voted": ballot["voted"], "question": vote.question, "seats": vote.seats,
        "results_visible": results.visible, "results_final": results.final, "paper_voters": results.paper_voters,
        "options": [{"id": r.option.pk, "position": r.option.position, "label": r.option.label,
                     **({"online": r.online, "paper": r.paper, "total": r.total} if results.visible else {})}
                    for r in results.options],
        "my_ballot": {"on_roll": ballot["on_roll"], "voted": ballot["voted"], "channel": ballot.get("channel"),
                      "option_id": ballot["choice"].pk if ballot["choice"] else None},
    }


@router.get("/votes", response=list[VoteOut])
@paginate(PageNumberPagination)
def list_votes(request: HttpRequest, village: str | None = None,
               status: Literal["scheduled", "open", "closed"] | None = None) -> Any:
    place = _village(request, village, "vote.view") if village else None
    return selectors.votes(request.user, village=place, status=status)


@router.post("/votes", response={201: VoteDetail})
def create_vote(request: HttpRequest, payload: VoteIn) -> Any:
    village = _village(request, payload.village, "vote.view")
    matter = None
    if payload.matter_id is not None:
        matter = selectors.matters(request.user, village=village).filter(pk=payload.matter_id).first()
        if matter is None:
            raise ValidationError(field="matter_id")
    vote = services.vote_create(
        actor=request.user, village=village, title=payload.title, question=payload.question,
        options=payload.options, opens_at=payload.opens_at, closes_at=payload.closes_at, secrecy=payload.secrecy,
        basis=payload.basis, online=payload.online, hide_results_until_close=payload.hide_results_until_close,
        purpose="matter" if matter else "poll", matter=matter)
    return Status(201, _vote_detail(request, vote.pk))


@router.get("/votes/{int:vote_id}", response=VoteDetail)
def get_vote(request: HttpRequest, vote_id: int) -> Any:
    return _vote_detail(request, vote_id)


@router.post("/votes/{int:vote_id}/ballots", response={201: VoteDetail})
def cast_ballot(request: HttpRequest, vote_id: int, payload: BallotIn) -> Any:
    """Vote online. Once per elector, online or on paper: a second vote answers 409."""
    services.vote_cast(actor=request.user, vote=selectors.vote_get(request.user, vote_id),
                       option_id=payload.option_id)
    return Status(201, _vote_detail(request, vote_id))


@router.post("/votes/{int:vote_id}/paper", response={201: VoteDetail})
def record_paper_ballot(request: HttpRequest, vote_id: int, payload: PaperIn) -> Any:
    vote = selectors.vote_get(request.user, vote_id)
    resident = household = None
    if payload.resident_id is not None:
        resident = Resident.objects.filter(pk=payload.resident_id, household__village=vote.village).first()
        if resident is None:
            raise ValidationError(field="resident_id")
    if payload.household_id is not None:
        household = vote.village.village_households.filter(pk=payload.household_id).first()
        if household is None:
            raise ValidationError(field="household_id")
    services.vote_paper_record(actor=request.user, vote=vote, resident=resident, household=household,
                               option_id=payload.option_id)
    return Status(201, _vote_detail(request, vote_id))


@router.post("/votes/{int:vote_id}/paper-tally", response=VoteDetail)
def tally_paper_ballots(request: HttpRequest, vote_id: int, payload: TallyIn) -> Any:
    services.vote_paper_tally(actor=request.user, vote=selectors.vote_get(request.user, vote_id),
                              counts=payload.counts)
    return _vote_detail(request, vote_id)


@router.get("/votes/{int:vote_id}/roll", response=list[ElectorOut])
def vote_roll(request: HttpRequest, vote_id: int, q: str = Query("", max_length=50)) -> Any:
    """The roll and who has voted (never what), for the officials entering paper ballots: the
    first 500 electors matching ``q`` (a name, or the start of a household number)."""
    vote = selectors.vote_get(request.user, vote_id)
    return list(selectors.roll(request.user, vote, q=q)[:500])


@router.post("/votes/{int:vote_id}/settle", response=VoteDetail)
def settle_vote(request: HttpRequest, vote_id: int) -> Any:
    """After a role-model vote: award the most-voted nominees."""
    services.vote_settle_role_models(actor=request.user, vote=selectors.vote_get(request.user, vote_id))
    return _vote_detail(request, vote_id)


# -- notices -------------------------------------------------------------------------------

class AttachmentOut(Schema):
    id: int
    name: str
    kind: str
    size: int


class NoticeIn(Schema, extra="forbid"):
    region: str = Field(..., description="the village's (or township's) code")
    board: Board
    category: Category
    title: str = Field(..., max_length=100)
    body: str = Field(..., max_length=20000)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    posted_on: dt.date | None = Field(None, description="today when empty; never earlier")
    remove_on: dt.date | None = None


class NoticeOut(Schema):
    id: int
    region: Place
    board: str
    category: str
    title: str
    body: str
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    posted_on: dt.date
    remove_on: dt.date | None = None
    removed_at: dt.datetime | None = None
    removed_reason: str = ""
    current: bool
    matter_id: int | None = None
    attachments: list[AttachmentOut]

    @_field
    def resolve_current(obj: Any) -> bool:
        return obj.is_current()

    @_field
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.all())


class NoticeFilter(Schema):
    region: str | None = Field(None, description="village or township code")
    board: Board | None = None
    current: bool = False


def _notice_out(notice: Notice, *, public: bool = False) -> dict[str, Any]:
    out = {"id": notice.pk, "region": _place(notice.region), "board": notice.board, "category": notice.category,
           "title": notice.title, "body": notice.body, "period_start": notice.period_start,
           "period_end": notice.period_end, "posted_on": notice.posted_on, "remove_on": notice.remove_on,
           "removed_at": None if public else notice.removed_at,
           "removed_reason": "" if public else notice.removed_reason, "current": notice.is_current(),
           "matter_id": None if public else notice.matter_id,
           "attachments": [{"id": a.pk, "name": a.name, "kind": a.kind, "size": a.size}
                           for a in notice.attachments.all()]}
    return out


def _board_place(request: HttpRequest, code: str | None, action: str, field: str) -> Region:
    return selectors.place_ref(request.user, code, action=action, field=field,
                               levels={Region.Level.TOWNSHIP, Region.Level.VILLAGE})


@router.get("/notices", response=list[NoticeOut])
@paginate(PageNumberPagination)
def list_notices(request: HttpRequest, filters: Query[NoticeFilter]) -> Any:
    region = None
    if filters.region:
        region = Region.objects.filter(code=filters.region).first()
        if region is None:
            raise ValidationError(field="region")
    return selectors.notices(request.user, region=region, board=filters.board, current=filters.current)


@router.post("/notices", response={201: NoticeOut})
def post_notice(request: HttpRequest, payload: NoticeIn) -> Any:
    notice = services.notice_post(
        actor=request.user, region=_board_place(request, payload.region, "notice.view", "region"),
        board=payload.board, category=payload.category, title=payload.title, body=payload.body,
        period_start=payload.period_start, period_end=payload.period_end, posted_on=payload.posted_on,
        remove_on=payload.remove_on)
    return Status(201, _notice_out(selectors.notice_get(request.user, notice.pk)))


@router.get("/notices/{int:notice_id}", response=NoticeOut)
def get_notice(request: HttpRequest, notice_id: int) -> Any:
    return _notice_out(selectors.notice_get(request.user, notice_id))


@router.post("/notices/{int:notice_id}/attachments", response={201: NoticeOut})
def attach_to_notice(request: HttpRequest, notice_id: int, file: File[UploadedFile]) -> Any:
    """Add a PDF, JPEG, PNG, .xlsx or .docx file (at most 10 MB), checked by its content."""
    services.notice_attach(actor=request.user, notice=selectors.notice_get(request.user, notice_id), upload=file)
    return Status(201, _notice_out(selectors.notice_get(request.user, notice_id)))


@router.post("/notices/{int:notice_id}/take-down", response=NoticeOut)
def take_down_notice(request: HttpRequest, notice_id: int, payload: ReasonIn) -> Any:
    services.notice_take_down(actor=request.user, notice=selectors.notice_get(request.user, notice_id),
                              reason=payload.reason)
    return _notice_out(selectors.notice_get(request.user, notice_id))


def file_response(attachment: NoticeAttachment) -> HttpResponse:
    """An attachment as a download: its checked type, never sniffed, never run (at most
    10 MB, so it is read whole)."""
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read()
    except OSError:
        raise NotFound() from None
    return uploads.file_response(content, content_type=attachments.CONTENT_TYPES[attachment.kind],
                                 filename=attachment.name, cache="")


@router.get("/attachments/{int:attachment_id}")
def get_attachment(request: HttpRequest, attachment_id: int) -> Any:
    return file_response(selectors.attachment_get(request.user, attachment_id))


# -- the public boards (no login) ---------------------------------------------------------

class PublicBoardOut(Schema):
    village: Place
    township: Place | None = None
    party: list[NoticeOut]
    village_affairs: list[NoticeOut]
    earlier: list[NoticeOut]


@public_router.get("/villages/{code}/board", response=PublicBoardOut)
def public_board(request: HttpRequest, code: str) -> Any:
    """A village's Party-affairs and village-affairs boards (and its township's notices),
    as anyone may read them."""
    board = selectors.public_board(code)
    return {"village": _place(board.village), "township": _place(board.township) if board.township else None,
            "party": [_notice_out(n, public=True) for n in board.party],
            "village_affairs": [_notice_out(n, public=True) for n in board.village_affairs],
            "earlier": [_notice_out(n, public=True) for n in board.earlier]}


@public_router.get("/notices/{int:notice_id}", response=NoticeOut)
def public_notice(request: HttpRequest, notice_id: int) -> Any:
    return _notice_out(selectors.public_notice(notice_id), public=True)


@public_router.get("/attachments/{int:attachment_id}")
def public_attachment(request: HttpRequest, attachment_id: int) -> Any:
    return file_response(selectors.public_attachment(attachment_id))


# -- the disclosure calendar ---------------------------------------------------------------

class RequirementIn(Schema, extra="forbid"):
    region: str = Field(..., description="county, township or village code: where it applies")
    board: Board
    category: Category
    frequency: Frequency
    grace_days: int = Field(10, ge=0, le=90)
    title: str = Field(..., max_length=100)


class RequirementOut(Schema):
    id: int
    region: Place
    board: str
    category: str
    frequency: str
    grace_days: int
    title: str
    active: bool


class AdoptIn(Schema, extra="forbid"):
    region: str


class LateOut(Schema):
    village: Place
    requirement_id: int
    title: str
    board: str
    category: str
    period: str
    period_start: dt.date
    period_end: dt.date
    due: dt.date
    status: Literal["on_time", "late", "missing"]
    posted_on: dt.date | None = None
    days_late: int
    notice_id: int | None = None


def _requirement_out(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "region": _place(r.region), "board": r.board, "category": r.category,
            "frequency": r.frequency, "grace_days": r.grace_days, "title": r.title, "active": r.active}


def _calendar_place(request: HttpRequest, code: str | None, action: str) -> Region:
    return selectors.place_ref(request.user, code, action=action, field="region",
                               levels={Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE})


@router.get("/disclosure/requirements", response=list[RequirementOut])
@paginate(PageNumberPagination)
def list_requirements(request: HttpRequest, region: str | None = None) -> Any:
    place = _calendar_place(request, region, "disclosure.view") if region else None
    return selectors.requirements(request.user, region=place)


@router.post("/disclosure/requirements", response={201: RequirementOut})
def add_requirement(request: HttpRequest, payload: RequirementIn) -> Any:
    requirement = services.requirement_add(
        actor=request.user, region=_calendar_place(request, payload.region, "disclosure.view"),
        board=payload.board, category=payload.category, frequency=payload.frequency, title=payload.title,
        grace_days=payload.grace_days)
    return Status(201, _requirement_out(requirement))


@router.post("/disclosure/requirements/standard", response={201: list[RequirementOut]})
def adopt_standard_calendar(request: HttpRequest, payload: AdoptIn) -> Any:
    """Add the common calendar (finances monthly; assets, subsidies, Party dues, three
    meetings one lesson quarterly) under a county or township."""
    added = services.calendar_adopt_standard(
        actor=request.user, region=_calendar_place(request, payload.region, "disclosure.view"))
    return Status(201, [_requirement_out(r) for r in added])


@router.post("/disclosure/requirements/{int:requirement_id}/retire", response=RequirementOut)
def retire_requirement(request: HttpRequest, requirement_id: int) -> Any:
    requirement = access.get_for(request.user, "disclosure.view", selectors.requirements(request.user),
                                 pk=requirement_id)
    return _requirement_out(services.requirement_retire(actor=request.user, requirement=requirement))


@router.get("/disclosure/late", response=list[LateOut])
def late_disclosures(request: HttpRequest, region: str, periods: int = Query(1, ge=1, le=12),
                     include_on_time: bool = False) -> Any:
    """Which villages under a place have not posted (or posted late) what the calendar asks."""
    place = _calendar_place(request, region, "disclosure.view")
    rows = selectors.late_disclosures(request.user, region=place, periods=periods, include_on_time=include_on_time)
    return [{"village": _place(s.village), "requirement_id": s.requirement.pk, "title": s.requirement.title,
             "board": s.requirement.board, "category": s.requirement.category, "period": s.period.label,
             "period_start": s.period.start, "period_end": s.period.end, "due": s.due, "status": s.status,
             "posted_on": s.posted_on, "days_late": s.days_late, "notice_id": s.notice_id} for s in rows]


# -- role models, the council, admonitions -------------------------------------------------

class NominateIn(Schema, extra="forbid"):
    household_id: int
    resident_id: int | None = Field(None, description="required for a personal title")
    title: RoleModelTitle
    year: int
    deeds: str = Field(..., max_length=4000)
    points: int | None = Field(None, ge=0, le=100, description="passed to the points system on award, if any")


class RoleModelOut(Schema):
    id: int
    village: Place
    household_id: int
    household_number: str
    person: str | None = None
    title: str
    year: int
    deeds: str
    points: int | None = None
    state: str
    council_meeting_id: int | None = None
    decided_at: dt.datetime | None = None

    @_field
    def resolve_household_number(obj: Any) -> str:
        return obj.household.number

    @_field
    def resolve_person(obj: Any) -> str | None:
        return obj.resident.name if obj.resident_id else None


class ReviewIn(Schema, extra="forbid"):
    meeting_id: int
    award: bool
    note: str = Field("", max_length=2000, description="required when declining")


class RoleModelVoteIn(Schema, extra="forbid"):
    role_model_ids: list[int] = Field(..., min_length=2, max_length=30)
    title: str = Field(..., max_length=100)
    opens_at: dt.datetime
    closes_at: dt.datetime
    seats: int = Field(1, ge=1)
    secrecy: Secrecy = Secrecy.SECRET
    basis: VoteBasis | None = None
    online: bool | None = None


class PublishIn(Schema, extra="forbid"):
    village: str
    year: int
    remove_on: dt.date | None = None


class RoleModelFilter(Schema):
    village: str | None = None
    year: int | None = None
    state: Literal["nominated", "voting", "awarded", "declined"] | None = None


def _role_model_out(request: HttpRequest, m: Any) -> dict[str, Any]:
    return {"id": m.pk, "village": _place(m.village), "household_id": m.household_id,
            "household_number": m.household.number, "person": m.resident.name if m.resident else None,
            "title": m.title, "year": m.year, "deeds": m.deeds, "points": m.points, "state": m.state,
            "council_meeting_id": m.council_meeting_id, "decided_at": m.decided_at}


@router.get("/role-models", response=list[RoleModelOut])
@paginate(PageNumberPagination)
def list_role_models(request: HttpRequest, filters: Query[RoleModelFilter]) -> Any:
    village = _village(request, filters.village, "rolemodel.view") if filters.village else None
    return selectors.role_models(request.user, village=village, year=filters.year, state=filters.state)


@router.post("/role-models", response={201: RoleModelOut})
def nominate_role_model(request: HttpRequest, payload: NominateIn) -> Any:
    household = selectors.household_ref(request.user, payload.household_id, action="rolemodel.view",
                                        field="household_id")
    resident = None
    if payload.resident_id is not None:
        resident = household.members.filter(pk=payload.resident_id).first()
        if resident is None:
            raise ValidationError(field="resident_id")
    model = services.role_model_nominate(actor=request.user, household=household, resident=resident,
                                         title=payload.title, year=payload.year, deeds=payload.deeds,
                                         points=payload.points)
    return Status(201, _role_model_out(request, selectors.role_model_get(request.user, model.pk)))


@router.get("/role-models/{int:role_model_id}", response=RoleModelOut)
def get_role_model(request: HttpRequest, role_model_id: int) -> Any:
    return _role_model_out(request, selectors.role_model_get(request.user, role_model_id))


@router.post("/role-models/{int:role_model_id}/review", response=RoleModelOut)
def review_role_model(request: HttpRequest, role_model_id: int, payload: ReviewIn) -> Any:
    model = selectors.role_model_get(request.user, role_model_id)
    # The meeting must be the village's own; whether the caller may decide is the service's to say.
    meeting = CouncilMeeting.objects.filter(pk=payload.meeting_id, village=model.village).first()
    if meeting is None:
        raise ValidationError(field="meeting_id")
    services.role_model_review(actor=request.user, role_model=model, meeting=meeting, award=payload.award,
                               note=payload.note)
    return _role_model_out(request, selectors.role_model_get(request.user, role_model_id))


@router.post("/role-models/votes", response={201: VoteDetail})
def put_role_models_to_vote(request: HttpRequest, payload: RoleModelVoteIn) -> Any:
    found = list(selectors.role_models(request.user).filter(pk__in=payload.role_model_ids))
    if len(found) != len(set(payload.role_model_ids)):
        raise ValidationError(field="role_model_ids")
    vote = services.role_model_vote_open(
        actor=request.user, role_models=found, title=payload.title, opens_at=payload.opens_at,
        closes_at=payload.closes_at, seats=payload.seats, secrecy=payload.secrecy, basis=payload.basis,
        online=payload.online)
    return Status(201, _vote_detail(request, vote.pk))


@router.post("/role-models/publish", response={201: NoticeOut})
def publish_role_models(request: HttpRequest, payload: PublishIn) -> Any:
    notice = services.role_models_publish(actor=request.user, village=_village(request, payload.village,
                                                                                  "rolemodel.view"),
                                          year=payload.year, remove_on=payload.remove_on)
    return Status(201, _notice_out(selectors.notice_get(request.user, notice.pk)))


class CouncilMeetingIn(Schema, extra="forbid"):
    village: str
    held_on: dt.date
    place: str = Field("", max_length=100)
    member_count: int = Field(..., ge=1, le=200)
    present_count: int = Field(..., ge=0, le=200)
    attendee_names: list[str] = Field([], max_length=200)
    minutes: str = Field(..., max_length=20000)


class CouncilMeetingOut(Schema):
    id: int
    village: Place
    held_on: dt.date
    place: str
    member_count: int
    present_count: int
    quorate: bool
    attendee_names: list[str]
    minutes: str


class AdmonitionIn(Schema, extra="forbid"):
    meeting_id: int
    household_id: int
    resident_id: int | None = None
    conduct: Conduct
    description: str = Field(..., max_length=4000)


class FollowUpIn(Schema, extra="forbid"):
    follow_up: str = Field(..., max_length=4000)
    corrected_on: dt.date | None = None


class AdmonitionOut(Schema):
    id: int
    meeting_id: int
    held_on: dt.date
    village: Place
    household_id: int
    household_number: str
    person: str | None = None
    conduct: str
    description: str
    follow_up: str
    corrected_on: dt.date | None = None

    @_field
    def resolve_held_on(obj: Any) -> dt.date:
        return obj.meeting.held_on

    @_field
    def resolve_household_number(obj: Any) -> str:
        return obj.household.number

    @_field
    def resolve_person(obj: Any) -> str | None:
        return obj.resident.name if obj.resident_id else None


def _council_out(m: Any) -> dict[str, Any]:
    return {"id": m.pk, "village": _place(m.village), "held_on": m.held_on, "place": m.place,
            "member_count": m.member_count, "present_count": m.present_count, "quorate": m.quorate,
            "attendee_names": m.attendee_names, "minutes": m.minutes}


def _admonition_out(a: Any) -> dict[str, Any]:
    return {"id": a.pk, "meeting_id": a.meeting_id, "held_on": a.meeting.held_on, "village": _place(a.village),
            "household_id": a.household_id, "household_number": a.household.number,
            "person": a.resident.name if a.resident else None, "conduct": a.conduct, "description": a.description,
            "follow_up": a.follow_up, "corrected_on": a.corrected_on}


@router.get("/council-meetings", response=list[CouncilMeetingOut])
@paginate(PageNumberPagination)
def list_council_meetings(request: HttpRequest, village: str | None = None) -> Any:
    place = _village(request, village, "council.view") if village else None
    return selectors.council_meetings(request.user, village=place)


@router.post("/council-meetings", response={201: CouncilMeetingOut})
def record_council_meeting(request: HttpRequest, payload: CouncilMeetingIn) -> Any:
    meeting = services.council_meeting_record(
        actor=request.user, village=_village(request, payload.village, "council.view"), held_on=payload.held_on,
        place=payload.place, member_count=payload.member_count, present_count=payload.present_count,
        attendee_names=payload.attendee_names, minutes=payload.minutes)
    return Status(201, _council_out(selectors.council_meeting_get(request.user, meeting.pk)))


@router.get("/council-meetings/{int:meeting_id}", response=CouncilMeetingOut)
def get_council_meeting(request: HttpRequest, meeting_id: int) -> Any:
    return _council_out(selectors.council_meeting_get(request.user, meeting_id))


@router.get("/admonitions", response=list[AdmonitionOut])
@paginate(PageNumberPagination)
def list_admonitions(request: HttpRequest, village: str | None = None, household_id: int | None = None) -> Any:
    place = _village(request, village, "admonition.view") if village else None
    household = None
    if household_id is not None:
        household = selectors.household_ref(request.user, household_id, action="admonition.view",
                                            field="household_id")
    return selectors.admonitions(request.user, village=place, household=household)


@router.post("/admonitions", response={201: AdmonitionOut})
def record_admonition(request: HttpRequest, payload: AdmonitionIn) -> Any:
    meeting = selectors.council_meetings(request.user).filter(pk=payload.meeting_id).first()
    if meeting is None:
        raise ValidationError(field="meeting_id")
    household = selectors.household_ref(request.user, payload.household_id, action="council.view",
                                        field="household_id")
    resident = None
    if payload.resident_id is not None:
        resident = household.members.filter(pk=payload.resident_id).first()
        if resident is None:
            raise ValidationError(field="resident_id")
    admonition = services.admonition_record(actor=request.user, meeting=meeting, household=household,
                                            resident=resident, conduct=payload.conduct,
                                            description=payload.description)
    return Status(201, _admonition_out(selectors.admonition_get(request.user, admonition.pk)))


@router.post("/admonitions/{int:admonition_id}/follow-up", response=AdmonitionOut)
def follow_up_admonition(request: HttpRequest, admonition_id: int, payload: FollowUpIn) -> Any:
    admonition = selectors.admonition_get(request.user, admonition_id)
    services.admonition_follow_up(actor=request.user, admonition=admonition, follow_up=payload.follow_up,
                                  corrected_on=payload.corrected_on)
    return _admonition_out(selectors.admonition_get(request.user, admonition_id))


# -- the red/black list --------------------------------------------------------------------

class IndicatorOut(Schema):
    key: str
    label: str
    unit: str
    higher_is_better: bool
    weight: int
    entered: bool


class RankingIn(Schema, extra="forbid"):
    township: str
    year: int
    quarter: int = Field(..., ge=1, le=4)
    red_count: int | None = Field(None, ge=0)
    black_count: int | None = Field(None, ge=0)


class AdjustIn(Schema, extra="forbid"):
    village: str
    delta: Decimal = Field(..., description="points added to the score (negative to take off), at most 20")
    reason: str = Field(..., max_length=200)


class PublishRankingIn(Schema, extra="forbid"):
    remove_on: dt.date | None = None


class AdjustmentOut(Schema):
    delta: Decimal
    reason: str
    actor: str
    at: dt.datetime


class EntryOut(Schema):
    village: Place
    values: dict[str, float | None]
    scores: dict[str, float | None]
    measured_score: Decimal | None = None
    adjustment: Decimal
    final_score: Decimal | None = None
    rank: int | None = None
    placement: str
    adjustments: list[AdjustmentOut]


class RankingOut(Schema):
    id: int
    township: Place
    year: int
    quarter: int
    state: str
    red_count: int
    black_count: int
    indicators: list[dict[str, Any]]
    computed_at: dt.datetime
    published_at: dt.datetime | None = None
    notice_id: int | None = None


class RankingDetail(RankingOut):
    entries: list[EntryOut]


class ReadingIn(Schema, extra="forbid"):
    village: str
    indicator: str = Field(..., max_length=40)
    year: int
    quarter: int = Field(..., ge=1, le=4)
    value: Decimal
    note: str = Field("", max_length=200)


class ReadingOut(Schema):
    village: Place
    indicator: str
    year: int
    quarter: int
    value: Decimal
    note: str


def _ranking_out(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "township": _place(r.township), "year": r.year, "quarter": r.quarter, "state": r.state,
            "red_count": r.red_count, "black_count": r.black_count, "indicators": r.indicators,
            "computed_at": r.computed_at, "published_at": r.published_at, "notice_id": r.notice_id}


def _ranking_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    ranking = selectors.ranking_get(request.user, pk)
    entries = [{"village": _place(e.village), "values": e.values, "scores": e.scores,
                "measured_score": e.measured_score, "adjustment": e.adjustment, "final_score": e.final_score,
                "rank": e.rank, "placement": e.placement,
                "adjustments": [{"delta": a.delta, "reason": a.reason, "actor": a.actor.get_full_name(), "at": a.at}
                                for a in e.adjustments.all()]}
               for e in selectors.ranking_entries(ranking)]
    return {**_ranking_out(ranking), "entries": entries}


def _township(request: HttpRequest, code: str | None, action: str) -> Region:
    return selectors.place_ref(request.user, code, action=action, field="township", levels={Region.Level.TOWNSHIP})


@router.get("/indicators", response=list[IndicatorOut])
def list_indicators(request: HttpRequest) -> Any:
    """What the red/black list measures (modules add their indicators as they are installed)."""
    return [{"key": i.key, "label": str(i.label), "unit": str(i.unit), "higher_is_better": i.higher_is_better,
             "weight": i.weight, "entered": i.entered} for i in indicators.active()]


@router.post("/indicator-readings", response={201: ReadingOut})
def enter_reading(request: HttpRequest, payload: ReadingIn) -> Any:
    reading = services.indicator_reading_enter(
        actor=request.user, village=_village(request, payload.village, "ranking.view"),
        indicator=payload.indicator, year=payload.year, quarter=payload.quarter, value=payload.value,
        note=payload.note)
    return Status(201, {"village": _place(reading.village), "indicator": reading.indicator, "year": reading.year,
                        "quarter": reading.quarter, "value": reading.value, "note": reading.note})


@router.get("/red-black-lists", response=list[RankingOut])
@paginate(PageNumberPagination)
def list_rankings(request: HttpRequest, township: str | None = None) -> Any:
    place = _township(request, township, "ranking.view") if township else None
    return selectors.rankings(request.user, township=place)


@router.post("/red-black-lists", response={201: RankingDetail})
def compute_ranking(request: HttpRequest, payload: RankingIn) -> Any:
    """Compute (or recompute, keeping its adjustments) a township's draft list for a quarter
    that has ended."""
    ranking = services.red_black_list_compute(
        actor=request.user, township=_township(request, payload.township, "ranking.view"), year=payload.year,
        quarter=payload.quarter, red_count=payload.red_count, black_count=payload.black_count)
    return Status(201, _ranking_detail(request, ranking.pk))


@router.get("/red-black-lists/{int:ranking_id}", response=RankingDetail)
def get_ranking(request: HttpRequest, ranking_id: int) -> Any:
    return _ranking_detail(request, ranking_id)


@router.post("/red-black-lists/{int:ranking_id}/adjustments", response={201: RankingDetail})
def adjust_ranking(request: HttpRequest, ranking_id: int, payload: AdjustIn) -> Any:
    ranking = selectors.ranking_get(request.user, ranking_id)
    village = Region.objects.filter(code=payload.village, level=Region.Level.VILLAGE, parent=ranking.township).first()
    if village is None:
        raise ValidationError(field="village")
    services.red_black_list_adjust(actor=request.user, ranking=ranking, village=village, delta=payload.delta,
                                   reason=payload.reason)
    return Status(201, _ranking_detail(request, ranking_id))


@router.post("/red-black-lists/{int:ranking_id}/publish", response=RankingDetail)
def publish_ranking(request: HttpRequest, ranking_id: int, payload: PublishRankingIn) -> Any:
    services.red_black_list_publish(actor=request.user, ranking=selectors.ranking_get(request.user, ranking_id),
                                    remove_on=payload.remove_on)
    return _ranking_detail(request, ranking_id)


# -- a village's own rules -----------------------------------------------------------------

class RulesOut(Schema):
    village: Place
    allow_online_voting: bool
    default_vote_basis: str
    publish_names: bool
    meeting_rules: dict[str, Any]


class RulesPatch(Schema, extra="forbid"):
    allow_online_voting: bool | None = None
    default_vote_basis: VoteBasis | None = None
    publish_names: bool | None = None
    meeting_rules: dict[str, Any] | None = Field(None, description=(
        'stricter than the law only, e.g. {"villagers": {"majority": [2, 3, false]}} '
        "(a share is [numerator, denominator, more-than?])"))


def _rules_out(rules: Any) -> dict[str, Any]:
    return {"village": _place(rules.village), "allow_online_voting": rules.allow_online_voting,
            "default_vote_basis": rules.default_vote_basis, "publish_names": rules.publish_names,
            "meeting_rules": rules.meeting_rules}


@router.get("/villages/{code}/rules", response=RulesOut)
def get_rules(request: HttpRequest, code: str) -> Any:
    village = selectors.village_get(request.user, code, action="villagerules.view")
    return _rules_out(selectors.rules_of(village))


@router.patch("/villages/{code}/rules", response=RulesOut)
def update_rules(request: HttpRequest, code: str, payload: RulesPatch) -> Any:
    village = selectors.village_get(request.user, code, action="villagerules.view")
    return _rules_out(services.village_rules_update(actor=request.user, village=village,
                                                    **payload.dict(exclude_unset=True)))
