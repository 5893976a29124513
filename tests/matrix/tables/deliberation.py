"""Deliberation and disclosure (shanzhi/deliberation): the API, the pages and the public
boards.

Its records belong to a village (topics, meetings, matters, votes, notices, role models,
council meetings), a household (admonitions) or a township (red/black lists). A role's
*inside* record is in the village of its home (for a township or county role, the first
village under it); the *outside* one is in the nearest village it does not work in (for
the grid team and the resident: the other village of the township). Everyone who works in
villages sees a village's deliberation; the resident sees their own village's; the county
departments see none of it. The public boards answer everyone, signed in or not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.core import tree
from shanzhi.deliberation import services
from shanzhi.deliberation.models import (
    Board,
    Category,
    CouncilMeeting,
    DeliberationMeeting,
    DisclosureRequirement,
    Frequency,
    Matter,
    Notice,
    NoticeAttachment,
    RedBlackEntry,
    RedBlackList,
    RoleModel,
    Topic,
    TopicComment,
    TopicSupport,
    VillageRules,
    Vote,
    VoteOption,
)
from shanzhi.regions.models import Household, Region
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page, public
from tests.matrix.world import ANONYMOUS, INSIDE, SIGNED_IN, World, kind

# Who may do what (the matrix's own statement, see roles.py).
SEE = R.REGION_STAFF | R.RESIDENT  # a village's deliberation
STAFF_SEE = R.REGION_STAFF  # nominations under review, the disclosure calendar
RAISE = R.GRID_TEAM | R.GRID_SUPERVISORS | R.VILLAGE_CADRES | R.RESIDENT  # topics; also nominating
RECORD = R.GRID_TEAM | R.GRID_SUPERVISORS | R.VILLAGE_CADRES  # offline meetings
MODERATE = R.VILLAGE_CADRES | R.GOVERNMENT
CADRES = R.VILLAGE_CADRES  # matters, votes, paper ballots, the council
NOTICE_SEE = R.VILLAGE_CADRES | R.GOVERNMENT | R.RESIDENT
NOTICE_POST = R.VILLAGE_CADRES | R.GOVERNMENT
COUNCIL_SEE = R.VILLAGE_CADRES | R.GOVERNMENT
ADMONITION_SEE = COUNCIL_SEE | R.GRID_SUPERVISORS | frozenset({"grid_leader", "grid_worker"}) | R.RESIDENT
RANK = R.GOVERNMENT
RULES_SEE = R.VILLAGE_CADRES | R.GOVERNMENT
BASE = "/api/deliberation"


def _forbidden(allowed: frozenset[str]) -> dict[str, int | str]:
    """A route without a record: everyone signed in but ``allowed`` (and the admin) gets 403."""
    return dict.fromkeys(SIGNED_IN - allowed - {"admin"}, 403)


# -- places ------------------------------------------------------------------------------

def _first_village_under(region: Region) -> Region:
    return Region.objects.filter(path__startswith=region.path, level=Region.Level.VILLAGE).order_by("code").first()


def _above(region: Region, level: int) -> Region:
    return Region.objects.get(path__in=tree.ancestors(region.path), level=level)


def _village(world: World, role: str, placement: str) -> Region:
    who = "grid_worker" if role == ANONYMOUS else role
    home = world.home(who)
    if home.level >= Region.Level.VILLAGE:
        village = _above(home, Region.Level.VILLAGE)
        if placement == INSIDE:
            return village
        if home.level == Region.Level.VILLAGE:
            return world.outside(who)
        return Region.objects.filter(parent_id=village.parent_id, level=Region.Level.VILLAGE).exclude(
            pk=village.pk).order_by("code").first()
    return _first_village_under(home if placement == INSIDE else world.outside(who))


def _township(world: World, role: str, placement: str) -> Region:
    who = "grid_worker" if role == ANONYMOUS else role
    home = world.home(who)
    if home.level >= Region.Level.TOWNSHIP:
        township = _above(home, Region.Level.TOWNSHIP)
        if placement == INSIDE:
            return township
        sibling = Region.objects.filter(parent_id=township.parent_id).exclude(pk=township.pk).order_by("code").first()
        return sibling
    place = home if placement == INSIDE else world.outside(who)
    return Region.objects.filter(path__startswith=place.path, level=Region.Level.TOWNSHIP).order_by("code").first()


def _cached(world: World, key: tuple[Any, ...], make: Any) -> Any:
    full = ("deliberation", *key)
    if full not in world.cache:
        world.cache[full] = make()
    return world.cache[full]


def _admin(world: World) -> Any:
    return world.users["admin"]


def _online(village: Region) -> None:
    VillageRules.objects.update_or_create(village=village, defaults={
        "region_path": village.path, "county_id": village.county_id, "allow_online_voting": True})


def _ago(minutes: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


# -- the records -------------------------------------------------------------------------

@kind("delib_village", params=lambda v: {"code": v.code}, key=lambda v: v.code, item_field="code",
      text=lambda v: v.name)
def _village_kind(world: World, role: str, placement: str) -> Region:
    return _village(world, role, placement)


@kind("delib_township", params=lambda t: {"code": t.code}, key=lambda t: t.code, item_field="code",
      text=lambda t: t.name)
def _township_kind(world: World, role: str, placement: str) -> Region:
    return _township(world, role, placement)


def _topic(world: World, village: Region, variant: str = "open") -> Topic:
    def make() -> Topic:
        topic = services.topic_raise(actor=_admin(world), village=village, title=f"矩阵议题{village.code}{variant}",
                                     body="矩阵测试")
        if variant == "hidden":
            services.topic_hide(actor=_admin(world), topic=topic, reason="矩阵")
        elif variant == "closed":
            services.topic_close(actor=_admin(world), topic=topic, note="矩阵")
        elif variant == "supported":
            TopicSupport.objects.create(topic=topic, resident_id=world.users["resident"].resident_id)
            Topic.objects.filter(pk=topic.pk).update(support_count=1)
        return topic

    return Topic.objects.get(pk=_cached(world, ("topic", village.pk, variant), make).pk)


@kind("topic", params=lambda t: {"topic_id": t.pk, "pk": t.pk}, text=lambda t: t.title)
def _topic_kind(world: World, role: str, placement: str) -> Topic:
    return _topic(world, _village(world, role, placement))


@kind("supported_topic", params=lambda t: {"topic_id": t.pk, "pk": t.pk}, text=lambda t: t.title)
def _supported_kind(world: World, role: str, placement: str) -> Topic:
    """Supported by the resident (only a topic of the resident's own village can be)."""
    village = _village(world, role, placement)
    return _topic(world, village, "supported" if village.code == "621023100201" else "open")


@kind("hidden_topic", params=lambda t: {"topic_id": t.pk, "pk": t.pk}, text=lambda t: t.title)
def _hidden_kind(world: World, role: str, placement: str) -> Topic:
    return _topic(world, _village(world, role, placement), "hidden")


@kind("closed_topic", params=lambda t: {"topic_id": t.pk, "pk": t.pk}, text=lambda t: t.title)
def _closed_kind(world: World, role: str, placement: str) -> Topic:
    return _topic(world, _village(world, role, placement), "closed")


def _comment(world: World, role: str, placement: str, hidden: bool) -> TopicComment:
    topic = _topic(world, _village(world, role, placement))

    def make() -> TopicComment:
        comment = services.topic_comment(actor=_admin(world), topic=topic, body="矩阵评论")
        if hidden:
            services.comment_hide(actor=_admin(world), comment=comment, reason="矩阵")
        return comment

    return TopicComment.objects.get(pk=_cached(world, ("comment", topic.pk, hidden), make).pk)


@kind("topic_comment", params=lambda c: {"comment_id": c.pk, "pk": c.pk, "step": "hide"})
def _comment_kind(world: World, role: str, placement: str) -> TopicComment:
    return _comment(world, role, placement, False)


@kind("hidden_comment", params=lambda c: {"comment_id": c.pk, "pk": c.pk, "step": "unhide"})
def _hidden_comment_kind(world: World, role: str, placement: str) -> TopicComment:
    return _comment(world, role, placement, True)


def _meeting(world: World, village: Region) -> DeliberationMeeting:
    return _cached(world, ("meeting", village.pk), lambda: services.meeting_record(
        actor=_admin(world), village=village, kind="bench", held_on=timezone.localdate(), place="村口",
        attendee_count=9, subject=f"矩阵板凳会{village.code}", outcome="议定"))


@kind("delib_meeting", params=lambda m: {"meeting_id": m.pk, "pk": m.pk}, text=lambda m: m.subject)
def _meeting_kind(world: World, role: str, placement: str) -> DeliberationMeeting:
    return _meeting(world, _village(world, role, placement))


def _stage(world: World, matter: Matter, stage: str, body: str, eligible: int = 5) -> None:
    services.matter_record_meeting(
        actor=_admin(world), matter=matter, stage=stage, body=body, held_on=timezone.localdate(),
        eligible_count=eligible, present_count=eligible, votes_for=eligible, votes_against=0, votes_abstain=0,
        minutes="矩阵")


def _matter(world: World, village: Region, state: str) -> Matter:
    def make() -> Matter:
        matter = services.matter_create(actor=_admin(world), village=village, title=f"矩阵事项{village.code}{state}",
                                        proposal="矩阵提议")
        if state in ("resolved", "resolution_disclosed"):
            _stage(world, matter, "propose", "branch_committee")
            _stage(world, matter, "discuss", "joint_committees")
            _stage(world, matter, "review", "party_members")
            _stage(world, matter, "resolve", "representatives", eligible=20)
        if state == "resolution_disclosed":
            services.matter_disclose_resolution(actor=_admin(world), matter=matter)
        return matter

    return Matter.objects.get(pk=_cached(world, ("matter", village.pk, state), make).pk)


@kind("matter", params=lambda m: {"matter_id": m.pk, "pk": m.pk}, text=lambda m: m.title)
def _matter_kind(world: World, role: str, placement: str) -> Matter:
    return _matter(world, _village(world, role, placement), "draft")


@kind("resolved_matter", params=lambda m: {"matter_id": m.pk, "pk": m.pk, "which": "resolution"})
def _resolved_kind(world: World, role: str, placement: str) -> Matter:
    return _matter(world, _village(world, role, placement), "resolved")


@kind("disclosed_matter", params=lambda m: {"matter_id": m.pk, "pk": m.pk, "which": "result"})
def _disclosed_kind(world: World, role: str, placement: str) -> Matter:
    return _matter(world, _village(world, role, placement), "resolution_disclosed")


def _vote(world: World, village: Region, variant: str = "open") -> Vote:
    def make() -> Vote:
        _online(village)
        if variant == "role_models":
            homes = list(Household.objects.filter(village=village).order_by("number")[:2])
            nominees = [services.role_model_nominate(actor=_admin(world), household=h, title="civilised_family",
                                                     year=timezone.localdate().year, deeds="矩阵")
                        for h in homes]
            vote = services.role_model_vote_open(actor=_admin(world), role_models=nominees, title="矩阵评选",
                                                 opens_at=_ago(5), closes_at=timezone.now() + dt.timedelta(hours=1))
        else:
            vote = services.vote_create(actor=_admin(world), village=village, title=f"矩阵表决{village.code}{variant}",
                                        question="矩阵", options=["同意", "不同意"], opens_at=_ago(5),
                                        closes_at=timezone.now() + dt.timedelta(hours=1), basis="person")
        if variant != "open":
            Vote.objects.filter(pk=vote.pk).update(opens_at=_ago(120), closes_at=_ago(60))
        return vote

    return Vote.objects.get(pk=_cached(world, ("vote", village.pk, variant), make).pk)


@kind("vote", params=lambda v: {"vote_id": v.pk, "pk": v.pk}, text=lambda v: v.title)
def _vote_kind(world: World, role: str, placement: str) -> Vote:
    return _vote(world, _village(world, role, placement))


@kind("closed_vote", params=lambda v: {"vote_id": v.pk, "pk": v.pk}, text=lambda v: v.title)
def _closed_vote_kind(world: World, role: str, placement: str) -> Vote:
    return _vote(world, _village(world, role, placement), "closed")


@kind("role_model_vote", params=lambda v: {"vote_id": v.pk, "pk": v.pk}, text=lambda v: v.title)
def _role_model_vote_kind(world: World, role: str, placement: str) -> Vote:
    return _vote(world, _village(world, role, placement), "role_models")


def _notice(world: World, village: Region) -> Notice:
    return _cached(world, ("notice", village.pk), lambda: services.notice_post(
        actor=_admin(world), region=village, board=Board.VILLAGE, category=Category.FINANCES,
        title=f"矩阵公开{village.code}", body="收支情况"))


@kind("notice", params=lambda n: {"notice_id": n.pk, "pk": n.pk}, text=lambda n: n.title)
def _notice_kind(world: World, role: str, placement: str) -> Notice:
    return _notice(world, _village(world, role, placement))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@kind("attachment", params=lambda a: {"attachment_id": a.pk, "pk": a.pk})
def _attachment_kind(world: World, role: str, placement: str) -> NoticeAttachment:
    notice = _notice(world, _village(world, role, placement))
    return _cached(world, ("attachment", notice.pk), lambda: services.notice_attach(
        actor=_admin(world), notice=notice, upload=("矩阵.pdf", PDF)))


@kind("requirement", params=lambda r: {"requirement_id": r.pk, "pk": r.pk}, text=lambda r: r.title)
def _requirement_kind(world: World, role: str, placement: str) -> DisclosureRequirement:
    village = _village(world, role, placement)
    return _cached(world, ("requirement", village.pk), lambda: services.requirement_add(
        actor=_admin(world), region=village, board=Board.VILLAGE, category=Category.FINANCES,
        frequency=Frequency.MONTHLY, title=f"矩阵财务{village.code}"))


def _council(world: World, village: Region) -> CouncilMeeting:
    return _cached(world, ("council", village.pk), lambda: services.council_meeting_record(
        actor=_admin(world), village=village, held_on=timezone.localdate(), member_count=5, present_count=5,
        minutes=f"矩阵评议会{village.code}"))


@kind("council_meeting", params=lambda m: {"meeting_id": m.pk, "pk": m.pk},
      text=lambda m: f"{m.village.name} · {m.held_on:%Y-%m-%d}")
def _council_kind(world: World, role: str, placement: str) -> CouncilMeeting:
    return _council(world, _village(world, role, placement))


def _role_model(world: World, village: Region) -> RoleModel:
    def make() -> RoleModel:
        household = Household.objects.filter(village=village).order_by("-number").first()
        return services.role_model_nominate(actor=_admin(world), household=household, title="five_star_household",
                                            year=timezone.localdate().year, deeds="矩阵事迹")

    return RoleModel.objects.get(pk=_cached(world, ("role_model", village.pk), make).pk)


@kind("role_model", params=lambda m: {"role_model_id": m.pk, "pk": m.pk}, text=lambda m: m.household.number)
def _role_model_kind(world: World, role: str, placement: str) -> RoleModel:
    """Waiting for the council; with the village's council meeting to decide it at and a
    second nominee for the same title to put to a vote with it."""
    village = _village(world, role, placement)
    _council(world, village)
    model = _role_model(world, village)
    _second_nominee(world, model)
    return model


def _second_nominee(world: World, m: RoleModel) -> RoleModel:
    other = Household.objects.filter(village=m.village).exclude(pk=m.household_id).order_by("number").first()
    return _cached(world, ("second_nominee", m.pk), lambda: services.role_model_nominate(
        actor=_admin(world), household=other, title=m.title, year=m.year, deeds="矩阵"))


@kind("awarded_role_model", params=lambda m: {"role_model_id": m.pk, "pk": m.pk})
def _awarded_kind(world: World, role: str, placement: str) -> RoleModel:
    return _awarded(world, _village(world, role, placement))


def _awarded(world: World, village: Region) -> RoleModel:
    def make() -> RoleModel:
        household = Household.objects.filter(village=village).order_by("number").first()
        model = services.role_model_nominate(actor=_admin(world), household=household, title="civilised_family",
                                             year=timezone.localdate().year - 1, deeds="矩阵事迹")
        services.role_model_review(actor=_admin(world), role_model=model, meeting=_council(world, village),
                                   award=True)
        return model

    return RoleModel.objects.get(pk=_cached(world, ("awarded", village.pk), make).pk)


@kind("admonition", params=lambda a: {"admonition_id": a.pk, "pk": a.pk}, text=lambda a: a.household.number)
def _admonition_kind(world: World, role: str, placement: str) -> Any:
    household = world.household("grid_worker" if role == ANONYMOUS else role, placement)
    meeting = _council(world, household.village)
    return _cached(world, ("admonition", household.pk), lambda: services.admonition_record(
        actor=_admin(world), meeting=meeting, household=household, conduct="sanitation", description="矩阵"))


def _quarter() -> tuple[int, int]:
    today = timezone.localdate()
    q = (today.month - 1) // 3
    return (today.year, q) if q else (today.year - 1, 4)


def _ranking(world: World, township: Region, year: int | None = None, quarter: int | None = None) -> RedBlackList:
    last_year, last_quarter = _quarter()
    year, quarter = year or last_year, quarter or last_quarter

    def make() -> RedBlackList:
        ranking = RedBlackList.objects.create(
            township=township, year=year, quarter=quarter, red_count=1, black_count=0, created_by=_admin(world),
            computed_at=timezone.now(), region_path=township.path, county_id=township.county_id,
            indicators=[{"key": "sanitation", "label": "sanitation", "unit": "", "weight": 1,
                         "higher_is_better": True}])
        for village in Region.objects.filter(parent=township, level=Region.Level.VILLAGE):
            RedBlackEntry.objects.create(ranking=ranking, village=village, values={"sanitation": 80.0},
                                         scores={"sanitation": 100.0}, measured_score=100, final_score=100, rank=1)
        return ranking

    return RedBlackList.objects.get(pk=_cached(world, ("ranking", township.pk, year, quarter), make).pk)


@kind("red_black_list", params=lambda r: {"ranking_id": r.pk, "pk": r.pk},
      text=lambda r: f"{r.township.name} · {r.year} Q{r.quarter}")
def _ranking_kind(world: World, role: str, placement: str) -> RedBlackList:
    return _ranking(world, _township(world, role, placement))


# -- growing the lists (flat query counts) -----------------------------------------------

def _home_village(world: World) -> Region:
    return world.county.villages[0]


def _seq(world: World, name: str) -> int:
    key = ("deliberation-seq", name)
    world.cache[key] = world.cache.get(key, 0) + 1
    return world.cache[key]


def _grow_topics(world: World, n: int) -> None:
    for _ in range(n):
        services.topic_raise(actor=_admin(world), village=_home_village(world), title="增长", body="增长")


def _grow_meetings(world: World, n: int) -> None:
    topic = _topic(world, _home_village(world))
    for _ in range(n):
        services.meeting_record(actor=_admin(world), village=_home_village(world), kind="courtyard",
                                held_on=timezone.localdate(), place="院落", attendee_count=3, subject="增长",
                                outcome="o", attendee_names=["甲", "乙"], topics=[topic])


def _grow_matters(world: World, n: int) -> None:
    for _ in range(n):
        services.matter_create(actor=_admin(world), village=_home_village(world), title="增长", proposal="p")


def _grow_votes(world: World, n: int) -> None:
    village = _home_village(world)
    for _ in range(n):
        vote = Vote.objects.create(village=village, title="增长", question="q", basis="person", secrecy="secret",
                                   opens_at=_ago(5), closes_at=timezone.now() + dt.timedelta(hours=1),
                                   created_by=_admin(world), region_path=village.path, county_id=village.county_id)
        VoteOption.objects.create(vote=vote, position=1, label="a")


def _grow_notices(world: World, n: int) -> None:
    for _ in range(n):
        notice = services.notice_post(actor=_admin(world), region=_home_village(world), board=Board.PARTY,
                                      category=Category.PARTY_DUES, title="增长", body="b")
        services.notice_attach(actor=_admin(world), notice=notice, upload=("a.pdf", PDF))


COMBOS = [(board, category, frequency) for board, category in (
    (Board.VILLAGE, Category.ASSETS), (Board.VILLAGE, Category.SUBSIDIES), (Board.VILLAGE, Category.PUBLIC_WORKS),
    (Board.VILLAGE, Category.VILLAGE_OTHER), (Board.PARTY, Category.PARTY_DUES), (Board.PARTY, Category.THREE_MEETINGS))
    for frequency in Frequency.values]


def _grow_requirements(world: World, n: int) -> None:
    for _ in range(n):
        board, category, frequency = COMBOS[_seq(world, "requirement")]
        services.requirement_add(actor=_admin(world), region=world.county.county, board=board, category=category,
                                 frequency=frequency, title="增长")


def _grow_role_models(world: World, n: int) -> None:
    homes = list(Household.objects.filter(village=_home_village(world)).order_by("number"))
    for _ in range(n):
        i = _seq(world, "role_model")
        services.role_model_nominate(actor=_admin(world), household=homes[i % len(homes)],
                                     title=["exemplar", "good_daughter_in_law", "filial_star"][i // len(homes) % 3],
                                     resident=homes[i % len(homes)].members.order_by("id").first(),
                                     year=timezone.localdate().year, deeds="增长")


def _grow_council(world: World, n: int) -> None:
    for _ in range(n):
        services.council_meeting_record(actor=_admin(world), village=_home_village(world),
                                        held_on=timezone.localdate(), member_count=5, present_count=4, minutes="m",
                                        attendee_names=["甲"])


def _grow_admonitions(world: World, n: int) -> None:
    meeting = _council(world, _home_village(world))
    homes = list(Household.objects.filter(village=_home_village(world)))
    for i in range(n):
        services.admonition_record(actor=_admin(world), meeting=meeting, household=homes[i % len(homes)],
                                   conduct="gambling", description="d", resident=homes[i % len(homes)].members.first())


def _grow_rankings(world: World, n: int) -> None:
    township = world.county.townships[0]
    for _ in range(n):
        _ranking(world, township, year=2000 + _seq(world, "ranking"), quarter=1)


# -- bodies ------------------------------------------------------------------------------

def _village_code(obj: Region) -> str:
    return obj.code


def _stage_body(world: World, role: str, m: Matter) -> dict[str, Any]:
    return {"stage": "propose", "body": "branch_committee", "held_on": timezone.localdate().isoformat(),
            "eligible_count": 5, "present_count": 5, "votes_for": 5, "votes_against": 0, "votes_abstain": 0,
            "minutes": "矩阵", "decision": "advance"}


def _vote_body(world: World, role: str, v: Region) -> dict[str, Any]:
    return {"village": v.code, "title": "t", "question": "q", "options": ["甲", "乙"],
            "opens_at": timezone.now().isoformat(), "closes_at": (timezone.now() + dt.timedelta(days=1)).isoformat()}


def _upload(world: World, role: str, obj: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("附件.pdf", PDF, content_type="application/pdf")}


def _option(world: World, role: str, v: Vote) -> dict[str, Any]:
    return {"option_id": v.options.order_by("position").first().pk}


def _paper(world: World, role: str, v: Vote) -> dict[str, Any]:
    return {"resident_id": v.electors.order_by("id").last().resident_id}


def _tally(world: World, role: str, v: Vote) -> dict[str, Any]:
    return {"counts": {str(o.pk): 0 for o in v.options.all()}}


def _ranking_adjust(world: World, role: str, r: RedBlackList) -> dict[str, Any]:
    return {"village": r.entries.order_by("village__code").first().village.code, "delta": "5", "reason": "矩阵"}


def _nominate(world: World, role: str, v: Region) -> dict[str, Any]:
    household = Household.objects.filter(village=v).order_by("number").first()
    return {"household_id": household.pk, "resident_id": household.members.order_by("id").first().pk,
            "title": "filial_star", "year": timezone.localdate().year, "deeds": "矩阵"}


def _review(world: World, role: str, m: RoleModel) -> dict[str, Any]:
    return {"meeting_id": _council(world, m.village).pk, "award": True}


def _put_to_vote(world: World, role: str, m: RoleModel) -> dict[str, Any]:
    second = _second_nominee(world, m)
    return {"role_model_ids": [m.pk, second.pk], "title": "矩阵评选", "opens_at": timezone.now().isoformat(),
            "closes_at": (timezone.now() + dt.timedelta(days=2)).isoformat()}


def _admonish(world: World, role: str, m: CouncilMeeting) -> dict[str, Any]:
    household = Household.objects.filter(village=m.village).order_by("number").first()
    return {"meeting_id": m.pk, "household_id": household.pk, "conduct": "gambling", "description": "矩阵"}


def _page_stage(world: World, role: str, m: Matter) -> dict[str, Any]:
    return _stage_body(world, role, m)


NOT_ON_A_ROLL = {"admin": 403}

ENTRIES: list[Entry] = [
    # -- topics ------------------------------------------------------------------------------
    api("GET", f"{BASE}/topics", kind="topic", lists=True, visible=SEE, grow=Grow(_grow_topics)),
    api("POST", f"{BASE}/topics", kind="delib_village", visible=SEE, allowed=RAISE, ok=201, hidden=422, outside=422,
        body=lambda w, role, v: {"village": v.code, "title": "矩阵", "body": "矩阵"}),
    api("GET", f"{BASE}/topics/{{topic_id}}", kind="topic", visible=SEE),
    api("POST", f"{BASE}/topics/{{topic_id}}/comments", kind="topic", visible=SEE, ok=201,
        body=lambda w, role, t: {"body": "矩阵"}),
    api("POST", f"{BASE}/topics/{{topic_id}}/support", kind="topic", visible=SEE, allowed=R.RESIDENT,
        expect={"admin": 403}, note="only residents support, once each (the administrator is no resident)"),
    api("DELETE", f"{BASE}/topics/{{topic_id}}/support", kind="supported_topic", visible=SEE, allowed=R.RESIDENT,
        expect={"admin": 403}),
    api("POST", f"{BASE}/topics/{{topic_id}}/hide", kind="topic", visible=SEE, allowed=MODERATE,
        body=lambda w, role, t: {"reason": "矩阵"}),
    api("POST", f"{BASE}/topics/{{topic_id}}/unhide", kind="hidden_topic", visible=MODERATE,
        note="a hidden topic is seen by the moderators and its author only"),
    api("POST", f"{BASE}/comments/{{comment_id}}/hide", kind="topic_comment", visible=SEE, allowed=MODERATE,
        body=lambda w, role, c: {"reason": "矩阵"}),
    api("POST", f"{BASE}/comments/{{comment_id}}/unhide", kind="hidden_comment", visible=MODERATE),
    api("POST", f"{BASE}/topics/{{topic_id}}/close", kind="topic", visible=SEE, allowed=MODERATE,
        body=lambda w, role, t: {"note": "矩阵"}),
    api("POST", f"{BASE}/topics/{{topic_id}}/reopen", kind="closed_topic", visible=SEE, allowed=MODERATE),
    api("POST", f"{BASE}/topics/{{topic_id}}/convert", kind="topic", visible=SEE, allowed=CADRES, ok=201),
    # -- offline meetings ----------------------------------------------------------------------
    api("GET", f"{BASE}/meetings", kind="delib_meeting", lists=True, visible=SEE, grow=Grow(_grow_meetings)),
    api("POST", f"{BASE}/meetings", kind="delib_village", visible=SEE, allowed=RECORD, ok=201, hidden=422,
        outside=422, body=lambda w, role, v: {
            "village": v.code, "kind": "courtyard", "held_on": timezone.localdate().isoformat(), "place": "院",
            "subject": "s", "attendee_count": 5, "outcome": "o"}),
    api("GET", f"{BASE}/meetings/{{meeting_id}}", kind="delib_meeting", visible=SEE),
    # -- matters -------------------------------------------------------------------------------
    api("GET", f"{BASE}/matters", kind="matter", lists=True, visible=SEE, grow=Grow(_grow_matters)),
    api("POST", f"{BASE}/matters", kind="delib_village", visible=SEE, allowed=CADRES, ok=201, hidden=422,
        outside=422, body=lambda w, role, v: {"village": v.code, "title": "t", "proposal": "p"}),
    api("GET", f"{BASE}/matters/{{matter_id}}", kind="matter", visible=SEE),
    api("POST", f"{BASE}/matters/{{matter_id}}/meetings", kind="matter", visible=SEE, allowed=CADRES, ok=201,
        body=_stage_body),
    api("POST", f"{BASE}/matters/{{matter_id}}/disclose-resolution", kind="resolved_matter", visible=SEE,
        allowed=CADRES, ok=201),
    api("POST", f"{BASE}/matters/{{matter_id}}/disclose-result", kind="disclosed_matter", visible=SEE,
        allowed=CADRES, ok=201, body=lambda w, role, m: {"result": "已完成"}),
    api("POST", f"{BASE}/matters/{{matter_id}}/end", kind="matter", visible=SEE, allowed=CADRES,
        body=lambda w, role, m: {"note": "矩阵"}),
    # -- votes ---------------------------------------------------------------------------------
    api("GET", f"{BASE}/votes", kind="vote", lists=True, visible=SEE, grow=Grow(_grow_votes)),
    api("POST", f"{BASE}/votes", kind="delib_village", visible=SEE, allowed=CADRES, ok=201, hidden=422,
        outside=422, body=_vote_body),
    api("GET", f"{BASE}/votes/{{vote_id}}", kind="vote", visible=SEE),
    api("POST", f"{BASE}/votes/{{vote_id}}/ballots", kind="vote", visible=SEE, allowed=R.RESIDENT, ok=201,
        body=_option, expect=NOT_ON_A_ROLL, note="the administrator is on no village's roll"),
    api("POST", f"{BASE}/votes/{{vote_id}}/paper", kind="vote", visible=SEE, allowed=CADRES, ok=201, body=_paper),
    api("POST", f"{BASE}/votes/{{vote_id}}/paper-tally", kind="closed_vote", visible=SEE, allowed=CADRES,
        body=_tally),
    api("GET", f"{BASE}/votes/{{vote_id}}/roll", kind="vote", visible=SEE, allowed=CADRES,
        note="who has voted (never what), for the officials entering paper ballots"),
    api("POST", f"{BASE}/votes/{{vote_id}}/settle", kind="role_model_vote", visible=SEE, allowed=CADRES),
    # -- notices -------------------------------------------------------------------------------
    api("GET", f"{BASE}/notices", kind="notice", lists=True, visible=NOTICE_SEE, grow=Grow(_grow_notices)),
    api("POST", f"{BASE}/notices", kind="delib_village", visible=NOTICE_SEE, allowed=NOTICE_POST, ok=201,
        hidden=422, outside=422, body=lambda w, role, v: {
            "region": v.code, "board": "village", "category": "assets", "title": "t", "body": "b"}),
    api("GET", f"{BASE}/notices/{{notice_id}}", kind="notice", visible=NOTICE_SEE),
    api("POST", f"{BASE}/notices/{{notice_id}}/attachments", kind="notice", visible=NOTICE_SEE,
        allowed=NOTICE_POST, ok=201, body=_upload, form=True),
    api("POST", f"{BASE}/notices/{{notice_id}}/take-down", kind="notice", visible=NOTICE_SEE, allowed=NOTICE_POST,
        body=lambda w, role, n: {"reason": "矩阵"}),
    api("GET", f"{BASE}/attachments/{{attachment_id}}", kind="attachment", visible=NOTICE_SEE),
    public(f"{BASE}/public/villages/{{code}}/board", kind="delib_village",
           note="a village's boards are public by law"),
    public(f"{BASE}/public/notices/{{notice_id}}", kind="notice"),
    public(f"{BASE}/public/attachments/{{attachment_id}}", kind="attachment"),
    # -- the disclosure calendar ---------------------------------------------------------------
    api("GET", f"{BASE}/disclosure/requirements", kind="requirement", lists=True, visible=STAFF_SEE,
        grow=Grow(_grow_requirements)),
    api("POST", f"{BASE}/disclosure/requirements", kind="delib_village", visible=STAFF_SEE, allowed=R.GOVERNMENT,
        ok=201, hidden=422, outside=422, body=lambda w, role, v: {
            "region": v.code, "board": "village", "category": "assets", "frequency": "quarterly", "title": "t"}),
    api("POST", f"{BASE}/disclosure/requirements/standard", kind="delib_village", visible=STAFF_SEE,
        allowed=R.GOVERNMENT, ok=201, hidden=422, outside=422, body=lambda w, role, v: {"region": v.code}),
    api("POST", f"{BASE}/disclosure/requirements/{{requirement_id}}/retire", kind="requirement", visible=STAFF_SEE,
        allowed=R.GOVERNMENT),
    api("GET", f"{BASE}/disclosure/late", kind="delib_village", visible=STAFF_SEE, hidden=422, outside=422,
        query=lambda w, role, v: {"region": v.code}),
    # -- role models, the council, admonitions -------------------------------------------------
    api("GET", f"{BASE}/role-models", kind="role_model", lists=True, visible=STAFF_SEE, grow=Grow(_grow_role_models),
        note="residents see titles given and votes under way, not nominations waiting for the council"),
    api("POST", f"{BASE}/role-models", kind="delib_village", visible=SEE, allowed=RAISE, ok=201, hidden=422,
        outside=422, body=_nominate),
    api("GET", f"{BASE}/role-models/{{role_model_id}}", kind="role_model", visible=STAFF_SEE),
    api("POST", f"{BASE}/role-models/{{role_model_id}}/review", kind="role_model", visible=STAFF_SEE,
        allowed=CADRES, body=_review),
    api("POST", f"{BASE}/role-models/votes", kind="role_model", visible=STAFF_SEE, allowed=CADRES, ok=201,
        hidden=422, outside=422, body=_put_to_vote),
    api("POST", f"{BASE}/role-models/publish", kind="awarded_role_model", visible=SEE, allowed=NOTICE_POST, ok=201,
        hidden=422, outside=422,
        body=lambda w, role, m: {"village": m.village.code, "year": m.year}),
    api("GET", f"{BASE}/council-meetings", kind="council_meeting", lists=True, visible=COUNCIL_SEE,
        grow=Grow(_grow_council)),
    api("POST", f"{BASE}/council-meetings", kind="delib_village", visible=COUNCIL_SEE, allowed=CADRES, ok=201,
        hidden=422, outside=422, body=lambda w, role, v: {
            "village": v.code, "held_on": timezone.localdate().isoformat(), "member_count": 5,
            "present_count": 4, "minutes": "m"}),
    api("GET", f"{BASE}/council-meetings/{{meeting_id}}", kind="council_meeting", visible=COUNCIL_SEE),
    api("GET", f"{BASE}/admonitions", kind="admonition", lists=True, visible=ADMONITION_SEE,
        grow=Grow(_grow_admonitions)),
    api("POST", f"{BASE}/admonitions", kind="council_meeting", visible=COUNCIL_SEE, allowed=CADRES, ok=201,
        hidden=422, outside=422, body=_admonish),
    api("POST", f"{BASE}/admonitions/{{admonition_id}}/follow-up", kind="admonition", visible=ADMONITION_SEE,
        allowed=CADRES, body=lambda w, role, a: {"follow_up": "已整改"}),
    # -- the red/black list --------------------------------------------------------------------
    api("GET", f"{BASE}/indicators"),
    api("POST", f"{BASE}/indicator-readings", kind="delib_village", visible=RANK, ok=201, hidden=422, outside=422,
        body=lambda w, role, v: {"village": v.code, "indicator": "sanitation", "year": _quarter()[0],
                                 "quarter": _quarter()[1], "value": "88"}),
    api("GET", f"{BASE}/red-black-lists", kind="red_black_list", lists=True, visible=RANK, grow=Grow(_grow_rankings)),
    api("POST", f"{BASE}/red-black-lists", kind="delib_township", visible=RANK, ok=201, hidden=422, outside=422,
        body=lambda w, role, t: {"township": t.code, "year": _quarter()[0], "quarter": _quarter()[1]},
        expect={"admin:outside": 422}, note="the neighbour county's township has one village: nothing to rank"),
    api("GET", f"{BASE}/red-black-lists/{{ranking_id}}", kind="red_black_list", visible=RANK),
    api("POST", f"{BASE}/red-black-lists/{{ranking_id}}/adjustments", kind="red_black_list", visible=RANK, ok=201,
        body=_ranking_adjust),
    api("POST", f"{BASE}/red-black-lists/{{ranking_id}}/publish", kind="red_black_list", visible=RANK),
    # -- a village's rules ---------------------------------------------------------------------
    api("GET", f"{BASE}/villages/{{code}}/rules", kind="delib_village", visible=RULES_SEE),
    api("PATCH", f"{BASE}/villages/{{code}}/rules", kind="delib_village", visible=RULES_SEE, allowed=CADRES,
        body=lambda w, role, v: {"allow_online_voting": True}),

    # -- pages ---------------------------------------------------------------------------------
    page("deliberation:index"),
    page("deliberation:topics", kind="topic", lists=True, visible=SEE),
    page("deliberation:topic_new", expect=_forbidden(RAISE)),
    page("deliberation:topic", kind="topic", visible=SEE),
    page("deliberation:topic_comment", method="POST", kind="topic", visible=SEE, ok=302,
         body=lambda w, role, t: {"body": "矩阵"}),
    page("deliberation:topic_support", method="POST", kind="topic", visible=SEE, allowed=R.RESIDENT, ok=302,
         expect={"admin": 403}),
    page("deliberation:topic_convert", kind="topic", visible=SEE, allowed=CADRES),
    page("deliberation:topic_moderate", method="POST", kind="topic", visible=SEE, allowed=MODERATE, ok=302,
         params=lambda t: {"pk": t.pk, "step": "hide"}, body=lambda w, role, t: {"reason": "矩阵"}),
    page("deliberation:comment_moderate", method="POST", kind="topic_comment", visible=SEE, allowed=MODERATE, ok=302,
         body=lambda w, role, c: {"reason": "矩阵"}),
    page("deliberation:meetings", kind="delib_meeting", lists=True, visible=SEE),
    page("deliberation:meeting_new", expect=_forbidden(RECORD)),
    page("deliberation:meeting", kind="delib_meeting", visible=SEE),
    page("deliberation:matters", kind="matter", lists=True, visible=SEE),
    page("deliberation:matter_new", expect=_forbidden(CADRES)),
    page("deliberation:matter", kind="matter", visible=SEE),
    page("deliberation:matter_stage", method="POST", kind="matter", visible=SEE, allowed=CADRES, ok=302,
         body=_page_stage),
    page("deliberation:matter_disclose", method="POST", kind="resolved_matter", visible=SEE, allowed=CADRES, ok=302),
    page("deliberation:matter_end", method="POST", kind="matter", visible=SEE, allowed=CADRES, ok=302,
         body=lambda w, role, m: {"note": "矩阵"}),
    page("deliberation:votes", kind="vote", lists=True, visible=SEE),
    page("deliberation:vote_new", expect=_forbidden(CADRES)),
    page("deliberation:vote", kind="vote", visible=SEE),
    page("deliberation:vote_cast", method="POST", kind="vote", visible=SEE, allowed=R.RESIDENT, ok=302,
         body=lambda w, role, v: {"option": v.options.order_by("position").first().pk}, expect=NOT_ON_A_ROLL),
    page("deliberation:vote_paper", kind="vote", visible=SEE, allowed=CADRES),
    page("deliberation:vote_tally", method="POST", kind="closed_vote", visible=SEE, allowed=CADRES, ok=302,
         body=lambda w, role, v: {f"option_{o.pk}": 0 for o in v.options.all()}),
    page("deliberation:vote_settle", method="POST", kind="role_model_vote", visible=SEE, allowed=CADRES, ok=302),
    page("deliberation:notices", kind="notice", lists=True, visible=NOTICE_SEE),
    page("deliberation:notice_new", expect=_forbidden(NOTICE_POST)),
    page("deliberation:notice", kind="notice", visible=NOTICE_SEE),
    page("deliberation:notice_take_down", method="POST", kind="notice", visible=NOTICE_SEE, allowed=NOTICE_POST,
         ok=302, body=lambda w, role, n: {"reason": "矩阵"}),
    page("deliberation:notice_attach", method="POST", kind="notice", visible=NOTICE_SEE, allowed=NOTICE_POST, ok=302,
         body=_upload),
    page("deliberation:attachment", kind="attachment", visible=NOTICE_SEE),
    public("deliberation:public_board", kind="delib_village"),
    public("deliberation:public_notice", kind="notice"),
    public("deliberation:public_print", kind="notice", note="the A4 poster"),
    public("deliberation:public_attachment", kind="attachment"),
    page("deliberation:late", kind="delib_village", visible=STAFF_SEE, hidden=403,
         query=lambda w, role, v: {"region": v.code},
         expect={"resident:outside": 403, "department_staff:outside": 403},
         note="roles without the calendar are refused before the place is looked at"),
    page("deliberation:calendar", kind="delib_village", visible=STAFF_SEE, hidden=403,
         query=lambda w, role, v: {"region": v.code},
         expect={"resident:outside": 403, "department_staff:outside": 403}),
    page("deliberation:requirement_retire", method="POST", kind="requirement", visible=STAFF_SEE,
         allowed=R.GOVERNMENT, ok=302),
    page("deliberation:role_models", kind="role_model", lists=True, visible=STAFF_SEE),
    page("deliberation:role_model_new", expect=_forbidden(RAISE)),
    page("deliberation:role_model_vote", expect=_forbidden(CADRES)),
    page("deliberation:role_models_publish", expect=_forbidden(NOTICE_POST)),
    page("deliberation:role_model", kind="role_model", visible=STAFF_SEE),
    page("deliberation:role_model_review", method="POST", kind="role_model", visible=STAFF_SEE, allowed=CADRES,
         ok=302, body=lambda w, role, m: {"meeting": _council(w, m.village).pk, "award": "1"}),
    page("deliberation:council", kind="council_meeting", lists=True, visible=COUNCIL_SEE,
         expect=_forbidden(COUNCIL_SEE)),
    page("deliberation:council_new", expect=_forbidden(CADRES)),
    page("deliberation:council_meeting", kind="council_meeting", visible=COUNCIL_SEE),
    page("deliberation:admonition", kind="admonition", visible=ADMONITION_SEE),
    page("deliberation:rankings", kind="red_black_list", lists=True, visible=RANK, expect=_forbidden(RANK)),
    page("deliberation:readings", expect=_forbidden(RANK)),
    page("deliberation:ranking", kind="red_black_list", visible=RANK),
    page("deliberation:ranking_adjust", method="POST", kind="red_black_list", visible=RANK, ok=302,
         body=_ranking_adjust),
    page("deliberation:ranking_publish", method="POST", kind="red_black_list", visible=RANK, ok=302),
    page("deliberation:rules", kind="delib_village", visible=RULES_SEE),
]
