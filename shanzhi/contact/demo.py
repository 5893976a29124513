"""A year of household contact in the demo county, shaped like Huachi (seed 000): Party members
each look after 10–15 households of their village ("1名党员包联10-15户群众"), and over the
year make about 28,000 service contacts (visits) that settle about 3,200 small matters; they
report monthly and their branches review; each branch writes its quarterly summaries. Units
and in-service members register with the county seat's communities (双报到, seed 002/003) and
take up residents' micro-wishes.

Who is given households: in each village the members aged 18 to 70, in a random order, take
10–15 households each until the village's households are covered (a few percent are left
for the "no contact" list, and a few members carry more than the limit); the oldest and the
in-service members have none. A demo county has about 5 households per member, so about
half the members have households in their care.

Deterministic for a given ``rng``; bulk writes; writes nothing when the county has contact
history already. Counts scale with the county (a small test county gets its share).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from shanzhi.contact import selectors
from shanzhi.contact.flow import REPORT_FLOW, WISH_FLOW
from shanzhi.contact.models import (
    Assignment,
    MemberRegistration,
    MicroWish,
    MonthlyReport,
    QuarterSummary,
    Unit,
    UnitRegistration,
    Visit,
)
from shanzhi.contact.permissions import village_paths
from shanzhi.core import tree
from shanzhi.core.models import StateChange
from shanzhi.people.models import PartyMember, PartyOrganisation, Position, User
from shanzhi.regions.models import Household, Region, Resident, ResidentTag, Tag

HOUSEHOLDS = 18_000  # Huachi; a smaller county gets its share of the figures below
VISITS = 28_000
SETTLED = 3_200
UNITS = 40
IN_SERVICE = 320
WISHES = 400
BATCH = 2000

PURPOSES = [("policy", 35), ("help", 25), ("dispute_screening", 15), ("data_update", 10), ("festival", 15)]
NOTES = {
    "policy": ["讲解医保、养老保险缴费政策", "宣传惠农补贴政策", "讲解防范电信诈骗", "宣传移风易俗、村规民约",
               "讲解低保、临时救助申请条件"],
    "help": ["帮助老人代缴电费", "协助办理残疾证年审", "帮忙联系维修自来水管", "帮助购买生活用品",
             "协调解决用水困难", "陪同老人就医"],
    "dispute_screening": ["排查邻里矛盾，暂无纠纷", "了解到宅基地界址争议，已劝和", "排查家庭矛盾，情况稳定",
                          "化解赡养老人小摩擦"],
    "data_update": ["核实家庭人口信息", "更新联系电话", "核实外出务工人员情况"],
    "festival": ["春节慰问，送去米面油", "中秋节走访慰问", "重阳节看望老人"],
}
UNIT_NAMES = [
    ("华池县财政局", "agency"), ("华池县教育局", "agency"), ("华池县卫生健康局", "agency"), ("华池县民政局", "agency"),
    ("华池县人社局", "agency"), ("华池县住建局", "agency"), ("华池县农业农村局", "agency"), ("华池县水务局", "agency"),
    ("华池县自然资源局", "agency"), ("华池县司法局", "agency"), ("华池县市场监管局", "agency"),
    ("华池县交通运输局", "agency"), ("华池县文旅局", "agency"), ("华池县应急管理局", "agency"),
    ("华池县统计局", "agency"), ("华池县审计局", "agency"), ("华池县税务局", "agency"), ("华池县人民法院", "agency"),
    ("华池县人民检察院", "agency"), ("华池县公安局", "agency"), ("华池县第一中学", "school"),
    ("华池县第二中学", "school"), ("柔远小学", "school"), ("华池县人民医院", "hospital"),
    ("华池县中医医院", "hospital"), ("华池县疾控中心", "institution"), ("华池县供电公司", "enterprise"),
    ("华池县农村信用社", "enterprise"), ("中国邮政华池分公司", "enterprise"), ("华池县融媒体中心", "institution"),
    ("华池县图书馆", "institution"), ("华池县自来水公司", "enterprise"), ("华池县供销社", "enterprise"),
    ("长庆油田华池作业区", "enterprise"), ("华池县烟草专卖局", "agency"), ("华池县气象局", "agency"),
    ("华池县林业和草原局", "agency"), ("华池县档案馆", "institution"), ("华池县妇幼保健院", "hospital"),
    ("华池县职业中专", "school"),
]
WISH_TITLES = [("daily", "想要一袋米面油"), ("daily", "需要一台电暖器过冬"), ("study", "孩子想要一套课外书"),
               ("study", "希望有人辅导孩子功课"), ("health", "想要一副老花镜"), ("health", "需要一辆轮椅"),
               ("health", "想量量血压、做个体检"), ("repair", "屋顶漏雨需要修补"), ("repair", "院里的电线需要检修"),
               ("company", "希望有人常来陪老人聊天"), ("other", "想学用智能手机视频通话")]


def _share(total: int, households: int) -> int:
    return max(1, round(total * households / HOUSEHOLDS))


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _month_starts(today: dt.date, n: int) -> list[dt.date]:
    months, m = [], today.replace(day=1)
    for _ in range(n):
        months.append(m)
        m = (m - dt.timedelta(days=1)).replace(day=1)
    return sorted(months)


def _festival_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """Around the Spring Festival (late January to mid-February) or Mid-Autumn (September)."""
    for _ in range(10):
        year = rng.choice([start.year, end.year])
        day = rng.choice([dt.date(year, 1, 20), dt.date(year, 9, 10)]) + dt.timedelta(days=rng.randrange(25))
        if start <= day <= end:
            return day
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _demo_password(username: str = "committee") -> str:
    found = User.objects.filter(username=username).first() or User.objects.filter(positions__isnull=False).first()
    return found.password if found else "!"


@transaction.atomic
def build_demo(county: Region, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    if Assignment.objects.filter(county=county).exists():
        return {}
    today = timezone.localdate()
    start = today - dt.timedelta(days=364)
    villages = {v.pk: v for v in Region.objects.filter(path__startswith=county.path, level=Region.Level.VILLAGE)}
    if not villages:
        return {}
    homes = list(Household.objects.filter(county=county).order_by("id").values_list("id", "village_id",
                                                                                    "region_path"))
    n_households = len(homes)
    by_village: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for h in homes:
        by_village[h[1]].append(h)

    # -- who looks after whom ----------------------------------------------------------------
    orgs = {o.pk: o for o in PartyOrganisation.objects.filter(region__path__startswith=county.path,
                                                              kind__in=["branch", "group"])}
    village_of_path = village_paths([o.region_path for o in orgs.values()])
    village_by_path = {v.path: v for v in villages.values()}
    members_by_village: dict[int, list[PartyMember]] = defaultdict(list)
    for m in PartyMember.objects.filter(organisation_id__in=orgs).select_related("resident").order_by("id"):
        village = village_by_path.get(village_of_path.get(orgs[m.organisation_id].region_path, ""))
        born = m.resident.birth_date if m.resident is not None else None
        age = (today - born).days // 365 if born else 50
        if village is not None and 18 <= age <= 70 and (m.resident is None or m.resident.status == "active"):
            members_by_village[village.pk].append(m)
    since = start - dt.timedelta(days=rng.randrange(20, 120))
    assignments: list[Assignment] = []
    care: dict[int, int] = {}  # household -> member
    for village_id, vhomes in sorted(by_village.items()):
        members = members_by_village.get(village_id, [])
        if not members:
            continue
        pool = list(vhomes)
        rng.shuffle(pool)
        pool = pool[:len(pool) - max(1, len(pool) // 33)]  # a few left for the "no contact" list
        rng.shuffle(members)
        for m in members:
            if not pool:
                break
            k = rng.randint(10, 15) if rng.random() > 0.04 else rng.randint(16, 18)
            taken, pool = pool[:k], pool[k:]
            for hid, _v, path in taken:
                care[hid] = m.pk
                assignments.append(Assignment(member_id=m.pk, household_id=hid, village_id=village_id,
                                              region_path=path, county_id=county.pk, start_date=since))
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)

    # -- a year of visits -----------------------------------------------------------------------
    tagged = set(ResidentTag.objects.filter(
        resident__county=county, resident__status="active",
        tag__in=[Tag.ELDERLY_ALONE, Tag.DISABLED, Tag.SERIOUSLY_ILL, Tag.LOW_INCOME, Tag.LEFT_BEHIND_CHILD])
        .values_list("resident__household_id", flat=True))
    cared = list(assignments)
    weights = [4.0 if a.household_id in tagged else 1.0 for a in cared]
    n_visits = _share(VISITS, n_households) if cared else 0
    n_settled = _share(SETTLED, n_households) if cared else 0
    days = (today - start).days
    purposes = [p for p, w in PURPOSES for _ in range(w)]
    visits: list[Visit] = []
    chosen = rng.choices(cared, weights=weights, k=n_visits) if cared else []
    for a in chosen:
        purpose = rng.choice(purposes)
        if purpose == "festival":
            day = _festival_day(rng, start, today)
        else:
            # More visits as the platform took hold: the later in the year, the more.
            day = start + dt.timedelta(days=int(days * rng.random() ** 0.8))
        visits.append(Visit(member_id=a.member_id, household_id=a.household_id, village_id=a.village_id,
                            region_path=a.region_path, county_id=county.pk, visited_on=day, purpose=purpose,
                            note=rng.choice(NOTES[purpose]), settled=False))
    helpful = [v for v in visits if v.purpose in ("help", "dispute_screening")]
    for v in rng.sample(helpful, min(n_settled, len(helpful))):
        v.settled = True
    visits.sort(key=lambda v: (v.visited_on, v.household_id))
    Visit.objects.bulk_create(visits, batch_size=BATCH)

    # -- monthly reports and the branches' review ------------------------------------------------
    secretaries = dict(Position.objects.current().filter(role="village_secretary", region__isnull=False,
                                                         region_path__startswith=county.path)
                       .values_list("region_path", "user_id"))
    member_village = {a.member_id: a.village_id for a in assignments}
    member_org = dict(PartyMember.objects.filter(pk__in=member_village).values_list("pk", "organisation_id"))
    months = _month_starts(today, 12)
    per: dict[tuple[int, dt.date], list[Visit]] = defaultdict(list)
    for v in visits:
        per[(v.member_id, v.visited_on.replace(day=1))].append(v)
    loads = Counter(a.member_id for a in assignments)
    reports: list[MonthlyReport] = []
    plans: list[list[tuple[str, str, str, dt.datetime]]] = []
    for member_id, village_id in sorted(member_village.items()):
        village = villages[village_id]
        org = orgs[member_org[member_id]]
        branch_id = org.parent_id if org.kind == "group" and org.parent_id else org.pk
        reviewer = secretaries.get(village.path)
        for month in months:
            rows = per.get((member_id, month), [])
            end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            draw = rng.random()
            if month == months[-1]:
                state = "draft" if draw < 0.6 else "submitted"
            elif month == months[-2]:
                state = "approved" if draw < 0.6 else "submitted" if draw < 0.9 else "draft"
            else:
                state = "approved" if draw < 0.97 else "returned"
            submitted = _at(min(end, today), 18) if state != "draft" else None
            reviewed = _at(min(end + dt.timedelta(days=rng.randrange(1, 6)), today), 10) if state in (
                "approved", "returned") else None
            reports.append(MonthlyReport(
                member_id=member_id, branch_id=branch_id, village_id=village_id, region_path=village.path,
                county_id=county.pk, month=month, state=state, households_assigned=loads[member_id],
                households_visited=len({v.household_id for v in rows}), visits=len(rows),
                settled=sum(1 for v in rows if v.settled), by_purpose=dict(Counter(v.purpose for v in rows)),
                summary=f"本月走访{len({v.household_id for v in rows})}户" if rows else "",
                assembled_at=submitted or _at(today, 8), submitted_at=submitted, reviewed_at=reviewed,
                reviewed_by_id=reviewer if reviewed else None,
                review_note="请补充走访记录" if state == "returned" else "",
                state_changed_at=reviewed or submitted or _at(today, 8)))
            steps = [("create", "", "draft", _at(month, 9))]
            if submitted:
                steps.append(("submit", "draft", "submitted", submitted))
            if reviewed is not None:
                steps.append(("approve" if state == "approved" else "return", "submitted", state, reviewed))
            plans.append(steps)
    MonthlyReport.objects.bulk_create(reports, batch_size=BATCH)
    ct = ContentType.objects.get_for_model(MonthlyReport)
    StateChange.objects.bulk_create([
        StateChange(content_type=ct, object_id=r.pk, workflow=REPORT_FLOW.name, transition=name, from_state=before,
                    to_state=after, actor=None, actor_name="", note="", at=at)
        for r, steps in zip(reports, plans, strict=True) for name, before, after, at in steps], batch_size=BATCH)

    # -- the branches' quarters -------------------------------------------------------------------
    quarters = []
    q_end = today.replace(day=1) - dt.timedelta(days=1)
    for _ in range(4):
        quarter = (q_end.month - 1) // 3 + 1
        quarters.append((q_end.year, quarter))
        q_end = dt.date(q_end.year, 3 * quarter - 2, 1) - dt.timedelta(days=1)
    branches = [o for o in orgs.values() if o.kind == "branch"]
    # The figures, counted here from what was just written (as selectors.branch_quarter_figures
    # counts them, which the tests check), rather than by ~2,000 queries.
    branch_of_org = {o.pk: (o.parent_id if o.kind == "group" and o.parent_id else o.pk) for o in orgs.values()}
    people = Counter(branch_of_org[org_id] for org_id in PartyMember.objects.filter(
        organisation_id__in=orgs).values_list("organisation_id", flat=True))
    branch_of_member = {m: branch_of_org[o] for m, o in member_org.items()}
    visits_by_branch: dict[int, list[Visit]] = defaultdict(list)
    for v in visits:
        visits_by_branch[branch_of_member[v.member_id]].append(v)
    care_by_branch: dict[int, set[int]] = defaultdict(set)
    busy_by_branch: dict[int, set[int]] = defaultdict(set)
    for a in assignments:
        care_by_branch[branch_of_member[a.member_id]].add(a.household_id)
        busy_by_branch[branch_of_member[a.member_id]].add(a.member_id)
    report_states = Counter((r.branch_id, r.month, r.state) for r in reports)
    summaries = []
    for branch in sorted(branches, key=lambda b: b.region_path):
        village = village_by_path.get(village_of_path.get(branch.region_path, ""))
        if village is None:
            continue
        for year, quarter in quarters:
            q_start, q_end = dt.date(year, 3 * quarter - 2, 1), dt.date(year, 3 * quarter, 1)
            q_end = (q_end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            in_quarter = [v for v in visits_by_branch.get(branch.pk, []) if q_start <= v.visited_on <= q_end]
            months_in = [dt.date(year, m, 1) for m in range(3 * quarter - 2, 3 * quarter + 1)
                         if dt.date(year, m, 1) <= today]
            busy = len(busy_by_branch.get(branch.pk, ()))
            figures = selectors.QuarterFigures(
                members=people.get(branch.pk, 0), members_with_households=busy,
                households_in_care=len(care_by_branch.get(branch.pk, ())),
                households_visited=len({v.household_id for v in in_quarter}), visits=len(in_quarter),
                settled=sum(1 for v in in_quarter if v.settled), follow_ups=0,
                reports_expected=busy * len(months_in),
                reports_submitted=sum(report_states[(branch.pk, m, st)] for m in months_in
                                      for st in ("submitted", "approved")),
                reports_approved=sum(report_states[(branch.pk, m, "approved")] for m in months_in),
                by_purpose=dict(Counter(v.purpose for v in in_quarter))).as_dict()
            summaries.append(QuarterSummary(
                branch=branch, year=year, quarter=quarter, region_path=branch.region_path, county_id=county.pk,
                figures=figures, written_by_id=secretaries.get(village.path),
                summary=(f"本季度党员联户走访{figures['visits']}次，覆盖{figures['households_visited']}户，"
                         f"现场解决群众小事{figures['settled']}件。")))
    QuarterSummary.objects.bulk_create(summaries, batch_size=BATCH)

    units, registrations, wishes = _dual_registration(county, rng, villages, n_households, today, start)
    extra = _accounts(county, members_by_village, assignments)
    result = {"assignments": len(assignments), "members_with_households": len(loads), "visits": len(visits),
              "settled": sum(1 for v in visits if v.settled), "reports": len(reports),
              "quarter_summaries": len(summaries), "units": units, "registrations": registrations,
              "wishes": wishes}
    if stdout is not None and extra:
        stdout.write("  contact: " + ", ".join(extra))
    return result


def _dual_registration(county: Region, rng: random.Random, villages: dict[int, Region], n_households: int,
                       today: dt.date, start: dt.date) -> tuple[int, int, int]:
    """Units with their branches register with the county seat's communities (and a few
    villages); in-service members register where they live; residents post wishes that
    members and units take up."""
    communities = [v for v in villages.values() if v.kind == Region.Kind.COMMUNITY] or \
        sorted(villages.values(), key=lambda v: v.path)[:1]
    n_units = min(len(UNIT_NAMES), _share(UNITS, n_households) if n_households < HOUSEHOLDS else UNITS)
    chosen = UNIT_NAMES[:max(2, n_units)]
    orgs = PartyOrganisation.objects.bulk_create([
        PartyOrganisation(name=f"{name}党支部", kind=PartyOrganisation.Kind.BRANCH, region=county,
                          region_path=county.path) for name, _kind in chosen])
    units = Unit.objects.bulk_create([
        Unit(name=name, kind=kind, party_organisation=org, region_path=county.path, county=county,
             address=f"华池县柔远镇{rng.randint(1, 120)}号", contact_name="办公室",
             contact_phone=f"0934-51{rng.randint(10000, 99999)}")
        for (name, kind), org in zip(chosen, orgs, strict=True)])
    regs = []
    for unit in units:
        for community in rng.sample(communities, min(len(communities), rng.choice([1, 1, 2]))):
            regs.append(UnitRegistration(unit=unit, community=community, region_path=community.path,
                                         county=county, registered_on=start - dt.timedelta(days=rng.randrange(60)),
                                         pledge=rng.choice(["每月开展一次志愿服务", "认领社区环境整治责任区",
                                                            "结对帮扶困难家庭", "开展政策宣讲进社区"])))
    UnitRegistration.objects.bulk_create(regs, batch_size=BATCH)
    # In-service members: residents of the communities aged 25-55, not yet members.
    community_paths = [c.path for c in communities]
    by_path = {c.path: c for c in communities}
    candidates = list(Resident.objects.filter(county=county, status="active", party_membership__isnull=True,
                                              birth_date__lte=today - dt.timedelta(days=25 * 365),
                                              birth_date__gte=today - dt.timedelta(days=55 * 365))
                      .filter(tree.under_any(community_paths)).order_by("id").values_list("id", "name", "region_path")
                      [:max(IN_SERVICE * 3, 50)])
    n_in_service = min(len(candidates), _share(IN_SERVICE, n_households) if n_households < HOUSEHOLDS
                       else IN_SERVICE)
    picked = rng.sample(candidates, n_in_service) if candidates else []
    members = PartyMember.objects.bulk_create([
        PartyMember(name=name, organisation_id=rng.choice(orgs).pk, resident_id=rid, region_path=county.path,
                    joined_on=dt.date(rng.randint(1995, 2020), rng.randint(1, 12), 1))
        for rid, name, _path in picked])
    unit_of_org = {u.party_organisation_id: u.pk for u in units}
    MemberRegistration.objects.bulk_create([
        MemberRegistration(member=m, community=by_path[next(p for p in community_paths if path.startswith(p))],
                           unit_id=unit_of_org[m.organisation_id],
                           region_path=next(p for p in community_paths if path.startswith(p)), county=county,
                           registered_on=start - dt.timedelta(days=rng.randrange(90)))
        for m, (_rid, _name, path) in zip(members, picked, strict=True)], batch_size=BATCH)

    # Wishes, mostly in the communities, some in villages; most taken up and fulfilled.
    wish_homes = list(Household.objects.filter(county=county).filter(tree.under_any(community_paths))
                      .order_by("id").values_list("id", "village_id", "region_path"))
    heads = dict(Resident.objects.filter(household_id__in=[h[0] for h in wish_homes], relation="head",
                                         status="active").values_list("household_id", "id"))
    regs_by_community: dict[int, list[int]] = defaultdict(list)
    for r in regs:
        regs_by_community[r.community_id].append(r.unit_id)
    members_by_community: dict[int, list[int]] = defaultdict(list)
    for m, (_rid, _name, path) in zip(members, picked, strict=True):
        members_by_community[by_path[next(p for p in community_paths if path.startswith(p))].pk].append(m.pk)
    n_wishes = min(len(wish_homes) * 2, _share(WISHES, n_households)) if wish_homes else 0
    rows, steps_of = [], []
    days = (today - start).days
    for _ in range(n_wishes):
        hid, village_id, path = rng.choice(wish_homes)
        category, title = rng.choice(WISH_TITLES)
        posted = start + dt.timedelta(days=rng.randrange(days))
        age = (today - posted).days
        draw = rng.random()
        state = ("open" if age < 20 and draw < 0.5 else "withdrawn" if draw < 0.03 else "claimed" if age < 30
                 else "fulfilled" if draw < 0.45 else "thanked")
        wish = MicroWish(household_id=hid, resident_id=heads.get(hid), village_id=village_id, region_path=path,
                         county=county, title=title, category=category, posted_for=rng.random() < 0.4, state=state)
        steps = [("create", "", "open", _at(posted, 9))]
        if state in ("claimed", "fulfilled", "thanked"):
            claimed = _at(posted + dt.timedelta(days=rng.randrange(1, 6)), 11)
            units_here = regs_by_community.get(village_id, [])
            members_here = members_by_community.get(village_id, [])
            if units_here and (not members_here or rng.random() < 0.5):
                wish.claimed_unit_id = rng.choice(units_here)
            elif members_here:
                wish.claimed_member_id = rng.choice(members_here)
            else:
                wish.state = state = "open"
            if state != "open":
                wish.claimed_at = claimed
                steps.append(("claim", "open", "claimed", claimed))
        if state in ("fulfilled", "thanked"):
            fulfilled = claimed + dt.timedelta(days=rng.randrange(2, 12))
            wish.fulfilled_at = fulfilled
            wish.fulfilment_note = "已送到家中" if category in ("daily", "health") else "已完成"
            steps.append(("fulfil", "claimed", "fulfilled", fulfilled))
            if state == "thanked":
                wish.thanked_at = fulfilled + dt.timedelta(days=1)
                wish.thanks_note = "感谢党员同志的帮助"
                steps.append(("thank", "fulfilled", "thanked", fulfilled + dt.timedelta(days=1)))
        if state == "withdrawn":
            steps.append(("withdraw", "open", "withdrawn", _at(posted + dt.timedelta(days=2), 10)))
        wish.state_changed_at = steps[-1][3]
        rows.append(wish)
        steps_of.append(steps)
    MicroWish.objects.bulk_create(rows, batch_size=BATCH)
    for w, steps in zip(rows, steps_of, strict=True):
        w.created_at = steps[0][3]
    MicroWish.objects.bulk_update(rows, ["created_at"], batch_size=BATCH)
    ct = ContentType.objects.get_for_model(MicroWish)
    StateChange.objects.bulk_create([
        StateChange(content_type=ct, object_id=w.pk, workflow=WISH_FLOW.name, transition=name, from_state=before,
                    to_state=after, actor=None, actor_name="", note="", at=at)
        for w, steps in zip(rows, steps_of, strict=True) for name, before, after, at in steps], batch_size=BATCH)
    return len(units), len(regs) + len(members), len(rows)


def _accounts(county: Region, members_by_village: dict[int, list[PartyMember]],
              assignments: list[Assignment]) -> list[str]:
    """Logins to try the member's and the liaison's pages: a member of the demo village with
    households in their care, a registered unit's liaison."""
    made = []
    password = _demo_password()
    village = Region.objects.filter(code="621023100201").first()
    cared_by = {a.member_id for a in assignments}
    if village is not None and not User.objects.filter(username="partymember").exists():
        with_accounts = set(User.objects.filter(resident__isnull=False).values_list("resident_id", flat=True))
        member = next((m for m in members_by_village.get(village.pk, []) if m.pk in cared_by and m.resident_id
                       and m.resident_id not in with_accounts), None)
        if member is not None:
            User.objects.create(username="partymember", full_name=member.name, resident_id=member.resident_id,
                                password=password)
            made.append(f"partymember ({member.name})")
    unit = Unit.objects.filter(county=county, registrations__isnull=False).order_by("id").first()
    if unit is not None and not User.objects.filter(username="liaison").exists():
        user = User.objects.create(username="liaison", full_name=f"{unit.name}联络员", password=password)
        Unit.objects.filter(pk=unit.pk).update(liaison=user)
        made.append(f"liaison ({unit.name})")
    return made
