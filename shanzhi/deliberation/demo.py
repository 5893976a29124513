"""A year of deliberation and disclosure for the demo county, shaped like the seed articles:
Huachi's villages held about 1,500 deliberation meetings in a year (seed 000), Dingxi
settled some 600 matters in them (003); Huachi named 156 role models and its moral review
councils admonished uncivil conduct about 210 times (000); every village keeps a
Party-affairs and a village-affairs board (001), most on time, some late; each township
publishes a quarterly red/black list (003).

``build_demo(county, rng, stdout)`` adds it with bulk writes, deterministic for a given
``rng``; it leaves a county that already has notices as it is. Scaled by the county's
villages and households, so the small test county gets a small history.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from shanzhi.core import tree
from shanzhi.core.models import StateChange
from shanzhi.deliberation import disclosure, rules, services
from shanzhi.deliberation.models import (
    Admonition,
    Body,
    Category,
    Channel,
    Conduct,
    CouncilMeeting,
    DeliberationMeeting,
    Elector,
    IndicatorReading,
    Matter,
    MatterKind,
    MatterMeeting,
    MeetingDecision,
    MeetingKind,
    NamedChoice,
    Notice,
    NoticeSource,
    RaisedAs,
    RoleModel,
    RoleModelTitle,
    Secrecy,
    Stage,
    Topic,
    TopicComment,
    TopicSupport,
    Turnout,
    VillageRules,
    Vote,
    VoteBasis,
    VoteOption,
)
from shanzhi.deliberation.services._common import adult_cutoff
from shanzhi.people.models import PartyMember, Position, Role, User
from shanzhi.regions.models import Household, Region, Resident

MEETINGS_PER_HOUSEHOLD = 1500 / 18000  # seed 000: 1,500 meetings for 18,000 households
SETTLED_SHARE = 0.4  # seed 003: 600 of some 1,500
ROLE_MODELS_PER_HOUSEHOLD = 156 / 18000
ADMONITIONS_PER_HOUSEHOLD = 210 / 18000
TOPICS_PER_VILLAGE = (3, 8)
MATTERS_PER_VILLAGE = (1, 4)
ON_TIME, LATE, MISSING = 0.84, 0.10, 0.06  # how villages keep their calendar

TOPIC_TEXTS = [
    ("村口路灯损坏，晚上出行不便", "村口到学校的几盏路灯坏了一个多月，老人孩子晚上走路不安全，希望尽快修好。"),
    ("二组垃圾清运次数太少", "二组垃圾池经常满溢，夏天气味很大，建议每周增加一次清运。"),
    ("建议硬化三组通组道路", "三组到村委会的土路一下雨就泥泞，拉运农资很困难，建议申请硬化。"),
    ("文化广场增加健身器材", "广场晚上跳舞的人多，建议增加一些健身器材和照明。"),
    ("灌溉渠需要清淤", "春灌前渠道淤积严重，希望组织大家一起清淤。"),
    ("红白事操办标准", "最近有几家办酒席攀比，建议村里按村规民约统一标准，移风易俗。"),
    ("饮水管道冬季防冻", "去年冬天不少户水管冻裂，建议入冬前统一做好保温。"),
    ("留守老人午餐", "村里独居老人多，能否在党群服务中心开办老年餐桌？"),
    ("村集体收益分配方式", "今年集体经济有了收益，大家讨论一下怎么分配更公平。"),
    ("河道护栏加装", "河边小路没有护栏，孩子放学经过很危险。"),
]
COMMENTS = ["同意，这个事情早该办了。", "我家也有同样的问题。", "建议先开个院落会商量一下。", "支持！愿意出工出力。",
            "村委会已记录，近期研究。", "网格员已现场查看，情况属实。", "费用怎么分摊需要说清楚。", "希望尽快解决。"]
MEETING_SUBJECTS = ["邻里宅基地边界协商", "垃圾分类收集点选址", "通组道路修建筹资筹劳", "灌溉用水轮灌顺序",
                    "移风易俗红白事标准",
                    "村规民约修订意见", "院落环境整治分工", "集体经济分红方案", "老年餐桌运营办法", "护栏安装位置"]
PLACES = ["村委会议室", "老槐树下", "农家小院", "文化广场", "田间地头", "廊桥凉亭", "党群服务中心"]
OUTCOMES = ["与会群众一致同意，由村委会牵头落实。", "双方当场达成一致并签字确认。", "形成初步意见，提交两委会研究。",
            "大家同意按户均摊，困难户减免。", "意见分歧较大，下周再议。"]
MATTER_TEXTS = [
    ("硬化三组通组道路", "将三组通组道路1.2公里硬化为水泥路面，宽3.5米。", True),
    ("修建二组蓄水池", "在二组修建200立方米蓄水池一座，解决季节性缺水。", True),
    ("村集体机动地发包", "对村集体机动地50亩公开发包，期限五年。", False),
    ("新建村文化广场", "在村委会南侧修建文化广场及健身设施。", True),
    ("调整低保评议程序", "低保户评议增加村民代表参与，结果张榜公示。", False),
    ("光伏扶贫收益分配", "村级光伏电站收益按公益岗位和困难救助分配。", False),
    ("安装太阳能路灯", "在主干道安装太阳能路灯60盏。", True),
]
ADMONITION_TEXTS: dict[str, str] = {
    Conduct.SANITATION: "门前屋后堆放杂物垃圾，经评议会劝导后限期清理。",
    Conduct.EXTRAVAGANCE: "操办婚事宴请超过村规民约标准，评议会予以劝导。",
    Conduct.NEIGHBOURS: "因排水问题与邻居多次争吵，评议会劝导双方互谅互让。",
    Conduct.UNFILIAL: "对老人赡养不尽心，评议会上门劝导并约定赡养办法。",
    Conduct.GAMBLING: "农闲时参与打牌赌博，评议会进行批评教育。",
    Conduct.SUPERSTITION: "请人做法事花费较大，评议会宣传科学观念。",
}
DEEDS: dict[str, str] = {
    RoleModelTitle.EXEMPLAR: "常年义务为村里老人理发、修理家电，热心公益。",
    RoleModelTitle.CIVILISED_FAMILY: "家庭和睦，邻里团结，积极参与村里环境整治。",
    RoleModelTitle.GOOD_DAUGHTER_IN_LAW: "悉心照顾瘫痪在床的婆婆十余年，毫无怨言。",
    RoleModelTitle.FILIAL_STAR: "孝敬父母，每天为独居老人送饭，被村民称赞。",
    RoleModelTitle.FIVE_STAR_HOUSEHOLD: "遵纪守法、勤劳致富、庭院整洁，带动邻里发展产业。",
}
NOTICE_TEMPLATES: dict[str, tuple[str, str]] = {
    Category.FINANCES: ("{period}村级财务收支公开",
                        "本期收入{income}元，支出{spend}元，结余{rest}元。明细见附表，欢迎监督。"),
    Category.ASSETS: ("{period}集体资产资源情况", "集体土地、林地、房屋等资产资源经营情况如下，收益已入账。"),
    Category.SUBSIDIES: ("{period}惠民补贴发放公示",
                         "本期发放耕地地力保护补贴、养老服务补贴等{n}户次，名单已在村务公开栏张贴。"),
    Category.PARTY_DUES: ("{period}党费收缴情况", "本期应缴党费党员{n}名，实缴{n}名，全部按时足额缴纳。"),
    Category.THREE_MEETINGS: ("{period}“三会一课”开展情况",
                              "本期召开支部党员大会1次、支委会3次、党小组会6次，讲党课1次。"),
}


def _dt(day: dt.date, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(8, 18), rng.randint(0, 59))))


class _Staff:
    """The accounts that act in each village: its secretary, committee, grid team; the
    township's staff."""

    def __init__(self, county: Region):
        self.by_village: dict[str, dict[str, list[User]]] = defaultdict(lambda: defaultdict(list))
        self.by_path: dict[str, list[tuple[str, User]]] = defaultdict(list)
        for position in (Position.objects.current().filter(tree.under(county.path)).select_related("user")
                         .order_by("region_path", "user_id")):
            self.by_path[position.region_path].append((position.role, position.user))

    def in_village(self, village: Region, roles: set[str]) -> list[User]:
        found = [u for path, held in self.by_path.items() if tree.is_under(path, village.path)
                 for role, u in held if role in roles]
        return found or [u for path in tree.ancestors(village.path) for role, u in self.by_path.get(path, [])
                         if role in (Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF)]

    def actor(self, county: Region) -> User | None:
        for role, user in self.by_path.get(county.path, []):
            if role == Role.COUNTY_STAFF:
                return user
        return None


def build_demo(county: Region, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    if Notice.objects.filter(county=county).exists():
        return {}
    staff = _Staff(county)
    actor = staff.actor(county)
    if actor is None:
        return {}
    villages = list(Region.objects.filter(tree.under(county.path, "path"), level=Region.Level.VILLAGE).select_related(
        "parent").order_by("path"))
    if not villages:
        return {}
    today = timezone.localdate()
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        services.calendar_adopt_standard(actor=actor, region=county)
        homes = dict(Household.objects.filter(village__in=villages).values("village_id")
                     .annotate(n=Count("id")).values_list("village_id", "n"))
        for village in villages:
            _village(county, village, rng, staff, today, homes.get(village.pk, 0), counts)
        _readings(county, villages, rng, actor, today, counts)
    # The last quarter's red/black list of each township, computed and published through
    # the services like a township's staff would.
    year, quarter = _last_quarter(today)
    townships = Region.objects.filter(tree.under(county.path, "path"), level=Region.Level.TOWNSHIP).order_by("path")
    for township in townships:
        if Region.objects.filter(parent=township, level=Region.Level.VILLAGE).count() < 2:
            continue
        ranking = services.red_black_list_compute(actor=actor, township=township, year=year, quarter=quarter)
        services.red_black_list_publish(actor=actor, ranking=ranking)
        counts["red_black_lists"] += 1
    return dict(counts)


def _last_quarter(today: dt.date) -> tuple[int, int]:
    q = (today.month - 1) // 3
    return (today.year, q) if q else (today.year - 1, 4)


def _village(county: Region, village: Region, rng: random.Random, staff: _Staff, today: dt.date, homes: int,
             counts: dict[str, int]) -> None:
    cadres = staff.in_village(village, {Role.VILLAGE_SECRETARY, Role.VILLAGE_COMMITTEE}) or staff.in_village(
        village, {Role.TOWNSHIP_STAFF})
    grid_team = staff.in_village(village, {Role.GRID_WORKER, Role.GRID_LEADER}) or cadres
    secretary = cadres[0]
    placed = {"region_path": village.path, "county_id": county.pk}
    from shanzhi.demo import accounts

    online = village.code == accounts.VILLAGE_CODE or rng.random() < 0.6
    VillageRules.objects.create(village=village, allow_online_voting=online, publish_names=rng.random() < 0.5,
                                **placed)
    residents = list(Resident.objects.filter(household__village=village, status=Resident.Status.ACTIVE)
                     .values_list("pk", "household_id", "name", "phone", "birth_date", "relation", "gender"))
    cutoff = adult_cutoff(today)
    adults = [r for r in residents if r[4] and r[4] <= cutoff]
    _notices(county, village, rng, secretary, today, counts)
    topics = _topics(village, rng, placed, grid_team, cadres, adults, today, counts)
    _meetings(village, rng, placed, grid_team + cadres, topics, homes, today, counts)
    _matters(county, village, rng, placed, secretary, topics, len(adults), homes, today, counts)
    _votes(village, rng, placed, secretary, adults, today, counts, online=online)
    _virtue(county, village, rng, placed, secretary, residents, homes, today, counts)


def _notices(county: Region, village: Region, rng: random.Random, author: User, today: dt.date,
             counts: dict[str, int]) -> None:
    requirements = disclosure.requirements_for([village])
    rows = []
    for requirement in requirements:
        for period in disclosure.due_periods(requirement, today, 12 if requirement.frequency == "monthly" else 4):
            due = disclosure.due_on(requirement, period)
            roll = rng.random()
            if roll < MISSING and period.end > today - dt.timedelta(days=120):
                continue  # recently missed: the late list shows it
            if roll < ON_TIME + MISSING:
                posted = period.end + dt.timedelta(days=rng.randint(1, requirement.grace_days))
            else:
                posted = due + dt.timedelta(days=rng.randint(2, 25))
            posted = min(posted, today)
            title, body = NOTICE_TEMPLATES.get(requirement.category, ("{period}公开", "详见公开内容。"))
            income = rng.randint(8, 120) * 1000
            spend = rng.randint(5, income // 1000) * 1000
            text = body.format(income=f"{income:,}", spend=f"{spend:,}", rest=f"{income - spend:,}",
                               n=rng.randint(8, 60))
            rows.append(Notice(
                region=village, board=requirement.board, category=requirement.category,
                title=title.format(period=_period_words(period))[:100], body=text, period_start=period.start,
                period_end=period.end, posted_on=posted, remove_on=posted + dt.timedelta(days=90), created_by=author,
                created_at=_dt(posted, rng), region_path=village.path, county_id=county.pk))
    Notice.objects.bulk_create(rows)
    counts["notices"] += len(rows)


def _period_words(period: disclosure.Period) -> str:
    if period.start.month == period.end.month:
        return f"{period.start.year}年{period.start.month}月"
    return f"{period.start.year}年第{(period.start.month - 1) // 3 + 1}季度"


def _accounts_for(village: Region, adults: list[tuple[Any, ...]], rng: random.Random, n: int) -> list[User]:
    """A few villagers who use the platform from their phones (their password is not set:
    they would sign in with a code sent to the phone the village has on file)."""
    chosen = [a for a in adults if a[3]]
    rng.shuffle(chosen)
    taken = set(User.objects.filter(resident_id__in=[a[0] for a in chosen[: n * 2]]).values_list("resident_id",
                                                                                               flat=True))
    taken_phones = set(User.objects.filter(phone__in=[a[3] for a in chosen[: n * 2]]).values_list("phone", flat=True))
    users = [User(username=f"r{a[0]}", full_name=a[2], phone=a[3], resident_id=a[0], password=make_password(None))
             for a in chosen[: n * 2] if a[0] not in taken and a[3] not in taken_phones][:n]
    return User.objects.bulk_create(users)


def _topics(village: Region, rng: random.Random, placed: dict[str, Any], grid_team: list[User], cadres: list[User],
            adults: list[tuple[Any, ...]], today: dt.date, counts: dict[str, int]) -> list[Topic]:
    n = rng.randint(*TOPICS_PER_VILLAGE)
    villagers = _accounts_for(village, adults, rng, min(n, 4))
    topics = []
    for _ in range(n):
        title, body = rng.choice(TOPIC_TEXTS)
        kind = rng.choices([RaisedAs.RESIDENT, RaisedAs.GRID_WORKER, RaisedAs.VILLAGE_COMMITTEE], [6, 3, 1])[0]
        if kind == RaisedAs.RESIDENT and villagers:
            who = rng.choice(villagers)
        else:
            kind = RaisedAs.GRID_WORKER if kind == RaisedAs.RESIDENT else kind
            who = rng.choice(grid_team if kind == RaisedAs.GRID_WORKER else cadres)
        day = today - dt.timedelta(days=rng.randint(1, 360))
        topics.append(Topic(village=village, title=title, body=body, raised_by=who, raised_as=kind,
                            resident_id=who.resident_id if kind == RaisedAs.RESIDENT else None,
                            state="closed" if day < today - dt.timedelta(days=120) and rng.random() < 0.5 else "open",
                            created_at=_dt(day, rng), **placed))
    Topic.objects.bulk_create(topics)
    comments, supports = [], []
    resident_ids = [a[0] for a in adults]
    for topic in topics:
        for _ in range(rng.randint(0, 4)):
            comments.append(TopicComment(topic=topic, author=rng.choice(grid_team + cadres + villagers),
                                         author_role=RaisedAs.GRID_WORKER, body=rng.choice(COMMENTS),
                                         created_at=topic.created_at + dt.timedelta(hours=rng.randint(1, 200))))
        for resident_id in rng.sample(resident_ids, min(len(resident_ids), rng.randint(0, 25))):
            supports.append(TopicSupport(topic=topic, resident_id=resident_id, created_at=topic.created_at))
    for comment in comments:
        comment.author_role = (RaisedAs.RESIDENT if comment.author.resident_id else
                               RaisedAs.VILLAGE_COMMITTEE if comment.author in cadres else RaisedAs.GRID_WORKER)
    TopicComment.objects.bulk_create(comments)
    TopicSupport.objects.bulk_create(supports)
    per_topic_comments: dict[int, int] = defaultdict(int)
    per_topic_supports: dict[int, int] = defaultdict(int)
    for c in comments:
        per_topic_comments[c.topic_id] += 1
    for s in supports:
        per_topic_supports[s.topic_id] += 1
    for topic in topics:
        topic.comment_count, topic.support_count = per_topic_comments[topic.pk], per_topic_supports[topic.pk]
    Topic.objects.bulk_update(topics, ["comment_count", "support_count"])
    counts["topics"] += len(topics)
    counts["comments"] += len(comments)
    counts["supports"] += len(supports)
    return topics


def _meetings(village: Region, rng: random.Random, placed: dict[str, Any], recorders: list[User],
              topics: list[Topic], homes: int, today: dt.date, counts: dict[str, int]) -> None:
    n = max(1, round(homes * MEETINGS_PER_HOUSEHOLD * rng.uniform(0.7, 1.3)))
    meetings = []
    for _ in range(n):
        day = today - dt.timedelta(days=rng.randint(1, 365))
        meetings.append(DeliberationMeeting(
            village=village, kind=rng.choices(MeetingKind.values, [4, 4, 2, 2, 1, 1])[0], held_on=day,
            place=rng.choice(PLACES), attendee_count=rng.randint(6, 40), subject=rng.choice(MEETING_SUBJECTS),
            outcome=rng.choice(OUTCOMES), settled=rng.random() < SETTLED_SHARE, recorded_by=rng.choice(recorders),
            recorded_at=_dt(day, rng), **placed))
    DeliberationMeeting.objects.bulk_create(meetings)
    links = []
    through = DeliberationMeeting.topics.through
    for meeting in meetings:
        if topics and rng.random() < 0.3:
            links.append(through(deliberationmeeting_id=meeting.pk, topic_id=rng.choice(topics).pk))
    through.objects.bulk_create(links, ignore_conflicts=True)
    counts["meetings"] += len(meetings)


# The states matters end up in, and their weights: a few at each stage.
MATTER_STATES = [("draft", 2), ("proposed", 2), ("discussed", 2), ("reviewed", 2), ("resolved", 2),
                 ("resolution_disclosed", 3), ("result_disclosed", 6), ("ended", 1)]
STAGE_OF_STATE = {"proposed": 1, "discussed": 2, "reviewed": 3, "resolved": 4, "resolution_disclosed": 4,
                  "result_disclosed": 4, "ended": 2}
STAGES = [(Stage.PROPOSE, Body.BRANCH_COMMITTEE, "propose"), (Stage.DISCUSS, Body.JOINT_COMMITTEES, "discuss"),
          (Stage.REVIEW, Body.PARTY_MEMBERS, "review"), (Stage.RESOLVE, Body.VILLAGERS, "resolve")]


def _attendance(rng: random.Random, body: str, eligible: int, *, carried: bool) -> dict[str, int]:
    rule = rules.rule_for(body)
    need = rule.quorum.needed(eligible)
    present = rng.randint(min(need, eligible), eligible) if carried else max(0, need - rng.randint(1, 3))
    base = present if rule.majority_of == rules.PRESENT else eligible
    votes_for = rng.randint(min(rule.majority.needed(base), present), present) if carried else rng.randint(
        0, min(present, max(0, rule.majority.needed(base) - 1)))
    rest = present - votes_for
    against = rng.randint(0, rest)
    return {"eligible_count": eligible, "present_count": present, "votes_for": votes_for, "votes_against": against,
            "votes_abstain": rest - against}


def _matters(county: Region, village: Region, rng: random.Random, placed: dict[str, Any], secretary: User,
             topics: list[Topic], adults: int, homes: int, today: dt.date, counts: dict[str, int]) -> None:
    if adults < 2:
        return
    members = PartyMember.objects.filter(tree.under(village.path)).count() or rng.randint(12, 40)
    content_type = ContentType.objects.get_for_model(Matter)
    open_topics = [t for t in topics if t.state == "open"]
    for _ in range(rng.randint(*MATTERS_PER_VILLAGE)):
        title, proposal, works = rng.choice(MATTER_TEXTS)
        state = rng.choices([s for s, _w in MATTER_STATES], [w for _s, w in MATTER_STATES])[0]
        one_matter = works and rng.random() < 0.35
        if counts["matters"] < len(MATTER_STATES):  # the county's first matters: one at every stage
            state, one_matter = MATTER_STATES[counts["matters"]][0], False
        kind = MatterKind.ONE_MATTER if one_matter else MatterKind.FOUR_DELIBERATIONS
        if one_matter and state in ("proposed", "discussed", "reviewed"):
            state = "draft"
        created = today - dt.timedelta(days=rng.randint(30, 330))
        topic = open_topics.pop() if open_topics and rng.random() < 0.3 else None
        matter = Matter.objects.create(
            village=village, kind=kind, title=title, proposal=proposal, topic=topic, created_by=secretary,
            created_at=_dt(created, rng), state=state,
            plan="村集体出资60%，其余由受益农户按户筹资，劳务由村民投工投劳。" if one_matter else "",
            total_cost_fen=rng.randint(20, 200) * 1_000_000 if one_matter else None,
            contribution_fen=rng.choice([10000, 20000, 30000]) if one_matter else None,
            labour_days=rng.randint(1, 5) if one_matter else None, **placed)
        if topic is not None:
            Topic.objects.filter(pk=topic.pk).update(state="converted")
        history = [StateChange(content_type=content_type, object_id=matter.pk, workflow="matter", transition="create",
                               from_state="", to_state="draft", actor=secretary,
                               actor_name=secretary.get_full_name(), at=matter.created_at)]
        # How many stage meetings the matter has had (the last one failed if it ended).
        if one_matter:
            steps, passed = STAGES[3:], (0 if state == "draft" else 1)
        else:
            steps, passed = STAGES, STAGE_OF_STATE.get(state, 0)
        day, current = created, "draft"
        meetings = []
        for stage, body, transition in steps[:max(0, passed)]:
            day = day + dt.timedelta(days=rng.randint(2, 12))
            if day > today:
                day = today
            failing = state == "ended" and stage == steps[passed - 1][0]
            if body == Body.VILLAGERS and rng.random() < 0.4:
                body = Body.REPRESENTATIVES
            eligible = {Body.BRANCH_COMMITTEE: rng.randint(3, 7), Body.JOINT_COMMITTEES: rng.randint(6, 11),
                        Body.PARTY_MEMBERS: members, Body.VILLAGERS: adults,
                        Body.REPRESENTATIVES: max(5, homes // 10)}[body]
            figures = _attendance(rng, body, eligible, carried=not failing)
            meetings.append(MatterMeeting(
                matter=matter, stage=stage, body=body, held_on=day, place=rng.choice(PLACES),
                minutes="会议记录：" + proposal,
                quorum_met=not failing or figures["present_count"] >= rules.rule_for(body).quorum.needed(eligible),
                carried=not failing, rule=rules.rule_for(body).as_dict(),
                decision=MeetingDecision.END if failing else MeetingDecision.ADVANCE, recorded_by=secretary,
                recorded_at=_dt(day, rng), households_eligible=homes if body == Body.VILLAGERS else None,
                **figures, **placed))
            target = "ended" if failing else {"propose": "proposed", "discuss": "discussed", "review": "reviewed",
                                              "resolve": "resolved"}[transition]
            history.append(StateChange(content_type=content_type, object_id=matter.pk, workflow="matter",
                                       transition="end" if failing else transition, from_state=current,
                                       to_state=target, actor=secretary, actor_name=secretary.get_full_name(),
                                       note="会议未通过，终止。" if failing else "", at=_dt(day, rng)))
            current = target
        MatterMeeting.objects.bulk_create(meetings)
        notices = []
        if state in ("resolution_disclosed", "result_disclosed"):
            day = min(today, day + dt.timedelta(days=rng.randint(1, 5)))
            matter.resolution = matter.proposal
            notices.append(_matter_notice(county, village, matter, secretary, day, rng, Category.PUBLIC_WORKS
                                          if one_matter else Category.RESOLUTION,
                                          services.matters.resolution_text(matter)))
            history.append(StateChange(content_type=content_type, object_id=matter.pk, workflow="matter",
                                       transition="disclose_resolution", from_state="resolved",
                                       to_state="resolution_disclosed", actor=secretary,
                                       actor_name=secretary.get_full_name(), at=_dt(day, rng)))
        if state == "result_disclosed":
            day = min(today, day + dt.timedelta(days=rng.randint(20, 90)))
            matter.result = "已按决议组织实施完毕，经村务监督委员会验收合格。"
            notices.append(_matter_notice(county, village, matter, secretary, day, rng, Category.RESULT,
                                          f"{matter.title}\n\n{matter.result}"))
            history.append(StateChange(content_type=content_type, object_id=matter.pk, workflow="matter",
                                       transition="disclose_result", from_state="resolution_disclosed",
                                       to_state="result_disclosed", actor=secretary,
                                       actor_name=secretary.get_full_name(), at=_dt(day, rng)))
        if state in ("resolved", "resolution_disclosed", "result_disclosed"):
            matter.resolution = matter.resolution or matter.proposal
            matter.resolved_at = _dt(day, rng)
        matter.state_changed_at = history[-1].at
        matter.save(update_fields=["resolution", "result", "resolved_at", "state_changed_at"])
        Notice.objects.bulk_create(notices)
        StateChange.objects.bulk_create(history)
        counts["matters"] += 1
        counts["notices"] += len(notices)



def _matter_notice(county: Region, village: Region, matter: Matter, author: User, day: dt.date,
                   rng: random.Random, category: str, body: str) -> Notice:
    label = "决议公开" if category != Category.RESULT else "实施结果公开"
    return Notice(region=village, board="village", category=category, title=f"{label}：{matter.title}"[:100],
                  body=body, posted_on=day, remove_on=day + dt.timedelta(days=60), source=NoticeSource.MATTER,
                  matter=matter, created_by=author, created_at=_dt(day, rng), region_path=village.path,
                  county_id=county.pk)


def _votes(village: Region, rng: random.Random, placed: dict[str, Any], secretary: User,
           adults: list[tuple[Any, ...]], today: dt.date, counts: dict[str, int], *, online: bool) -> None:
    """A closed vote (most villages), and in the demo village one open for its residents."""
    from shanzhi.demo import accounts

    plans = []
    if rng.random() < 0.7:
        plans.append(("closed", today - dt.timedelta(days=rng.randint(20, 300))))
    if village.code == accounts.VILLAGE_CODE:
        plans.append(("open", today))
    for status, day in plans:
        opens = _dt(day, rng) - (dt.timedelta(days=1) if status == "open" else dt.timedelta(0))
        closes = opens + dt.timedelta(days=7)
        secrecy = Secrecy.SECRET if rng.random() < 0.7 else Secrecy.NAMED
        vote = Vote.objects.create(
            village=village, title=rng.choice(["村集体收益分配方式", "村民活动中心选址", "年度为民办实事项目"]),
            question="请选择您赞成的方案。", basis=VoteBasis.PERSON, secrecy=secrecy, online=online, opens_at=opens,
            closes_at=closes, hide_results_until_close=True, created_by=secretary, created_at=opens,
            elector_count=len(adults), **placed)
        options = VoteOption.objects.bulk_create([VoteOption(vote=vote, position=i + 1, label=label)
                                                  for i, label in enumerate(["方案一", "方案二", "方案三"])])
        electors = Elector.objects.bulk_create([Elector(vote=vote, resident_id=a[0]) for a in adults])
        if status == "closed":
            voters = [e for e in electors if rng.random() < 0.65]
            turnouts = Turnout.objects.bulk_create([
                Turnout(vote=vote, elector=e, channel=Channel.ONLINE if online and rng.random() < 0.55
                        else Channel.PAPER, entered_by=None if online else secretary) for e in voters])
            tallies = {o.pk: [0, 0] for o in options}
            weights = [rng.random() + 0.2 for _ in options]
            choices = []
            for turnout in turnouts:
                option = rng.choices(options, weights)[0]
                tallies[option.pk][0 if turnout.channel == Channel.ONLINE else 1] += 1
                if secrecy == Secrecy.NAMED:
                    choices.append(NamedChoice(turnout=turnout, option=option))
            NamedChoice.objects.bulk_create(choices)
            for option in options:
                option.online_count, option.paper_count = tallies[option.pk]
            VoteOption.objects.bulk_update(options, ["online_count", "paper_count"])
            Vote.objects.filter(pk=vote.pk).update(turnout_count=len(turnouts), paper_tallied_at=closes,
                                                   paper_tallied_by=secretary)
        counts["votes"] += 1


def _virtue(county: Region, village: Region, rng: random.Random, placed: dict[str, Any], secretary: User,
            residents: list[tuple[Any, ...]], homes: int, today: dt.date, counts: dict[str, int]) -> None:
    members = rng.randint(5, 9)
    meetings = CouncilMeeting.objects.bulk_create([
        CouncilMeeting(village=village, held_on=today - dt.timedelta(days=30 + 91 * q + rng.randint(0, 20)),
                       place="村委会议室", member_count=members, present_count=rng.randint(members // 2 + 1, members),
                       minutes="评议本季度好人好事及不文明行为。", recorded_by=secretary, **placed)
        for q in range(4)])
    by_household: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for r in residents:
        by_household[r[1]].append(r)
    households = list(Household.objects.filter(village=village).values_list("pk", "region_path"))
    if not households:
        return
    admonitions = []
    for _ in range(_poisson(rng, homes * ADMONITIONS_PER_HOUSEHOLD * 1.0)):
        hid, path = rng.choice(households)
        meeting = rng.choice(meetings)
        conduct = rng.choice(list(ADMONITION_TEXTS))
        admonitions.append(Admonition(
            meeting=meeting, village=village, household_id=hid, conduct=conduct, description=ADMONITION_TEXTS[conduct],
            follow_up="已回访，整改到位。" if rng.random() < 0.7 else "",
            corrected_on=min(today, meeting.held_on + dt.timedelta(days=rng.randint(5, 40))) if rng.random() < 0.7
            else None, recorded_by=secretary, region_path=path, county_id=county.pk))
    Admonition.objects.bulk_create(admonitions)
    models, seen = [], set()
    content_type = ContentType.objects.get_for_model(RoleModel)
    for _ in range(max(1, _poisson(rng, homes * ROLE_MODELS_PER_HOUSEHOLD * 1.3))):
        hid, _path = rng.choice(households)
        title = rng.choice(RoleModelTitle.values)
        person = None
        if title not in (RoleModelTitle.CIVILISED_FAMILY, RoleModelTitle.FIVE_STAR_HOUSEHOLD):
            people = by_household.get(hid) or []
            if title == RoleModelTitle.GOOD_DAUGHTER_IN_LAW:
                people = [p for p in people if p[6] == "F"]
            if not people:
                continue
            person = rng.choice(people)[0]
        key = (hid, person, title)
        if key in seen:
            continue
        seen.add(key)
        state = rng.choices(["awarded", "declined", "nominated"], [10, 2, 1])[0]
        meeting = rng.choice(meetings)
        models.append(RoleModel(
            village=village, household_id=hid, resident_id=person, title=title, year=meeting.held_on.year,
            deeds=DEEDS[title], state=state, council_meeting=meeting if state != "nominated" else None,
            decided_at=_dt(meeting.held_on, rng) if state != "nominated" else None, nominated_by=secretary,
            nominated_at=_dt(meeting.held_on - dt.timedelta(days=10), rng), **placed))
    RoleModel.objects.bulk_create(models, ignore_conflicts=False)
    StateChange.objects.bulk_create([
        StateChange(content_type=content_type, object_id=m.pk, workflow="rolemodel", transition="create",
                    from_state="", to_state="nominated", actor=secretary, actor_name=secretary.get_full_name(),
                    at=m.nominated_at) for m in models] + [
        StateChange(content_type=content_type, object_id=m.pk, workflow="rolemodel",
                    transition="award" if m.state == "awarded" else "decline", from_state="nominated",
                    to_state=m.state, actor=secretary, actor_name=secretary.get_full_name(),
                    note="道德评议会评议" if m.state == "awarded" else "评议未通过", at=m.decided_at or m.nominated_at)
        for m in models if m.state != "nominated"])
    counts["council_meetings"] += len(meetings)
    counts["admonitions"] += len(admonitions)
    counts["role_models"] += sum(1 for m in models if m.state == "awarded")


def _poisson(rng: random.Random, mean: float) -> int:
    """A whole number around ``mean`` (a village's expected count), never negative."""
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


def _readings(county: Region, villages: list[Region], rng: random.Random, actor: User, today: dt.date,
              counts: dict[str, int]) -> None:
    year, quarter = _last_quarter(today)
    IndicatorReading.objects.bulk_create([
        IndicatorReading(village=v, indicator="sanitation", year=year, quarter=quarter,
                         value=round(rng.uniform(55, 98), 1), note="季度人居环境检查", entered_by=actor,
                         region_path=v.path, county_id=county.pk) for v in villages])
    counts["readings"] += len(villages)

