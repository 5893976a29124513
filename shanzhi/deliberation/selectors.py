"""Reads of deliberation and disclosure, already scoped to the viewer, with the joins the
pages and the API show (a list costs the same few queries at 10 rows or 10,000).

The public boards are the one read without a viewer: they show only what is posted and
current on a village's (and its township's) boards, which is public by law."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, tree
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.deliberation import disclosure
from shanzhi.deliberation.models import (
    Admonition,
    Board,
    CouncilMeeting,
    DeliberationMeeting,
    DisclosureRequirement,
    Elector,
    IndicatorReading,
    Matter,
    MatterMeeting,
    NamedChoice,
    Notice,
    NoticeAttachment,
    RedBlackEntry,
    RedBlackList,
    RoleModel,
    Topic,
    TopicComment,
    TopicSupport,
    Turnout,
    VillageRules,
    Vote,
    VoteBasis,
    VoteOption,
)
from shanzhi.deliberation.services.votes import results_final
from shanzhi.regions.models import Household, Region


def _viewer(who: Any) -> access.Viewer:
    return who if isinstance(who, access.Viewer) else access.viewer_for(who)


def _q(viewer: access.Viewer, action: str, model: Any) -> Q:
    """The scope filter as a Q to combine with others (everything: a condition always true,
    since an empty Q() vanishes from an OR)."""
    q = access.scope_q(viewer, action, model)
    return Q(pk__isnull=False) if q is None else q


# -- places ------------------------------------------------------------------------------

def village_ref(who: Any, code: str | None, *, action: str, field: str = "village") -> Region:
    """The village a form or API field names (the resident's own when empty). A code the
    viewer may not act in reads as unknown, so input cannot probe the map."""
    viewer = _viewer(who)
    code = (code or "").strip()
    if not code:
        if viewer.home_path:
            village = Region.objects.filter(level=Region.Level.VILLAGE,
                                            path__in=tree.ancestors(viewer.home_path)).first()
            if village is not None:
                return village
        raise ValidationError(_("Choose a village."), field=field)
    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first()
    if village is None or not _may_in(viewer, action, village.path):
        raise ValidationError(_("Unknown village code: %(code)s") % {"code": code[:20]}, field=field)
    return village


def place_ref(who: Any, code: str | None, *, action: str, field: str, levels: Collection[int]) -> Region:
    viewer = _viewer(who)
    region = Region.objects.filter(code=(code or "").strip(), level__in=levels).first() if code else None
    if region is None or not _may_in(viewer, action, region.path):
        raise ValidationError(_("Unknown region code: %(code)s") % {"code": (code or "")[:20]}, field=field)
    return region


def _may_in(viewer: access.Viewer, action: str, path: str) -> bool:
    if viewer.is_admin:
        return True
    if any(tree.is_under(path, p) or tree.is_under(p, path) for p in viewer.paths_for(action)):
        return True
    home = viewer.own_home_for(action)
    return bool(home and tree.is_under(home, path))


def villages_for(who: Any, action: str) -> QuerySet[Region]:
    """The villages where the viewer may ``action`` (for a form's choice of village)."""
    viewer = _viewer(who)
    qs = Region.objects.filter(level=Region.Level.VILLAGE)
    if viewer.is_admin:
        return qs.order_by("path")
    q = Q(pk__in=[])
    paths = viewer.paths_for(action)
    if paths:
        q |= tree.under_any(paths, "path") | Q(path__in={a for p in paths for a in tree.ancestors(p)})
    home = viewer.own_home_for(action)
    if home:
        q |= Q(path__in=tree.ancestors(home))
    return qs.filter(q).order_by("path")


def places_for(who: Any, action: str, levels: Collection[int]) -> QuerySet[Region]:
    viewer = _viewer(who)
    qs = Region.objects.filter(level__in=levels)
    if viewer.is_admin:
        return qs.order_by("path")
    paths = viewer.paths_for(action)
    return qs.filter(tree.under_any(paths, "path")).order_by("path") if paths else qs.none()


def household_ref(who: Any, pk: int | None, *, action: str, field: str = "household") -> Household:
    """A household in a village the viewer may ``action`` in."""
    viewer = _viewer(who)
    household = Household.objects.select_related("village").filter(pk=pk).first() if pk else None
    if household is None or not (_may_in(viewer, action, household.village.path)):
        raise ValidationError(_("Unknown household."), field=field)
    return household


# -- topics ------------------------------------------------------------------------------

def _visible_topics(viewer: access.Viewer) -> Q:
    """Hidden topics stay visible to moderators and to whoever raised them."""
    q = Q(hidden=False) | _q(viewer, "topic.moderate", Topic)
    if viewer.user is not None:
        q |= Q(raised_by=viewer.user)
    return q


def topics(who: Any, *, village: Region | None = None, state: str | None = None, q: str = "") -> QuerySet[Topic]:
    viewer = _viewer(who)
    qs = access.scope(viewer, "topic.view", Topic.objects.all()).filter(_visible_topics(viewer))
    if village is not None:
        qs = qs.filter(village=village)
    if state:
        qs = qs.filter(state=state)
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(body__contains=q))
    if viewer.resident_id:
        qs = qs.annotate(supported=Exists(TopicSupport.objects.filter(topic=OuterRef("pk"),
                                                                      resident_id=viewer.resident_id)))
    return qs.select_related("village", "raised_by").order_by("-created_at", "-id")


def topic_get(who: Any, pk: int) -> Topic:
    viewer = _viewer(who)
    topic = topics(viewer).filter(pk=pk).select_related("hidden_by").first()
    if topic is None:
        raise NotFound()
    return topic


def may_moderate(who: Any, topic: Topic) -> bool:
    return access.can(_viewer(who), "topic.moderate", topic)


def topic_comments(who: Any, topic: Topic) -> QuerySet[TopicComment]:
    viewer = _viewer(who)
    qs = topic.comments.select_related("author")
    if not may_moderate(viewer, topic):
        qs = qs.filter(Q(hidden=False) | Q(author=viewer.user))
    return qs.order_by("created_at", "id")


def comment_get(who: Any, pk: int) -> TopicComment:
    viewer = _viewer(who)
    comment = TopicComment.objects.select_related("topic").filter(pk=pk).first()
    if comment is None or not topics(viewer).filter(pk=comment.topic_id).exists():
        raise NotFound()
    if comment.hidden and comment.author_id != getattr(viewer.user, "pk", None) and not may_moderate(
            viewer, comment.topic):
        raise NotFound()
    return comment


def supports(who: Any, topic: Topic) -> bool:
    viewer = _viewer(who)
    if viewer.resident_id is None:
        return False
    return TopicSupport.objects.filter(topic=topic, resident_id=viewer.resident_id).exists()


def meetings(who: Any, *, village: Region | None = None) -> QuerySet[DeliberationMeeting]:
    qs = access.scope(who, "deliberation.view", DeliberationMeeting.objects.all())
    if village is not None:
        qs = qs.filter(village=village)
    return qs.select_related("village").prefetch_related("topics").order_by("-held_on", "-id")


def meeting_get(who: Any, pk: int) -> DeliberationMeeting:
    return access.get_for(who, "deliberation.view", meetings(who), pk=pk)


def sees_names(who: Any, record: Any) -> bool:
    """Attendee lists and minutes are for staff who keep the village's records."""
    viewer = _viewer(who)
    return any(access.can(viewer, action, record) for action in ("deliberation.record", "matter.manage",
                                                                 "council.view"))


# -- matters -----------------------------------------------------------------------------

def matters(who: Any, *, village: Region | None = None, state: str | None = None, kind: str | None = None
            ) -> QuerySet[Matter]:
    qs = access.scope(who, "matter.view", Matter.objects.all())
    if village is not None:
        qs = qs.filter(village=village)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("village", "topic").order_by("-created_at", "-id")


def matter_get(who: Any, pk: int) -> Matter:
    return access.get_for(who, "matter.view", matters(who), pk=pk)


def matter_meetings(matter: Matter) -> QuerySet[MatterMeeting]:
    return matter.meetings.select_related("recorded_by").order_by("held_on", "recorded_at", "id")


def matter_notices(matter: Matter) -> QuerySet[Notice]:
    return matter.notices.order_by("posted_on", "id")


# -- votes -------------------------------------------------------------------------------

def votes(who: Any, *, village: Region | None = None, status: str | None = None) -> QuerySet[Vote]:
    viewer = _viewer(who)
    qs = access.scope(viewer, "vote.view", Vote.objects.all())
    if village is not None:
        qs = qs.filter(village=village)
    now = timezone.now()
    if status == "open":
        qs = qs.filter(opens_at__lte=now, closes_at__gt=now)
    elif status == "scheduled":
        qs = qs.filter(opens_at__gt=now)
    elif status == "closed":
        qs = qs.filter(closes_at__lte=now)
    if viewer.resident_id:
        mine = Elector.objects.filter(vote=OuterRef("pk"), turnout__isnull=False).filter(
            Q(resident_id=viewer.resident_id) | Q(household_id=viewer.household_id, vote__basis=VoteBasis.HOUSEHOLD))
        qs = qs.annotate(voted=Exists(mine))
    return qs.select_related("village").order_by("-opens_at", "-id")


def vote_get(who: Any, pk: int) -> Vote:
    return access.get_for(who, "vote.view", votes(who), pk=pk)


@dataclass
class OptionResult:
    option: VoteOption
    online: int
    paper: int

    @property
    def total(self) -> int:
        return self.online + self.paper


@dataclass
class VoteResults:
    visible: bool  # False while hidden until the close
    final: bool
    turnout: int
    electors: int
    paper_voters: int
    options: list[OptionResult]


def vote_results(who: Any, vote: Vote) -> VoteResults:
    """Counts, or only turnout while the vote hides its results until the close."""
    options = list(vote.options.order_by("position"))
    paper_voters = vote.turnouts.filter(channel="paper").count()
    visible = vote.is_closed() or not vote.hide_results_until_close
    return VoteResults(
        visible=visible, final=results_final(vote), turnout=vote.turnout_count, electors=vote.elector_count,
        paper_voters=paper_voters,
        options=[OptionResult(o, o.online_count, o.paper_count) if visible else OptionResult(o, 0, 0)
                 for o in options])


def my_ballot(who: Any, vote: Vote) -> dict[str, Any]:
    """Whether the viewer is on the roll, has voted, and (named ballots) for what."""
    viewer = _viewer(who)
    if not viewer.resident_id:
        return {"on_roll": False, "voted": False, "choice": None}
    lookup: dict[str, Any] = ({"resident_id": viewer.resident_id} if vote.basis == VoteBasis.PERSON
                              else {"household_id": viewer.household_id})
    elector = Elector.objects.filter(vote=vote, **lookup).first()
    if elector is None:
        return {"on_roll": False, "voted": False, "choice": None}
    turnout = Turnout.objects.filter(elector=elector).first()
    choice = None
    if turnout is not None:
        named = NamedChoice.objects.filter(turnout=turnout).select_related("option").first()
        choice = named.option if named else None
    return {"on_roll": True, "voted": turnout is not None, "choice": choice,
            "channel": turnout.channel if turnout else None}


def named_choices(who: Any, vote: Vote) -> QuerySet[NamedChoice]:
    """Who chose what in a named ballot, for the officials who run it."""
    if vote.secrecy != "named" or not access.can(_viewer(who), "vote.paper", vote):
        return NamedChoice.objects.none()
    return (NamedChoice.objects.filter(turnout__vote=vote)
            .select_related("option", "turnout__elector__resident", "turnout__elector__household")
            .order_by("option__position", "turnout_id"))


def roll(who: Any, vote: Vote, *, q: str = "") -> QuerySet[Elector]:
    """The roll with who has voted (never what), for the officials entering paper votes."""
    access.require(who, "vote.paper", vote)
    qs = vote.electors.select_related("resident__household", "household", "turnout")
    if q:
        qs = qs.filter(Q(resident__name__contains=q) | Q(household__number__startswith=q))
    return qs.order_by("household_id", "resident_id")


# -- notices -----------------------------------------------------------------------------

def current_q(on: dt.date | None = None) -> Q:
    on = on or timezone.localdate()
    return Q(removed_at__isnull=True, posted_on__lte=on) & (Q(remove_on__isnull=True) | Q(remove_on__gt=on))


def notices(who: Any, *, region: Region | None = None, board: str | None = None, current: bool = False
            ) -> QuerySet[Notice]:
    """Those who post on a board see all its notices; everyone else what has gone up and was
    not taken down early (a notice taken down for a mistake stays down)."""
    viewer = _viewer(who)
    qs = access.scope(viewer, "notice.view", Notice.objects.all()).filter(
        Q(removed_at__isnull=True, posted_on__lte=timezone.localdate()) | _q(viewer, "notice.post", Notice))
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if board:
        qs = qs.filter(board=board)
    if current:
        qs = qs.filter(current_q())
    return (qs.select_related("region").prefetch_related("attachments")
            .order_by("-posted_on", "-id"))


def notice_get(who: Any, pk: int) -> Notice:
    return access.get_for(who, "notice.view", notices(who), pk=pk)


@dataclass
class PublicBoard:
    village: Region
    township: Region | None
    party: list[Notice]
    village_affairs: list[Notice]
    earlier: list[Notice]


def public_village(code: str) -> Region:
    village = Region.objects.select_related("parent").filter(code=code, level=Region.Level.VILLAGE).first()
    if village is None:
        raise NotFound()
    return village


def public_board(code: str, on: dt.date | None = None) -> PublicBoard:
    """A village's two boards as anyone may read them: its own current notices and its
    township's, and the last year's notices that have come down at their due time."""
    on = on or timezone.localdate()
    village = public_village(code)
    township = village.parent if village.parent and village.parent.level == Region.Level.TOWNSHIP else None
    regions = [village] + ([township] if township else [])
    base = (Notice.objects.filter(region__in=regions).select_related("region")
            .prefetch_related(Prefetch("attachments", NoticeAttachment.objects.order_by("id"))))
    current = list(base.filter(current_q(on)).order_by("-posted_on", "-id")[:200])
    earlier = list(base.filter(removed_at__isnull=True, remove_on__lte=on, posted_on__gte=on - dt.timedelta(days=366))
                   .order_by("-posted_on", "-id")[:50])
    return PublicBoard(village=village, township=township,
                       party=[n for n in current if n.board == Board.PARTY],
                       village_affairs=[n for n in current if n.board == Board.VILLAGE], earlier=earlier)


def public_notice(pk: int, on: dt.date | None = None) -> Notice:
    """A notice anyone may read: posted, not taken down early, on a village's or a
    township's board (including the last year's that have come down at their time)."""
    on = on or timezone.localdate()
    notice = (Notice.objects.select_related("region", "region__parent")
              .filter(pk=pk, removed_at__isnull=True, posted_on__lte=on,
                      posted_on__gte=on - dt.timedelta(days=366))
              .prefetch_related("attachments").first())
    if notice is None:
        raise NotFound()
    return notice


def public_attachment(pk: int) -> NoticeAttachment:
    attachment = NoticeAttachment.objects.select_related("notice").filter(pk=pk).first()
    if attachment is None:
        raise NotFound()
    public_notice(attachment.notice_id)
    return attachment


def attachment_get(who: Any, pk: int) -> NoticeAttachment:
    attachment = NoticeAttachment.objects.select_related("notice").filter(pk=pk).first()
    if attachment is None:
        raise NotFound()
    notice_get(who, attachment.notice_id)
    return attachment


def requirements(who: Any, *, region: Region | None = None) -> QuerySet[DisclosureRequirement]:
    qs = access.scope(who, "disclosure.view", DisclosureRequirement.objects.all())
    if region is not None:
        qs = qs.filter(Q(region_path__in=tree.ancestors(region.path)) | tree.under(region.path))
    return qs.select_related("region").order_by("region_path", "board", "category")


def late_disclosures(who: Any, *, region: Region, on: dt.date | None = None, periods: int = 1,
                     include_on_time: bool = False) -> list[disclosure.Status]:
    """Which villages under ``region`` have not posted (or posted late) what the calendar
    asks, for the last ``periods`` periods of each requirement that are due."""
    from shanzhi.deliberation.services._common import require_place

    require_place(who, "disclosure.view", region)
    on = on or timezone.localdate()
    villages = list(Region.objects.filter(level=Region.Level.VILLAGE).filter(
        Q(path__in=tree.ancestors(region.path)) | tree.under(region.path, "path")).order_by("path"))
    reqs = disclosure.requirements_for(villages)
    pairs = [(r, p) for r in reqs for p in disclosure.due_periods(r, on, periods)]
    found = disclosure.statuses(villages, pairs, on)
    if not include_on_time:
        found = [s for s in found if s.status != disclosure.ON_TIME]
    return sorted(found, key=lambda s: (s.status != disclosure.MISSING, -s.days_late, s.village.path,
                                        s.requirement.pk))


# -- rule of virtue ----------------------------------------------------------------------

def role_models(who: Any, *, village: Region | None = None, year: int | None = None, state: str | None = None,
                household: Household | None = None) -> QuerySet[RoleModel]:
    """Residents see the titles given and the votes under way, and their own nominations;
    staff see every nomination."""
    viewer = _viewer(who)
    qs = access.scope(viewer, "rolemodel.view", RoleModel.objects.all())
    staff = _q(viewer, "rolemodel.view_all", RoleModel)
    mine = Q(nominated_by=viewer.user) if viewer.user is not None else Q(pk__in=[])
    qs = qs.filter(Q(state__in=["awarded", "voting"]) | mine | staff)
    if village is not None:
        qs = qs.filter(village=village)
    if year:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    if household is not None:
        qs = qs.filter(household=household)
    return qs.select_related("village", "household", "resident", "council_meeting").order_by("-year", "title", "id")


def role_model_get(who: Any, pk: int) -> RoleModel:
    found = role_models(who).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def council_meetings(who: Any, *, village: Region | None = None) -> QuerySet[CouncilMeeting]:
    qs = access.scope(who, "council.view", CouncilMeeting.objects.all())
    if village is not None:
        qs = qs.filter(village=village)
    return qs.select_related("village").order_by("-held_on", "-id")


def council_meeting_get(who: Any, pk: int) -> CouncilMeeting:
    return access.get_for(who, "council.view", council_meetings(who), pk=pk)


def admonitions(who: Any, *, village: Region | None = None, household: Household | None = None,
                meeting: CouncilMeeting | None = None) -> QuerySet[Admonition]:
    qs = access.scope(who, "admonition.view", Admonition.objects.all())
    if village is not None:
        qs = qs.filter(village=village)
    if household is not None:
        qs = qs.filter(household=household)
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    return qs.select_related("household", "resident", "meeting", "village").order_by("-recorded_at", "-id")


def admonition_get(who: Any, pk: int) -> Admonition:
    return access.get_for(who, "admonition.view", admonitions(who), pk=pk)


# -- red/black lists ---------------------------------------------------------------------

def rankings(who: Any, *, township: Region | None = None) -> QuerySet[RedBlackList]:
    qs = access.scope(who, "ranking.view", RedBlackList.objects.all())
    if township is not None:
        qs = qs.filter(township=township)
    return qs.select_related("township", "notice").order_by("-year", "-quarter", "region_path")


def ranking_get(who: Any, pk: int) -> RedBlackList:
    return access.get_for(who, "ranking.view", rankings(who), pk=pk)


def ranking_entries(ranking: RedBlackList) -> QuerySet[RedBlackEntry]:
    return (ranking.entries.select_related("village").prefetch_related("adjustments__actor")
            .order_by("rank", "village__code"))


def readings(who: Any, *, township: Region, year: int, quarter: int) -> QuerySet[IndicatorReading]:
    qs = access.scope(who, "ranking.view", IndicatorReading.objects.all())
    return (qs.filter(tree.under(township.path), year=year, quarter=quarter).select_related("village")
            .order_by("village__code", "indicator"))


def rules_of(village: Region) -> VillageRules:
    from shanzhi.deliberation.services._common import village_rules

    return village_rules(village)


def author_name(who: Any, user: Any, role: str, record: Any) -> str:
    """How an author shows to the viewer: officials by name; a resident by name to the
    village's staff and to themself, else as surname and stars (张**)."""
    viewer = _viewer(who)
    name = user.get_full_name() if user is not None else ""
    if role != "resident" or not name:
        return name
    if viewer.user is not None and user.pk == viewer.user.pk:
        return name
    if any(g.role != access.RESIDENT for g in viewer.grants) and access.can(viewer, "topic.view", record):
        return name
    if viewer.is_admin:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def village_get(who: Any, code: str, *, action: str) -> Region:
    """A village addressed in a URL: unknown or outside the viewer's places is a 404."""
    try:
        return village_ref(who, code, action=action)
    except ValidationError:
        raise NotFound() from None


def reviewable_role_models(who: Any) -> QuerySet[RoleModel]:
    """Nominations waiting for the council that the viewer may decide (or put to a vote)."""
    return (access.scope(who, "rolemodel.review", RoleModel.objects.filter(state="nominated"))
            .select_related("village", "household", "resident").order_by("village__code", "title", "id"))
