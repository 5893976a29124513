"""Reads of the governance map, already scoped to the viewer, with the joins they need."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, overload

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from shanzhi.core import access, idnumbers, tree
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.regions.models import GridStandard, Household, Region, Resident, ResidentTag

DIGITS = re.compile(r"^\d+$")


def regions(viewer: Any, *, parent: Region | None = None, level: int | None = None, q: str = "") -> QuerySet[Region]:
    qs = access.scope(viewer, "region.view", Region.objects.all())
    if parent is not None:
        qs = qs.filter(parent=parent)
    if level is not None:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    return qs.order_by("path")


def region_get(viewer: Any, *, code: str) -> Region:
    return access.get_for(viewer, "region.view", Region.objects.select_related("parent"), code=code)


def region_ref(viewer: Any, code: str | None, *, field: str) -> Region | None:
    """The region a form or API field names by its code, or None when the field is empty.
    A code the viewer cannot see reads as unknown, so input cannot probe the tree."""
    code = (code or "").strip()
    if not code:
        return None
    region = access.scope(viewer, "region.view", Region.objects.filter(code=code)).select_related("parent").first()
    if region is None:
        raise ValidationError(_("Unknown region code: %(code)s") % {"code": code[:20]}, field=field)
    return region


def region_children(viewer: Any, region: Region) -> QuerySet[Region]:
    """Children the viewer may see (their household counts: ``household_counts``)."""
    return access.scope(viewer, "region.view", region.children.all()).order_by("code")


def household_counts(viewer: Any, region: Region) -> tuple[dict[str, int], int]:
    """How many households the viewer may see under each child of ``region`` (by child
    code) and under ``region`` in all. One grouped query: a row per distinct place under the
    region, folded into its child here."""
    rows = (households(viewer, region=region).order_by()
            .values("region_path").annotate(n=Count("id")).values_list("region_path", "n"))
    by_child: dict[str, int] = {}
    total = 0
    depth = len(region.path)
    for path, n in rows:
        total += n
        rest = path[depth:]
        if rest:
            code = rest.split(tree.SEP, 1)[0]
            by_child[code] = by_child.get(code, 0) + n
    return by_child, total


def breadcrumbs(region: Region) -> list[Region]:
    by_path = {r.path: r for r in Region.objects.filter(path__in=tree.ancestors(region.path))}
    return [by_path[p] for p in tree.ancestors(region.path) if p in by_path]


def _head_name() -> Subquery:
    heads = Resident.objects.filter(household=OuterRef("pk"), relation=Resident.Relation.HEAD,
                                    status=Resident.Status.ACTIVE)
    return Subquery(heads.values("name")[:1])


def _member_count() -> Coalesce:
    members = (Resident.objects.filter(household=OuterRef("pk"), status=Resident.Status.ACTIVE)
               .order_by().values("household").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(members[:1]), 0)


def households(viewer: Any, *, region: Region | None = None, q: str = "", without_grid: bool = False
               ) -> QuerySet[Household]:
    qs = access.scope(viewer, "household.view", Household.objects.all())
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if without_grid:
        qs = qs.filter(grid__isnull=True)
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(address__contains=q))
    return (qs.select_related("village", "grid", "micro_grid")
            .annotate(head_name=_head_name(), member_count=_member_count())
            .order_by("number"))


def household_get(viewer: Any, *, pk: int | None = None, number: str | None = None) -> Household:
    lookup: dict[str, Any] = {"pk": pk} if pk is not None else {"number": number}
    qs = Household.objects.select_related("village", "grid", "micro_grid", "county")
    return access.get_for(viewer, "household.view", qs, **lookup)


@overload
def household_ref(viewer: Any, pk: int, *, field: str) -> Household: ...
@overload
def household_ref(viewer: Any, pk: None, *, field: str) -> None: ...
@overload
def household_ref(viewer: Any, pk: int | None, *, field: str) -> Household | None: ...


def household_ref(viewer: Any, pk: int | None, *, field: str) -> Household | None:
    """The household a form or API field names by its id (None when empty); one the
    viewer cannot see reads as unknown."""
    if pk is None:
        return None
    household = access.scope(viewer, "household.view", Household.objects.filter(pk=pk)).first()
    if household is None:
        raise ValidationError(_("Unknown household."), field=field)
    return household


def with_tags(qs: QuerySet[Resident]) -> QuerySet[Resident]:
    return qs.prefetch_related(Prefetch("tag_rows", queryset=ResidentTag.objects.order_by("tag")))


def household_members(viewer: Any, household: Household) -> QuerySet[Resident]:
    qs = access.scope(viewer, "resident.view",
                      Resident.objects.filter(household=household, status=Resident.Status.ACTIVE))
    return with_tags(qs).order_by("id")


def residents(viewer: Any, *, region: Region | None = None, q: str = "", tag: str = "") -> QuerySet[Resident]:
    qs = access.scope(viewer, "resident.view", Resident.objects.filter(status=Resident.Status.ACTIVE))
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if tag:
        qs = qs.filter(tag_rows__tag=tag)
    if q:
        qs = qs.filter(_person_match(q))
    return with_tags(qs.select_related("household")).order_by("id")


def resident_get(viewer: Any, *, pk: int, tagged: bool = False) -> Resident:
    qs = Resident.objects.select_related("household")
    return access.get_for(viewer, "resident.view", with_tags(qs) if tagged else qs, pk=pk)


def _person_match(text: str) -> Q:
    text = text.strip()
    upper = text.upper()
    if len(upper) == 18 and idnumbers.ID_RE.match(upper):
        return Q(id_number=upper)
    if DIGITS.match(text) and len(text) == 11:
        return Q(phone=text)
    return Q(name__contains=text)


@dataclass
class SearchResult:
    residents: list[Resident]
    households: list[Household]


def search(viewer: Any, text: str, *, limit: int = 30) -> SearchResult:
    """Search by name, household number, phone or ID number, within the viewer's scope.
    A full ID or phone matches exactly (never by fragment, so the search cannot be used to
    guess someone's number digit by digit)."""
    text = (text or "").strip()[:50]
    if not text:
        return SearchResult([], [])
    people = list(residents(viewer, q=text)[:limit])
    homes = list(households(viewer).filter(number__startswith=text)[:limit]) if not people else []
    return SearchResult(people, homes)


def grid_standard_for(county: Region) -> GridStandard:
    return GridStandard.objects.filter(county=county).first() or GridStandard(county=county)


@dataclass
class GridLoad:
    grid: Region
    households: int
    minimum: int
    maximum: int

    @property
    def problem(self) -> str:
        if self.households < self.minimum:
            return "under"
        if self.households > self.maximum:
            return "over"
        return ""


@dataclass
class Coverage:
    grids: int
    households: int
    out_of_standard: list[GridLoad]
    without_grid: QuerySet[Household]


def coverage(viewer: Any, *, region: Region) -> Coverage:
    """Grids outside the county's size standard and households without a grid, under
    ``region`` and within the viewer's scope."""
    # Visible but without the right to check coverage: forbidden, not "not found".
    access.require(viewer, "coverage.view", region, view_action="region.view")
    county = region if region.level == Region.Level.COUNTY else region.county
    if county is None:
        raise NotFound()
    standard = grid_standard_for(county)
    grids = (access.scope(viewer, "region.view", Region.objects.filter(level=Region.Level.GRID))
             .filter(tree.under(region.path, "path"))
             .annotate(n=Count("households"))
             .order_by("path"))
    loads = [GridLoad(g, g.n, *standard.bounds(g.is_urban)) for g in grids]
    homes = households(viewer, region=region)
    return Coverage(
        grids=len(loads),
        households=homes.count(),
        out_of_standard=[load for load in loads if load.problem],
        without_grid=homes.filter(grid__isnull=True),
    )
