"""A year of self-governance organisations in the demo county, shaped like Huachi (seed 000):
585 organisations (in each of the 117 villages and communities its villagers' council,
weddings-and-funerals council, filial-piety council and moral review council, and one of the
anti-drug-and-gambling council, the women's service team or the volunteers), each with its
members, and over the year their meetings and activities: about 470 disputes settled and
620 environmental clean-ups, with weddings and funerals kept simple, visits to the elderly
and publicity.

Deterministic for a given ``rng``; bulk writes; nothing when the county has organisations
already. A smaller county gets its share of the year's figures.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from shanzhi.organisations.models import Activity, ActivityKind, Kind, Member, MemberRole, Organisation
from shanzhi.regions.models import Region, Resident

BATCH = 2000
VILLAGES = 117
DISPUTES = 470
CLEAN_UPS = 620
FIFTH = [(Kind.ANTI_DRUG_GAMBLING_COUNCIL, 0.6), (Kind.WOMENS_TEAM, 0.25), (Kind.VOLUNTEERS, 0.15)]
NAMES: dict[str, str] = {
    Kind.VILLAGERS_COUNCIL: "村民议事会", Kind.CEREMONIES_COUNCIL: "红白理事会",
    Kind.FILIAL_PIETY_COUNCIL: "孝善理事会",
    Kind.MORAL_REVIEW_COUNCIL: "道德评议会", Kind.ANTI_DRUG_GAMBLING_COUNCIL: "禁毒禁赌会",
    Kind.WOMENS_TEAM: "巾帼服务队", Kind.VOLUNTEERS: "志愿服务队",
}
MEDIATIONS = ["调解宅基地界址纠纷", "调解赡养老人纠纷", "调解邻里通行纠纷", "调解婚姻家庭矛盾", "调解彩礼纠纷"]
CLEANS = ["清理村道垃圾", "整治房前屋后环境", "清理河道沟渠", "集中整治乱堆乱放"]


@transaction.atomic
def build_demo(county: Region, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    if Organisation.objects.filter(county=county).exists():
        return {}
    villages = list(Region.objects.filter(path__startswith=county.path, level=Region.Level.VILLAGE).order_by("path"))
    if not villages:
        return {}
    today = timezone.localdate()
    start = today - dt.timedelta(days=364)
    share = len(villages) / VILLAGES
    orgs: list[Organisation] = []
    for v in villages:
        fifth = rng.choices([k for k, _w in FIFTH], weights=[w for _k, w in FIFTH])[0]
        for kind in (Kind.VILLAGERS_COUNCIL, Kind.CEREMONIES_COUNCIL, Kind.FILIAL_PIETY_COUNCIL,
                     Kind.MORAL_REVIEW_COUNCIL, fifth):
            orgs.append(Organisation(village=v, region_path=v.path, county=county, kind=kind,
                                     name=f"{v.name}{NAMES[kind]}",
                                     founded_on=dt.date(rng.choice([2019, 2020, 2021, 2022]), rng.randint(1, 12), 1)))
    Organisation.objects.bulk_create(orgs, batch_size=BATCH)

    # Members: respected villagers (older residents of the village), a chair and a few more.
    members: list[Member] = []
    by_village: dict[int, list[tuple[int, str, str]]] = {}
    for v in villages:
        by_village[v.pk] = list(Resident.objects.filter(
            region_path__startswith=v.path, status="active",
            birth_date__lte=today - dt.timedelta(days=40 * 365)).order_by("id").values_list("id", "name", "phone")
            [:80])
    for org in orgs:
        pool = by_village.get(org.village_id) or []
        chosen = rng.sample(pool, min(len(pool), rng.randint(5, 11)))
        for i, (rid, name, phone) in enumerate(chosen):
            role = MemberRole.CHAIR if i == 0 else MemberRole.DEPUTY if i == 1 else MemberRole.MEMBER
            members.append(Member(organisation=org, resident_id=rid, name=name, role=role, phone=phone,
                                  joined_on=org.founded_on or start))
    Member.objects.bulk_create(members, batch_size=BATCH)

    # The year's activities.
    activities: list[Activity] = []
    days = (today - start).days

    def add(org: Organisation, kind: str, subject: str, settled: int = 0, participants: int = 0) -> None:
        day = start + dt.timedelta(days=rng.randrange(days + 1))
        activities.append(Activity(organisation=org, region_path=org.region_path, county=county, kind=kind,
                                   held_on=day, subject=subject, place=f"{org.village.name}党群服务中心",
                                   participants=participants or rng.randint(5, 40),
                                   outcome="达成一致" if settled else "", matters_settled=settled))

    councils = [o for o in orgs if o.kind in (Kind.VILLAGERS_COUNCIL, Kind.FILIAL_PIETY_COUNCIL,
                                              Kind.CEREMONIES_COUNCIL)]
    disputes = round(DISPUTES * share)
    while disputes > 0:
        settled = 2 if disputes > 1 and rng.random() < 0.1 else 1
        add(rng.choice(councils), ActivityKind.MEDIATION, rng.choice(MEDIATIONS), settled, rng.randint(3, 8))
        disputes -= settled
    for _ in range(round(CLEAN_UPS * share)):
        add(rng.choice(orgs), ActivityKind.CLEAN_UP, rng.choice(CLEANS), 0, rng.randint(8, 60))
    for org in orgs:
        for _ in range(rng.randint(2, 6)):
            add(org, ActivityKind.MEETING, f"{NAMES[org.kind]}例会")
        if org.kind == Kind.CEREMONIES_COUNCIL:
            for _ in range(rng.randint(1, 5)):
                add(org, ActivityKind.CEREMONY, "婚丧事宜简办，劝导不大操大办")
        elif org.kind == Kind.FILIAL_PIETY_COUNCIL:
            for _ in range(rng.randint(1, 4)):
                add(org, ActivityKind.VISIT, "看望慰问高龄、独居老人")
        elif org.kind in (Kind.ANTI_DRUG_GAMBLING_COUNCIL, Kind.WOMENS_TEAM, Kind.VOLUNTEERS):
            add(org, ActivityKind.OUTREACH, "禁毒禁赌宣传" if org.kind == Kind.ANTI_DRUG_GAMBLING_COUNCIL
                else "开展志愿服务宣传")
    activities.sort(key=lambda a: (a.held_on, a.organisation.pk))
    Activity.objects.bulk_create(activities, batch_size=BATCH)
    return {"organisations": len(orgs), "members": len(members), "activities": len(activities),
            "disputes_settled": sum(a.matters_settled for a in activities if a.kind == ActivityKind.MEDIATION),
            "clean_ups": sum(1 for a in activities if a.kind == ActivityKind.CLEAN_UP)}
