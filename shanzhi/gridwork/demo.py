"""Three months of grid work in the demo county: every grid worker's daily log under the six
duties of seed 004, the tasks the grid leaders set, the monthly assessments of the three
months past (scored against the six duties, published), and data updates from the field
(new-borns, moves, deaths, new phones), most approved and applied to the map, some rejected,
some still waiting for the village.

Deterministic for a given ``rng``; bulk writes; nothing when the county has grid work already.
The approved updates are applied in bulk here (the demo loader bypasses the per-row services,
as the county generator does); in use they go through ``regions.services``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from shanzhi.core.models import StateChange
from shanzhi.gridwork import services
from shanzhi.gridwork.flow import UPDATE_FLOW
from shanzhi.gridwork.models import Assessment, AssessmentScore, Duty, FieldUpdate, GridTask, LogEntry
from shanzhi.people.models import Position
from shanzhi.regions.models import Household, Region, Resident

BATCH = 2000
HOUSEHOLDS = 18_000
UPDATES = 600  # a year's data updates in Huachi's size

DUTY_WEIGHTS = [(Duty.DISPUTE_SCREENING, 20), (Duty.DATA_COLLECTION, 22), (Duty.EVENT_REPORTING, 12),
                (Duty.ERRANDS, 24), (Duty.KEY_PERSONS, 8), (Duty.LEGAL_OUTREACH, 14)]
SUMMARIES = {
    Duty.DISPUTE_SCREENING: ["入户排查矛盾纠纷，未发现新线索", "排查邻里纠纷一起，已现场劝和", "走访了解家庭矛盾情况"],
    Duty.DATA_COLLECTION: ["核实新增人口信息", "采集外出务工人员信息", "更新住户联系电话"],
    Duty.EVENT_REPORTING: ["上报道路破损一处", "上报路灯损坏", "上报垃圾堆放问题"],
    Duty.ERRANDS: ["代办医保缴费", "代办高龄补贴申请", "帮助群众办理社保卡"],
    Duty.KEY_PERSONS: ["走访重点人员，情况稳定", "与社区矫正对象谈心", "了解重点人员近况"],
    Duty.LEGAL_OUTREACH: ["宣传防范电信诈骗", "发放普法宣传资料", "讲解民法典相关知识"],
}


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _months_back(today: dt.date, n: int) -> list[dt.date]:
    months, m = [], today.replace(day=1)
    for _ in range(n):
        m = (m - dt.timedelta(days=1)).replace(day=1)
        months.append(m)
    return sorted(months)


@transaction.atomic
def build_demo(county: Region, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    if LogEntry.objects.filter(county=county).exists():
        return {}
    today = timezone.localdate()
    months = _months_back(today, 3)
    start = months[0]
    grids = {g.pk: g for g in Region.objects.filter(path__startswith=county.path, level=Region.Level.GRID)}
    positions = list(Position.objects.current().filter(role__in=["grid_worker", "grid_leader"],
                                                       region_id__in=grids).values_list("user_id", "role",
                                                                                        "region_id"))
    workers = sorted({(u, g) for u, role, g in positions if role == "grid_worker"})
    leaders = {g: u for u, role, g in positions if role == "grid_leader"}
    if not workers:
        return {}
    homes: dict[int, list[int]] = defaultdict(list)
    for hid, grid_id in Household.objects.filter(county=county, grid_id__in=grids).values_list("id", "grid_id"):
        homes[grid_id].append(hid)
    duties = [d for d, w in DUTY_WEIGHTS for _ in range(w)]

    # -- the daily log and the tasks ---------------------------------------------------------------
    entries: list[LogEntry] = []
    tasks: list[GridTask] = []
    done_by: list[int | None] = []  # the entry index that closes each task
    day = start
    while day <= today:
        if day.weekday() < 5:
            for user_id, grid_id in workers:
                grid = grids[grid_id]
                for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
                    duty = rng.choice(duties)
                    hh: list[int | None] = [*homes.get(grid_id, [])] or [None]
                    entries.append(LogEntry(worker_id=user_id, grid_id=grid_id, region_path=grid.path,
                                            county_id=county.pk, day=day, duty=duty,
                                            summary=rng.choice(SUMMARIES[duty]), household_id=rng.choice(hh),
                                            minutes=rng.choice([20, 30, 40, 60, 90])))
                if rng.random() < 0.12:
                    duty = rng.choice(duties)
                    tasks.append(GridTask(grid_id=grid_id, region_path=grid.path, county_id=county.pk, duty=duty,
                                          title=rng.choice(SUMMARIES[duty]), due_on=day, worker_id=user_id,
                                          created_by_id=leaders.get(grid_id)))
                    closes = (today - day).days > 2 or rng.random() < 0.5
                    if closes and rng.random() < 0.9:
                        entries.append(LogEntry(worker_id=user_id, grid_id=grid_id, region_path=grid.path,
                                                county_id=county.pk, day=day, duty=duty, summary="完成交办任务",
                                                minutes=60))
                        done_by.append(len(entries) - 1)
                    else:
                        done_by.append(None)
        day += dt.timedelta(days=1)
    for task, index in zip(tasks, done_by, strict=True):
        if index is not None:
            task.state, task.closed_at = GridTask.State.DONE, _at(entries[index].day, 17)
        elif (today - task.due_on).days > 10:
            task.state, task.closed_at, task.close_note = GridTask.State.CANCELLED, _at(task.due_on, 18), "已取消"
    GridTask.objects.bulk_create(tasks, batch_size=BATCH)
    for task, index in zip(tasks, done_by, strict=True):
        if index is not None:
            entries[index].task_id = task.pk
    LogEntry.objects.bulk_create(entries, batch_size=BATCH)

    # -- the monthly assessments --------------------------------------------------------------------
    indicators = services._saved_indicators(county.pk)
    assessors = dict(Position.objects.current().filter(role="chief_grid_leader", region__isnull=False,
                                                       region_path__startswith=county.path)
                     .values_list("region_path", "user_id"))
    counts: dict[tuple[int, int, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    days_logged: dict[tuple[int, int, dt.date], set[dt.date]] = defaultdict(set)
    for e in entries:
        key = (e.worker_id, e.grid_id, e.day.replace(day=1))
        counts[key][e.duty] += 1
        days_logged[key].add(e.day)
    assessments, score_rows = [], []
    for month in months:
        for user_id, grid_id in workers:
            grid = grids[grid_id]
            key = (user_id, grid_id, month)
            by_duty = {d: counts[key].get(d, 0) for d in Duty.values}
            lines = []
            for ind in indicators:
                n = by_duty.get(ind.duty, 0) if ind.duty else 0
                base = 0.55 + min(0.4, n / 25)
                lines.append((ind, min(ind.max_score, round(ind.max_score * (base + rng.uniform(-0.05, 0.1))))))
            a = Assessment(worker_id=user_id, grid_id=grid_id, region_path=grid.path, county_id=county.pk,
                           month=month, total=sum(v for _i, v in lines),
                           full_marks=sum(i.max_score for i in indicators),
                           figures={"log_entries": sum(by_duty.values()), "by_duty": by_duty,
                                    "days_logged": len(days_logged[key])},
                           comment=rng.choice(["工作认真负责", "排查及时，台账规范", "需加强信息采集", "服务群众热情"]),
                           assessed_by_id=_assessor(assessors, grid.path),
                           published_at=_at(month + dt.timedelta(days=35), 10))
            assessments.append(a)
            score_rows.append(lines)
    Assessment.objects.bulk_create(assessments, batch_size=BATCH)
    AssessmentScore.objects.bulk_create([AssessmentScore(assessment=a, indicator=i, score=v)
                                         for a, lines in zip(assessments, score_rows, strict=True)
                                         for i, v in lines], batch_size=BATCH)

    updates = _field_updates(county, rng, today, dict(workers), leaders)
    return {"log_entries": len(entries), "tasks": len(tasks), "assessments": len(assessments),
            "indicators": len(indicators), "data_updates": updates}


def _assessor(assessors: dict[str, int], grid_path: str) -> int | None:
    for path, user_id in assessors.items():
        if grid_path.startswith(path):
            return user_id
    return None


def _field_updates(county: Region, rng: random.Random, today: dt.date, worker_of: dict[int, int],
                   leaders: dict[int, int]) -> int:
    """A year of data updates: most approved (and applied), some rejected, the latest waiting."""
    households = list(Household.objects.filter(county=county).order_by("id").values_list(
        "id", "village_id", "region_path", "grid_id", "number"))
    if not households:
        return 0
    n = max(4, round(UPDATES * len(households) / HOUSEHOLDS))
    secretaries = dict(Position.objects.current().filter(role="village_secretary", region__isnull=False,
                                                         region_path__startswith=county.path)
                       .values_list("region_id", "user_id"))
    grid_worker = {g: u for u, g in worker_of.items()}
    residents = defaultdict(list)
    for rid, hid, birth in Resident.objects.filter(county=county, status="active").values_list(
            "id", "household_id", "birth_date"):
        residents[hid].append((rid, birth))
    numbers = [h[4] for h in households]
    rows, applied_phone, applied_death, births = [], {}, [], []
    start = today - dt.timedelta(days=364)
    for _ in range(n):
        hid, village_id, path, grid_id, _number = rng.choice(households)
        people = residents.get(hid) or []
        kind = rng.choices(["birth", "move", "death", "phone"], weights=[20, 15, 15, 50])[0]
        if kind != "birth" and not people:
            kind = "birth"
        reported = start + dt.timedelta(days=rng.randrange(364))
        age = (today - reported).days
        state = "pending" if age < 14 else "rejected" if rng.random() < 0.06 else "approved"
        if kind == "move" and state == "approved":
            state = "pending" if age < 30 else "rejected"  # moves are applied by hand in the demo
        resident_id = None
        if kind == "birth":
            born = max(start, reported - dt.timedelta(days=rng.randrange(5, 40)))
            male = rng.random() < 0.52
            data = {"name": rng.choice(["张", "王", "李", "赵"]) + rng.choice(["浩宇", "子轩", "俊杰"] if male
                                                                            else ["欣怡", "一诺", "子涵"]),
                    "gender": "M" if male else "F", "birth_date": born.isoformat(),
                    "relation": rng.choice(["grandson", "son"] if male else ["granddaughter", "daughter"]),
                    "id_number": ""}
        else:
            resident_id, _birth = rng.choice(people)
            if kind == "phone":
                data = {"phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"}
            elif kind == "death":
                data = {"died_on": (reported - dt.timedelta(days=rng.randrange(1, 10))).isoformat()}
            else:
                data = {"to_household": rng.choice(numbers), "relation": "other", "reason": "随子女居住"}
        update = FieldUpdate(kind=kind, household_id=hid, resident_id=resident_id, village_id=village_id,
                             region_path=path, county=county, data=data, state=state,
                             reported_by_id=grid_worker.get(grid_id) or leaders.get(grid_id),
                             reviewed_by_id=secretaries.get(village_id) if state != "pending" else None,
                             reviewed_at=_at(reported + dt.timedelta(days=2), 10) if state != "pending" else None,
                             review_note="信息有误，请核实" if state == "rejected" else "",
                             state_changed_at=_at(reported + dt.timedelta(days=2 if state != "pending" else 0), 10))
        update._reported = reported  # type: ignore[attr-defined]
        rows.append(update)
    # Two waiting reports of the same kind for the same person are not allowed: keep the first.
    seen: set[tuple[Any, str]] = set()
    kept = []
    for u in rows:
        key = (u.resident_id, u.kind)
        if u.state == "pending" and u.resident_id is not None:
            if key in seen:
                continue
            seen.add(key)
        if u.state == "approved" and u.kind == "death":
            if u.resident_id in applied_death:
                u.state = "rejected"
                u.review_note = "已登记"
            else:
                applied_death.append(u.resident_id)
        if u.state == "approved" and u.kind == "phone":
            applied_phone[u.resident_id] = u.data["phone"]
        kept.append(u)
    for u in kept:
        if u.state == "approved" and u.kind == "birth":
            d = u.data
            births.append((u, Resident(household_id=u.household_id, name=d["name"], gender=d["gender"],
                                       birth_date=dt.date.fromisoformat(d["birth_date"]), relation=d["relation"],
                                       region_path=u.region_path, county=county)))
    Resident.objects.bulk_create([r for _u, r in births], batch_size=BATCH)
    for u, r in births:
        u.created_resident_id = r.pk
    # Apply the approved changes (a death keeps the person on the roster, no longer living here).
    Resident.objects.filter(pk__in=[r for r in applied_death if r]).update(status=Resident.Status.DECEASED)
    phones = list(Resident.objects.filter(pk__in=list(applied_phone)))
    for r in phones:
        r.phone = applied_phone[r.pk]
    Resident.objects.bulk_update(phones, ["phone"], batch_size=BATCH)
    FieldUpdate.objects.bulk_create(kept, batch_size=BATCH)
    FieldUpdate.objects.bulk_update([_stamp(u) for u in kept], ["reported_at"], batch_size=BATCH)
    ct = ContentType.objects.get_for_model(FieldUpdate)
    history = []
    for u in kept:
        history.append(StateChange(content_type=ct, object_id=u.pk, workflow=UPDATE_FLOW.name, transition="create",
                                   from_state="", to_state="pending", at=u.reported_at or timezone.now()))
        if u.state != "pending":
            history.append(StateChange(content_type=ct, object_id=u.pk, workflow=UPDATE_FLOW.name,
                                       transition="approve" if u.state == "approved" else "reject",
                                       from_state="pending", to_state=u.state, note=u.review_note,
                                       at=u.reviewed_at or u.reported_at))
    StateChange.objects.bulk_create(history, batch_size=BATCH)
    return len(kept)


def _stamp(u: FieldUpdate) -> FieldUpdate:
    u.reported_at = _at(u._reported, 9)  # type: ignore[attr-defined]
    return u

