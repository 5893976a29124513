"""Deliberation and disclosure (自治, 德治): topics, meetings, the four deliberations and two
disclosures, one matter one deliberation, votes, the notice boards, role models, the moral
review council, and the red/black list.

Every record that belongs to a village carries the village's region path (so the grid
team and the residents of the village see it, see ``permissions``) and the county.
Invariants the database can hold are declared here: one support per resident and topic,
one turnout per elector (one vote per eligible voter, online or on paper), counts that
cannot exceed what they count, a notice's category that belongs to its board.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.core.workflow import ANY, State, Transition, Workflow

USER = settings.AUTH_USER_MODEL


class Placed(models.Model):
    """A record of a place: its region path and county, copied from the place."""

    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        abstract = True


# ---------------------------------------------------------------------------------------
# Village rules: what a village has decided about its own deliberation
# ---------------------------------------------------------------------------------------

class VoteBasis(models.TextChoices):
    PERSON = "person", _("one vote per adult villager")
    HOUSEHOLD = "household", _("one vote per household")


class VillageRules(Placed):
    """The village's own choices (自治章程, 村规民约) where the law leaves them open."""

    village = models.OneToOneField("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                   related_name="deliberation_rules")
    allow_online_voting = models.BooleanField(_("online voting allowed"), default=False)
    default_vote_basis = models.CharField(_("default vote basis"), max_length=16, choices=VoteBasis.choices,
                                          default=VoteBasis.PERSON)
    publish_names = models.BooleanField(
        _("names on public boards"), default=False,
        help_text=_("Whether the public boards show the names of role models (otherwise masked)."))
    # Stricter quorum or majority than the Organic Law's defaults, per meeting body; see
    # ``rules.py``. Empty: the law's defaults.
    meeting_rules = models.JSONField(_("meeting rules"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("village deliberation rules")
        verbose_name_plural = _("village deliberation rules")

    def __str__(self) -> str:
        return str(self.village)


# ---------------------------------------------------------------------------------------
# Online deliberation (线上议事)
# ---------------------------------------------------------------------------------------

TOPIC_FLOW = Workflow(
    "topic",
    states=[State("open", _("open")), State("closed", _("closed")), State("converted", _("became a matter"))],
    transitions=[
        Transition("close", source=["open"], target="closed", action="topic.moderate", label=_("close"),
                   note_required=True),
        Transition("reopen", source=["closed"], target="open", action="topic.moderate", label=_("reopen")),
        Transition("convert", source=["open"], target="converted", action="matter.propose",
                   label=_("turn into a matter")),
    ],
    terminal=["converted"],
    stamp_field="state_changed_at",
)


class RaisedAs(models.TextChoices):
    RESIDENT = "resident", _("resident")
    GRID_WORKER = "grid_worker", _("grid worker")
    VILLAGE_COMMITTEE = "village_committee", _("village committee")


class Moderated(models.Model):
    """Hidden by a moderator with a reason: still there for moderators and the author."""

    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=200, blank=True)
    hidden_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)

    class Meta:
        abstract = True


class Topic(Placed, Moderated):
    workflow = TOPIC_FLOW

    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=4000)
    raised_by = models.ForeignKey(USER, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="+")
    raised_as = models.CharField(_("raised as"), max_length=20, choices=RaisedAs.choices)
    resident = models.ForeignKey("regions.Resident", verbose_name=_("resident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=32, choices=TOPIC_FLOW.choices, default=TOPIC_FLOW.initial)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    created_at = models.DateTimeField(_("raised at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-id"]
        constraints = [TOPIC_FLOW.state_constraint(),
                       models.CheckConstraint(condition=Q(hidden=False) | ~Q(hidden_reason=""),
                                              name="topic_hidden_has_reason")]
        indexes = [models.Index(fields=["region_path", "state", "created_at"], name="topic_place_state_idx")]

    def __str__(self) -> str:
        return self.title


class TopicComment(Moderated):
    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(_("as"), max_length=20, choices=RaisedAs.choices)
    body = models.TextField(_("text"), max_length=2000)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(hidden=False) | ~Q(hidden_reason=""),
                                              name="comment_hidden_has_reason")]

    def __str__(self) -> str:
        return self.body[:40]


class TopicSupport(models.Model):
    """A resident's support of a topic: at most one per resident and topic (the database
    says so, so two taps or two phones cannot count twice)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="supports")
    resident = models.ForeignKey("regions.Resident", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [models.UniqueConstraint(fields=["topic", "resident"], name="one_support_per_resident")]

    def __str__(self) -> str:
        return f"{self.topic_id}:{self.resident_id}"


class MeetingKind(models.TextChoices):
    COURTYARD = "courtyard", _("courtyard meeting")  # 院落会
    BENCH = "bench", _("bench meeting")  # 板凳会
    FIELD = "field", _("field meeting")  # 田间议事
    COUNCIL = "council", _("villagers' council")  # 村民议事会
    SQUARE = "square", _("square meeting")  # 广场议事厅
    OTHER = "other", _("other meeting")


class DeliberationMeeting(Placed):
    """An offline meeting where residents talk a matter through (院落会、板凳会、田间议事)."""

    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices)
    held_on = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=100)
    attendee_count = models.PositiveIntegerField(_("attendees"))
    attendee_names = models.JSONField(_("attendee names"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=100)
    outcome = models.TextField(_("outcome"), max_length=4000)
    settled = models.BooleanField(_("settled at the meeting"), default=False)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="meetings")
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("deliberation meeting")
        verbose_name_plural = _("deliberation meetings")
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(attendee_count__gte=1), name="meeting_has_attendees")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.subject}"


# ---------------------------------------------------------------------------------------
# Matters: the four deliberations and two disclosures (四议两公开), one matter one
# deliberation (一事一议)
# ---------------------------------------------------------------------------------------

class MatterKind(models.TextChoices):
    FOUR_DELIBERATIONS = "four_deliberations", _("four deliberations and two disclosures")
    ONE_MATTER = "one_matter", _("one matter, one deliberation (public works)")


def _is_four(case: Matter, viewer: object) -> bool:
    return case.kind == MatterKind.FOUR_DELIBERATIONS


def _resolvable(case: Matter, viewer: object) -> bool:
    return (case.kind == MatterKind.FOUR_DELIBERATIONS and case.state == "reviewed") or (
        case.kind == MatterKind.ONE_MATTER and case.state == "draft")


MATTER_FLOW = Workflow(
    "matter",
    states=[
        State("draft", _("awaiting the branch's proposal")),
        State("proposed", _("proposed by the Party branch")),
        State("discussed", _("discussed by the two committees")),
        State("reviewed", _("reviewed by the party members")),
        State("resolved", _("resolved by the villagers")),
        State("resolution_disclosed", _("resolution disclosed")),
        State("result_disclosed", _("result disclosed")),
        State("ended", _("ended")),
    ],
    transitions=[
        Transition("propose", source=["draft"], target="proposed", action="matter.manage", label=_("propose"),
                   guard=_is_four),
        Transition("discuss", source=["proposed"], target="discussed", action="matter.manage",
                   label=_("discuss"), guard=_is_four),
        Transition("review", source=["discussed"], target="reviewed", action="matter.manage", label=_("review"),
                   guard=_is_four),
        Transition("resolve", source=["reviewed", "draft"], target="resolved", action="matter.manage",
                   label=_("resolve"), guard=_resolvable, stamp="resolved_at"),
        Transition("disclose_resolution", source=["resolved"], target="resolution_disclosed",
                   action="matter.manage", label=_("disclose the resolution")),
        Transition("disclose_result", source=["resolution_disclosed"], target="result_disclosed",
                   action="matter.manage", label=_("disclose the result")),
        Transition("return", source=["proposed", "discussed", "reviewed"], target="draft", action="matter.manage",
                   label=_("return to the branch"), note_required=True),
        Transition("end", source=ANY, target="ended", action="matter.manage", label=_("end"),
                   note_required=True),
    ],
    terminal=["result_disclosed", "ended"],
    stamp_field="state_changed_at",
)


class Stage(models.TextChoices):
    """The four deliberations, in order; one matter, one deliberation has only the last."""

    PROPOSE = "propose", _("the Party branch proposes")  # 党支部提议
    DISCUSS = "discuss", _("the two committees discuss")  # 两委会商议
    REVIEW = "review", _("the party members review")  # 党员大会审议
    RESOLVE = "resolve", _("the villagers resolve")  # 村民(代表)会议决议


class Body(models.TextChoices):
    """Who meets at a stage."""

    BRANCH_COMMITTEE = "branch_committee", _("Party branch committee")  # 支部委员会
    JOINT_COMMITTEES = "joint_committees", _("joint meeting of the branch and village committees")  # 两委联席会
    PARTY_MEMBERS = "party_members", _("party members' meeting")  # 党员大会
    VILLAGERS = "villagers", _("villagers' meeting")  # 村民会议
    REPRESENTATIVES = "representatives", _("villagers' representatives' meeting")  # 村民代表会议


class Matter(Placed):
    workflow = MATTER_FLOW

    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=MatterKind.choices,
                            default=MatterKind.FOUR_DELIBERATIONS)
    title = models.CharField(_("title"), max_length=100)
    proposal = models.TextField(_("proposal"), max_length=8000)
    topic = models.OneToOneField(Topic, verbose_name=_("from topic"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="matter")
    # One matter, one deliberation: the plan and what each household contributes.
    plan = models.TextField(_("plan"), max_length=8000, blank=True)
    total_cost_fen = models.BigIntegerField(_("total cost (fen)"), null=True, blank=True)
    contribution_fen = models.BigIntegerField(_("contribution per household (fen)"), null=True, blank=True)
    labour_days = models.PositiveSmallIntegerField(_("labour days per household"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), max_length=8000, blank=True)
    result = models.TextField(_("result of carrying it out"), max_length=8000, blank=True)
    state = models.CharField(_("state"), max_length=32, choices=MATTER_FLOW.choices, default=MATTER_FLOW.initial)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-created_at", "-id"]
        constraints = [
            MATTER_FLOW.state_constraint(),
            models.CheckConstraint(condition=Q(total_cost_fen__isnull=True) | Q(total_cost_fen__gte=0),
                                   name="matter_cost_not_negative"),
            models.CheckConstraint(condition=Q(contribution_fen__isnull=True) | Q(contribution_fen__gte=0),
                                   name="matter_contribution_not_negative"),
            # Public works state their plan and what each household gives.
            models.CheckConstraint(
                condition=~Q(kind="one_matter") | (~Q(plan="") & Q(contribution_fen__isnull=False)),
                name="one_matter_has_plan"),
        ]
        indexes = [models.Index(fields=["region_path", "state"], name="matter_place_state_idx")]

    def __str__(self) -> str:
        return self.title


class MeetingDecision(models.TextChoices):
    ADVANCE = "advance", _("carried: the matter goes on")
    RECONVENE = "reconvene", _("failed: meet again")
    RETURN = "return", _("failed: back to the Party branch")
    END = "end", _("failed: the matter ends")


class MatterMeeting(Placed):
    """One meeting of one stage: who was there of how many, the minutes, the vote, and what
    the law made of it (quorum met, carried)."""

    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.PROTECT, related_name="meetings")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    body = models.CharField(_("meeting"), max_length=20, choices=Body.choices)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    eligible_count = models.PositiveIntegerField(_("eligible to attend"))
    present_count = models.PositiveIntegerField(_("present"))
    households_eligible = models.PositiveIntegerField(_("households"), null=True, blank=True)
    households_present = models.PositiveIntegerField(_("households represented"), null=True, blank=True)
    attendee_names = models.JSONField(_("attendees"), default=list, blank=True)
    minutes = models.TextField(_("minutes"), max_length=20000)
    votes_for = models.PositiveIntegerField(_("for"))
    votes_against = models.PositiveIntegerField(_("against"))
    votes_abstain = models.PositiveIntegerField(_("abstain"))
    quorum_met = models.BooleanField(_("quorum met"))
    carried = models.BooleanField(_("carried"))
    rule = models.JSONField(_("rule applied"), default=dict)
    decision = models.CharField(_("decision"), max_length=16, choices=MeetingDecision.choices)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("stage meeting")
        verbose_name_plural = _("stage meetings")
        ordering = ["matter_id", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(eligible_count__gte=1), name="stage_meeting_has_eligible"),
            models.CheckConstraint(condition=Q(present_count__lte=F("eligible_count")),
                                   name="stage_meeting_present_le_eligible"),
            models.CheckConstraint(
                condition=Q(present_count__gte=F("votes_for") + F("votes_against") + F("votes_abstain")),
                name="stage_meeting_votes_le_present"),
            models.CheckConstraint(
                condition=Q(households_present__isnull=True)
                | Q(households_present__lte=F("households_eligible")),
                name="stage_meeting_households_le_total"),
            # Only a carried meeting advances a matter; only a failed one stops it.
            models.CheckConstraint(condition=Q(carried=True, quorum_met=True, decision="advance")
                                   | Q(carried=False, decision__in=["reconvene", "return", "end"]),
                                   name="stage_meeting_decision_follows_vote"),
        ]

    def __str__(self) -> str:
        return f"{self.matter} · {self.get_stage_display()} · {self.held_on}"


# ---------------------------------------------------------------------------------------
# Votes
# ---------------------------------------------------------------------------------------

class Secrecy(models.TextChoices):
    NAMED = "named", _("named ballot")
    SECRET = "secret", _("secret ballot")


class VotePurpose(models.TextChoices):
    POLL = "poll", _("opinion poll")
    MATTER = "matter", _("a matter")
    ROLE_MODELS = "role_models", _("choosing role models")


class Vote(Placed):
    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    title = models.CharField(_("title"), max_length=100)
    question = models.TextField(_("question"), max_length=4000)
    purpose = models.CharField(_("purpose"), max_length=16, choices=VotePurpose.choices, default=VotePurpose.POLL)
    matter = models.ForeignKey(Matter, verbose_name=_("matter"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="votes")
    basis = models.CharField(_("who votes"), max_length=16, choices=VoteBasis.choices)
    secrecy = models.CharField(_("ballot"), max_length=8, choices=Secrecy.choices)
    online = models.BooleanField(_("online voting"), default=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    hide_results_until_close = models.BooleanField(_("results hidden until the close"), default=True)
    seats = models.PositiveSmallIntegerField(_("how many are chosen"), default=1)
    elector_count = models.PositiveIntegerField(_("eligible voters"), default=0)
    turnout_count = models.PositiveIntegerField(_("votes cast"), default=0)
    paper_tallied_at = models.DateTimeField(_("paper ballots counted"), null=True, blank=True)
    paper_tallied_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="vote_window_ordered"),
            models.CheckConstraint(condition=Q(turnout_count__lte=F("elector_count")),
                                   name="vote_turnout_le_electors"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="vote_has_seats"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.closes_at

    @property
    def status(self) -> str:
        now = timezone.now()
        if now < self.opens_at:
            return "scheduled"
        return "open" if now < self.closes_at else "closed"


class VoteOption(models.Model):
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("order"))
    label = models.CharField(_("option"), max_length=100)
    role_model = models.ForeignKey("RoleModel", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="vote_options")
    # Counts, not ballots: a secret ballot keeps no row that could be matched to a voter.
    online_count = models.PositiveIntegerField(_("online votes"), default=0)
    paper_count = models.PositiveIntegerField(_("paper votes"), default=0)

    class Meta:
        verbose_name = _("vote option")
        verbose_name_plural = _("vote options")
        ordering = ["vote_id", "position"]
        constraints = [models.UniqueConstraint(fields=["vote", "position"], name="vote_option_position_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def total(self) -> int:
        return self.online_count + self.paper_count


class Elector(models.Model):
    """Who may vote, taken from the map when the vote is created: each adult villager, or
    each household, by the vote's basis."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="electors")
    resident = models.ForeignKey("regions.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    household = models.ForeignKey("regions.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        verbose_name = _("elector")
        verbose_name_plural = _("electors")
        constraints = [
            models.CheckConstraint(condition=Q(resident__isnull=False, household__isnull=True)
                                   | Q(resident__isnull=True, household__isnull=False),
                                   name="elector_is_person_or_household"),
            models.UniqueConstraint(fields=["vote", "resident"], name="elector_resident_unique"),
            models.UniqueConstraint(fields=["vote", "household"], name="elector_household_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}:{self.resident_id or self.household_id}"


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    PAPER = "paper", _("paper")


class Turnout(models.Model):
    """That an elector voted, and how; never what (see NamedChoice). One per elector,
    online or paper: the database refuses a second, whatever the race."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="turnouts")
    elector = models.OneToOneField(Elector, on_delete=models.PROTECT, related_name="turnout")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    voter = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    entered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("turnout")
        verbose_name_plural = _("turnout")

    def __str__(self) -> str:
        return f"{self.vote_id}:{self.elector_id}"


class NamedChoice(models.Model):
    """What a named ballot chose. Secret ballots have none: only the option counts."""

    turnout = models.OneToOneField(Turnout, on_delete=models.PROTECT, related_name="choice")
    option = models.ForeignKey(VoteOption, on_delete=models.PROTECT, related_name="named_choices")

    class Meta:
        verbose_name = _("named choice")
        verbose_name_plural = _("named choices")

    def __str__(self) -> str:
        return f"{self.turnout_id}:{self.option_id}"


# ---------------------------------------------------------------------------------------
# Notice boards (党务公开、村务公开) and the disclosure calendar
# ---------------------------------------------------------------------------------------

class Board(models.TextChoices):
    PARTY = "party", _("Party affairs")  # 党务公开栏
    VILLAGE = "village", _("village affairs")  # 村务公开栏


class Category(models.TextChoices):
    # Party affairs
    PARTY_ORGANISATION = "party_organisation", _("Party organisation building")
    PARTY_DUES = "party_dues", _("Party dues")
    MEMBER_DEVELOPMENT = "member_development", _("new party members")
    THREE_MEETINGS = "three_meetings", _("three meetings, one lesson")
    PARTY_OTHER = "party_other", _("other Party affairs")
    # Village affairs
    FINANCES = "finances", _("income and expenditure")
    ASSETS = "assets", _("collective assets and resources")
    SUBSIDIES = "subsidies", _("subsidies and relief")
    PUBLIC_WORKS = "public_works", _("public works")
    RESOLUTION = "resolution", _("resolution")
    RESULT = "result", _("result of carrying out a resolution")
    ROLE_MODELS = "role_models", _("role models")
    RED_BLACK_LIST = "red_black_list", _("red and black list")
    VILLAGE_OTHER = "village_other", _("other village affairs")


BOARD_CATEGORIES: dict[str, list[str]] = {
    Board.PARTY: [Category.PARTY_ORGANISATION, Category.PARTY_DUES, Category.MEMBER_DEVELOPMENT,
                  Category.THREE_MEETINGS, Category.PARTY_OTHER],
    Board.VILLAGE: [Category.FINANCES, Category.ASSETS, Category.SUBSIDIES, Category.PUBLIC_WORKS,
                    Category.RESOLUTION, Category.RESULT, Category.ROLE_MODELS, Category.RED_BLACK_LIST,
                    Category.VILLAGE_OTHER],
}


class NoticeSource(models.TextChoices):
    MANUAL = "manual", _("written by the village")
    MATTER = "matter", _("a matter's disclosure")
    ROLE_MODELS = "role_models", _("role models")
    RED_BLACK_LIST = "red_black_list", _("red and black list")


class Notice(Placed):
    """A notice on a board. A notice is never edited or deleted once posted: a mistake is
    put right by a new notice, and the old one is taken down early with a reason."""

    region = models.ForeignKey("regions.Region", verbose_name=_("posted by"), on_delete=models.PROTECT,
                               related_name="+")
    board = models.CharField(_("board"), max_length=8, choices=Board.choices)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=20000)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    posted_on = models.DateField(_("posted on"), db_index=True)
    remove_on = models.DateField(_("taken down on"), null=True, blank=True)
    removed_at = models.DateTimeField(_("taken down early"), null=True, blank=True)
    removed_reason = models.CharField(_("reason for taking down"), max_length=200, blank=True)
    removed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=16, choices=NoticeSource.choices,
                              default=NoticeSource.MANUAL)
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-posted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")), name="notice_period_ordered"),
            models.CheckConstraint(condition=Q(remove_on__isnull=True) | Q(remove_on__gt=F("posted_on")),
                                   name="notice_removal_after_posting"),
            models.CheckConstraint(
                condition=Q(board=Board.PARTY, category__in=BOARD_CATEGORIES[Board.PARTY])
                | Q(board=Board.VILLAGE, category__in=BOARD_CATEGORIES[Board.VILLAGE]),
                name="notice_category_of_board"),
            models.CheckConstraint(condition=Q(removed_at__isnull=True) | ~Q(removed_reason=""),
                                   name="notice_removal_has_reason"),
        ]
        indexes = [models.Index(fields=["region", "board", "posted_on"], name="notice_board_idx"),
                   models.Index(fields=["region", "category", "period_end"], name="notice_category_idx")]

    def __str__(self) -> str:
        return self.title

    def is_current(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (self.removed_at is None and self.posted_on <= on
                and (self.remove_on is None or self.remove_on > on))


def _attachment_path(instance: NoticeAttachment, filename: str) -> str:
    # The stored name is the content's hash: nothing a user typed reaches the file system.
    return f"notices/{instance.sha256[:2]}/{instance.sha256}.{instance.kind}"


class AttachmentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpg", "JPEG"
    PNG = "png", "PNG"
    XLSX = "xlsx", _("Excel workbook")
    DOCX = "docx", _("Word document")


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["notice_id", "id"]

    def __str__(self) -> str:
        return self.name


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")


class DisclosureRequirement(Placed):
    """What the villages under a place must post, how often, and how many days after the
    period's end at the latest (the disclosure calendar)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("applies under"), on_delete=models.PROTECT,
                               related_name="+")
    board = models.CharField(_("board"), max_length=8, choices=Board.choices)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices)
    grace_days = models.PositiveSmallIntegerField(_("days allowed after the period"), default=10)
    title = models.CharField(_("what must be posted"), max_length=100)
    active = models.BooleanField(_("in force"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("disclosure requirement")
        verbose_name_plural = _("disclosure calendar")
        ordering = ["region_path", "board", "category"]
        constraints = [
            models.UniqueConstraint(fields=["region", "board", "category", "frequency"],
                                    name="disclosure_requirement_unique"),
            models.CheckConstraint(
                condition=Q(board=Board.PARTY, category__in=BOARD_CATEGORIES[Board.PARTY])
                | Q(board=Board.VILLAGE, category__in=BOARD_CATEGORIES[Board.VILLAGE]),
                name="requirement_category_of_board"),
            models.CheckConstraint(condition=Q(grace_days__lte=90), name="requirement_grace_bounded"),
        ]

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------------------------------
# Rule of virtue: role models, the moral review council, admonitions
# ---------------------------------------------------------------------------------------

class RoleModelTitle(models.TextChoices):
    EXEMPLAR = "exemplar", _("role model next door")  # 身边榜样
    CIVILISED_FAMILY = "civilised_family", _("civilised family")  # 文明家庭
    GOOD_DAUGHTER_IN_LAW = "good_daughter_in_law", _("good daughter-in-law")  # 好媳妇
    FILIAL_STAR = "filial_star", _("star of filial piety")  # 孝老星
    FIVE_STAR_HOUSEHOLD = "five_star_household", _("five-star civilised household")  # 五星级文明户


HOUSEHOLD_TITLES = {RoleModelTitle.CIVILISED_FAMILY, RoleModelTitle.FIVE_STAR_HOUSEHOLD}

ROLE_MODEL_FLOW = Workflow(
    "rolemodel",
    states=[State("nominated", _("nominated")), State("voting", _("put to a vote")),
            State("awarded", _("awarded")), State("declined", _("not chosen"))],
    transitions=[
        Transition("put_to_vote", source=["nominated"], target="voting", action="rolemodel.review",
                   label=_("put to a vote")),
        Transition("award", source=["nominated", "voting"], target="awarded", action="rolemodel.review",
                   label=_("award"), stamp="decided_at"),
        Transition("decline", source=["nominated", "voting"], target="declined", action="rolemodel.review",
                   label=_("decline"), note_required=True, stamp="decided_at"),
        Transition("back_to_review", source=["voting"], target="nominated", action="rolemodel.review",
                   label=_("back to the council")),
    ],
    terminal=["awarded", "declined"],
    stamp_field="state_changed_at",
)


class CouncilMeeting(Placed):
    """A meeting of the village's moral review council (道德评议会)."""

    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    held_on = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    member_count = models.PositiveIntegerField(_("council members"))
    present_count = models.PositiveIntegerField(_("members present"))
    attendee_names = models.JSONField(_("attendees"), default=list, blank=True)
    minutes = models.TextField(_("minutes"), max_length=20000)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("moral review council meeting")
        verbose_name_plural = _("moral review council meetings")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(member_count__gte=1), name="council_has_members"),
            models.CheckConstraint(condition=Q(present_count__lte=F("member_count")),
                                   name="council_present_le_members"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.held_on}"

    @property
    def quorate(self) -> bool:
        return self.present_count * 2 > self.member_count


class RoleModel(Placed):
    """A nomination for a role-model title and, once chosen, the award: always linked to
    a household (and to the person, for a personal title)."""

    workflow = ROLE_MODEL_FLOW

    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="role_models")
    resident = models.ForeignKey("regions.Resident", verbose_name=_("person"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="role_models")
    title = models.CharField(_("title"), max_length=24, choices=RoleModelTitle.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    deeds = models.TextField(_("deeds"), max_length=4000)
    points = models.PositiveSmallIntegerField(
        _("points to award"), null=True, blank=True,
        help_text=_("Passed to the points system when the title is awarded, if it takes them."))
    state = models.CharField(_("state"), max_length=32, choices=ROLE_MODEL_FLOW.choices,
                             default=ROLE_MODEL_FLOW.initial)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    council_meeting = models.ForeignKey(CouncilMeeting, verbose_name=_("reviewed at"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="role_models")
    nominated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("role model")
        verbose_name_plural = _("role models")
        ordering = ["-year", "title", "id"]
        constraints = [
            ROLE_MODEL_FLOW.state_constraint(),
            # One title per household (or person) per year.
            models.UniqueConstraint(fields=["household", "title", "year"], condition=Q(resident__isnull=True),
                                    name="role_model_household_once_a_year"),
            models.UniqueConstraint(fields=["resident", "title", "year"], condition=Q(resident__isnull=False),
                                    name="role_model_person_once_a_year"),
        ]
        indexes = [models.Index(fields=["region_path", "year", "state"], name="role_model_place_idx")]

    def __str__(self) -> str:
        return f"{self.get_title_display()} {self.year}"


class Conduct(models.TextChoices):
    UNFILIAL = "unfilial", _("neglecting elders")  # 不孝老人
    NEIGHBOURS = "neighbours", _("quarrelling with neighbours")  # 邻里不和
    SANITATION = "sanitation", _("dirty yard or littering")  # 环境卫生差
    EXTRAVAGANCE = "extravagance", _("extravagant weddings or funerals")  # 大操大办
    GAMBLING = "gambling", _("gambling")  # 赌博
    SUPERSTITION = "superstition", _("superstition")  # 封建迷信
    OTHER = "other", _("other uncivil conduct")


class Admonition(Placed):
    """The council's admonition (劝导) of a household's uncivil conduct, and how it was
    followed up. Personal: seen by the village's staff and the household itself."""

    meeting = models.ForeignKey(CouncilMeeting, verbose_name=_("council meeting"), on_delete=models.PROTECT,
                                related_name="admonitions")
    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="admonitions")
    resident = models.ForeignKey("regions.Resident", verbose_name=_("person"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    conduct = models.CharField(_("conduct"), max_length=16, choices=Conduct.choices)
    description = models.TextField(_("what happened"), max_length=4000)
    follow_up = models.TextField(_("follow-up"), max_length=4000, blank=True)
    corrected_on = models.DateField(_("corrected on"), null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("admonition")
        verbose_name_plural = _("admonitions")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_conduct_display()} {self.household_id}"


# ---------------------------------------------------------------------------------------
# The red/black list (红黑榜)
# ---------------------------------------------------------------------------------------

class IndicatorReading(Placed):
    """A value a township measures by hand for one village and quarter (the sanitation
    inspection score, say) where no module measures it."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("indicator reading")
        verbose_name_plural = _("indicator readings")
        constraints = [
            models.UniqueConstraint(fields=["village", "indicator", "year", "quarter"],
                                    name="indicator_reading_unique"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="indicator_quarter_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}Q{self.quarter}"


RANKING_FLOW = Workflow(
    "ranking",
    states=[State("draft", _("draft")), State("published", _("published"))],
    transitions=[Transition("publish", source=["draft"], target="published", action="ranking.manage",
                            label=_("publish"), stamp="published_at")],
    terminal=["published"],
)


class RedBlackList(Placed):
    """A township's quarterly red/black list of its villages."""

    workflow = RANKING_FLOW

    township = models.ForeignKey("regions.Region", verbose_name=_("township"), on_delete=models.PROTECT,
                                 related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    red_count = models.PositiveSmallIntegerField(_("villages on the red list"))
    black_count = models.PositiveSmallIntegerField(_("villages on the black list"))
    indicators = models.JSONField(_("indicators"), default=list)  # [{key, label, weight, higher_is_better}]
    state = models.CharField(_("state"), max_length=32, choices=RANKING_FLOW.choices, default=RANKING_FLOW.initial)
    computed_at = models.DateTimeField(_("computed"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    notice = models.OneToOneField(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("red and black list")
        verbose_name_plural = _("red and black lists")
        ordering = ["-year", "-quarter", "region_path"]
        constraints = [
            RANKING_FLOW.state_constraint(),
            models.UniqueConstraint(fields=["township", "year", "quarter"], name="red_black_list_unique"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="red_black_quarter_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.year}Q{self.quarter}"


class Placement(models.TextChoices):
    RED = "red", _("red list")
    BLACK = "black", _("black list")
    NONE = "", _("neither")


class RedBlackEntry(models.Model):
    ranking = models.ForeignKey(RedBlackList, on_delete=models.CASCADE, related_name="entries")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    values = models.JSONField(_("measured values"), default=dict)  # {indicator key: value or null}
    scores = models.JSONField(_("indicator scores"), default=dict)  # {indicator key: 0–100 or null}
    measured_score = models.DecimalField(_("measured score"), max_digits=6, decimal_places=2, null=True)
    adjustment = models.DecimalField(_("adjustment"), max_digits=6, decimal_places=2, default=0)
    final_score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True)
    placement = models.CharField(_("placement"), max_length=8, choices=Placement.choices, blank=True)

    class Meta:
        verbose_name = _("red and black list entry")
        verbose_name_plural = _("red and black list entries")
        ordering = ["ranking_id", "rank", "village_id"]
        constraints = [models.UniqueConstraint(fields=["ranking", "village"], name="red_black_entry_unique")]

    def __str__(self) -> str:
        return f"{self.ranking_id}:{self.village_id}"


class RedBlackAdjustment(models.Model):
    """A manual change of a village's score, always with its reason."""

    entry = models.ForeignKey(RedBlackEntry, on_delete=models.CASCADE, related_name="adjustments")
    delta = models.DecimalField(_("change"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("score adjustment")
        verbose_name_plural = _("score adjustments")
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
                       models.CheckConstraint(condition=~Q(delta=0), name="adjustment_not_zero")]

    def __str__(self) -> str:
        return f"{self.delta} {self.reason}"

