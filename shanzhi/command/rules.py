"""The early-warning rules. Each looks at the raw records of one county and returns the
alerts it would raise (a key naming its subject and period, a reason, the evidence); the
service ``alerts_raise`` stores those not already open. Reads here are the platform's own
(a periodic job, no viewer); the figures they reuse come from the owning modules
(casework's overdue test, contact's households due)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.casework import selectors as casework
from shanzhi.casework.models import ServiceRequest
from shanzhi.command.models import Rule, Thresholds
from shanzhi.contact import selectors as contact
from shanzhi.core import access, tree
from shanzhi.disputes.models import Dispute, Party, PetitionCase
from shanzhi.people.models import Department
from shanzhi.regions.models import Region, ResidentTag, Tag

VULNERABLE = (Tag.ELDERLY_ALONE, Tag.LEFT_BEHIND_CHILD)
PLATFORM = access.Viewer(is_admin=True)  # the job's own reads: the whole county


@dataclass
class Finding:
    rule: str
    key: str
    region: Region
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    department_id: int | None = None


def thresholds_for(county: Region) -> Thresholds:
    return Thresholds.objects.filter(county=county).first() or Thresholds(county=county)


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    m = day.month - 1 - back
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def dispute_spike(county: Region, t: Thresholds, now: dt.datetime) -> list[Finding]:
    """A village whose disputes this month exceed the mean of its last months by more than
    ``spike_sigmas`` standard deviations (at least the Poisson spread, the square root of the
    mean, so a village with a flat history is not flagged by one dispute)."""
    today = timezone.localdate(now)
    this_month = _month_start(today)
    first = _month_start(today, t.spike_months)
    villages = {v.path: v for v in Region.objects.filter(county=county, level=Region.Level.VILLAGE)}
    if not villages:
        return []
    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    rows = (Dispute.objects.filter(county=county, reported_at__gte=_aware(first)).exclude(state="dismissed")
            .order_by().annotate(m=TruncMonth("reported_at", tzinfo=timezone.get_current_timezone()))
            .values("region_path", "m").annotate(n=Count("id")))
    for row in rows:
        village = _ancestor(row["region_path"], villages)
        if village is None:
            continue
        month = row["m"].date() if isinstance(row["m"], dt.datetime) else row["m"]
        counts[village][month] = counts[village].get(month, 0) + row["n"]
    months = [_month_start(today, i) for i in range(t.spike_months, 0, -1)]
    found = []
    sigmas = float(t.spike_sigmas)
    for path, by_month in counts.items():
        place = villages[path]
        now_n = by_month.get(this_month, 0)
        if now_n < t.spike_minimum:
            continue
        history = [by_month.get(m, 0) for m in months]
        mean = statistics.fmean(history)
        spread = max(statistics.pstdev(history), math.sqrt(mean) if mean else 1.0)
        limit = mean + sigmas * spread
        if now_n > limit:
            found.append(Finding(
                Rule.DISPUTE_SPIKE, f"{place.code}:{this_month:%Y-%m}", place,
                _("%(village)s: %(n)d disputes this month, above its baseline of %(mean).1f (limit %(limit).1f)")
                % {"village": place.name, "n": now_n, "mean": mean, "limit": limit},
                {"month": f"{this_month:%Y-%m}", "count": now_n, "baseline": [
                    {"month": f"{m:%Y-%m}", "count": c} for m, c in zip(months, history, strict=True)],
                 "mean": round(mean, 2), "limit": round(limit, 2)}))
    return found


def _ancestor(path: str, places: dict[str, Region]) -> str | None:
    for p in tree.ancestors(path):
        if p in places:
            return p
    return None


def repeat_parties(county: Region, t: Thresholds, now: dt.datetime) -> list[Finding]:
    """The same person (the disputes module's ``person_key``) a party to ``repeat_party_disputes``
    or more disputes reported within ``repeat_party_days``."""
    since = now - dt.timedelta(days=t.repeat_party_days)
    parties = (Party.objects.filter(dispute__county=county, dispute__reported_at__gte=since)
               .exclude(person_key="").exclude(dispute__state="dismissed")
               .values("person_key").annotate(n=Count("dispute", distinct=True))
               .filter(n__gte=t.repeat_party_disputes))
    keys = [p["person_key"] for p in parties]
    if not keys:
        return []
    by_person: dict[str, list[Any]] = defaultdict(list)
    for row in (Party.objects.filter(person_key__in=keys, dispute__county=county, dispute__reported_at__gte=since)
                .exclude(dispute__state="dismissed").select_related("dispute__region")
                .order_by("dispute__reported_at")):
        by_person[row.person_key].append(row)
    found = []
    for key, rows in by_person.items():
        seen: dict[int, Any] = {}
        for row in rows:
            seen.setdefault(row.dispute_id, row)
        latest = rows[-1]
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]  # no ID number in the key
        found.append(Finding(
            Rule.REPEAT_PARTIES, f"{county.code}:{digest}", latest.dispute.region,
            _("%(name)s is a party to %(n)d disputes in %(days)d days")
            % {"name": latest.name, "n": len(seen), "days": t.repeat_party_days},
            {"party": latest.name, "disputes": [
                {"id": r.dispute_id, "reported": r.dispute.reported_at.date().isoformat(), "summary":
                 r.dispute.summary[:80]} for r in seen.values()]}))
    return found


def request_burst(county: Region, t: Thresholds, now: dt.datetime) -> list[Finding]:
    """``burst_requests`` or more requests of one category in one grid within ``burst_hours``
    (a likely common cause: a burst water main)."""
    since = now - dt.timedelta(hours=t.burst_hours)
    grids = {g.path: g for g in Region.objects.filter(county=county, level=Region.Level.GRID)}
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for pk, path, category_id, category in (ServiceRequest.objects.filter(county=county, submitted_at__gte=since)
                                            .exclude(state="merged")
                                            .values_list("pk", "region_path", "category_id", "category__name")):
        grid = _ancestor(path, grids)
        if grid is not None:
            groups[(grid, category_id)].append(pk)
            names[category_id] = category
    found = []
    for (grid_path, category_id), ids in groups.items():
        if len(ids) >= t.burst_requests:
            cell = grids[grid_path]
            window_end = timezone.localdate(now)
            found.append(Finding(
                Rule.REQUEST_BURST, f"{cell.code}:{category_id}:{window_end:%Y-%m-%d}", cell,
                _("%(grid)s: %(n)d requests about %(category)s in %(hours)d hours")
                % {"grid": cell.name, "n": len(ids), "category": names[category_id], "hours": t.burst_hours},
                {"category": names[category_id], "requests": sorted(ids)}))
    return found


def department_overdue(county: Region, t: Thresholds, now: dt.datetime) -> list[Finding]:
    """``overdue_per_department`` or more overdue requests held by one department (casework's
    own overdue test)."""
    rows = (ServiceRequest.objects.filter(casework.overdue_q(now), county=county,
                                          assignee_department__isnull=False, handler_kind="department")
            .values("assignee_department").annotate(n=Count("id")).filter(n__gte=t.overdue_per_department))
    found = []
    for row in rows:
        department = Department.objects.select_related().get(pk=row["assignee_department"])
        ids = list(ServiceRequest.objects.filter(casework.overdue_q(now), county=county, handler_kind="department",
                                                 assignee_department=department).order_by("resolve_due")
                   .values_list("pk", flat=True)[:50])
        found.append(Finding(
            Rule.DEPARTMENT_OVERDUE, f"{department.pk}:{timezone.localdate(now):%Y-%W}", county,
            _("%(department)s holds %(n)d overdue requests") % {"department": department.name, "n": row["n"]},
            {"department": department.name, "count": row["n"], "requests": ids}, department_id=department.pk))
    return found


def vulnerable_unvisited(county: Region, t: Thresholds, now: dt.datetime) -> list[Finding]:
    """Households with an elderly person living alone or a left-behind child whose contact
    has not visited within their interval (contact's own list of households due), one alert
    per village."""
    due = (contact.households_due(PLATFORM, region=county, on=timezone.localdate(now))
           .filter(Exists(ResidentTag.objects.filter(resident__household=OuterRef("household_id"),
                                                     resident__status="active",
                                                     tag__in=[str(tag) for tag in VULNERABLE]))))
    by_village: dict[int, list[Any]] = defaultdict(list)
    for a in due:
        by_village[a.village_id].append(a)
    found = []
    for rows in by_village.values():
        village = rows[0].village
        found.append(Finding(
            Rule.VULNERABLE_UNVISITED, f"{village.code}:{timezone.localdate(now):%Y-%m}", village,
            _("%(village)s: %(n)d vulnerable households not visited within their interval")
            % {"village": village.name, "n": len(rows)},
            {"households": [{"id": a.household_id, "number": a.household.number, "last_seen": a.seen.isoformat(),
                             "interval_days": a.interval, "member": a.member.name} for a in rows[:100]]}))
    return found


def petition_repeat(county: Region, t: Thresholds, now: dt.datetime) -> list[Finding]:
    """An open petition with ``petition_repeats`` or more earlier petitions on the same matter."""
    found = []
    for case in (PetitionCase.objects.filter(county=county, repeat_count__gte=t.petition_repeats)
                 .exclude(state__in=["closed", "not_accepted"]).select_related("region")):
        root = case.repeat_of_id or case.pk
        found.append(Finding(
            Rule.PETITION_REPEAT, f"{root}", case.region,
            _("Petition %(id)d repeats a matter petitioned %(n)d times before: %(subject)s")
            % {"id": case.pk, "n": case.repeat_count, "subject": case.subject},
            {"petition": case.pk, "repeats": case.repeat_of_id, "earlier": case.repeat_count,
             "subject": case.subject}))
    return found


RULES = {
    Rule.DISPUTE_SPIKE: dispute_spike,
    Rule.REPEAT_PARTIES: repeat_parties,
    Rule.REQUEST_BURST: request_burst,
    Rule.DEPARTMENT_OVERDUE: department_overdue,
    Rule.VULNERABLE_UNVISITED: vulnerable_unvisited,
    Rule.PETITION_REPEAT: petition_repeat,
}


def evaluate(county: Region, *, now: dt.datetime | None = None) -> list[Finding]:
    now = now or timezone.now()
    t = thresholds_for(county)
    return [f for rule in RULES.values() for f in rule(county, t, now)]
