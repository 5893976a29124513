"""A year of request history for the demo county, shaped like Huachi's figures (seed 000):
about one request per household a year across the categories and villages, handled more and
more quickly (the average response falls from 48 hours at the start of the year to about 6
at its end), most resolved and rated, a few rejected, reopened or escalated, and some open
past their deadline.

``build_demo(county, rng, stdout)`` adds it to a county the demo generator built: bulk
inserts, deterministic for a given ``rng``; it leaves a county that already has requests as
it is. It also installs the default categories and the demo Open311 client (whose key,
``open311.DEMO_API_KEY``, the README lists).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from shanzhi.casework import services
from shanzhi.casework.flow import REQUEST_FLOW, State
from shanzhi.casework.models import Category, Channel, HandlerKind, Open311Client, ServiceRequest
from shanzhi.casework.open311 import DEMO_API_KEY
from shanzhi.core import tree
from shanzhi.core.models import StateChange
from shanzhi.core.tiers import Level, handling_path
from shanzhi.people.models import Department
from shanzhi.regions.models import Household, Region, Resident

DAYS = 365
START_RESPONSE_HOURS = 48.0
END_RESPONSE_HOURS = 6.0
PER_HOUSEHOLD = 1.1
BATCH = 2000

# How often each category comes up, and what residents write.
WEIGHTS = {"water": 18, "roads": 14, "environment": 16, "security": 5, "neighbourhood": 12, "assistance": 8,
           "housing": 6, "errand": 16, "other": 5}
TEXTS = {
    "water": ["自来水管冻裂漏水", "家里停水两天了", "水压太小,二楼上不去水", "入户水表损坏", "饮水工程管道堵塞"],
    "roads": ["村道出现大坑,车辆难行", "雨后路面塌陷", "桥边护栏损坏", "路灯不亮", "通组道路需要硬化"],
    "environment": ["垃圾池满了没人清运", "河道里漂浮垃圾", "养殖场异味扰民", "公厕堵塞", "秸秆焚烧烟雾大"],
    "security": ["夜里有陌生人在村里转悠", "电动车被盗", "有人聚众赌博", "电信诈骗电话频繁"],
    "neighbourhood": ["邻居宅基地边界纠纷", "邻居噪音扰民", "院墙排水流到我家", "牲畜啃食庄稼引起纠纷"],
    "assistance": ["申请临时救助", "低保资格咨询", "独居老人需要照料", "残疾人补贴未到账"],
    "housing": ["危房改造申请", "宅基地审批进度", "房屋漏雨需要维修", "土地确权信息有误"],
    "errand": ["代办医保续费", "代办养老保险资格认证", "代办身份证换领", "代办残疾证申请", "代办社保卡挂失"],
    "other": ["希望村里安装健身器材", "建议增加公交班次", "咨询种植补贴政策"],
}
RESULTS = ["已上门处理完毕", "已更换损坏部件", "已协调相关部门解决", "已调解,双方达成一致", "已办结并反馈群众"]
COMMENTS = ["处理及时,非常满意", "态度很好", "解决了大问题", "速度还可以", "", "", "希望以后更快一些"]
CHANNELS = [(Channel.RESIDENT, 50), (Channel.GRID, 30), (Channel.HOTLINE, 10), (Channel.SERVICE_CENTRE, 10)]


def _lognormal(rng: random.Random, mean: float, sigma: float = 0.8) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs], k=1)[0]


def build_demo(county: Region, rng: random.Random, stdout: Any = None, *, per_household: float = PER_HOUSEHOLD,
               now: dt.datetime | None = None) -> int:
    """Add a year of requests to ``county``; returns how many were written."""
    now = now or timezone.now()
    services.categories_install_defaults(actor=None, county=county)
    if not Open311Client.objects.filter(key_hash=services.open311_key_hash(DEMO_API_KEY)).exists():
        services.open311_client_create(actor=None, county=county, name="Open311 演示客户端", key=DEMO_API_KEY)
    if ServiceRequest.objects.filter(county=county).exists():
        return 0
    categories = {c.code: c for c in Category.objects.filter(county=county)}
    rules = {c.code: services.route(c, county.path) for c in categories.values()}
    households = list(Household.objects.filter(county=county).order_by("id").values_list(
        "id", "region_path", "address", "grid_id", "micro_grid_id", "village_id"))
    if not households:
        return 0
    heads = dict(Resident.objects.filter(household_id__in=[h[0] for h in households], relation="head",
                                         status="active").values_list("household_id", "id"))
    head_names = dict(Resident.objects.filter(pk__in=heads.values()).values_list("id", "name"))
    department_level = {d.pk: services.level_of_region(d.region.level)
                        for d in Department.objects.filter(tree.under(county.path)).select_related("region")}
    total = int(len(households) * per_household)
    codes = [(code, WEIGHTS.get(code, 1)) for code in categories]
    content_type_id = _content_type_id()
    written = 0
    for start in range(0, total, BATCH):
        rows: list[ServiceRequest] = []
        plans: list[list[tuple[str, str, str, dt.datetime, str]]] = []
        for _ in range(min(BATCH, total - start)):
            hid, path, address, grid_id, micro_id, village_id = households[rng.randrange(len(households))]
            category = categories[_weighted(rng, codes)]
            rule = rules[category.code]
            req, steps = _one(rng, now, county, category, rule, department_level, hid, path, address,
                              micro_id or grid_id or village_id, heads.get(hid), head_names)
            rows.append(req)
            plans.append(steps)
        with transaction.atomic():
            ServiceRequest.objects.bulk_create(rows, batch_size=500)
            history = [StateChange(content_type_id=content_type_id, object_id=req.pk, workflow=REQUEST_FLOW.name,
                                   transition=name, from_state=before, to_state=after, actor=None, actor_name=who,
                                   note=note, internal=name == "return", at=at)
                       for req, steps in zip(rows, plans, strict=True)
                       for name, before, after, at, who, note in _steps(steps)]
            StateChange.objects.bulk_create(history, batch_size=1000)
        written += len(rows)
        if stdout is not None:
            stdout.write(f"  requests: {written}/{total}\n")
    return written


def _content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(ServiceRequest).pk


def _steps(steps: list[tuple[str, str, str, dt.datetime, str]]) -> list[tuple[str, str, str, dt.datetime, str, str]]:
    out = []
    state = ""
    for name, target, who, at, note in steps:
        out.append((name, state, target, at, who, note))
        state = target
    return out


def _one(rng: random.Random, now: dt.datetime, county: Region, category: Category, rule: Any,
         department_level: dict[int, str], household_id: int, region_path: str, address: str, region_id: int,
         resident_id: int | None, head_names: dict[int, str]) -> tuple[ServiceRequest, list[Any]]:
    age_days = rng.random() ** 0.9 * DAYS
    submitted = now - dt.timedelta(days=age_days)
    progress = 1 - age_days / DAYS  # 0 a year ago, 1 today
    mean_response = START_RESPONSE_HOURS * (END_RESPONSE_HOURS / START_RESPONSE_HOURS) ** progress
    response_h = max(0.2, _lognormal(rng, mean_response))
    resolve_h = response_h + max(1.0, _lognormal(rng, 24 * (1.5 + 2.5 * (1 - progress)) * (
        1.5 if category.default_level != Level.VILLAGE else 1.0)))
    channel = _weighted(rng, CHANNELS)
    level = category.default_level
    req = ServiceRequest(
        county=county, region_id=region_id, region_path=region_path, category=category,
        description=rng.choice(TEXTS.get(category.code, TEXTS["other"])), address=address,
        household_id=household_id if channel != Channel.GRID or rng.random() < 0.6 else None,
        resident_id=resident_id, contact_name=head_names.get(resident_id or 0, ""), channel=channel,
        state=State.SUBMITTED, level=level, submitted_at=submitted, state_changed_at=submitted,
        response_due=services.response_deadline(category, submitted),
        resolve_due=services.resolve_deadline(category, submitted),
    )
    if req.household_id is None:
        req.resident_id = None
        req.contact_name = ""
    req.handling_path = handling_path(level, region_path, county.path)
    staff = {Channel.GRID: "网格员", Channel.HOTLINE: "12345热线", Channel.SERVICE_CENTRE: "党群服务中心"}
    steps: list[Any] = [("create", State.SUBMITTED, staff.get(channel, ""), submitted, "")]
    fate = rng.random()
    stuck = fate < 0.03 and age_days > 1
    if fate > 0.97:  # not a matter for government
        at = submitted + dt.timedelta(hours=response_h)
        if at < now:
            reason = "属于民事合同纠纷,建议通过法律途径解决"
            req.state, req.rejection_reason, req.closed_at, req.state_changed_at = State.REJECTED, reason, at, at
            steps.append(("reject", State.REJECTED, "网格长", at, reason))
            return req, steps
    if rule is not None and rng.random() < 0.75:
        req.handler_kind, req.assignee_department_id = HandlerKind.DEPARTMENT, rule.department_id
        handler = rule.department.name
    else:
        req.handler_kind, handler = HandlerKind.LEVEL, "网格员" if level == Level.VILLAGE else "乡镇工作人员"
    dispatched = submitted + dt.timedelta(hours=response_h * rng.uniform(0.2, 0.7))
    accepted = submitted + dt.timedelta(hours=response_h)
    resolved = submitted + dt.timedelta(hours=resolve_h)
    if stuck:
        # Past its deadlines and escalated: what the overdue list and the sweep are for.
        up = Level.COUNTY if level == Level.TOWNSHIP or rng.random() < 0.3 else Level.TOWNSHIP
        at = min(now, req.response_due + dt.timedelta(minutes=5))
        req.state, req.level, req.escalated_at, req.state_changed_at = State.ESCALATED, up, at, at
        req.handling_path = handling_path(up, region_path, county.path)
        req.escalation_count = 1 if up == Level.TOWNSHIP or level == Level.TOWNSHIP else 2
        req.escalation_due = None if up == Level.COUNTY else now + dt.timedelta(hours=rng.uniform(1, 20))
        req.handler_kind, req.assignee_department_id = "", None
        steps.append(("escalate", State.ESCALATED, "", at, "超时未响应,自动上报"))
        return req, steps
    if dispatched > now:
        req.escalation_due = req.response_due
        return req, steps
    req.state, req.dispatched_at, req.state_changed_at = State.DISPATCHED, dispatched, dispatched
    steps.append(("dispatch", State.DISPATCHED, "网格长", dispatched, ""))
    if accepted > now:
        req.escalation_due = req.response_due
        return req, steps
    req.state, req.accepted_at, req.state_changed_at = State.ACCEPTED, accepted, accepted
    req.response_seconds = int((accepted - submitted).total_seconds())
    req.responded_on_time = accepted <= req.response_due
    req.escalation_due = req.resolve_due if req.resolve_due > accepted else None
    steps.append(("accept", State.ACCEPTED, handler, accepted, ""))
    started = accepted + (resolved - accepted) * 0.2
    if started <= now:
        req.state, req.state_changed_at = State.IN_PROGRESS, started
        steps.append(("start", State.IN_PROGRESS, handler, started, ""))
    if resolved > now:
        if req.escalation_due is None or req.escalation_due < now:
            req.escalation_due = now + dt.timedelta(hours=rng.uniform(2, 48))
        return req, steps
    result = rng.choice(RESULTS)
    reopened = rng.random() < 0.04
    if reopened:
        first = resolved - (resolved - accepted) * 0.4
        steps.append(("resolve", State.RESOLVED, handler, first, result))
        back = first + dt.timedelta(hours=rng.uniform(2, 48))
        steps.append(("reopen", State.REOPENED, req.contact_name, back, "问题没有彻底解决"))
        again = back + dt.timedelta(hours=rng.uniform(1, 12))
        steps.append(("accept", State.ACCEPTED, handler, again, ""))
        resolved = max(resolved, again + dt.timedelta(hours=rng.uniform(2, 24)))
        req.reopen_count = 1
        if resolved > now:
            req.state, req.state_changed_at = State.ACCEPTED, again
            req.escalation_due = now + dt.timedelta(hours=rng.uniform(2, 48))
            return req, steps
    req.state, req.resolved_at, req.state_changed_at, req.result_note = State.RESOLVED, resolved, resolved, result
    req.resolve_seconds = int((resolved - submitted).total_seconds())
    req.resolved_on_time = resolved <= req.resolve_due
    req.resolved_level = (department_level.get(req.assignee_department_id or 0, Level.COUNTY)
                          if req.handler_kind == HandlerKind.DEPARTMENT else level)
    req.escalation_due = None
    req.auto_close_at = resolved + services.AUTO_CLOSE_AFTER
    steps.append(("resolve", State.RESOLVED, handler, resolved, result))
    if rng.random() < 0.78 and req.household_id:
        rated = resolved + dt.timedelta(hours=rng.uniform(1, 72))
        if rated <= now:
            late = not (req.responded_on_time and req.resolved_on_time)
            stars = _weighted(rng, [(5, 55), (4, 30), (3, 9), (2, 4), (1, 2)] if not late
                              else [(5, 30), (4, 35), (3, 20), (2, 10), (1, 5)])
            comment = rng.choice(COMMENTS)
            req.state, req.rating, req.rating_comment, req.state_changed_at = State.RATED, stars, comment, rated
            steps.append(("rate", State.RATED, req.contact_name, rated, comment))
    if req.auto_close_at <= now:
        closed = req.auto_close_at
        req.closed_at, req.auto_close_at, req.state_changed_at = closed, None, closed
        steps.append(("close", State.CLOSED, "", closed, "处理完毕7天后自动办结"))
        req.state = State.CLOSED
    return req, steps
