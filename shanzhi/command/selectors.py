"""The command centre's reads. Every figure comes from the selector of the module that owns
it (requests from casework, disputes from disputes, points from points, visits from
contact, grids from regions, disclosure from deliberation), called for the viewer and the
region they drilled into; a module the viewer's roles do not cover leaves its section out.
The lists behind the numbers are the owning modules' list selectors, narrowed the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.casework import selectors as casework
from shanzhi.command import rollups
from shanzhi.command.models import ALERT_OPEN, Alert
from shanzhi.contact import selectors as contact
from shanzhi.core import access, tree
from shanzhi.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from shanzhi.deliberation import selectors as deliberation
from shanzhi.disputes import selectors as disputes
from shanzhi.points import selectors as points
from shanzhi.regions import selectors as regions
from shanzhi.regions.models import Region

DRILL_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE, Region.Level.GROUP,
                Region.Level.GRID)


def _viewer(who: Any) -> access.Viewer:
    return who if isinstance(who, access.Viewer) else access.viewer_for(who)


def region_for(who: Any, code: str | None = None) -> Region:
    """The place the viewer looks at: ``code`` (checked: out of scope is not found, a place
    they only see from below is forbidden), else the top of their own places."""
    v = _viewer(who)
    if code:
        region = Region.objects.filter(code=str(code)[:20]).select_related("county", "parent").first()
        if region is None:
            raise NotFound(field="region")
        access.require(v, "command.dashboard", region, view_action="region.view")
        return region
    paths = v.paths_for("command.dashboard", department_grants=False)
    qs = Region.objects.select_related("county", "parent")
    found = (qs.filter(path=paths[0]).first() if paths
             else qs.filter(level=Region.Level.COUNTY).order_by("path").first() if v.is_admin else None)
    if found is None:
        raise PermissionDenied()
    return found


# -- periods ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    key: str
    since: dt.datetime
    until: dt.datetime

    def last_year(self) -> Period:
        return Period(self.key, _year_back(self.since), _year_back(self.until))


def _year_back(moment: dt.datetime) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


PERIODS = ("today", "week", "month", "quarter", "year")


def period(key: str = "month", *, now: dt.datetime | None = None) -> Period:
    """[since, until) of the current day, week, month, quarter or year (to ``now``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if key == "today":
        since = _start(today)
    elif key == "week":
        since = _start(today - dt.timedelta(days=today.weekday()))
    elif key == "month":
        since = _start(today.replace(day=1))
    elif key == "quarter":
        since = _start(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1))
    elif key == "year":
        since = _start(today.replace(month=1, day=1))
    else:
        raise ValidationError(_("Choose one of: %(names)s.") % {"names": ", ".join(PERIODS)}, field="period")
    return Period(key, since, now)


def month_period(year: int, month: int, months: int = 1) -> Period:
    """A whole calendar month (or quarter, ``months=3``) for reports."""
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise ValidationError(_("Name a month between 2000 and 2100."), field="month")
    since = _start(dt.date(year, month, 1))
    end_month = month - 1 + months
    until = _start(dt.date(year + end_month // 12, end_month % 12 + 1, 1))
    return Period(f"{year}-{month:02d}", since, until)


# -- the dashboard ----------------------------------------------------------------------------

@dataclass
class Dashboard:
    region: Region
    period: Period
    requests_now: casework.Figures | None = None  # everything filed: open, overdue
    requests: casework.Figures | None = None  # filed in the period: times, rates
    requests_today: int | None = None
    disputes_now: disputes.Figures | None = None
    disputes: disputes.Figures | None = None
    screening: Any = None  # disputes' screening coverage
    points: points.Figures | None = None
    contact: contact.Coverage | None = None
    grids: regions.Coverage | None = None
    late_villages: int | None = None
    open_alerts: int | None = None
    missing: list[str] = field(default_factory=list)


def _try(fn: Callable[[], Any]) -> Any:
    """A module the viewer's roles do not reach (or that has nothing here) leaves a gap."""
    try:
        return fn()
    except (PermissionDenied, NotFound):
        return None


# -- figures from the rollups ------------------------------------------------------------------

ROLLUP_ACTIONS = {"request": "request.stats", "dispute": "dispute.stats"}


def from_rollups(v: access.Viewer, source: str, region: Region) -> bool:
    """The rollups answer when they have run and the viewer's statistics cover the whole
    place (a department's or a person's narrower view is counted live)."""
    action = ROLLUP_ACTIONS[source]
    if not v.is_admin and not any(region.path.startswith(p) for p in v.paths_for(action, department_grants=False)):
        if not v.paths_for(action):
            raise PermissionDenied()
        return False
    return rollups.ready(source)


def _share(part: Any, whole: Any) -> float | None:
    return None if not whole else round(part / whole, 4)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def request_figures(s: rollups.Sums, key: str = "all", label: str = "") -> casework.Figures:
    """casework's Figures from rolled-up sums (the same formulas as ``casework.stats``)."""
    x = s.values.get
    resolved = x("resolved", 0)
    return casework.Figures(
        key=key, label=label or str(_("all")), count=x("n", 0), open=x("open", 0), overdue=s.overdue,
        resolved=resolved,
        avg_response_hours=_hours(x("response_sum", 0) / x("response_n")) if x("response_n") else None,
        p90_response_hours=_hours(rollups.hist_percentile(s.hist.get("response", {}), 0.9)),
        avg_resolve_hours=_hours(x("resolve_sum", 0) / x("resolve_n")) if x("resolve_n") else None,
        p90_resolve_hours=_hours(rollups.hist_percentile(s.hist.get("resolve", {}), 0.9)),
        responded_on_time_rate=_share(x("responded_ok", 0), x("responded", 0)),
        resolved_on_time_rate=_share(x("resolved_ok", 0), x("resolved_timed", 0)),
        rated=x("rated", 0),
        satisfaction=round(x("rating_sum", 0) / x("rating_n"), 2) if x("rating_n") else None,
        satisfied_rate=_share(x("satisfied", 0), x("rated", 0)), reopen_rate=_share(x("reopened", 0), resolved),
        resolved_at={lvl: _share(x(f"at_{lvl}", 0), resolved) for lvl in ("village", "township", "county")})


def dispute_figures(s: rollups.Sums, key: str = "all", label: str = "") -> disputes.Figures:
    """disputes' Figures from rolled-up sums (as ``disputes.stats``; follow-ups not rolled up)."""
    x = s.values.get
    n, settled = x("n", 0), x("settled", 0)
    return disputes.Figures(
        key=key, label=label or str(_("all")), count=n, six=x("six", 0), open=x("open", 0), overdue=s.overdue,
        settled=settled, referred=x("referred", 0), withdrawn=x("withdrawn", 0), escalated=x("escalated", 0),
        on_the_spot=x("on_the_spot", 0), repeat=x("repeat", 0),
        success_rate=_share(settled, settled + x("referred", 0)), six_share=_share(x("six", 0), n),
        on_the_spot_share=_share(x("on_the_spot", 0), n),
        settled_at={lvl: _share(x(f"at_{lvl}", 0), settled) for lvl in ("village", "township", "county")},
        settled_count_at={lvl: x(f"at_{lvl}", 0) for lvl in ("village", "township", "county")},
        avg_days_to_settle=round(x("settle_days_sum", 0) / x("settle_days_n"), 2) if x("settle_days_n") else None)


# What the dashboard shows of everything filed so far: the count, the open and the overdue.
NOW_KEYS = ("n", "open")


def _requests_totals(v: access.Viewer, region: Region, since: dt.datetime | None = None,
                     until: dt.datetime | None = None, now: dt.datetime | None = None,
                     hist: bool = True) -> casework.Figures:
    if from_rollups(v, "request", region):
        return request_figures(rollups.sums("request", region.path, since=since, until=until, now=now, hist=hist,
                                            only=None if hist else NOW_KEYS))
    return casework.totals(v, region=region, since=since, until=until, now=now)


def _disputes_totals(v: access.Viewer, region: Region, since: dt.datetime | None = None,
                     until: dt.datetime | None = None, now: dt.datetime | None = None,
                     counts_only: bool = False) -> disputes.Figures:
    if from_rollups(v, "dispute", region):
        return dispute_figures(rollups.sums("dispute", region.path, since=since, until=until, now=now,
                                            hist=False, only=NOW_KEYS if counts_only else None))
    return disputes.totals(v, region=region, since=since, until=until, now=now)


def dashboard(who: Any, region: Region, per: Period, *, now: dt.datetime | None = None) -> Dashboard:
    """Requests' and disputes' figures from the rollups (at most one run, a minute, behind
    the data), the smaller modules' from their selectors."""
    v = _viewer(who)
    now = now or timezone.now()
    d = Dashboard(region=region, period=per)
    d.requests_now = _try(lambda: _requests_totals(v, region, now=now, hist=False))
    d.requests = _try(lambda: _requests_totals(v, region, per.since, per.until, now=now))
    today = _try(lambda: _requests_totals(v, region, _start(timezone.localdate(now)), now=now, hist=False))
    d.requests_today = today.count if today is not None else None
    d.disputes_now = _try(lambda: _disputes_totals(v, region, now=now, counts_only=True))
    d.disputes = _try(lambda: _disputes_totals(v, region, per.since, per.until, now=now))
    d.screening = _try(lambda: disputes.screening_coverage(v, region=region))
    d.points = _try(lambda: points.figures(v, region, timezone.localdate(now).year))
    d.contact = _try(lambda: contact.coverage(v, region, on=timezone.localdate(now)))
    d.grids = _try(lambda: regions.coverage(v, region=region))
    late = _try(lambda: deliberation.late_disclosures(v, region=region, on=timezone.localdate(now)))
    d.late_villages = None if late is None else len({s.village.pk for s in late})
    d.open_alerts = alerts(v, region=region, state="open").count()
    return d


@dataclass
class ChildRow:
    region: Region
    requests: casework.Figures | None
    disputes: disputes.Figures | None


def children(who: Any, region: Region, per: Period, *, now: dt.datetime | None = None) -> list[ChildRow]:
    """The same figures for each place one level down (the drill-down table): the modules'
    statistics grouped by region, a few queries whatever the number of places."""
    v = _viewer(who)
    if region.level >= Region.Level.GRID:
        return []
    kids = list(regions.region_children(v, region).order_by("code"))

    def rolled(source: str, build: Callable[..., Any]) -> list[Any]:
        found = rollups.children_sums(source, region.path, since=per.since, until=per.until, now=now)
        return [build(found[k.path], key=k.code, label=k.name) for k in kids if k.path in found]

    req = _try(lambda: rolled("request", request_figures) if from_rollups(v, "request", region) else
               casework.stats(v, by="region", region=region, since=per.since, until=per.until, now=now))
    dis = _try(lambda: rolled("dispute", dispute_figures) if from_rollups(v, "dispute", region) else
               disputes.stats(v, by="region", region=region, since=per.since, until=per.until, now=now))
    req_by = {f.key: f for f in req or []}
    dis_by = {f.key: f for f in dis or []}
    return [ChildRow(k, req_by.get(k.code), dis_by.get(k.code)) for k in kids]


# -- trends -----------------------------------------------------------------------------------

TRENDS = {"day": (TruncDate, 14), "week": (TruncWeek, 12), "month": (TruncMonth, 12)}


@dataclass
class Trend:
    unit: str
    labels: list[str]
    requests: list[int]
    requests_last_year: list[int]
    disputes: list[int]
    disputes_last_year: list[int]


def _buckets(unit: str, now: dt.datetime) -> list[dt.date]:
    today = timezone.localdate(now)
    n = TRENDS[unit][1]
    if unit == "day":
        return [today - dt.timedelta(days=i) for i in range(n - 1, -1, -1)]
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return [monday - dt.timedelta(weeks=i) for i in range(n - 1, -1, -1)]
    first = today.replace(day=1)
    out = []
    for i in range(n - 1, -1, -1):
        m = first.month - 1 - i
        out.append(dt.date(first.year + m // 12, m % 12 + 1, 1))
    return out


def _day_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _counts(qs: QuerySet[Any], field_name: str, unit: str, keys: list[dt.date]) -> list[int]:
    trunc = TRENDS[unit][0]
    tz = timezone.get_current_timezone()
    since = _start(keys[0])
    rows = (qs.order_by().filter(**{f"{field_name}__gte": since})
            .annotate(b=trunc(field_name, tzinfo=tz)).values("b").annotate(n=Count("id")))
    found: dict[dt.date, int] = {}
    for row in rows:
        b = row["b"]
        day = b.date() if isinstance(b, dt.datetime) else b
        found[day] = found.get(day, 0) + row["n"]
    return [found.get(k, 0) for k in keys]


def _bucket_end(unit: str, key: dt.date) -> dt.date:
    if unit == "day":
        return key
    if unit == "week":
        return key + dt.timedelta(days=6)
    return (key.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _rolled_counts(source: str, region: Region, unit: str, keys: list[dt.date], now: dt.datetime) -> list[int]:
    per_day = rollups.daily(source, region.path, keys[0], _bucket_end(unit, keys[-1]))
    return [sum(n for day, n in per_day.items() if k <= day <= _bucket_end(unit, k)) for k in keys]


def trend(who: Any, region: Region, unit: str = "month", *, now: dt.datetime | None = None) -> Trend:
    """Requests filed and disputes reported per day (14), week (12) or month (12), and the
    same periods a year earlier, from the modules' own scoped lists."""
    if unit not in TRENDS:
        raise ValidationError(_("Choose one of: %(names)s.") % {"names": ", ".join(TRENDS)}, field="unit")
    v = _viewer(who)
    now = now or timezone.now()
    keys = _buckets(unit, now)
    back = [k - dt.timedelta(weeks=52) for k in keys] if unit == "week" else [_day_back(k) for k in keys]
    req = _try(lambda: casework.requests(v, region=region, now=now).exclude(state="merged"))
    dis = _try(lambda: disputes.disputes(v, region=region, now=now).exclude(state="dismissed"))
    fmt = {"day": "%m-%d", "week": "%m-%d", "month": "%Y-%m"}[unit]
    if _try(lambda: from_rollups(v, "request", region)) and _try(lambda: from_rollups(v, "dispute", region)):
        return Trend(unit=unit, labels=[k.strftime(fmt) for k in keys],
                     requests=_rolled_counts("request", region, unit, keys, now),
                     requests_last_year=_rolled_counts("request", region, unit, back, now),
                     disputes=_rolled_counts("dispute", region, unit, keys, now),
                     disputes_last_year=_rolled_counts("dispute", region, unit, back, now))
    return Trend(
        unit=unit, labels=[k.strftime(fmt) for k in keys],
        requests=_counts(req, "submitted_at", unit, keys) if req is not None else [0] * len(keys),
        requests_last_year=_counts(req, "submitted_at", unit, back) if req is not None else [0] * len(keys),
        disputes=_counts(dis, "reported_at", unit, keys) if dis is not None else [0] * len(keys),
        disputes_last_year=_counts(dis, "reported_at", unit, back) if dis is not None else [0] * len(keys),
    )


# -- the lists behind the numbers -------------------------------------------------------------

LISTS = ("requests_today", "requests_open", "requests_overdue", "requests_period", "disputes_open",
         "disputes_overdue", "disputes_period", "contact_due", "alerts_open")


def listing(who: Any, figure: str, region: Region, per: Period, *, now: dt.datetime | None = None
            ) -> QuerySet[Any]:
    """The records counted by one figure of the dashboard, from the owning module's list."""
    v = _viewer(who)
    now = now or timezone.now()
    if figure == "requests_today":
        return casework.requests(v, region=region, now=now).exclude(state="merged").filter(
            submitted_at__gte=_start(timezone.localdate(now)))
    if figure == "requests_open":
        return casework.requests(v, queue="open", region=region, now=now)
    if figure == "requests_overdue":
        return casework.requests(v, queue="overdue", region=region, now=now)
    if figure == "requests_period":
        return casework.requests(v, region=region, now=now).exclude(state="merged").filter(
            submitted_at__gte=per.since, submitted_at__lt=per.until)
    if figure == "disputes_open":
        return disputes.disputes(v, queue="open", region=region, now=now)
    if figure == "disputes_overdue":
        return disputes.disputes(v, queue="overdue", region=region, now=now)
    if figure == "disputes_period":
        return disputes.disputes(v, region=region, now=now).exclude(state="dismissed").filter(
            reported_at__gte=per.since, reported_at__lt=per.until)
    if figure == "contact_due":
        return contact.households_due(v, region=region, on=timezone.localdate(now))
    if figure == "alerts_open":
        return alerts(v, region=region, state="open")
    raise ValidationError(_("Unknown list: %(name)s") % {"name": figure[:32]}, field="figure")


# -- the map ----------------------------------------------------------------------------------

@dataclass
class MapPoint:
    region: Region
    x: float
    y: float
    load: int
    colour: str


def map_points(who: Any, region: Region, *, width: int = 600, height: int = 600,
               now: dt.datetime | None = None) -> list[MapPoint]:
    """The places one level down (or the grids of a village) placed by their coordinates on
    a plain SVG, coloured by load: open requests and open disputes there."""
    v = _viewer(who)
    level = Region.Level.GRID if region.level >= Region.Level.VILLAGE else region.level + 1
    places = list(regions.regions(v).filter(tree.under(region.path, "path"), level=level,
                                            latitude__isnull=False, longitude__isnull=False).order_by("code")[:500])
    if not places:
        return []
    load: dict[str, int] = {}
    for qs in (_try(lambda: casework.requests(v, queue="open", region=region, now=now)),
               _try(lambda: disputes.disputes(v, queue="open", region=region, now=now))):
        if qs is None:
            continue
        for path, n in qs.order_by().values_list("region_path").annotate(n=Count("id")):
            for p in places:
                if path.startswith(p.path):
                    load[p.code] = load.get(p.code, 0) + n
                    break
    lats = [float(p.latitude) for p in places if p.latitude is not None]
    lons = [float(p.longitude) for p in places if p.longitude is not None]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    span_lat, span_lon = (lat1 - lat0) or 1.0, (lon1 - lon0) or 1.0
    top = max(load.values(), default=0)
    margin = 30
    out = []
    for p in places:
        n = load.get(p.code, 0)
        share = n / top if top else 0.0
        colour = "#2e7d32" if share < 0.34 else "#f9a825" if share < 0.67 else "#c62828"
        x = margin + (float(p.longitude or 0) - lon0) / span_lon * (width - 2 * margin)
        y = margin + (lat1 - float(p.latitude or 0)) / span_lat * (height - 2 * margin)
        out.append(MapPoint(p, round(x, 1), round(y, 1), n, colour))
    return out


# -- alerts -----------------------------------------------------------------------------------

def alerts(who: Any, *, region: Region | None = None, state: str = "", rule: str = "") -> QuerySet[Alert]:
    qs = access.scope(who, "alert.view", Alert.objects.all())
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if state == "open":
        qs = qs.filter(state__in=ALERT_OPEN)
    elif state:
        qs = qs.filter(state=state)
    if rule:
        qs = qs.filter(rule=rule)
    return qs.select_related("region", "assignee", "department").order_by("-raised_at", "-id")


def alert_get(who: Any, pk: Any) -> Alert:
    return access.get_for(who, "alert.view", Alert.objects.select_related("region", "assignee", "department"),
                          pk=pk)


__all__ = ["DomainError", "alert_get", "alerts", "children", "dashboard", "listing", "map_points", "period",
           "region_for", "trend"]
