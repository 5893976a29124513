"""Reads of household contact, dual registration and micro-wishes, scoped to the viewer, with the
joins their pages need (a list's query count does not grow with its rows).

``households_due`` is the follow-up list: households in a member's care not visited within
their interval (30 days by default, shorter for a household with an elderly person living
alone and the like, per county and tag). The command centre's early warning reads it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from shanzhi.contact import services
from shanzhi.contact.flow import ReportState, WishState
from shanzhi.contact.models import (
    DEFAULT_INTERVAL_DAYS,
    DEFAULT_TAG_INTERVALS,
    Assignment,
    ContactPolicy,
    MemberRegistration,
    MicroWish,
    MonthlyReport,
    QuarterSummary,
    TagInterval,
    Unit,
    UnitRegistration,
    Visit,
    VisitFollowUp,
)
from shanzhi.core import access, tree
from shanzhi.core.errors import NotFound
from shanzhi.people.models import PartyMember, PartyOrganisation
from shanzhi.regions.models import Household, Region, Resident, ResidentTag


def _under(qs: QuerySet[Any], region: Region | None, field_name: str = "region_path") -> QuerySet[Any]:
    return qs if region is None else qs.filter(tree.under(region.path, field_name))


def _head_name() -> Subquery:
    return Subquery(Resident.objects.filter(household=OuterRef("household_id"), relation=Resident.Relation.HEAD,
                                            status=Resident.Status.ACTIVE).values("name")[:1])


def _head_phone() -> Subquery:
    return Subquery(Resident.objects.filter(household=OuterRef("household_id"), relation=Resident.Relation.HEAD,
                                            status=Resident.Status.ACTIVE).values("phone")[:1])


# -- the visit interval of each household -----------------------------------------------------------

def _policies() -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    """Each county's default interval and its intervals by tag (a small table, read whole)."""
    defaults = dict(ContactPolicy.objects.values_list("county_id", "interval_days"))
    tags: dict[int, dict[str, int]] = {c: {} for c in defaults}
    for county_id, tag, days in TagInterval.objects.values_list("policy__county_id", "tag", "days"):
        if county_id is not None:
            tags[county_id][tag] = days
    return defaults, tags


def with_due(qs: QuerySet[Assignment], on: dt.date | None = None) -> QuerySet[Assignment]:
    """Annotate assignments with ``last_visit`` (the household's, by anyone), ``seen`` (the
    last visit, or the start of the care if none), ``interval`` (days: the shortest of the
    household's residents' tags, else the county's default) and ``cutoff`` (seen before it =
    overdue)."""
    day = on or timezone.localdate()
    defaults, tags = _policies()
    configured = list(defaults)
    tag_cases = [When(resident__county_id=c, tag=t, then=Value(d)) for c, by_tag in tags.items()
                 for t, d in by_tag.items()]
    tag_cases += [When(~Q(resident__county_id__in=configured), tag=str(t), then=Value(d))
                  for t, d in DEFAULT_TAG_INTERVALS.items()]
    tag_days = (ResidentTag.objects.filter(resident__household=OuterRef("household_id"),
                                           resident__status=Resident.Status.ACTIVE)
                .annotate(days=Case(*tag_cases, default=Value(None), output_field=IntegerField()))
                .order_by().values("resident__household").annotate(least=Min("days")).values("least")[:1])
    default = Case(*[When(county_id=c, then=Value(d)) for c, d in defaults.items()],
                   default=Value(DEFAULT_INTERVAL_DAYS), output_field=IntegerField())
    intervals = {DEFAULT_INTERVAL_DAYS, *defaults.values(), *DEFAULT_TAG_INTERVALS.values(),
                 *(d for by_tag in tags.values() for d in by_tag.values())}
    cutoff = Case(*[When(interval=d, then=Value(day - dt.timedelta(days=d))) for d in sorted(intervals)],
                  default=Value(day - dt.timedelta(days=DEFAULT_INTERVAL_DAYS)), output_field=DateField())
    last = Subquery(Visit.objects.filter(household=OuterRef("household_id"), visited_on__lte=day)
                    .order_by("-visited_on").values("visited_on")[:1], output_field=DateField())
    return (qs.annotate(last_visit=last, interval=Coalesce(Subquery(tag_days, output_field=IntegerField()), default))
            .annotate(seen=Coalesce(F("last_visit"), F("start_date"), output_field=DateField()), cutoff=cutoff))


def current_assignments(viewer: Any, *, region: Region | None = None, member: PartyMember | None = None,
                        on: dt.date | None = None) -> QuerySet[Assignment]:
    day = on or timezone.localdate()
    qs = access.scope(viewer, "contact.view", Assignment.objects.filter(start_date__lte=day))
    qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
    if member is not None:
        qs = qs.filter(member=member)
    return _under(qs, region)


def households_due(viewer: Any, *, region: Region | None = None, member: PartyMember | None = None,
                   on: dt.date | None = None) -> QuerySet[Assignment]:
    """Households in a member's care not visited within their interval, the longest
    waiting first (one row per household: its current contact)."""
    qs = with_due(current_assignments(viewer, region=region, member=member, on=on), on)
    return (qs.filter(seen__lt=F("cutoff")).select_related("household", "member", "village")  # type: ignore[misc]  # annotated by with_due()
            .annotate(head_name=_head_name()).order_by("seen", "household__number"))


def my_households(viewer: Any, member: PartyMember) -> QuerySet[Assignment]:
    """A member's households with when each was last seen and whether it is due."""
    return (with_due(current_assignments(viewer, member=member)).select_related("household")
            .annotate(head_name=_head_name(), head_phone=_head_phone()).order_by("seen", "household__number"))


def households_without_contact(viewer: Any, *, region: Region | None = None) -> QuerySet[Household]:
    current = Assignment.objects.filter(household=OuterRef("pk"), end_date__isnull=True)
    qs = access.scope(viewer, "contact.view", Household.objects.all()).filter(~Exists(current))
    heads = Resident.objects.filter(household=OuterRef("pk"), relation=Resident.Relation.HEAD,
                                    status=Resident.Status.ACTIVE)
    return (_under(qs, region).select_related("village", "grid")
            .annotate(head_name=Subquery(heads.values("name")[:1])).order_by("number"))


def members(viewer: Any, *, region: Region | None = None) -> QuerySet[PartyMember]:
    """Party members of the branches and party groups in scope, each with ``load`` (the
    households in their care now)."""
    orgs = access.scope(viewer, "contact.view", PartyOrganisation.objects.filter(
        kind__in=[PartyOrganisation.Kind.BRANCH, PartyOrganisation.Kind.GROUP]))
    if region is not None:
        orgs = orgs.filter(tree.under(region.path))
    load = (Assignment.objects.filter(member=OuterRef("pk"), end_date__isnull=True).order_by()
            .values("member").annotate(n=Count("id")).values("n"))
    return (PartyMember.objects.filter(organisation__in=orgs).select_related("organisation")
            .annotate(load=Coalesce(Subquery(load, output_field=IntegerField()), 0))
            .order_by("organisation__region_path", "organisation__kind", "name", "id"))


def member_loads(viewer: Any, *, region: Region, county_id: int | None) -> dict[str, Any]:
    """Members over the county's limit and under it (the page warns on both)."""
    policy = services.policy_for(county_id or region.county_pk)[0]
    qs = members(viewer, region=region)
    # ``load`` is annotated by members().
    return {"policy": policy, "over": qs.filter(load__gt=policy.max_households),  # type: ignore[misc]
            "under": qs.filter(load__lt=policy.min_households)}  # type: ignore[misc]


def member_get(viewer: Any, pk: Any) -> PartyMember:
    found = members(viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


# -- coverage ----------------------------------------------------------------------------------------

@dataclass
class Coverage:
    households: int = 0
    in_care: int = 0
    without_contact: int = 0
    members: int = 0
    members_with_households: int = 0
    over_limit: int = 0
    under_limit: int = 0
    visits_30_days: int = 0
    households_visited_30_days: int = 0
    due: int = 0

    @property
    def care_rate(self) -> float | None:
        return round(self.in_care / self.households, 4) if self.households else None

    @property
    def visited_rate(self) -> float | None:
        return round(self.households_visited_30_days / self.in_care, 4) if self.in_care else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "care_rate": self.care_rate, "visited_rate": self.visited_rate}


def coverage(viewer: Any, region: Region, *, on: dt.date | None = None) -> Coverage:
    day = on or timezone.localdate()
    loads = member_loads(viewer, region=region, county_id=region.county_id)
    policy = loads["policy"]
    all_members = members(viewer, region=region)
    households = _under(access.scope(viewer, "contact.view", Household.objects.all()), region)
    in_care = current_assignments(viewer, region=region, on=day)
    recent = _under(access.scope(viewer, "contact.view", Visit.objects.filter(
        visited_on__gt=day - dt.timedelta(days=30), visited_on__lte=day)), region)
    m = all_members.aggregate(n=Count("id"), busy=Count("id", filter=Q(load__gt=0)),
                              over=Count("id", filter=Q(load__gt=policy.max_households)),
                              under=Count("id", filter=Q(load__lt=policy.min_households)))
    v = recent.aggregate(n=Count("id"), h=Count("household_id", distinct=True))
    total = households.count()
    cared = in_care.count()
    return Coverage(households=total, in_care=cared, without_contact=households_without_contact(
        viewer, region=region).count(), members=m["n"], members_with_households=m["busy"], over_limit=m["over"],
        under_limit=m["under"], visits_30_days=v["n"], households_visited_30_days=v["h"],
        due=households_due(viewer, region=region, on=day).count())


def coverage_by_child(viewer: Any, region: Region, *, on: dt.date | None = None) -> list[tuple[Region, Coverage]]:
    """The coverage of each child place the viewer may see (a township's villages...)."""
    children = access.scope(viewer, "region.view", region.children.all()).order_by("code")
    return [(child, coverage(viewer, child, on=on)) for child in children[:60]]


# -- visits, reports, summaries -------------------------------------------------------------------

def visits(viewer: Any, *, member: PartyMember | None = None, household: Household | None = None,
           region: Region | None = None, since: dt.date | None = None, until: dt.date | None = None,
           purpose: str = "") -> QuerySet[Visit]:
    qs = access.scope(viewer, "contact.view", Visit.objects.all())
    if member is not None:
        qs = qs.filter(member=member)
    if household is not None:
        qs = qs.filter(household=household)
    if since is not None:
        qs = qs.filter(visited_on__gte=since)
    if until is not None:
        qs = qs.filter(visited_on__lte=until)
    if purpose:
        qs = qs.filter(purpose=purpose)
    return (_under(qs, region).select_related("member", "household", "village")
            .prefetch_related(Prefetch("follow_ups", queryset=VisitFollowUp.objects.order_by("kind")))
            .order_by("-visited_on", "-id"))


def visit_get(viewer: Any, pk: Any) -> Visit:
    return access.get_for(viewer, "contact.view", visits(viewer), pk=pk)


def reports(viewer: Any, *, queue: str = "all", member: PartyMember | None = None, state: str = "",
            region: Region | None = None) -> QuerySet[MonthlyReport]:
    if queue == "review":
        qs = access.scope(viewer, "contact.review", MonthlyReport.objects.filter(state=ReportState.SUBMITTED))
    else:
        qs = access.scope(viewer, "contact.view", MonthlyReport.objects.all())
    if queue == "mine":
        mine = services.members_of(viewer)
        qs = qs.filter(member__in=mine) if mine else qs.none()
    if member is not None:
        qs = qs.filter(member=member)
    if state:
        qs = qs.filter(state=state)
    return _under(qs, region).select_related("member", "branch", "village").order_by("-month", "member__name", "id")


def report_get(viewer: Any, pk: Any) -> MonthlyReport:
    return access.get_for(viewer, "contact.view", MonthlyReport.objects.select_related(
        "member", "member__organisation", "branch", "village", "reviewed_by"), pk=pk)


def report_visits(report: MonthlyReport) -> QuerySet[Visit]:
    """The visits a report was assembled from (the member's in the month)."""
    return (Visit.objects.filter(member=report.member, visited_on__gte=report.month,
                                 visited_on__lte=services.month_end(report.month))
            .select_related("household").prefetch_related("follow_ups").order_by("visited_on", "id"))


@dataclass
class QuarterFigures:
    members: int = 0
    members_with_households: int = 0
    households_in_care: int = 0
    households_visited: int = 0
    visits: int = 0
    settled: int = 0
    follow_ups: int = 0
    reports_expected: int = 0
    reports_submitted: int = 0
    reports_approved: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)

    @property
    def visited_rate(self) -> float | None:
        return round(self.households_visited / self.households_in_care, 4) if self.households_in_care else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "visited_rate": self.visited_rate}


def branch_members(branch: PartyOrganisation) -> QuerySet[PartyMember]:
    return PartyMember.objects.filter(Q(organisation=branch) | Q(organisation__parent=branch))


def branch_quarter_figures(branch: PartyOrganisation, year: int, quarter: int) -> QuarterFigures:
    start, end = services.quarter_bounds(year, quarter)
    today = timezone.localdate()
    people = branch_members(branch)
    care = (Assignment.objects.filter(member__in=people, start_date__lte=end)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=start)))
    quarter_visits = Visit.objects.filter(member__in=people, visited_on__gte=start, visited_on__lte=end)
    v = quarter_visits.aggregate(n=Count("id"), h=Count("household_id", distinct=True),
                                 s=Count("id", filter=Q(settled=True)))
    months = [dt.date(year, m, 1) for m in range(3 * quarter - 2, 3 * quarter + 1) if dt.date(year, m, 1) <= today]
    busy = care.values("member_id").distinct().count()
    r = MonthlyReport.objects.filter(branch=branch, month__in=months).aggregate(
        sub=Count("id", filter=Q(state__in=[ReportState.SUBMITTED, ReportState.APPROVED])),
        ok=Count("id", filter=Q(state=ReportState.APPROVED)))
    return QuarterFigures(
        members=people.count(), members_with_households=busy,
        households_in_care=care.values("household_id").distinct().count(), households_visited=v["h"],
        visits=v["n"], settled=v["s"], follow_ups=VisitFollowUp.objects.filter(visit__in=quarter_visits).count(),
        reports_expected=busy * len(months), reports_submitted=r["sub"], reports_approved=r["ok"],
        by_purpose=dict(quarter_visits.order_by().values_list("purpose").annotate(n=Count("id"))
                        .values_list("purpose", "n")))


def branches(viewer: Any, *, region: Region | None = None) -> QuerySet[PartyOrganisation]:
    qs = access.scope(viewer, "contact.view", PartyOrganisation.objects.filter(kind=PartyOrganisation.Kind.BRANCH))
    viewer_ = viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)
    if not viewer_.is_admin:
        # Only the branches at or under the viewer's places (not those above, seen for context).
        qs = qs.filter(tree.under_any(viewer_.paths_for("contact.view")))
    return _under(qs, region).select_related("region").order_by("region_path")


def quarter_summaries(viewer: Any, *, branch: PartyOrganisation | None = None, region: Region | None = None
                      ) -> QuerySet[QuarterSummary]:
    qs = access.scope(viewer, "contact.view", QuarterSummary.objects.all())
    if branch is not None:
        qs = qs.filter(branch=branch)
    return _under(qs, region).select_related("branch", "written_by").order_by("-year", "-quarter", "region_path")


# -- dual registration and wishes ------------------------------------------------------------------

def units(viewer: Any, *, q: str = "") -> QuerySet[Unit]:
    qs = access.scope(viewer, "unit.view", Unit.objects.all())
    if q:
        qs = qs.filter(name__contains=q)
    current = UnitRegistration.objects.filter(unit=OuterRef("pk"), ended_on__isnull=True).order_by().values(
        "unit").annotate(n=Count("id")).values("n")
    return (qs.select_related("party_organisation", "liaison")
            .annotate(communities=Coalesce(Subquery(current, output_field=IntegerField()), 0)).order_by("name", "id"))


def unit_get(viewer: Any, pk: Any) -> Unit:
    return access.get_for(viewer, "unit.view", Unit.objects.select_related("party_organisation", "liaison"), pk=pk)


def unit_registrations(viewer: Any, *, community: Region | None = None, current: bool = True
                       ) -> QuerySet[UnitRegistration]:
    qs = access.scope(viewer, "unit.view", UnitRegistration.objects.all())
    if current:
        qs = qs.filter(ended_on__isnull=True)
    if community is not None:
        qs = qs.filter(community=community)
    return qs.select_related("unit", "unit__party_organisation", "community").order_by("community__path", "unit__name")


def member_registrations(viewer: Any, *, community: Region | None = None, current: bool = True
                         ) -> QuerySet[MemberRegistration]:
    qs = access.scope(viewer, "unit.view", MemberRegistration.objects.all())
    if current:
        qs = qs.filter(ended_on__isnull=True)
    if community is not None:
        qs = qs.filter(community=community)
    return qs.select_related("member", "unit", "community").order_by("community__path", "member__name")


def wishes(viewer: Any, *, state: str = "", region: Region | None = None, household: Household | None = None,
           mine: bool = False) -> QuerySet[MicroWish]:
    qs = access.scope(viewer, "wish.view", MicroWish.objects.all())
    if state:
        qs = qs.filter(state=state)
    if household is not None:
        qs = qs.filter(household=household)
    if mine:
        v = viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)
        qs = qs.filter(claimed_by_id=v.user.pk if v.user is not None else None)
    return (_under(qs, region).select_related("household", "village", "claimed_member", "claimed_unit")
            .order_by("-created_at", "-id"))


def wish_get(viewer: Any, pk: Any) -> MicroWish:
    return access.get_for(viewer, "wish.view", MicroWish.objects.select_related(
        "household", "village", "resident", "claimed_member", "claimed_unit", "claimed_unit__liaison"), pk=pk)


def wish_counts(viewer: Any, *, region: Region | None = None) -> dict[str, int]:
    qs = _under(access.scope(viewer, "wish.view", MicroWish.objects.all()), region)
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return {s: counts.get(s, 0) for s in (WishState.OPEN, WishState.CLAIMED, WishState.FULFILLED, WishState.THANKED,
                                          WishState.WITHDRAWN)}


def liaison_units(viewer: Any) -> list[Unit]:
    """The units the viewer is the liaison of (to claim a wish for one)."""
    v = viewer if isinstance(viewer, access.Viewer) else access.viewer_for(viewer)
    if v.user is None:
        return []
    return list(Unit.objects.filter(liaison_id=v.user.pk).order_by("name"))


def village_rules(household: Household, on: dt.date) -> list[Any]:
    """The points rules of the household's village in force on a day (public: they are the
    village rules), for a points proposal from a visit."""
    from shanzhi.points.models import PointRule

    return list(PointRule.objects.filter(region_id=household.village_id, is_template=False, valid_from__lte=on)
                .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on)).order_by("category", "code"))


__all__ = ["Coverage", "QuarterFigures", "coverage", "coverage_by_child", "households_due",
           "households_without_contact", "member_loads", "members", "my_households", "reports", "visits",
           "wishes", "with_due"]
