"""A year of rule of law and supervision for the demo county: a legal adviser and a police
officer for every village (with their work profile), each village's power and
responsibility lists, legal aid applications shaped like Dingxi's (seed 003: mostly unpaid
wages, about 4,900 yuan recovered per case), legal education events, legal liaisons and
reminder talks in seed 002's proportions (160 before : 171 during : 125 after).

Fast (bulk_create), deterministic for a given ``rng``, and idempotent: a county that has
legal aid applications already is left alone."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from shanzhi.core import sla
from shanzhi.legal.models import (
    EducationEvent,
    LegalAidApplication,
    LegalStaffProfile,
    Liaison,
    PowerItem,
    ReminderTalk,
)
from shanzhi.people.models import Position, Role, User
from shanzhi.regions.models import Region, Resident

MATTERS = [("unpaid_wages", 50), ("family", 20), ("injury", 14), ("contract", 10), ("other", 6)]
SUMMARIES = {
    "unpaid_wages": "包工头拖欠务工工资",
    "family": "离婚抚养权纠纷",
    "injury": "交通事故赔偿",
    "contract": "土地流转合同纠纷",
    "other": "其他法律事项",
}
STAGES = [("before", 160), ("during", 171), ("after", 125)]
POWERS = [
    (
        "村级重大事项决策",
        "《中华人民共和国村民委员会组织法》第二十四条",
        ["村党支部提议", "村两委会商议", "党员大会审议", "村民代表会议决议", "决议公开", "实施结果公开"],
    ),
    (
        "村级工程项目建设",
        "《中华人民共和国招标投标法》",
        ["村两委提出方案", "村民代表会议表决", "按规定招标或比选", "签订合同并公示", "验收并公开结算"],
    ),
    (
        "村级财务收支",
        "《村集体经济组织财务制度》",
        ["经办人取得票据", "村务监督委员会审核", "村党支部书记审批", "乡镇代理记账", "每月公开"],
    ),
]
RESPONSIBILITIES = [
    (
        "村党组织书记第一责任人责任",
        "《中国共产党农村基层组织工作条例》",
        ["年初签订责任书", "季度自查", "年终述职评议"],
    ),
    (
        "村务监督委员会监督责任",
        "《关于建立健全村务监督委员会的指导意见》",
        ["列席村两委会议", "审核财务票据", "向村民会议报告"],
    ),
]


def _weighted(rng: random.Random, items: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _w in items], weights=[w for _k, w in items])[0]


def build_demo(county: Region, rng: random.Random, stdout: Any = None, *, now: dt.datetime | None = None) -> int:
    """Add a year of rule of law and supervision to ``county``; returns the applications written."""
    if LegalAidApplication.objects.filter(county=county).exists():
        return 0
    now = now or timezone.now()
    villages = list(Region.objects.filter(county=county, level=Region.Level.VILLAGE).order_by("path"))
    if not villages:
        return 0
    with transaction.atomic():
        lawyers = _staff(county, villages)
        _lists(county, villages)
        written = _applications(county, villages, lawyers, rng, now)
        _education(county, villages, rng, now)
        _talks(county, villages, rng, now)
    if stdout is not None:
        stdout.write(f"legal: {written} legal aid applications in {len(villages)} villages\n")
    return written


def _staff(county: Region, villages: list[Region]) -> dict[int, int]:
    """A legal adviser and a police officer per village; returns village id -> lawyer id.
    A village that has one already (the demo's ``lawyer`` and ``police`` accounts, who log
    in with the demo password) keeps them: they get the work profile and the cases."""
    start = dt.date(2024, 1, 1)
    held = {
        (region_id, role): user_id
        for region_id, role, user_id in Position.objects.current()
        .filter(role__in=[Role.LEGAL_ADVISER, Role.VILLAGE_POLICE], region__in=villages)
        .order_by("-id")
        .values_list("region_id", "role", "user_id")
    }
    wanted = []
    for v in villages:
        if (v.pk, Role.LEGAL_ADVISER) not in held:
            wanted.append(User(username=f"legal_{v.code}", full_name=f"{v.name}法律顾问"))
        if (v.pk, Role.VILLAGE_POLICE) not in held:
            wanted.append(User(username=f"police_{v.code}", full_name=f"{v.name}驻村民警"))
    existing = set(User.objects.filter(username__in=[u.username for u in wanted]).values_list("username", flat=True))
    for u in wanted:
        u.set_unusable_password()
    User.objects.bulk_create([u for u in wanted if u.username not in existing])
    users = dict(User.objects.filter(username__in=[u.username for u in wanted]).values_list("username", "id"))
    positions, profiles = [], []
    for i, v in enumerate(villages):
        for prefix, role, kind, org in (
            ("legal", Role.LEGAL_ADVISER, "lawyer", f"陇原律师事务所第{i % 7 + 1}分所"),
            ("police", Role.VILLAGE_POLICE, "police", f"{v.parent.name if v.parent is not None else ''}派出所"),
        ):
            uid = held.get((v.pk, role))
            if uid is None:
                uid = users[f"{prefix}_{v.code}"]
                positions.append(Position(user_id=uid, role=role, region=v, region_path=v.path, start_date=start))
                held[(v.pk, role)] = uid
            profiles.append(
                LegalStaffProfile(
                    user_id=uid,
                    kind=kind,
                    organisation=org[:100],
                    work_phone=f"0932-{(8000000 + i * 2 + (kind == 'police')) % 10000000:07d}",
                    contract_start=start if kind == "lawyer" else None,
                    contract_end=dt.date(2026, 12, 31) if kind == "lawyer" else None,
                )
            )
    Position.objects.bulk_create(positions)
    LegalStaffProfile.objects.bulk_create(profiles, ignore_conflicts=True)
    return {v.pk: held[(v.pk, Role.LEGAL_ADVISER)] for v in villages}


def _lists(county: Region, villages: list[Region]) -> None:
    rows = []
    for v in villages:
        for which, items in ((PowerItem.List.POWER, POWERS), (PowerItem.List.RESPONSIBILITY, RESPONSIBILITIES)):
            for pos, (title, basis, steps) in enumerate(items):
                rows.append(
                    PowerItem(
                        county=county,
                        region=v,
                        region_path=v.path,
                        list=which,
                        position=pos,
                        title=title,
                        legal_basis=basis,
                        steps=steps,
                    )
                )
    PowerItem.objects.bulk_create(rows)


def _applications(
    county: Region, villages: list[Region], lawyers: dict[int, int], rng: random.Random, now: dt.datetime
) -> int:
    heads = list(
        Resident.objects.filter(county=county, relation="head", status="active")
        .order_by("id")
        .values_list("id", "household_id", "household__village_id", "household__region_path")
    )
    if not heads:
        return 0
    # Dingxi: 3,849 cases for about 2.8 million people; here one case per ~150 households
    # so every village shows a few.
    total = max(len(villages) * 2, len(heads) // 150)
    rows = []
    for n in range(total):
        rid, hid, vid, path = heads[rng.randrange(len(heads))]
        submitted = now - dt.timedelta(days=rng.randrange(1, 365), hours=rng.randrange(0, 9))
        matter = _weighted(rng, MATTERS)
        fate = rng.random()
        state = (
            "concluded"
            if fate < 0.7
            else "in_progress"
            if fate < 0.82
            else "accepted"
            if fate < 0.88
            else "submitted"
            if fate < 0.94
            else "rejected"
        )
        if submitted > now - dt.timedelta(days=7) and state != "submitted":
            state = "submitted"
        claimed = rng.randrange(200000, 1500000) if matter == "unpaid_wages" else None
        recovered = int(claimed * rng.uniform(0.6, 1.0)) if claimed and state == "concluded" else 0
        accepted = (
            submitted + dt.timedelta(days=rng.randrange(1, 6)) if state not in ("submitted", "rejected") else None
        )
        closed = (
            accepted + dt.timedelta(days=rng.randrange(10, 90))
            if state == "concluded" and accepted
            else submitted + dt.timedelta(days=3)
            if state == "rejected"
            else None
        )
        if closed and closed > now:
            closed = now
        rows.append(
            LegalAidApplication(
                county=county,
                region_id=vid,
                region_path=path,
                number=f"FY{submitted:%Y}D{n + 1:05d}",
                household_id=hid,
                applicant_id=rid,
                matter_type=matter,
                summary=SUMMARIES[matter],
                amount_claimed_fen=claimed,
                hardship_declared=True,
                hardship_statement="家庭收入低,无力支付律师费",
                lawyer_id=lawyers.get(vid) if accepted else None,
                submitted_at=submitted,
                accept_due=sla.add(submitted, 7, sla.Unit.WORKING_DAYS),
                accepted_at=accepted,
                closed_at=closed,
                state=state,
                state_changed_at=closed or accepted or submitted,
                amount_recovered_fen=recovered,
                result="调解结案" if state == "concluded" else ("不符合经济困难条件" if state == "rejected" else ""),
            )
        )
    LegalAidApplication.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _education(county: Region, villages: list[Region], rng: random.Random, now: dt.datetime) -> None:
    kinds = ["case_explaining", "legal_fair", "mock_trial", "lecture"]
    titles = {
        "case_explaining": "以案释法进村",
        "legal_fair": "法治大集",
        "mock_trial": "模拟法庭进校园",
        "lecture": "民法典宣讲",
    }
    events, liaisons = [], []
    taken: set[int] = set()
    for v in villages:
        for _ in range(rng.randrange(3, 8)):
            kind = rng.choice(kinds)
            events.append(
                EducationEvent(
                    county=county,
                    region=v,
                    region_path=v.path,
                    kind=kind,
                    title=titles[kind],
                    held_on=(now - dt.timedelta(days=rng.randrange(1, 365))).date(),
                    place=f"{v.name}党群服务中心",
                    organiser="乡镇司法所",
                    attendance=rng.randrange(30, 300),
                    materials=rng.randrange(50, 600),
                )
            )
        heads = list(
            Resident.objects.filter(region_path__startswith=v.path, status="active")
            .order_by("id")
            .values_list("id", "region_path")[:40]
        )
        for rid, path in rng.sample(heads, min(2, len(heads))):
            if rid not in taken:
                taken.add(rid)
                liaisons.append(
                    Liaison(
                        county=county,
                        region=v,
                        region_path=path,
                        resident_id=rid,
                        trained_on=dt.date(now.year - 1, 3, 15),
                        training_hours=16,
                    )
                )
    EducationEvent.objects.bulk_create(events, batch_size=500)
    Liaison.objects.bulk_create(liaisons, batch_size=500)


def _talks(county: Region, villages: list[Region], rng: random.Random, now: dt.datetime) -> None:
    rows = []
    reasons = {
        "before": "村级工程发包前提醒依规招标",
        "during": "低保评议中提醒公开公正",
        "after": "集体资金使用后提醒及时公开",
    }
    for v in villages:
        for stage, weight in STAGES:
            for _ in range(max(1, round(weight / 50 + rng.random()))):
                rows.append(
                    ReminderTalk(
                        county=county,
                        region=v,
                        region_path=v.path,
                        stage=stage,
                        cadre_name=f"{v.name}村干部",
                        reason=reasons[stage],
                        talked_by="乡镇纪委",
                        held_on=(now - dt.timedelta(days=rng.randrange(1, 365))).date(),
                        record="已当面提醒,本人表示按程序办理",
                    )
                )
    ReminderTalk.objects.bulk_create(rows, batch_size=500)
