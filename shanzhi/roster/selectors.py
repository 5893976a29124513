"""Reads for the roster export, scoped to the viewer, streamed in chunks of households so
memory stays flat however large the county (three queries per chunk, none per row)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shanzhi.core import access, tree
from shanzhi.regions.models import Household, Region, Resident, ResidentTag

CHUNK = 1000


def exportable_households(viewer: Any, *, region: Region | None = None):  # type: ignore[no-untyped-def]
    qs = access.scope(viewer, "household.export", Household.objects.all())
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    return qs


def export_rows(viewer: Any, *, region: Region | None = None
                ) -> Iterator[tuple[Household, Resident, list[str]]]:
    """(household, resident, tags) for every active resident, households in number order,
    the head first within each. ``household.head_name`` is set."""
    households = exportable_households(viewer, region=region).select_related("village", "grid", "micro_grid")
    last = None
    while True:
        page = households.order_by("number")
        if last is not None:
            page = page.filter(number__gt=last)
        chunk = list(page[:CHUNK])
        if not chunk:
            return
        last = chunk[-1].number
        by_pk = {h.pk: h for h in chunk}
        members: dict[int, list[Resident]] = {h.pk: [] for h in chunk}
        residents = list(Resident.objects.filter(household_id__in=by_pk, status=Resident.Status.ACTIVE)
                         .order_by("household_id", "id"))
        tags: dict[int, list[str]] = {}
        for resident_id, tag in ResidentTag.objects.filter(resident__in=[r.pk for r in residents]).values_list(
                "resident_id", "tag"):
            tags.setdefault(resident_id, []).append(tag)
        for resident in residents:
            members[resident.household_id or 0].append(resident)
        for household in chunk:
            people = sorted(members[household.pk], key=lambda r: (r.relation != Resident.Relation.HEAD, r.pk))
            head = next((r.name for r in people if r.relation == Resident.Relation.HEAD), "")
            household.head_name = head  # type: ignore[attr-defined]
            for resident in people:
                yield household, resident, tags.get(resident.pk, [])
