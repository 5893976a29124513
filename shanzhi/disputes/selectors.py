"""Reads of disputes and petitions, scoped to the viewer, with the joins their pages need; and
the statistics the command centre reuses (``stats``, ``totals``, ``screening_coverage``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, tiers, tree
from shanzhi.core.errors import ValidationError
from shanzhi.core.tiers import Level
from shanzhi.disputes.flow import (
    DISPUTE_FLOW,
    DISPUTE_OPEN,
    DISPUTE_STATES,
    PETITION_FLOW,
    PETITION_OPEN,
    SETTLED,
    PetitionState,
    State,
)
from shanzhi.disputes.models import (
    Agreement,
    Dispute,
    DisputeMediator,
    DisputeType,
    FollowUp,
    Party,
    PetitionCase,
    ScreeningRecord,
    Source,
)
from shanzhi.disputes.services import types_ensure, week_of
from shanzhi.regions.models import Region

QUEUES = ("mine", "intake", "assigned", "level", "escalated", "overdue", "follow_up", "open", "all")


def _viewer(who: Any) -> access.Viewer:
    return who if isinstance(who, access.Viewer) else access.viewer_for(who)


def viewer_county(viewer: Any) -> Region | None:
    """The county the viewer works (or lives) in; an administrator's first county."""
    v = _viewer(viewer)
    paths = [v.home_path] if v.home_path else v.home_paths()
    for path in paths:
        county = Region.objects.filter(path__in=tree.ancestors(path), level=Region.Level.COUNTY).first()
        if county is not None:
            return county
    if v.is_admin:
        return Region.objects.filter(level=Region.Level.COUNTY).order_by("path").first()
    return None


def types(county: Region | None, *, active_only: bool = True) -> QuerySet[DisputeType]:
    if county is None:
        return DisputeType.objects.none()
    types_ensure(county)
    qs = DisputeType.objects.filter(county=county)
    return (qs.filter(is_active=True) if active_only else qs).order_by("order", "code")


def _with_joins(qs: QuerySet[Dispute]) -> QuerySet[Dispute]:
    return qs.select_related("type", "region", "county").prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("order", "id")))


def overdue_q(now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    return (Q(state=State.CLUE, accept_due__lt=now)
            | Q(state__in=[State.ACCEPTED, State.ASSESSED, State.ASSIGNED, State.MEDIATING, State.ESCALATED],
                mediation_due__lt=now))


def disputes(viewer: Any, *, queue: str = "all", state: str | None = None, type_code: str | None = None,
             level: str | None = None, source: str | None = None, region: Region | None = None, q: str = "",
             household_id: int | None = None, now: dt.datetime | None = None) -> QuerySet[Dispute]:
    """The disputes the viewer may see, narrowed to one of the lists:

    - ``mine``: those the resident is a party to;
    - ``intake``: clues waiting to be accepted at the viewer's level;
    - ``assigned``: those the viewer mediates now;
    - ``level``: open and handled at the viewer's level (to assess, assign, escalate);
    - ``escalated``: open at township or county level;
    - ``overdue``: past their acceptance or mediation deadline;
    - ``follow_up``: agreed, with a follow-up visit due;
    - ``open``; ``all``.
    """
    v = _viewer(viewer)
    if queue not in QUEUES:
        raise ValidationError(_("Unknown list: %(queue)s") % {"queue": queue[:20]}, field="queue")
    now = now or timezone.now()
    qs = access.scope(v, "dispute.view", Dispute.objects.all())
    if queue == "mine":
        qs = qs.filter(Exists(Party.objects.filter(dispute=OuterRef("pk"), resident_id=v.resident_id))) \
            if v.resident_id else qs.none()
    elif queue in ("intake", "level"):
        paths = v.paths_for("dispute.accept", department_grants=False)
        qs = qs.filter(state=State.CLUE) if queue == "intake" else qs.filter(state__in=DISPUTE_OPEN)
        if not v.is_admin:
            qs = qs.filter(tree.under_any(paths, "handling_path")) if paths else qs.none()
    elif queue == "assigned":
        if v.user is None:
            qs = qs.none()
        else:
            mine = DisputeMediator.objects.filter(dispute=OuterRef("pk"), user_id=v.user.pk, active=True)
            qs = qs.filter(Exists(mine), state__in=DISPUTE_OPEN)
    elif queue == "escalated":
        qs = qs.filter(state__in=DISPUTE_OPEN, level__in=[Level.TOWNSHIP, Level.COUNTY])
    elif queue == "overdue":
        qs = qs.filter(overdue_q(now))
    elif queue == "follow_up":
        qs = qs.filter(Exists(FollowUp.objects.filter(dispute=OuterRef("pk"), status=FollowUp.Status.PENDING,
                                                      due_at__lte=now)), state=State.AGREED)
    elif queue == "open":
        qs = qs.filter(state__in=DISPUTE_OPEN)
    if state:
        if state not in DISPUTE_STATES:
            raise ValidationError(_("Unknown state: %(state)s") % {"state": state[:32]}, field="state")
        qs = qs.filter(state=state)
    if type_code:
        qs = qs.filter(type__code=type_code)
    if level:
        qs = qs.filter(level=level)
    if source:
        qs = qs.filter(source=source)
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if household_id:
        qs = qs.filter(Exists(Party.objects.filter(dispute=OuterRef("pk"), household_id=household_id)))
    if q:
        text = q.strip()
        qs = qs.filter(Q(pk=int(text)) if text.isdigit() else (
            Q(summary__contains=text) | Q(Exists(Party.objects.filter(dispute=OuterRef("pk"), name__contains=text)))))
    order = ("mediation_due", "id") if queue == "overdue" else ("-reported_at", "-id")
    return _with_joins(qs).order_by(*order)


def dispute_get(viewer: Any, pk: Any) -> Dispute:
    return access.get_for(viewer, "dispute.view", Dispute.objects.select_related(
        "type", "region", "county", "reported_by", "screening", "request"), pk=pk)


def is_staff_of(viewer: Any, dispute: Dispute) -> bool:
    """Staff of the dispute (its place and the levels above, or a mediator of it), not only a
    party: they see the sessions and the notes."""
    v = _viewer(viewer)
    if v.is_admin:
        return True
    if any(tree.is_under(dispute.region_path, p) for p in v.paths_for("dispute.view", department_grants=False)):
        return True
    return v.user is not None and DisputeMediator.objects.filter(dispute=dispute, user_id=v.user.pk).exists()


@dataclass
class DisputeFile:
    """Everything the detail page and the API show of one dispute."""

    dispute: Dispute
    parties: list[Party]
    mediators: list[DisputeMediator]
    participants: list[Any]
    sessions: list[Any]
    agreements: list[Agreement]
    follow_ups: list[FollowUp]
    history: list[Any]
    staff: bool
    actions: list[str]


def dispute_file(viewer: Any, dispute: Dispute) -> DisputeFile:
    v = _viewer(viewer)
    staff = is_staff_of(v, dispute)
    # Settling on the spot is recorded with the dispute itself (one screen), not a step later.
    steps = [t.name for t in DISPUTE_FLOW.allowed_transitions(dispute, v) if t.name != "settle_on_spot"]
    history = DISPUTE_FLOW.history_in_words(dispute, include_internal=staff)
    return DisputeFile(
        dispute=dispute,
        parties=list(dispute.parties.select_related("resident", "household").order_by("order", "id")),
        mediators=list(dispute.mediators.select_related("user")),
        participants=list(dispute.participants.select_related("department")),
        sessions=list(dispute.sessions.all()) if staff else [],
        agreements=list(dispute.agreements.order_by("id")),
        follow_ups=list(dispute.follow_ups.order_by("due_at", "id")),
        history=history, staff=staff, actions=steps,
    )


def agreement_get(viewer: Any, pk: Any) -> Agreement:
    """An agreement of a dispute the viewer may see (a party sees their own)."""
    try:
        agreement = Agreement.objects.select_related("dispute", "dispute__county").get(pk=pk)
    except (Agreement.DoesNotExist, ValueError, TypeError):
        from shanzhi.core.errors import NotFound

        raise NotFound() from None
    access.require(viewer, "dispute.view", agreement.dispute)
    return agreement


def follow_up_get(viewer: Any, pk: Any) -> FollowUp:
    try:
        follow_up = FollowUp.objects.select_related("dispute", "dispute__type", "dispute__county").get(pk=pk)
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        from shanzhi.core.errors import NotFound

        raise NotFound() from None
    access.require(viewer, "dispute.view", follow_up.dispute)
    return follow_up


def person_history(viewer: Any, party: Party) -> QuerySet[Dispute]:
    """The other disputes of the same person the viewer may see (for mediators: is this a
    repeat?)."""
    if not party.person_key:
        return Dispute.objects.none()
    qs = access.scope(viewer, "dispute.view", Dispute.objects.filter(
        county_id=party.dispute.county_id, parties__person_key=party.person_key).exclude(pk=party.dispute_id))
    return qs.select_related("type").distinct().order_by("-reported_at")


def queue_counts(viewer: Any, now: dt.datetime | None = None) -> dict[str, int]:
    v = _viewer(viewer)
    return {key: disputes(v, queue=key, now=now).order_by().count()
            for key in ("intake", "assigned", "overdue", "follow_up")}


# -- screening -----------------------------------------------------------------------------------

@dataclass
class Coverage:
    week: dt.date
    grids: int
    filed: int
    found: int
    missing: list[Region] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return None if not self.grids else round(self.filed / self.grids, 4)


def screening_coverage(viewer: Any, *, week: dt.date | None = None, region: Region | None = None,
                       list_missing: int = 0) -> Coverage:
    """How many grids under the viewer's statistics scope (and ``region``) filed their
    screening for ``week`` (this week by default): the grids that did not are listed."""
    v = _viewer(viewer)
    week = week_of(week or timezone.localdate())
    grids = Region.objects.filter(level=Region.Level.GRID)
    if not v.is_admin:
        paths = v.paths_for("dispute.stats", department_grants=False) or v.paths_for("dispute.screen",
                                                                                     department_grants=False)
        grids = grids.filter(tree.under_any(paths, "path")) if paths else grids.none()
    if region is not None:
        grids = grids.filter(tree.under(region.path, "path"))
    records = ScreeningRecord.objects.filter(week=week, grid__in=grids)
    filed = records.aggregate(n=Count("id"), found=Count("disputes"))
    total = grids.count()
    missing = list(grids.exclude(pk__in=records.values("grid_id")).order_by("path")[:list_missing]) \
        if list_missing else []
    return Coverage(week=week, grids=total, filed=filed["n"], found=filed["found"], missing=missing)


def screenings(viewer: Any, *, grid: Region | None = None) -> QuerySet[ScreeningRecord]:
    qs = access.scope(viewer, "dispute.view", ScreeningRecord.objects.all())
    if grid is not None:
        qs = qs.filter(grid=grid)
    return qs.select_related("grid", "filed_by").order_by("-week", "region_path")


def screening_grids(viewer: Any) -> QuerySet[Region]:
    """The grids the viewer files screening for."""
    v = _viewer(viewer)
    grids = Region.objects.filter(level=Region.Level.GRID)
    if v.is_admin:
        return grids.order_by("path")
    paths = v.paths_for("dispute.screen", department_grants=False)
    return grids.filter(tree.under_any(paths, "path")).order_by("path") if paths else grids.none()


# -- statistics ----------------------------------------------------------------------------------

GROUPINGS = ("type", "level", "source", "region", "month", "all")


@dataclass
class Figures:
    """The figures of one group of disputes (dismissed clues are not disputes: not counted).

    - ``success_rate``: settled / (settled + referred); withdrawn ones are neither;
    - ``on_the_spot_share``, ``six_share``: of all disputes counted;
    - ``settled_at``: the share of the settled ones settled at each level;
    - ``avg_days_to_settle``: from the report to the signed agreement;
    - ``follow_up_completion``: visits done / visits due so far (cancelled ones aside)."""

    key: str
    label: str
    count: int = 0
    six: int = 0
    open: int = 0
    overdue: int = 0
    settled: int = 0
    referred: int = 0
    withdrawn: int = 0
    escalated: int = 0
    on_the_spot: int = 0
    repeat: int = 0
    success_rate: float | None = None
    six_share: float | None = None
    on_the_spot_share: float | None = None
    settled_at: dict[str, float | None] = field(default_factory=dict)
    settled_count_at: dict[str, int] = field(default_factory=dict)
    avg_days_to_settle: float | None = None
    follow_ups_due: int = 0
    follow_ups_done: int = 0
    follow_up_completion: float | None = None

    # Shares as percentages with two decimals, for pages (81.78 for 0.8178).
    @property
    def six_percent(self) -> float | None:
        return _percent(self.six_share)

    @property
    def success_percent(self) -> float | None:
        return _percent(self.success_rate)

    @property
    def on_the_spot_percent(self) -> float | None:
        return _percent(self.on_the_spot_share)

    @property
    def follow_up_percent(self) -> float | None:
        return _percent(self.follow_up_completion)

    @property
    def settled_percent_at(self) -> dict[str, float | None]:
        return {k: _percent(v) for k, v in self.settled_at.items()}


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 2)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def _bucket(by: str, region: Region | None, prefix: str = "") -> tuple[Any, dict[Any, str]]:
    """The grouping expression (over Dispute, or over a model reaching it through ``prefix``)
    and the labels of its values."""
    if by == "type":
        return F(f"{prefix}type_id"), {}
    if by == "level":
        return F(f"{prefix}level"), {v: str(label) for v, label in Level.choices}
    if by == "source":
        return F(f"{prefix}source"), {v: str(label) for v, label in Source.choices}
    if by == "month":
        return TruncMonth(f"{prefix}reported_at"), {}
    if by == "all":
        return Value("all"), {"all": _("all")}
    if region is None:
        raise ValidationError(_("Name the region whose parts to compare."), field="region")
    children = list(Region.objects.filter(parent=region).order_by("code"))
    whens = [When(tree.under(child.path, f"{prefix}region_path"), then=Value(child.code)) for child in children]
    labels: dict[Any, str] = {child.code: child.name for child in children}
    labels[""] = region.name
    return Case(*whens, default=Value("")), labels


def stats(viewer: Any, *, by: str = "type", region: Region | None = None, since: dt.datetime | None = None,
          until: dt.datetime | None = None, type_code: str | None = None, level: str | None = None,
          source: str | None = None, now: dt.datetime | None = None) -> list[Figures]:
    """Counts, success rate, the on-the-spot share, the six types' share, the share settled
    at village / township / county level, the average days to settle and follow-up
    completion, for the disputes reported in [since, until) that the viewer's ``dispute.stats``
    covers, grouped ``by`` type, level, source, region (the children of ``region``), month or
    all. Three queries whatever the number of disputes."""
    if by not in GROUPINGS:
        raise ValidationError(_("Group by one of: %(names)s.") % {"names": ", ".join(GROUPINGS)}, field="by")
    now = now or timezone.now()
    qs = access.scope(viewer, "dispute.stats", Dispute.objects.all()).exclude(state=State.DISMISSED)
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if since is not None:
        qs = qs.filter(reported_at__gte=since)
    if until is not None:
        qs = qs.filter(reported_at__lt=until)
    if type_code:
        qs = qs.filter(type__code=type_code)
    if level:
        qs = qs.filter(level=level)
    if source:
        qs = qs.filter(source=source)
    expr, labels = _bucket(by, region)
    qs = qs.order_by().annotate(bucket=expr)
    settled_q = Q(state__in=SETTLED)
    rows = list(qs.values("bucket").annotate(
        n=Count("id"),
        six=Count("id", filter=Q(type__is_six=True)),
        open=Count("id", filter=Q(state__in=DISPUTE_OPEN)),
        overdue=Count("id", filter=overdue_q(now)),
        settled=Count("id", filter=settled_q),
        referred=Count("id", filter=Q(state=State.REFERRED)),
        withdrawn=Count("id", filter=Q(state=State.WITHDRAWN)),
        escalated=Count("id", filter=Q(escalation_count__gt=0)),
        on_the_spot=Count("id", filter=Q(on_the_spot=True)),
        repeat=Count("id", filter=Q(repeat_parties=True)),
        at_village=Count("id", filter=settled_q & Q(settled_level=Level.VILLAGE)),
        at_township=Count("id", filter=settled_q & Q(settled_level=Level.TOWNSHIP)),
        at_county=Count("id", filter=settled_q & Q(settled_level=Level.COUNTY)),
    ))
    days: dict[Any, list[float]] = {}
    for bucket, reported, settled in qs.filter(settled_q, settled_at__isnull=False).values_list(
            "bucket", "reported_at", "settled_at"):
        if settled is not None and reported is not None:
            days.setdefault(bucket, []).append(max(0.0, (settled - reported).total_seconds() / 86400))
    fexpr, _flabels = _bucket(by, region, prefix="dispute__")
    visits: dict[Any, tuple[int, int]] = {}
    for row in (FollowUp.objects.filter(dispute__in=qs.values("pk"), due_at__lte=now)
                .exclude(status=FollowUp.Status.CANCELLED).order_by().annotate(bucket=fexpr)
                .values("bucket").annotate(due=Count("id"), done=Count("id", filter=Q(status=FollowUp.Status.DONE)))):
        visits[row["bucket"]] = (row["due"], row["done"])
    if by == "type":
        labels = {t.pk: t.name for t in DisputeType.objects.filter(pk__in=[r["bucket"] for r in rows])}
        labels[None] = _("type not yet known")
    result = []
    for row in rows:
        key = row["bucket"]
        settled = row["settled"]
        due, done = visits.get(key, (0, 0))
        spent = days.get(key, [])
        label = labels.get(key, key.strftime("%Y-%m") if isinstance(key, dt.date) else key)
        result.append(Figures(
            key=key.strftime("%Y-%m") if isinstance(key, dt.date) else ("" if key is None else str(key)),
            label=str(label if label is not None else ""), count=row["n"], six=row["six"], open=row["open"],
            overdue=row["overdue"], settled=settled, referred=row["referred"], withdrawn=row["withdrawn"],
            escalated=row["escalated"], on_the_spot=row["on_the_spot"], repeat=row["repeat"],
            success_rate=_rate(settled, settled + row["referred"]), six_share=_rate(row["six"], row["n"]),
            on_the_spot_share=_rate(row["on_the_spot"], row["n"]),
            settled_at={"village": _rate(row["at_village"], settled), "township": _rate(row["at_township"], settled),
                        "county": _rate(row["at_county"], settled)},
            settled_count_at={"village": row["at_village"], "township": row["at_township"],
                              "county": row["at_county"]},
            avg_days_to_settle=round(sum(spent) / len(spent), 2) if spent else None,
            follow_ups_due=due, follow_ups_done=done, follow_up_completion=_rate(done, due)))
    if by in ("level",):
        order = [v for v, _label in Level.choices]
        result.sort(key=lambda f: order.index(f.key) if f.key in order else 99)
    elif by == "month":
        result.sort(key=lambda f: f.key)
    else:
        result.sort(key=lambda f: (-f.count, f.label))
    return result


def totals(viewer: Any, **kwargs: Any) -> Figures:
    rows = stats(viewer, by="all", **kwargs)
    return rows[0] if rows else Figures(key="all", label=_("all"))


# -- petitions -----------------------------------------------------------------------------------

PETITION_QUEUES = ("mine", "open", "overdue", "repeat", "all")


def _petition_joins(qs: QuerySet[PetitionCase]) -> QuerySet[PetitionCase]:
    return qs.select_related("case_leader", "region").prefetch_related("units__department")


def petitions(viewer: Any, *, queue: str = "all", q: str = "", now: dt.datetime | None = None
              ) -> QuerySet[PetitionCase]:
    v = _viewer(viewer)
    if queue not in PETITION_QUEUES:
        raise ValidationError(_("Unknown list: %(queue)s") % {"queue": queue[:20]}, field="queue")
    now = now or timezone.now()
    qs = access.scope(v, "petition.view", PetitionCase.objects.all())
    if queue == "mine":
        qs = qs.filter(petitioner_id=v.resident_id) if v.resident_id else qs.filter(case_leader_id=getattr(
            v.user, "pk", None))
    elif queue == "open":
        qs = qs.filter(state__in=PETITION_OPEN)
    elif queue == "overdue":
        qs = qs.filter(petition_overdue_q(now))
    elif queue == "repeat":
        qs = qs.filter(repeat_count__gt=0)
    if q:
        qs = qs.filter(Q(subject__contains=q.strip()) | Q(petitioner_name__contains=q.strip()))
    return _petition_joins(qs).order_by("-received_at", "-id")


def petition_overdue_q(now: dt.datetime) -> Q:
    return Q(state=PetitionState.RECEIVED, accept_due__lt=now) | Q(state=PetitionState.ACCEPTED, resolve_due__lt=now)


def petition_get(viewer: Any, pk: Any) -> PetitionCase:
    return access.get_for(viewer, "petition.view", _petition_joins(PetitionCase.objects.select_related(
        "petitioner", "repeat_of", "county")), pk=pk)


@dataclass
class ScheduleRow:
    case: PetitionCase
    new_this_week: bool
    overdue: bool
    due_this_week: bool


def petition_schedule(viewer: Any, *, week: dt.date | None = None, now: dt.datetime | None = None
                      ) -> list[ScheduleRow]:
    """The weekly scheduling list for the leaders' meeting (信访稳定集中办公会议专题调度): every
    open case the viewer covers, the overdue and repeated ones first, with what is new this
    week and what falls due before the next meeting."""
    now = now or timezone.now()
    monday = week_of(week or timezone.localdate(now))
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=timezone.get_current_timezone())
    end = start + dt.timedelta(days=7)
    rows = []
    for case in petitions(viewer, queue="open", now=now):
        due = case.accept_due if case.state == PetitionState.RECEIVED else case.resolve_due
        rows.append(ScheduleRow(case=case, new_this_week=start <= case.received_at < end,
                                overdue=case.state != PetitionState.RESOLVED and due < now,
                                due_this_week=case.state != PetitionState.RESOLVED and now <= due < end + dt.timedelta(
                                    days=7)))
    rows.sort(key=lambda r: (not r.overdue, not r.case.is_repeat, r.case.resolve_due, r.case.pk))
    return rows


def petition_history(viewer: Any, case: PetitionCase) -> list[Any]:
    return PETITION_FLOW.history_in_words(case)


def petition_actions(viewer: Any, case: PetitionCase) -> list[str]:
    return [t.name for t in PETITION_FLOW.allowed_transitions(case, _viewer(viewer))]


__all__ = ["Coverage", "Figures", "agreement_get", "dispute_file", "dispute_get", "disputes", "person_history",
           "petition_get", "petition_schedule", "petitions", "queue_counts", "screening_coverage", "stats",
           "tiers", "totals", "types", "viewer_county"]
