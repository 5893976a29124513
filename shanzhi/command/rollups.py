"""Incremental rollups of the dashboard's figures (ADR 0011).

For each source (requests, disputes) the records are added up per place and per local day
of filing into ``RollupCell`` rows: counts, sums (for averages) and value histograms (for
percentiles). An ``own`` cell holds the records filed exactly at a place; the other cells
hold a place's whole subtree, built bottom-up from its own cell and its children's cells,
so any figure over any place and period reads one row per day.

A run takes what changed since the watermark: records with a higher id (new ones) and
records named by a state change or an audit entry since the last run (less a lag, for
transactions that committed late). Only the cells those records fall in are recomputed,
from the raw rows of those cells, then their ancestors; the cost follows the new data.
"Overdue" depends on the clock, so the open records are kept grouped by the moment they
become overdue (``RollupDue``) and summed at read time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Case, Count, F, FloatField, Q, Sum, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Least, TruncDate
from django.utils import timezone

from shanzhi.command.models import RollupCell, RollupDue, RollupWatermark
from shanzhi.core import tree
from shanzhi.core.models import AuditEvent, StateChange
from shanzhi.core.tiers import Level
from shanzhi.regions.models import Region


def lag() -> dt.timedelta:
    """State changes and audit entries are read back this far before the watermark, for the
    transactions that were still open at the last run (recomputing a cell twice is harmless)."""
    return dt.timedelta(seconds=getattr(settings, "COMMAND_ROLLUP_LAG_SECONDS", 120))

BATCH = 2000


@dataclass(frozen=True)
class Source:
    name: str
    model: Callable[[], type[models.Model]]
    time_field: str
    exclude: Q
    counts: dict[str, Q]  # figure -> filter (Q() for all)
    sums: dict[str, tuple[str, Q]]  # figure -> (field, filter): adds "<figure>_sum" and "<figure>_n"
    hists: dict[str, str]  # figure -> field (percentiles)
    open_q: Callable[[], Q]
    due: Callable[[], Any]  # expression: the moment an open record becomes overdue (None: never)
    extra_fields: tuple[str, ...] = ()
    per_record: Callable[[dict[str, Any]], dict[str, float]] | None = None  # per-record sums


def _requests() -> Source:
    from shanzhi.casework.flow import OPEN_UNRESOLVED, REQUEST_FLOW, State
    from shanzhi.casework.models import ServiceRequest

    open_states = [s.value for s in REQUEST_FLOW.states if s.value not in REQUEST_FLOW.terminal]
    resolved = Q(resolved_at__isnull=False) & ~Q(state=State.REJECTED)
    return Source(
        name="request", model=lambda: ServiceRequest, time_field="submitted_at", exclude=Q(state=State.MERGED),
        counts={
            "n": Q(), "open": Q(state__in=open_states), "resolved": resolved,
            "responded": Q(responded_on_time__isnull=False), "responded_ok": Q(responded_on_time=True),
            "resolved_timed": Q(resolved_on_time__isnull=False), "resolved_ok": Q(resolved_on_time=True),
            "rated": Q(rating__isnull=False), "satisfied": Q(rating__gte=4), "reopened": Q(reopen_count__gt=0),
            "at_village": resolved & Q(resolved_level=Level.VILLAGE),
            "at_township": resolved & Q(resolved_level=Level.TOWNSHIP),
            "at_county": resolved & Q(resolved_level=Level.COUNTY),
        },
        sums={"response": ("response_seconds", Q()), "resolve": ("resolve_seconds", resolved),
              "rating": ("rating", Q())},
        hists={"response": "response_seconds", "resolve": "resolve_seconds"},
        open_q=lambda: Q(state__in=OPEN_UNRESOLVED),
        due=lambda: Case(When(accepted_at__isnull=True, then=Least("response_due", "resolve_due")),
                         default=F("resolve_due")),
    )


def _disputes() -> Source:
    from shanzhi.disputes.flow import DISPUTE_OPEN, SETTLED, State
    from shanzhi.disputes.models import Dispute

    settled = Q(state__in=SETTLED)
    mediating = [State.ACCEPTED, State.ASSESSED, State.ASSIGNED, State.MEDIATING, State.ESCALATED]

    def settle_days(row: dict[str, Any]) -> dict[str, float]:
        if row["state"] in SETTLED and row["settled_at"] is not None and row["reported_at"] is not None:
            return {"settle_days_sum": max(0.0, (row["settled_at"] - row["reported_at"]).total_seconds() / 86400),
                    "settle_days_n": 1}
        return {}

    return Source(
        name="dispute", model=lambda: Dispute, time_field="reported_at", exclude=Q(state=State.DISMISSED),
        counts={
            "n": Q(), "six": Q(type__is_six=True), "open": Q(state__in=DISPUTE_OPEN), "settled": settled,
            "referred": Q(state=State.REFERRED), "withdrawn": Q(state=State.WITHDRAWN),
            "escalated": Q(escalation_count__gt=0), "on_the_spot": Q(on_the_spot=True),
            "repeat": Q(repeat_parties=True),
            "at_village": settled & Q(settled_level=Level.VILLAGE),
            "at_township": settled & Q(settled_level=Level.TOWNSHIP),
            "at_county": settled & Q(settled_level=Level.COUNTY),
        },
        sums={}, hists={},
        open_q=lambda: Q(state=State.CLUE) | Q(state__in=mediating),
        due=lambda: Case(When(state=State.CLUE, then=F("accept_due")), default=F("mediation_due")),
        extra_fields=("state", "reported_at", "settled_at"), per_record=settle_days,
    )


SOURCES: dict[str, Callable[[], Source]] = {"request": _requests, "dispute": _disputes}


# -- histograms ---------------------------------------------------------------------------------

def bucket(value: int) -> int:
    """A value kept to three significant digits: percentiles from the histogram are within
    0.5 % of the exact ones (and exact below 1000)."""
    if value < 1000:
        return int(value)
    scale = 10 ** (int(math.log10(value)) - 2)
    return int(round(value / scale) * scale)


def hist_percentile(hist: dict[Any, int], fraction: float) -> float | None:
    """percentile_cont (linear interpolation between closest ranks) over a histogram."""
    items = sorted((int(k), n) for k, n in hist.items() if n)
    total = sum(n for _v, n in items)
    if not total:
        return None
    k = (total - 1) * fraction
    lo, hi = math.floor(k), math.ceil(k)

    def at(rank: int) -> int:
        seen = 0
        for value, n in items:
            seen += n
            if rank < seen:
                return value
        return items[-1][0]

    low = at(lo)
    return float(low) if lo == hi else low + (at(hi) - low) * (k - lo)


def add(into: dict[str, Any], values: dict[str, Any]) -> None:
    for key, v in values.items():
        into[key] = into.get(key, 0) + v


def add_hist(into: dict[str, dict[str, int]], hist: dict[str, dict[str, int]]) -> None:
    for name, counts in hist.items():
        target = into.setdefault(name, {})
        for value, n in counts.items():
            target[value] = target.get(value, 0) + n


# -- the run ------------------------------------------------------------------------------------

def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _parent(path: str) -> str:
    return path[: path.rstrip(tree.SEP).rfind(tree.SEP) + 1]


def _day_expr(src: Source) -> TruncDate:
    return TruncDate(src.time_field, tzinfo=timezone.get_current_timezone())


def _cells_q(src: Source, cells: Iterable[tuple[str, dt.date]]) -> list[Q]:
    """Filters over the raw table for the given (path, day) cells, a few days per query."""
    by_day: dict[dt.date, set[str]] = defaultdict(set)
    for path, day in cells:
        by_day[day].add(path)
    out: list[Q] = []
    q, size = Q(pk__in=[]), 0
    for day, paths in sorted(by_day.items()):
        q |= Q(region_path__in=sorted(paths), **{f"{src.time_field}__gte": _start(day),
                                                 f"{src.time_field}__lt": _start(day + dt.timedelta(days=1))})
        size += 1
        if size >= 50:
            out.append(q)
            q, size = Q(pk__in=[]), 0
    if size:
        out.append(q)
    return out


@dataclass
class Run:
    source: str
    changed_records: int = 0
    own_cells: int = 0
    tree_cells: int = 0
    due_rows: int = 0
    counties: dict[str, int] = field(default_factory=dict)

    def county_of(self, path: str) -> int | None:
        if not self.counties:
            self.counties = dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("path", "pk"))
        for ancestor in tree.ancestors(path):
            if ancestor in self.counties:
                return self.counties[ancestor]
        return None


def _own_cells(src: Source, run: Run, filters: list[Q] | None) -> list[RollupCell]:
    """Recompute the own cells of the records matched by ``filters`` (None: all records)."""
    model = src.model()
    base = model._default_manager.exclude(src.exclude).order_by().annotate(day=_day_expr(src))
    aggregates: dict[str, Any] = {name: Count("pk", filter=q) if q else Count("pk") for name, q in src.counts.items()}
    for name, (column, q) in src.sums.items():
        aggregates[f"{name}_sum"] = Sum(column, filter=q) if q else Sum(column)
        aggregates[f"{name}_n"] = Count(column, filter=q) if q else Count(column)
    cells: dict[tuple[str, dt.date], RollupCell] = {}
    record_fields = tuple(src.hists.values()) + src.extra_fields
    for flt in filters if filters is not None else [Q()]:
        qs = base.filter(flt)
        for row in qs.values("region_path", "day").annotate(**aggregates):
            key = (row.pop("region_path"), row.pop("day"))
            values = {k: v for k, v in row.items() if v}
            cells[key] = RollupCell(source=src.name, own=True, path=key[0], parent=_parent(key[0]),
                                    county_id=run.county_of(key[0]), day=key[1], values=values, hist={})
        if not record_fields:
            continue
        names = ("region_path", "day", *record_fields)
        for values_row in qs.values_list(*names).iterator(chunk_size=BATCH):
            row = dict(zip(names, values_row, strict=True))
            cell = cells.get((row["region_path"], row["day"]))
            if cell is None:
                continue
            for name, column in src.hists.items():
                if row[column] is not None:
                    h = cell.hist.setdefault(name, {})
                    b = str(bucket(row[column]))
                    h[b] = h.get(b, 0) + 1
            if src.per_record is not None:
                add(cell.values, src.per_record(row))
    return list(cells.values())


def _superset(keys: set[tuple[str, dt.date]]) -> list[tuple[list[str], list[dt.date]]]:
    """(paths, days) chunks whose cross product covers ``keys``: queries the indexes answer
    (``path IN … AND day IN …``); the rows outside ``keys`` are dropped in Python."""
    paths = sorted({p for p, _d in keys})
    days = sorted({d for _p, d in keys})
    return [(paths[i:i + 400], days[j:j + 400]) for i in range(0, len(paths), 400)
            for j in range(0, len(days), 400)]


def _replace(src: Source, own: bool, keys: set[tuple[str, dt.date]], cells: list[RollupCell]) -> None:
    stale = [pk for paths, days in _superset(keys) for pk, path, day in RollupCell.objects.filter(
        source=src.name, own=own, path__in=paths, day__in=days).values_list("pk", "path", "day")
        if (path, day) in keys]
    for i in range(0, len(stale), 500):
        RollupCell.objects.filter(pk__in=stale[i:i + 500]).delete()
    RollupCell.objects.bulk_create(cells, batch_size=BATCH)


def _fold(src: Source, run: Run, sums: dict[tuple[str, dt.date], RollupCell], path: str, cell: RollupCell) -> None:
    target = sums.get((path, cell.day))
    if target is None:
        target = sums[path, cell.day] = RollupCell(source=src.name, own=False, path=path, parent=_parent(path),
                                                   county_id=run.county_of(path), day=cell.day, values={}, hist={})
    add(target.values, cell.values)
    add_hist(target.hist, cell.hist)


def _tree_cells(src: Source, run: Run, keys: set[tuple[str, dt.date]]) -> None:
    """Rebuild the subtree cells of ``keys`` (and of their ancestors), deepest first: a
    subtree cell is the own cell plus the children's subtree cells of the same day."""
    todo: dict[int, set[tuple[str, dt.date]]] = defaultdict(set)
    for path, day in keys:
        for ancestor in tree.ancestors(path):
            todo[ancestor.count(tree.SEP)].add((ancestor, day))
    for depth in sorted(todo, reverse=True):
        level_keys = todo[depth]
        sums: dict[tuple[str, dt.date], RollupCell] = {}
        for paths, days in _superset(level_keys):
            for cell in RollupCell.objects.filter(source=src.name, own=True, path__in=paths, day__in=days):
                if (cell.path, cell.day) in level_keys:
                    _fold(src, run, sums, cell.path, cell)
            for cell in RollupCell.objects.filter(source=src.name, own=False, parent__in=paths, day__in=days):
                if (cell.parent, cell.day) in level_keys:
                    _fold(src, run, sums, cell.parent, cell)
        _replace(src, False, level_keys, list(sums.values()))
        run.tree_cells += len(level_keys)


def _all_tree_cells(src: Source, run: Run, own: list[RollupCell]) -> None:
    """Every subtree cell at once from the own cells (the first run)."""
    sums: dict[tuple[str, dt.date], RollupCell] = {}
    for cell in own:
        for ancestor in tree.ancestors(cell.path):
            _fold(src, run, sums, ancestor, cell)
    RollupCell.objects.bulk_create(sums.values(), batch_size=BATCH)
    run.tree_cells += len(sums)


def _due_rows(src: Source, run: Run, paths: set[str] | None) -> None:
    model = src.model()
    qs = model._default_manager.exclude(src.exclude).filter(src.open_q()).order_by()
    if paths is None:
        RollupDue.objects.filter(source=src.name).delete()
        chunks: list[list[str] | None] = [None]
    else:
        ordered = sorted(paths)
        chunks = [ordered[i:i + 500] for i in range(0, len(ordered), 500)]
    rows: list[RollupDue] = []
    for chunk in chunks:
        part = qs
        if chunk is not None:
            RollupDue.objects.filter(source=src.name, path__in=chunk).delete()
            part = qs.filter(region_path__in=chunk)
        for path, day, due, n in (part.annotate(day=_day_expr(src), due=src.due()).filter(due__isnull=False)
                                  .values("region_path", "day", "due").annotate(n=Count("pk"))
                                  .values_list("region_path", "day", "due", "n")):
            rows.append(RollupDue(source=src.name, path=path, county_id=run.county_of(path), day=day, due_at=due,
                                  n=n))
    RollupDue.objects.bulk_create(rows, batch_size=BATCH)
    run.due_rows += len(rows)


def _changed(src: Source, mark: RollupWatermark, now: dt.datetime) -> tuple[set[tuple[str, dt.date]], int, int]:
    """The (path, day) cells touched since the watermark, the number of records behind them
    and the new highest id."""
    model = src.model()
    day = _day_expr(src)
    base = model._default_manager.order_by().annotate(day=day)
    top = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    cells: set[tuple[str, dt.date]] = set()
    records = 0
    for path, d in base.filter(pk__gt=mark.last_pk, pk__lte=top).values_list("region_path", "day").iterator(
            chunk_size=BATCH):
        cells.add((path, d))
        records += 1
    if mark.changes_at is not None:
        since = mark.changes_at - lag()
        ct = ContentType.objects.get_for_model(model)
        ids = set(StateChange.objects.filter(content_type=ct, at__gte=since, object_id__lte=mark.last_pk)
                  .values_list("object_id", flat=True))
        ids |= {int(t) for t in AuditEvent.objects.filter(target_type=model._meta.label_lower, at__gte=since)
                .values_list("target_id", flat=True) if t.isdigit() and int(t) <= mark.last_pk}
        ordered = sorted(ids)
        for i in range(0, len(ordered), 1000):
            for path, d in base.filter(pk__in=ordered[i:i + 1000]).values_list("region_path", "day"):
                cells.add((path, d))
                records += 1
    return cells, records, top


def refresh(source: str, *, rebuild: bool = False, now: dt.datetime | None = None) -> Run:
    """Bring one source's rollups up to date (``rebuild``: from scratch)."""
    src = SOURCES[source]()
    run = Run(source)
    now = now or timezone.now()
    with transaction.atomic():
        mark = RollupWatermark.objects.select_for_update().filter(source=source).first()
        if mark is None or rebuild:
            mark = RollupWatermark.objects.update_or_create(source=source, defaults={"last_pk": 0,
                                                                                     "changes_at": None})[0]
            model = src.model()
            top = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
            RollupCell.objects.filter(source=source).delete()
            own = _own_cells(src, run, None)
            RollupCell.objects.bulk_create(own, batch_size=BATCH)
            _all_tree_cells(src, run, own)
            _due_rows(src, run, None)
            run.changed_records = model._default_manager.count()
        else:
            cells, run.changed_records, top = _changed(src, mark, now)
            own = _own_cells(src, run, _cells_q(src, cells)) if cells else []
            if cells:
                _replace(src, True, cells, own)
                _tree_cells(src, run, cells)
                _due_rows(src, run, {path for path, _day in cells})
        run.own_cells = len(own)
        mark.last_pk, mark.changes_at, mark.run_at = top, now, now
        mark.cells = run.own_cells + run.tree_cells
        mark.save()
    return run


def refresh_all(*, rebuild: bool = False) -> dict[str, int]:
    return {name: (r := refresh(name, rebuild=rebuild)).own_cells + r.tree_cells for name in SOURCES}


def ready(source: str) -> bool:
    return RollupWatermark.objects.filter(source=source, run_at__isnull=False).exists()


# -- reads --------------------------------------------------------------------------------------

@dataclass
class Sums:
    values: dict[str, Any] = field(default_factory=dict)
    hist: dict[str, dict[str, int]] = field(default_factory=dict)
    overdue: int = 0


def _days(since: dt.datetime | None, until: dt.datetime | None) -> Q:
    q = Q()
    if since is not None:
        q &= Q(day__gte=timezone.localdate(since))
    if until is not None:
        q &= Q(day__lt=timezone.localdate(until)) if timezone.localtime(until).time() == dt.time.min \
            else Q(day__lte=timezone.localdate(until))
    return q


def value_keys(source: str) -> list[str]:
    src = SOURCES[source]()
    keys = list(src.counts)
    for name in src.sums:
        keys += [f"{name}_sum", f"{name}_n"]
    if src.per_record is not None:
        keys += ["settle_days_sum", "settle_days_n"] if source == "dispute" else []
    return keys


def _summed(source: str, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The cells' values added up by the database (one row back, whatever the period)."""
    return {key: Sum(Cast(KT(f"values__{key}"), FloatField())) for key in (only or value_keys(source))}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (int(v) if float(v).is_integer() and not k.startswith("settle_days_sum") else v)
            for k, v in row.items() if v}


def sums(source: str, path: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
         now: dt.datetime | None = None, hist: bool = True, only: Iterable[str] | None = None) -> Sums:
    """The figures of everything under ``path`` filed in [since, until) (whole days);
    ``only``: just these values (the all-time counts need two of twenty)."""
    cells = RollupCell.objects.filter(_days(since, until), source=source, own=False, path=path)
    out = Sums(values=_clean(cells.aggregate(**_summed(source, only))))
    if hist:
        for row in cells.values_list("hist", flat=True):
            add_hist(out.hist, row)
    out.overdue = _overdue(source, path, since, until, now).get(path, 0)
    return out


def _overdue(source: str, path: str, since: dt.datetime | None, until: dt.datetime | None,
             now: dt.datetime | None, children: list[str] | None = None) -> dict[str, int]:
    now = now or timezone.now()
    rows = (RollupDue.objects.filter(_days(since, until), tree.under(path, "path"), source=source, due_at__lt=now)
            .values("path").annotate(n=Sum("n")).values_list("path", "n"))
    out: dict[str, int] = {}
    for p, n in rows:
        for key in children or [path]:
            if p.startswith(key):
                out[key] = out.get(key, 0) + n
                break
    return out


def children_sums(source: str, path: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                  now: dt.datetime | None = None) -> dict[str, Sums]:
    """The same for each child of ``path`` (keyed by the child's path)."""
    out: dict[str, Sums] = defaultdict(Sums)
    cells = RollupCell.objects.filter(_days(since, until), source=source, own=False, parent=path).order_by()
    for row in cells.values("path").annotate(**_summed(source)):
        child = row.pop("path")
        out[child].values = _clean(row)
    for child, hist in cells.values_list("path", "hist"):
        add_hist(out[child].hist, hist)
    kids = list(out)
    for p, n in _overdue(source, path, since, until, now, children=kids).items():
        out[p].overdue = n
    return dict(out)


def daily(source: str, path: str, since: dt.date, until: dt.date) -> dict[dt.date, int]:
    """Records filed per day in [since, until]."""
    return {day: values.get("n", 0) for day, values in RollupCell.objects.filter(
        source=source, own=False, path=path, day__gte=since, day__lte=until).values_list("day", "values")}
