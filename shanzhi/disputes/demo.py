"""A year of disputes and petitions for the demo county, shaped like the seeds.

Qianyang (seed 002) screened and settled 845 disputes in a year, 691 of them of the six
common types (81.78%), "small matters in the village, big ones in the township"; Huachi
(seed 000) has a grid mediation room in every village that settles most things on the
spot and a one-stop centre in every township for the complex ones; Dingxi (seed 003)
screens every week and settles simple disputes on the spot (随手调) with a signed
agreement. So, for a county of Huachi's 18,000 households:

- 845 disputes reported over the last twelve months (fewer for a smaller county, in
  proportion), exactly 691 of the six common types; about a third settled on the spot;
- most of the rest settled by the grid mediation room, about one in five escalated to the
  township's one-stop centre and a few on to the county's centre (with the justice office,
  the police or the court joining), one in a hundred referred to the court, a few
  withdrawn; the most recent still open at each step of the loop;
- follow-up visits at 7 and 30 days after each agreement, nearly all made on time;
- a screening record for every grid and every week (a few missed; this week's still
  coming in), each counting the clues it found;
- a handful of petitions with their case leaders and responsible units ("5+N"), one of
  them repeated, one past its deadline.

The statistics pages compute their figures from these rows. ``build_demo(county, rng,
stdout)`` writes them in bulk (no per-row service, no audit entry per row: the demo build
records one), deterministically for a given ``rng`` and ``now``; a county that already has
disputes is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from shanzhi.core import sla, tree
from shanzhi.core.models import StateChange
from shanzhi.core.tiers import Level, handling_path, next_level
from shanzhi.disputes import services
from shanzhi.disputes.flow import DISPUTE_FLOW, PETITION_FLOW, PetitionState, State
from shanzhi.disputes.flow import OPEN_BEFORE_AGREEMENT as DISPUTE_OPEN_BEFORE_AGREEMENT
from shanzhi.disputes.models import (
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
)
from shanzhi.people.models import Department, Position, Role, User
from shanzhi.regions.models import Household, Region, Resident

HUACHI_HOUSEHOLDS = 18_000
DISPUTES = 845  # seed 002
SIX = 691  # of them of the six common types: 81.78%
PETITIONS = 16
PETITION_DAYS = services.PETITION_ACCEPT_DAYS + services.PETITION_RESOLVE_DAYS
DAYS = 364
BATCH = 2000

SIX_WEIGHTS = {"neighbours": 30, "marriage_family": 24, "land_forest": 20, "damage": 10, "contract_debt": 8,
               "labour_wages": 8}
OTHER_WEIGHTS = {"traffic": 30, "property_management": 20, "land_requisition": 15, "medical": 10, "other": 25}
SOURCES = [(Source.SCREENING, 52), (Source.RESIDENT, 22), (Source.REQUEST, 6), (Source.POLICE, 9),
           (Source.HOTLINE, 6), (Source.COURT, 3), (Source.PETITION, 2)]
ON_THE_SPOT = 0.34  # of the six types, reported by the grid
# What happens to the disputes mediated in the loop (not on the spot).
FATES = [("village", 74), ("township", 17), ("county", 5), ("referred", 0.6), ("withdrawn", 2.4)]
DISMISSED = 0.02  # clues found to be no dispute (not counted among the disputes)

SUMMARIES = {
    "neighbours": ["邻居院墙排水流入自家院内引发争执", "邻里因噪音问题多次发生口角", "两户因门前通道占用发生争吵",
                   "邻居家犬只咬伤鸡只引起纠纷", "邻里因树木遮挡采光产生矛盾"],
    "marriage_family": ["夫妻因家庭琐事长期争吵,妻子回娘家", "兄弟之间因赡养老人费用分摊发生矛盾",
                        "婆媳关系紧张,多次发生争执", "离婚后子女抚养费给付产生纠纷", "分家析产引发兄弟矛盾"],
    "land_forest": ["两户因宅基地边界不清发生争执", "承包地界畔被邻户犁占引起纠纷", "林地权属不清,两组村民发生争议",
                    "宅基地上建房越界引发矛盾", "退耕还林地块归属争议"],
    "damage": ["邻户羊只啃食庄稼要求赔偿", "施工损坏邻居房屋墙体要求赔偿", "电动车碰撞致人受伤赔偿纠纷",
               "牲畜踩踏苗木赔偿纠纷"],
    "contract_debt": ["农机租赁费用拖欠引发纠纷", "借款到期未还发生争执", "土地流转租金未按期支付",
                      "房屋买卖合同履行争议"],
    "labour_wages": ["务工人员讨要拖欠工资", "建筑工地农民工工资未结清", "临时用工工伤费用争议"],
    "traffic": ["农用三轮车与摩托车相撞责任争议", "村道上车辆剐蹭赔偿纠纷", "交通事故后续治疗费用争议"],
    "property_management": ["小区物业费收缴争议", "小区停车位占用纠纷", "楼上漏水殃及楼下维修争议"],
    "land_requisition": ["道路建设占地补偿款分配争议", "征地青苗补偿标准争议", "移民安置房分配争议"],
    "medical": ["诊所输液后出现不良反应引发纠纷", "村卫生室诊疗费用争议"],
    "other": ["红白事借用物品损坏赔偿争议", "合伙养殖收益分配纠纷", "集体收益分红争议"],
}
TERMS = ["双方同意以原界石为准重新确界,各自退让半米", "一方当面赔礼道歉,并赔偿损失人民币八百元",
         "双方约定于本月底前付清欠款,逾期按约定承担违约责任", "共同出资清理排水沟,今后轮流维护",
         "兄弟三人按月均摊赡养费,每人每月三百元", "双方互谅互让,今后和睦相处,不再就此事发生争执"]
OUTSIDERS = ["李建军", "王小平", "张海燕", "刘志强", "陈秀英", "杨文斌", "赵国庆", "马红梅", "周永福", "吴建华"]
PETITION_MATTERS = [
    ("征地补偿款未足额发放", "natural_resources", "反映道路建设征用承包地,补偿款至今未足额发放到户"),
    ("拖欠农民工工资", "human_resources", "反映在县城某工地务工,工资至今未结清"),
    ("对宅基地纠纷处理结果不服", "natural_resources", "对村里宅基地纠纷调解结果不服,要求重新确权"),
    ("低保资格评定", "civil_affairs", "反映家庭困难,低保评定不公平"),
    ("道路修建占地", "roads", "反映通村道路拓宽占用耕地未协商"),
    ("养殖场污染", "environment", "反映附近养殖场粪污直排,影响饮水安全"),
]


@dataclass
class Staff:
    """The people of the county the demo names: who screened, mediated, took each step."""

    grid_worker: dict[str, tuple[int, str]] = field(default_factory=dict)  # grid path -> (user, name)
    village_mediator: dict[str, tuple[int, str]] = field(default_factory=dict)  # village path -> ...
    township_mediators: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    township_staff: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    county_staff: list[tuple[int, str]] = field(default_factory=list)
    departments: dict[tuple[str, str], Department] = field(default_factory=dict)  # (region path, kind) -> dept


@dataclass
class Made:
    dispute: Dispute
    parties: list[Party] = field(default_factory=list)
    mediators: list[DisputeMediator] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    sessions: list[MediationSession] = field(default_factory=list)
    agreement: Agreement | None = None
    follow_ups: list[FollowUp] = field(default_factory=list)
    steps: list[tuple[str, str, str, dt.datetime, str, str]] = field(default_factory=list)
    grid_id: int | None = None

    def step(self, name: str, to: str, at: dt.datetime, who: str = "", note: str = "") -> None:
        before = self.steps[-1][2] if self.steps else ""
        self.steps.append((name, before, to, at, who, note))
        self.dispute.state = to
        self.dispute.state_changed_at = at


def _weighted(rng: random.Random, weights: Mapping[str, float] | Sequence[tuple[Any, float]]) -> Any:
    pairs = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs], k=1)[0]


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(low, high))


def _staff(county: Region) -> Staff:
    found = Staff()
    positions = (Position.objects.current().filter(tree.under(county.path))
                 .filter(role__in=[Role.GRID_WORKER, Role.MEDIATOR, Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF])
                 .order_by("region_path", "user_id").values_list("user_id", "user__full_name", "role", "region_path"))
    for user_id, name, role, path in positions:
        who = (user_id, name or "")
        depth = path.count(tree.SEP)
        if role == Role.GRID_WORKER:
            found.grid_worker.setdefault(path, who)
        elif role == Role.MEDIATOR and path == county.path:
            continue
        elif role == Role.MEDIATOR and depth == county.path.count(tree.SEP) + 1:
            found.township_mediators.setdefault(path, []).append(who)
        elif role == Role.MEDIATOR:
            found.village_mediator.setdefault(path, who)
        elif role == Role.TOWNSHIP_STAFF:
            found.township_staff.setdefault(path, []).append(who)
        elif role == Role.COUNTY_STAFF and path == county.path:
            found.county_staff.append(who)
    for d in Department.objects.filter(region_path__startswith=county.path, is_active=True).order_by("id"):
        found.departments.setdefault((d.region_path, d.kind), d)
    return found


def _attach(dispute: Dispute, *rows: Iterable[Any]) -> None:
    for group in rows:
        for row in group:
            row.dispute = dispute


def _counts(total_households: int, disputes: int | None = None) -> tuple[int, int]:
    total = disputes or max(1, round(DISPUTES * total_households / HUACHI_HOUSEHOLDS))
    return total, round(total * SIX / DISPUTES)


@transaction.atomic
def build_demo(county: Region, rng: random.Random, stdout: Any = None, *, now: dt.datetime | None = None,
               disputes: int | None = None) -> dict[str, int]:
    """Add a year of disputes, screening and petitions to ``county``; returns what was written.
    ``disputes``: how many (by default 845 for Huachi's 18,000 households, in proportion)."""
    now = now or timezone.now()
    services.types_install_defaults(actor=None, county=county)
    if Dispute.objects.filter(county=county).exists():
        return {}
    households = list(Household.objects.filter(county=county).order_by("id").values_list(
        "id", "region_path", "address", "grid_id", "micro_grid_id", "village_id"))
    if not households:
        return {}
    builder = _Builder(county, rng, now, households)
    written = builder.build(disputes)
    if stdout is not None:
        stdout.write("  disputes: " + ", ".join(f"{k} {v}" for k, v in written.items()) + "\n")
    return written


class _Builder:
    def __init__(self, county: Region, rng: random.Random, now: dt.datetime, households: list[tuple[Any, ...]]):
        self.county, self.rng, self.now, self.households = county, rng, now, households
        self.types = {t.code: t for t in DisputeType.objects.filter(county=county)}
        self.staff = _staff(county)
        self.regions = {r[0]: r for r in Region.objects.filter(tree.under(county.path, "path")).values_list(
            "id", "path", "name", "level")}
        self.by_path = {r[1]: r for r in self.regions.values()}
        self.grids = sorted(r for r in self.regions.values() if r[3] == Region.Level.GRID)
        self.heads = self._heads()
        self.seen: dict[str, int] = defaultdict(int)  # person key -> disputes so far
        self.admin_names: dict[str, str] = {}

    # -- people --------------------------------------------------------------------------------

    def _heads(self) -> dict[int, tuple[int, str, str, str]]:
        rows = Resident.objects.filter(household__county=self.county, relation=Resident.Relation.HEAD,
                                       status=Resident.Status.ACTIVE).values_list(
            "household_id", "id", "name", "phone", "id_number")
        return {h: (rid, name, phone or "", id_number or "") for h, rid, name, phone, id_number in rows}

    def _name_of(self, path: str) -> str:
        row = self.by_path.get(path)
        return row[2] if row else ""

    def _above(self, path: str, level: int) -> str:
        for ancestor in tree.ancestors(path):
            row = self.by_path.get(ancestor)
            if row and row[3] == level:
                return ancestor
        return self.county.path

    def _grid_worker(self, grid_path: str) -> tuple[int | None, str]:
        found = self.staff.grid_worker.get(grid_path)
        return (found[0], f"网格员 {found[1]}") if found else (None, "网格员")

    def _mediators(self, level: str, path: str) -> list[tuple[int, str]]:
        if level == Level.VILLAGE:
            village = self._above(path, Region.Level.VILLAGE)
            found = self.staff.village_mediator.get(village)
            if found:
                return [found]
            worker = self.staff.grid_worker.get(self._above(path, Region.Level.GRID))
            return [worker] if worker else []
        if level == Level.TOWNSHIP:
            township = self._above(path, Region.Level.TOWNSHIP)
            people = self.staff.township_mediators.get(township) or self.staff.township_staff.get(township, [])
            return people[:2]
        return self.staff.county_staff[:2]

    def _party(self, side: str, household_id: int | None, *, outsider: str = "") -> Party:
        if household_id is not None and household_id in self.heads:
            rid, name, phone, id_number = self.heads[household_id]
            key = f"r{rid}"
            party = Party(side=side, resident_id=rid, household_id=household_id, name=name, phone=phone,
                          id_number=id_number, person_key=key)
        else:
            name = outsider or self.rng.choice(OUTSIDERS)
            phone = f"1{self.rng.choice(['39', '58', '87'])}{self.rng.randrange(10**8):08d}"
            key = f"p{phone}"
            party = Party(side=side, name=name, phone=phone, person_key=key)
        party.earlier_disputes = min(self.seen[key], 32767)
        self.seen[key] += 1
        return party

    # -- one dispute ---------------------------------------------------------------------------

    def _dispute(self, code: str, reported: dt.datetime, household: tuple[Any, ...], source: str,
                 on_the_spot: bool) -> Made:
        hid, path, address, grid_id, micro_id, village_id = household
        kind = self.types[code]
        grid_path = self.regions[grid_id][1] if grid_id else path
        d = Dispute(county=self.county, region_id=micro_id or grid_id or village_id, region_path=path, type=kind,
                    source=source, on_the_spot=on_the_spot, summary=self.rng.choice(SUMMARIES[code]),
                    address=address, reported_at=reported, state=State.CLUE, level=Level.VILLAGE,
                    handling_path=path, state_changed_at=reported,
                    accept_due=sla.add(reported, kind.accept_amount, kind.accept_unit))
        d.escalation_due = d.accept_due
        made = Made(dispute=d, grid_id=grid_id)
        reporter_id, reporter = self._grid_worker(grid_path)
        if source in (Source.SCREENING,) or on_the_spot:
            d.reported_by_id = reporter_id
        made.step("create", State.CLUE, reported, reporter if d.reported_by_id else "", str(Source(source).label))
        neighbour = self._neighbour(household)
        made.parties = [self._party(Side.APPLICANT, hid),
                        self._party(Side.RESPONDENT, neighbour if self.rng.random() < 0.7 else None)]
        for i, p in enumerate(made.parties, start=1):
            p.order = i
        d.repeat_parties = any(p.earlier_disputes for p in made.parties)
        return made

    def _neighbour(self, household: tuple[Any, ...]) -> int | None:
        # A household of the same grid (the demo lists households in order of their grid).
        i = self.index[household[0]]
        for j in (i + 1, i - 1, i + 2):
            if 0 <= j < len(self.households) and self.households[j][3] == household[3]:
                return self.households[j][0]
        return None

    def _settle(self, made: Made, at: dt.datetime, mediators: list[tuple[int, str]], who: str, *,
                visits: bool = True) -> None:
        d = made.dispute
        parties = [{"side": p.side, "name": p.name, "id_number": p.id_number, "phone": p.phone, "address": d.address
                    if p.household_id else ""} for p in made.parties]
        committee = self._committee(d)
        made.agreement = Agreement(
            status=Agreement.Status.SIGNED, facts=d.summary, terms=self.rng.choice(TERMS),
            performance="签订之日起十日内履行完毕", parties=parties, mediators=[n for _u, n in mediators],
            committee=committee, signed_on=timezone.localdate(at), signatories=[p.name for p in made.parties],
            signed_at=at, signed_by_id=mediators[0][0] if mediators else None,
            created_by_id=mediators[0][0] if mediators else None)
        d.settled_at, d.settled_level, d.escalation_due = at, d.level, None
        made.step("settle_on_spot" if d.on_the_spot else "agree", State.AGREED, at, who,
                  "现场调解并签订协议" if d.on_the_spot else "签订调解协议")
        done_all = True
        last = at
        for days in services.FOLLOW_UP_DAYS:
            due = at + dt.timedelta(days=days)
            visit = FollowUp(after_days=days, due_at=due)
            done = due + _hours(self.rng, 0, 60)
            if visits and done <= self.now and self.rng.random() < 0.97:
                visit.status, visit.holds, visit.done_at = FollowUp.Status.DONE, True, done
                visit.note = self.rng.choice(["协议已履行,双方关系缓和", "双方按协议履行,无新的矛盾", "回访满意"])
                last = done
            else:
                done_all = False
            made.follow_ups.append(visit)
        if done_all:
            d.closed_at = last
            made.step("close", State.CLOSED, last, "网格员", "回访协议履行良好,结案")

    def _committee(self, d: Dispute) -> str:
        names = {row[3]: row[2] for row in (self.by_path.get(p) for p in tree.ancestors(d.region_path)) if row}
        names[Region.Level.COUNTY] = self.county.name
        return services.committee_for(d.level, names)

    def _on_the_spot(self, made: Made) -> None:
        d = made.dispute
        at = d.reported_at
        grid_path = self.regions[made.grid_id][1] if made.grid_id else d.region_path
        worker = self.staff.grid_worker.get(grid_path)
        if worker is None:
            return
        made.mediators.append(DisputeMediator(user_id=worker[0], level=Level.VILLAGE, lead=True, assigned_at=at,
                                              assigned_by_id=worker[0]))
        d.accepted_at = at
        self._settle(made, at, [worker], f"网格员 {worker[1]}")

    # The steps of the loop, each at its time.

    def _accept(self, made: Made, t: dt.datetime, who: str) -> None:
        d = made.dispute
        d.accepted_at = t
        d.mediation_due = sla.add(t, d.type.mediate_amount, d.type.mediate_unit)  # type: ignore[union-attr]
        d.escalation_due = d.mediation_due
        made.step("accept", State.ACCEPTED, t, who)

    def _assess(self, made: Made, t: dt.datetime, who: str) -> None:
        d, rng = made.dispute, self.rng
        if d.risk_level is None:
            d.risk_level = _weighted(rng, [(1, 45), (2, 35), (3, 15), (4, 5)])
            d.urgency = "critical" if d.risk_level == 4 else ("urgent" if d.risk_level == 3 else "normal")
            d.risk_violence = d.risk_level >= 3 and rng.random() < 0.4
            d.risk_petition = d.risk_level >= 3 and rng.random() < 0.5
            d.assessment_note = "矛盾较为突出,需重点关注" if d.risk_level >= 3 else "一般矛盾纠纷"
        d.assessed_at = t
        made.step("assess", State.ASSESSED, t, who, d.assessment_note)

    def _assign(self, made: Made, t: dt.datetime, who: str) -> list[tuple[int, str]]:
        d = made.dispute
        mediators = self._mediators(d.level, d.region_path)
        for m in made.mediators:
            m.active = False
        made.mediators += [DisputeMediator(user_id=u, level=d.level, lead=i == 0, assigned_at=t)
                           for i, (u, _n) in enumerate(mediators)]
        if d.level != Level.VILLAGE:
            self._participants(made, t)
        d.assigned_at = t
        made.step("assign", State.ASSIGNED, t, who)
        return mediators

    def _escalate(self, made: Made, t: dt.datetime, who: str, note: str) -> None:
        d = made.dispute
        up = next_level(d.level)
        assert up is not None
        d.level, d.escalated_at, d.escalation_count = up, t, d.escalation_count + 1
        d.handling_path = handling_path(up, d.region_path, self.county.path)
        due = sla.add(t, d.type.mediate_amount, d.type.mediate_unit)  # type: ignore[union-attr]
        d.escalation_due = None if up == Level.COUNTY else due
        for m in made.mediators:
            m.active = False
        if d.state == State.CLUE:
            made.step("escalate_clue", State.CLUE, t, who, note)
        else:
            d.mediation_due = due
            made.step("escalate", State.ESCALATED, t, who, note)

    def _loop(self, made: Made, fate: str) -> None:
        """The four lists at the levels the fate takes it through, cut at now."""
        d, rng, now = made.dispute, self.rng, self.now
        t = d.reported_at + _hours(rng, 0.5, 18)
        if t > now:
            return
        accepter = self._grid_worker(self._above(d.region_path, Region.Level.GRID))[1]
        self._accept(made, t, accepter)
        target = {"village": Level.VILLAGE, "township": Level.TOWNSHIP, "county": Level.COUNTY}.get(fate, Level.VILLAGE)
        sessions = 0
        while True:
            t += _hours(rng, 1, 30)
            if t > now:
                return
            self._assess(made, t, accepter)
            t += _hours(rng, 1, 24)
            if t > now:
                return
            mediators = self._assign(made, t, accepter)
            lead = mediators[0][1] if mediators else ""
            # Sessions until the outcome at this level: settled here, or up a level, always
            # within the level's deadline (those past it are the sweep's, see _overdue).
            spent = {Level.VILLAGE: (0.3, 9), Level.TOWNSHIP: (2, 13), Level.COUNTY: (5, 40)}[Level(d.level)]
            end = t + dt.timedelta(days=rng.uniform(*spent))
            count = 1 if end - t < dt.timedelta(days=2) else rng.randint(2, 3)
            for n in range(count):
                held = t + (end - t) * (n + 0.5) / (count + 0.5)
                if held > now:
                    return
                self._session(made, held, lead)
                if sessions == 0 or d.state == State.ASSIGNED:
                    made.step("start", State.MEDIATING, held, lead, "首次调解")
                sessions += 1
            if end > now:
                return
            t = end
            if d.level != target and next_level(d.level) is not None:
                self._escalate(made, t, lead, "调解未果,提请上一级调处")
                continue
            if fate == "referred":
                d.referred_to, d.closed_at, d.escalation_due = ReferredTo.COURT, t, None
                made.step("refer", State.REFERRED, t, lead, "经多次调解未能达成协议,引导当事人依法诉讼")
            elif fate == "withdrawn":
                d.closed_at, d.escalation_due = t, None
                made.step("withdraw", State.WITHDRAWN, t, lead, "当事人自行和解,申请撤回")
            else:
                self._settle(made, t, mediators, lead)
            return

    def _showcase(self) -> list[Made]:
        """In the demo grid (the first county only): something in every list the demo
        accounts open. The grid worker has a clue to accept and screening to file, the
        mediator a dispute in mediation, the grid a follow-up visit due, the township a
        dispute escalated to its one-stop centre, and the resident a settled dispute of
        their own with its agreement."""
        from shanzhi.demo import accounts

        grid = self._demo_grid()
        homes = [h for h in self.households if h[3] == grid]
        resident = User.objects.filter(username=accounts.RESIDENT_ROLE).values_list("resident_id", flat=True).first()
        if grid is None or len(homes) < 6:
            return []
        now, rng = self.now, self.rng
        worker = self._grid_worker(self.regions[grid][1])[1]
        made = []

        def one(code: str, h: tuple[Any, ...], ago: dt.timedelta, spot: bool = False) -> Made:
            m = self._dispute(code, now - ago, h, Source.SCREENING if spot else Source.RESIDENT, spot)
            made.append(m)
            return m

        one("neighbours", homes[0], dt.timedelta(minutes=40))  # a clue to accept
        m = one("land_forest", homes[1], dt.timedelta(days=4))  # in mediation, the demo mediator
        self._accept(m, m.dispute.reported_at + dt.timedelta(hours=3), worker)
        self._assess(m, m.dispute.reported_at + dt.timedelta(hours=5), worker)
        lead = self._assign(m, m.dispute.reported_at + dt.timedelta(hours=8), worker)[0][1]
        self._session(m, now - dt.timedelta(days=2), lead)
        m.step("start", State.MEDIATING, now - dt.timedelta(days=2), lead, "首次调解")
        m = one("marriage_family", homes[2], dt.timedelta(days=12))  # its 7-day visit due
        self._accept(m, m.dispute.reported_at + dt.timedelta(hours=2), worker)
        self._assess(m, m.dispute.reported_at + dt.timedelta(hours=4), worker)
        lead_row = self._assign(m, m.dispute.reported_at + dt.timedelta(hours=6), worker)
        self._session(m, now - dt.timedelta(days=9), lead_row[0][1])
        m.step("start", State.MEDIATING, now - dt.timedelta(days=9), lead_row[0][1], "首次调解")
        self._settle(m, now - dt.timedelta(days=8, hours=2), lead_row, lead_row[0][1], visits=False)
        m = one("contract_debt", homes[3], dt.timedelta(days=10))  # at the township's one-stop centre
        self._accept(m, m.dispute.reported_at + dt.timedelta(hours=2), worker)
        self._assess(m, m.dispute.reported_at + dt.timedelta(hours=4), worker)
        lead_row = self._assign(m, m.dispute.reported_at + dt.timedelta(hours=6), worker)
        self._session(m, now - dt.timedelta(days=8), lead_row[0][1])
        m.step("start", State.MEDIATING, now - dt.timedelta(days=8), lead_row[0][1], "首次调解")
        self._escalate(m, now - dt.timedelta(days=5), lead_row[0][1], "债务数额较大,村级调解未果,提请镇一站式中心调处")
        self._assess(m, now - dt.timedelta(days=4, hours=20), "乡镇工作人员")
        lead_row = self._assign(m, now - dt.timedelta(days=4, hours=18), "乡镇工作人员")
        if lead_row:
            self._session(m, now - dt.timedelta(days=3), lead_row[0][1])
            m.step("start", State.MEDIATING, now - dt.timedelta(days=3), lead_row[0][1], "镇中心首次调解")
        one("neighbours", homes[4], dt.timedelta(days=1), spot=True)  # settled on the spot yesterday
        self._on_the_spot(made[-1])
        own = next((h for h in self.households if resident and self.heads.get(h[0], (None,))[0] == resident), None)
        m = one("damage", own or homes[5], dt.timedelta(days=75))  # the resident's own, closed
        self._accept(m, m.dispute.reported_at + dt.timedelta(hours=4), worker)
        self._assess(m, m.dispute.reported_at + dt.timedelta(hours=8), worker)
        lead_row = self._assign(m, m.dispute.reported_at + dt.timedelta(hours=20), worker)
        self._session(m, m.dispute.reported_at + dt.timedelta(days=2), lead_row[0][1])
        m.step("start", State.MEDIATING, m.dispute.reported_at + dt.timedelta(days=2), lead_row[0][1], "首次调解")
        self._settle(m, m.dispute.reported_at + dt.timedelta(days=3), lead_row, lead_row[0][1])
        rng.random()
        return made

    def _participants(self, made: Made, at: dt.datetime) -> None:
        d = made.dispute
        township = self._above(d.region_path, Region.Level.TOWNSHIP)
        choices = [(ParticipantKind.JUSTICE_OFFICE, (township, Department.Kind.JUSTICE)),
                   (ParticipantKind.POLICE, (township, Department.Kind.POLICE))]
        if d.level == Level.COUNTY:
            choices = [(ParticipantKind.COURT, (self.county.path, Department.Kind.COURT)),
                       (ParticipantKind.PETITION_OFFICE, (self.county.path, Department.Kind.PETITION))]
        kind, key = self.rng.choice(choices)
        made.participants.append(Participant(kind=kind, department=self.staff.departments.get(key), level=d.level,
                                             added_at=at))

    def _session(self, made: Made, at: dt.datetime, lead: str) -> None:
        d = made.dispute
        place = {Level.VILLAGE: f"{self._name_of(self._above(d.region_path, Region.Level.VILLAGE))}网格调解室",
                 Level.TOWNSHIP: f"{self._name_of(self._above(d.region_path, Region.Level.TOWNSHIP))}"
                                 "矛盾纠纷多元化解中心",
                 Level.COUNTY: f"{self.county.name}社会治理综合服务中心"}[Level(d.level)]
        names = "、".join(p.name for p in made.parties)
        made.sessions.append(MediationSession(
            held_on=timezone.localdate(at), place=place, attendees=f"{names};调解员{lead}", level=d.level,
            record=self.rng.choice(["听取双方陈述,查看现场", "释法说理,双方各自提出调解方案", "双方意见趋于一致",
                                    "背靠背做工作,缓和双方情绪"]), recorded_at=at))

    # -- the whole county ------------------------------------------------------------------------

    def build(self, disputes: int | None = None) -> dict[str, int]:
        rng, now = self.rng, self.now
        self.index = {h[0]: i for i, h in enumerate(self.households)}
        total, six = _counts(len(self.households), disputes)
        made: list[Made] = self._showcase() if six >= 10 else []
        codes = ([_weighted(rng, SIX_WEIGHTS) for _ in range(six - len(made))]
                 + [_weighted(rng, OTHER_WEIGHTS) for _ in range(total - six)])
        rng.shuffle(codes)
        for code in codes:
            reported = now - dt.timedelta(days=rng.random() ** 1.05 * DAYS, minutes=30)
            household = self.households[rng.randrange(len(self.households))]
            six_type = self.types[code].is_six
            spot = six_type and rng.random() < ON_THE_SPOT / (SIX / DISPUTES)
            source = Source.SCREENING if spot else _weighted(rng, SOURCES)
            one = self._dispute(code, reported, household, source, spot)
            if spot:
                self._on_the_spot(one)
            else:
                self._loop(one, _weighted(rng, FATES))
            made.append(one)
        # A few clues turn out to be no dispute (not counted among the disputes).
        for _ in range(max(1, round(total * DISMISSED))):
            household = self.households[rng.randrange(len(self.households))]
            one = self._dispute("other", now - dt.timedelta(days=rng.uniform(2, DAYS)), household,
                                Source.RESIDENT, False)
            at = one.dispute.reported_at + _hours(rng, 1, 20)
            one.dispute.closed_at, one.dispute.escalation_due = at, None
            one.step("dismiss", State.DISMISSED, at, "网格员", "经核实不属于矛盾纠纷")
            made.append(one)
        for one in made:
            self._overdue(one)
        screenings = self._screening(made)
        self._write(made)
        petitions = self._petitions(made)
        return {"disputes": total, "six_types": six, "dismissed": len(made) - total, "screening_records": screenings,
                "petitions": petitions}

    def _overdue(self, made: Made) -> None:
        """An open dispute past its level's deadline has been escalated by the sweep, as the
        running platform would have done (a clue stays a clue, one level up)."""
        d = made.dispute
        while (d.state in DISPUTE_OPEN_BEFORE_AGREEMENT and d.escalation_due is not None
               and d.escalation_due <= self.now and d.level != Level.COUNTY):
            self._escalate(made, d.escalation_due, "", "超过期限未办结,自动上报")

    def _screening(self, made: list[Made]) -> int:
        """Every grid files every week (a few weeks missed; this week's still coming in)."""
        rng, now = self.rng, self.now
        this_week = services.week_of(timezone.localdate(now))
        weeks = [this_week - dt.timedelta(weeks=n) for n in range(52, -1, -1)]
        clues: dict[tuple[int, dt.date], list[Made]] = defaultdict(list)
        for one in made:
            if one.dispute.source == Source.SCREENING and not one.dispute.on_the_spot and one.grid_id:
                clues[(one.grid_id, services.week_of(timezone.localdate(one.dispute.reported_at)))].append(one)
        demo_grid = self._demo_grid()
        rows: list[ScreeningRecord] = []
        for grid_id, path, _name, _level in self.grids:
            worker = self.staff.grid_worker.get(path)
            for week in weeks:
                found = clues.get((grid_id, week), [])
                start = dt.datetime.combine(week, dt.time(9), tzinfo=timezone.get_current_timezone())
                filed_at = start + _hours(rng, 0, 96)
                if week == this_week:
                    if grid_id == demo_grid or (not found and (filed_at > now or rng.random() < 0.2)):
                        continue  # not yet filed this week (the demo grid files it by hand)
                    filed_at = min(filed_at, now)
                elif not found and rng.random() < 0.03:
                    continue  # missed
                if found:
                    filed_at = min(filed_at, min(o.dispute.reported_at for o in found))
                rows.append(ScreeningRecord(county=self.county, grid_id=grid_id, region_path=path, week=week,
                                            clues_found=len(found), filed_by_id=worker[0] if worker else None,
                                            filed_at=filed_at, note="" if found else "本周排查未发现矛盾纠纷"))
        ScreeningRecord.objects.bulk_create(rows, batch_size=BATCH)
        written = len(rows)
        by_key = {(r.grid_id, r.week): r for r in rows}
        for key, found in clues.items():
            for one in found:
                one.dispute.screening = by_key.get(key)
        return written

    def _demo_grid(self) -> int | None:
        from shanzhi.demo import accounts

        row = next((r for r in self.grids if r[1].endswith(accounts.GRID_CODE + tree.SEP)), None)
        return row[0] if row else None

    def _write(self, made: list[Made]) -> None:
        disputes = [m.dispute for m in made]
        Dispute.objects.bulk_create(disputes, batch_size=500)
        for m in made:
            _attach(m.dispute, m.parties, m.mediators, m.participants, m.sessions, m.follow_ups,
                    [m.agreement] if m.agreement is not None else [])
        Party.objects.bulk_create([p for m in made for p in m.parties], batch_size=BATCH)
        DisputeMediator.objects.bulk_create([x for m in made for x in m.mediators], batch_size=BATCH)
        Participant.objects.bulk_create([x for m in made for x in m.participants], batch_size=BATCH)
        MediationSession.objects.bulk_create([x for m in made for x in m.sessions], batch_size=BATCH)
        agreements = [m.agreement for m in made if m.agreement is not None]
        Agreement.objects.bulk_create(agreements, batch_size=500)
        for m in made:
            if m.agreement is not None:
                for visit in m.follow_ups:
                    visit.agreement = m.agreement
        FollowUp.objects.bulk_create([x for m in made for x in m.follow_ups], batch_size=BATCH)
        content_type = ContentType.objects.get_for_model(Dispute)
        StateChange.objects.bulk_create([
            StateChange(content_type=content_type, object_id=m.dispute.pk, workflow=DISPUTE_FLOW.name,
                        transition=name, from_state=before, to_state=after, actor=None, actor_name=who[:150],
                        note=note, internal=False, at=at)
            for m in made for name, before, after, at, who, note in m.steps], batch_size=BATCH)

    # -- petitions --------------------------------------------------------------------------------

    def _petitions(self, made: list[Made]) -> int:
        rng, now = self.rng, self.now
        count = max(3, round(PETITIONS * len(self.households) / HUACHI_HOUSEHOLDS))
        leaders: list[int | None] = [u for u, _n in self.staff.county_staff] or [None]
        county_units = {kind: d for (path, kind), d in self.staff.departments.items() if path == self.county.path}
        petition_office = county_units.get(Department.Kind.PETITION)
        # Disputes at risk of becoming a petition are where petitions come from.
        risky = [m for m in made if m.dispute.risk_petition and m.parties and m.parties[0].resident_id]
        cases: list[tuple[PetitionCase, list[Department], Dispute | None, list[tuple[str, str, str, dt.datetime]]]]
        cases = []
        earlier: dict[tuple[str, str], list[PetitionCase]] = defaultdict(list)
        for n in range(count):
            if n == count - 1 and cases:
                # A repeated petition: the same person, the same matter, again.
                first = cases[0][0]
                subject, unit_kind, matter = next(x for x in PETITION_MATTERS if x[0] == first.subject)
                party_household, resident_id, name, phone = (first.region_path, first.petitioner_id,
                                                             first.petitioner_name, first.petitioner_phone)
                region_id, dispute = first.region_id, cases[0][2]
                received = now - dt.timedelta(days=rng.uniform(1, 4))
            else:
                subject, unit_kind, matter = PETITION_MATTERS[n % len(PETITION_MATTERS)]
                dispute = risky[n % len(risky)].dispute if risky and n % 2 == 0 else None
                if dispute is not None:
                    source = next(m for m in made if m.dispute is dispute).parties[0]
                    party_household, region_id = dispute.region_path, dispute.region_id
                    resident_id, name, phone = source.resident_id, source.name, source.phone
                    received = max(dispute.reported_at + dt.timedelta(days=5),
                                   now - dt.timedelta(days=rng.uniform(3, DAYS)))
                    received = min(received, now - dt.timedelta(hours=2))
                else:
                    h = self.households[rng.randrange(len(self.households))]
                    head = self.heads.get(h[0])
                    party_household, region_id = h[1], h[4] or h[3] or h[5]
                    resident_id, name, phone = (head[0], head[1], head[2]) if head else (None, "王群众", "")
                    received = now - dt.timedelta(days=rng.uniform(70, 80) if n == 1 else rng.uniform(2, DAYS))
            key = f"r{resident_id}" if resident_id else (f"p{phone}" if phone else "")
            case = PetitionCase(
                county=self.county, region_id=region_id, region_path=party_household, petitioner_id=resident_id,
                petitioner_name=name, petitioner_phone=phone, person_key=key,
                channel=_weighted(rng, [(PetitionChannel.VISIT, 40), (PetitionChannel.PHONE, 20),
                                        (PetitionChannel.ONLINE, 25), (PetitionChannel.LETTER, 15)]),
                subject=subject, matter=matter, received_at=received, case_leader_id=rng.choice(leaders),
                accept_due=received + dt.timedelta(days=services.PETITION_ACCEPT_DAYS),
                resolve_due=received + dt.timedelta(days=PETITION_DAYS),
                state=PetitionState.RECEIVED, state_changed_at=received)
            same = earlier[(key, subject)]
            if same:
                case.repeat_of, case.repeat_count = same[-1], len(same)
            units = [d for d in (county_units.get(unit_kind), petition_office) if d is not None]
            steps = [("create", "", PetitionState.RECEIVED, received)]
            self._petition_fate(case, steps, n == 1)
            cases.append((case, units, dispute, steps))
            earlier[(key, subject)].append(case)
        written = []
        for case, units, dispute, steps in cases:
            case.save()
            written.append((case, units, dispute, steps))
        PetitionUnit.objects.bulk_create([PetitionUnit(petition=c, department=d, lead=i == 0)
                                          for c, units, _d, _s in written for i, d in enumerate(units)])
        through = PetitionCase.disputes.through
        through.objects.bulk_create([through(petitioncase_id=c.pk, dispute_id=d.pk)
                                     for c, _u, d, _s in written if d is not None])
        content_type = ContentType.objects.get_for_model(PetitionCase)
        StateChange.objects.bulk_create([
            StateChange(content_type=content_type, object_id=c.pk, workflow=PETITION_FLOW.name, transition=name,
                        from_state=before, to_state=after, actor=None, actor_name="", note="", internal=False, at=at)
            for c, _u, _d, steps in written for name, before, after, at in steps])
        return len(written)

    def _petition_fate(self, case: PetitionCase, steps: list[tuple[str, str, str, dt.datetime]],
                       overdue: bool) -> None:
        rng, now = self.rng, self.now
        accepted = case.received_at + dt.timedelta(days=rng.uniform(1, 8))
        if accepted > now:
            return
        case.state, case.accepted_at, case.state_changed_at = PetitionState.ACCEPTED, accepted, accepted
        case.resolve_due = accepted + dt.timedelta(days=services.PETITION_RESOLVE_DAYS)
        steps.append(("accept", PetitionState.RECEIVED, PetitionState.ACCEPTED, accepted))
        if overdue:
            # Still open past its deadline: on the overdue list, its leader told by the sweep.
            case.overdue_notified_at = case.resolve_due + dt.timedelta(minutes=5)
            return
        resolved = accepted + dt.timedelta(days=rng.uniform(8, 45))
        if resolved > now:
            return
        case.state, case.resolved_at, case.state_changed_at = PetitionState.RESOLVED, resolved, resolved
        case.resolution = "经包案领导召集责任单位调处,问题已按政策解决并书面答复信访人"
        steps.append(("resolve", PetitionState.ACCEPTED, PetitionState.RESOLVED, resolved))
        answered = resolved + dt.timedelta(days=rng.uniform(1, 7))
        if answered > now:
            return
        case.satisfied = rng.random() < 0.85
        case.feedback = "" if case.satisfied else "对处理结果仍有意见"
        case.state, case.closed_at, case.state_changed_at = PetitionState.CLOSED, answered, answered
        steps.append(("feedback", PetitionState.RESOLVED, PetitionState.CLOSED, answered))


__all__ = ["build_demo"]
