"""REST endpoints of the governance map: regions, households, residents, search and
coverage. Parsing and calling services/selectors only.

Records are addressed by id (households, residents) or division code (regions); one
outside the caller's scope answers 404 like an unknown one. A code or id named in a
request body or a filter that the caller cannot see is a 422 naming that field.
"""

# No "from __future__ import annotations": ninja reads these signatures through the
# pagination wrapper, where postponed (string) annotations would not resolve.
import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core.errors import NotFound
from shanzhi.regions import selectors, services
from shanzhi.regions.models import Household, Region, Resident, Tag

router = Router(tags=["map"])


class RegionRef(Schema):
    code: str
    name: str


class RegionOut(Schema):
    code: str
    name: str
    kind: str
    level: int
    parent_code: str | None = None
    path: str
    is_urban: bool
    latitude: float | None = None
    longitude: float | None = None
    household_count: int

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        parent = obj.parent  # selected with the region; None at the top (no query)
        return parent.code if parent is not None else None


class HouseholdOut(Schema):
    id: int
    number: str
    address: str
    village: RegionRef
    grid: RegionRef | None = None
    micro_grid: RegionRef | None = None
    head_name: str | None = None
    member_count: int = 0


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date | None = None
    id_number_masked: str = Field(..., description="the ID number masked; POST .../reveal-id shows it, audited")
    phone_masked: str
    relation: str
    household_id: int | None = None
    tags: list[str]
    updated_at: str = Field(..., json_schema_extra={"format": "date-time"},
                            description="send it back in PATCH to be told (409) of a concurrent edit")

    @staticmethod
    def resolve_tags(obj: Resident) -> list[str]:
        return [row.tag for row in obj.tag_rows.all()]

    @staticmethod
    def resolve_updated_at(obj: Resident) -> str:
        # Full precision: the JSON encoder would cut it to milliseconds, and the version
        # must compare equal when sent back.
        return obj.updated_at.isoformat()


class RegionIn(Schema, extra="forbid"):
    parent: str | None = Field(None, description="parent region code; empty only for a new top region (admin)")
    code: str = Field(..., max_length=20)
    name: str = Field(..., max_length=100)
    kind: Region.Kind
    is_urban: bool | None = None


class HouseholdIn(Schema, extra="forbid"):
    number: str = Field(..., max_length=32)
    village: str | None = Field(None, description="village code")
    grid: str | None = Field(None, description="grid code")
    micro_grid: str | None = Field(None, description="micro-grid code")
    address: str = Field("", max_length=200)


class PlaceIn(Schema, extra="forbid"):
    grid: str | None = Field(None, description="grid code; empty takes the household out of its grid")
    micro_grid: str | None = None


class ResidentIn(Schema, extra="forbid"):
    household_id: int
    name: str = Field(..., max_length=50)
    relation: Resident.Relation
    gender: Resident.Gender | None = Field(None, description="taken from the ID number when empty")
    birth_date: dt.date | None = None
    id_number: str | None = Field(None, max_length=18)
    phone: str = Field("", max_length=20)
    tags: list[Tag] = []


class ResidentPatch(Schema, extra="forbid"):
    name: str | None = Field(None, max_length=50)
    relation: Resident.Relation | None = None
    gender: Resident.Gender | None = None
    birth_date: dt.date | None = None
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=20)
    tags: list[Tag] | None = None
    updated_at: dt.datetime | None = Field(None, description="the updated_at you read; 409 if it changed since")


class MoveIn(Schema, extra="forbid"):
    to_household_id: int | None = Field(None, description="empty: moved out of the county")
    relation: Resident.Relation | None = None
    reason: str = Field("", max_length=200)


class RevealIn(Schema, extra="forbid"):
    purpose: str = Field("", max_length=200, description="why the full number is needed (kept in the audit log)")


class RevealOut(Schema):
    id_number: str


class GridLoadOut(Schema):
    grid: RegionRef
    households: int
    minimum: int
    maximum: int
    problem: str


class CoverageOut(Schema):
    grids: int
    households: int
    out_of_standard: list[GridLoadOut]
    without_grid_count: int
    without_grid: list[HouseholdOut] = Field(..., description="the first 500")


class SearchOut(Schema):
    residents: list[ResidentOut]
    households: list[HouseholdOut]


class RegionFilter(Schema):
    parent: str | None = Field(None, description="parent region code")
    level: Region.Level | None = None
    q: str = Field("", max_length=50, description="name contains, or code starts with")


class HouseholdFilter(Schema):
    region: str | None = Field(None, description="region code: households at or under it")
    q: str = Field("", max_length=50, description="household number starts with, or address contains")
    without_grid: bool = False


class ResidentFilter(Schema):
    region: str | None = Field(None, description="region code: residents at or under it")
    q: str = Field("", max_length=50, description="name contains; a full ID or phone number matches exactly")
    tag: Tag | None = None


def _resident_out(request: HttpRequest, pk: int) -> Resident:
    return selectors.resident_get(request.user, pk=pk, tagged=True)


def _household_out(request: HttpRequest, household_id: int) -> Household:
    household = selectors.households(request.user).filter(pk=household_id).first()
    if household is None:
        raise NotFound()
    return household


@router.get("/regions", response=list[RegionOut])
@paginate(PageNumberPagination)
def list_regions(request: HttpRequest, filters: RegionFilter = Query(...)) -> Any:
    parent = selectors.region_ref(request.user, filters.parent, field="parent")
    return selectors.regions(request.user, parent=parent, level=filters.level, q=filters.q).select_related("parent")


@router.post("/regions", response={201: RegionOut})
def create_region(request: HttpRequest, payload: RegionIn) -> Any:
    region = services.region_create(
        actor=request.user, parent=selectors.region_ref(request.user, payload.parent, field="parent"),
        code=payload.code, name=payload.name, kind=payload.kind, is_urban=payload.is_urban)
    return Status(201, selectors.region_get(request.user, code=region.code))


@router.get("/regions/{code}", response=RegionOut)
def get_region(request: HttpRequest, code: str) -> Any:
    return selectors.region_get(request.user, code=code)


@router.get("/regions/{code}/coverage", response=CoverageOut)
def get_coverage(request: HttpRequest, code: str) -> Any:
    result = selectors.coverage(request.user, region=selectors.region_get(request.user, code=code))
    return {"grids": result.grids, "households": result.households,
            "out_of_standard": [{"grid": g.grid, "households": g.households, "minimum": g.minimum,
                                 "maximum": g.maximum, "problem": g.problem} for g in result.out_of_standard],
            "without_grid_count": result.without_grid.count(),
            "without_grid": list(result.without_grid[:500])}


@router.get("/households", response=list[HouseholdOut])
@paginate(PageNumberPagination)
def list_households(request: HttpRequest, filters: HouseholdFilter = Query(...)) -> Any:
    return selectors.households(request.user, region=selectors.region_ref(request.user, filters.region,
                                                                          field="region"),
                                q=filters.q, without_grid=filters.without_grid)


@router.post("/households", response={201: HouseholdOut})
def create_household(request: HttpRequest, payload: HouseholdIn) -> Any:
    household = services.household_create(
        actor=request.user, number=payload.number, address=payload.address,
        village=selectors.region_ref(request.user, payload.village, field="village"),
        grid=selectors.region_ref(request.user, payload.grid, field="grid"),
        micro_grid=selectors.region_ref(request.user, payload.micro_grid, field="micro_grid"))
    return Status(201, _household_out(request, household.pk))


@router.get("/households/{int:household_id}", response=HouseholdOut)
def get_household(request: HttpRequest, household_id: int) -> Any:
    return _household_out(request, household_id)


@router.post("/households/{int:household_id}/place", response=HouseholdOut)
def place_household(request: HttpRequest, household_id: int, payload: PlaceIn) -> Any:
    household = selectors.household_get(request.user, pk=household_id)
    services.household_place(actor=request.user, household=household,
                             grid=selectors.region_ref(request.user, payload.grid, field="grid"),
                             micro_grid=selectors.region_ref(request.user, payload.micro_grid, field="micro_grid"))
    return _household_out(request, household_id)


@router.get("/households/{int:household_id}/members", response=list[ResidentOut])
def household_members(request: HttpRequest, household_id: int) -> Any:
    household = selectors.household_get(request.user, pk=household_id)
    return list(selectors.household_members(request.user, household))


@router.get("/residents", response=list[ResidentOut])
@paginate(PageNumberPagination)
def list_residents(request: HttpRequest, filters: ResidentFilter = Query(...)) -> Any:
    return selectors.residents(request.user, region=selectors.region_ref(request.user, filters.region,
                                                                        field="region"),
                               q=filters.q, tag=filters.tag or "")


@router.post("/residents", response={201: ResidentOut})
def create_resident(request: HttpRequest, payload: ResidentIn) -> Any:
    household = selectors.household_ref(request.user, payload.household_id, field="household_id")
    resident = services.resident_create(
        actor=request.user, household=household, name=payload.name, relation=payload.relation,
        gender=payload.gender or "", birth_date=payload.birth_date, id_number=payload.id_number,
        phone=payload.phone, tags=payload.tags)
    return Status(201, _resident_out(request, resident.pk))


@router.get("/residents/{int:resident_id}", response=ResidentOut)
def get_resident(request: HttpRequest, resident_id: int) -> Any:
    return _resident_out(request, resident_id)


@router.patch("/residents/{int:resident_id}", response=ResidentOut)
def update_resident(request: HttpRequest, resident_id: int, payload: ResidentPatch) -> Any:
    resident = selectors.resident_get(request.user, pk=resident_id)
    changes = payload.dict(exclude_unset=True)
    tags = changes.pop("tags", None)
    expected = changes.pop("updated_at", None)
    services.resident_update(actor=request.user, resident=resident, tags=tags, expected_updated_at=expected,
                             **changes)
    return _resident_out(request, resident_id)


@router.post("/residents/{int:resident_id}/move", response=ResidentOut)
def move_resident(request: HttpRequest, resident_id: int, payload: MoveIn) -> Any:
    """Move a resident to another household in your scope, or (no ``to_household_id``)
    out of the county. Answers the resident as they are after the move."""
    resident = selectors.resident_get(request.user, pk=resident_id)
    target = selectors.household_ref(request.user, payload.to_household_id, field="to_household_id")
    moved = services.resident_move(actor=request.user, resident=resident, to_household=target,
                                   relation=payload.relation or "", reason=payload.reason)
    return selectors.with_tags(Resident.objects.filter(pk=moved.pk)).get()


@router.post("/residents/{int:resident_id}/reveal-id", response=RevealOut)
def reveal_id(request: HttpRequest, resident_id: int, payload: RevealIn) -> Any:
    """The full ID number of one resident, for roles whose duty needs it; every call is
    written to the audit log with its purpose."""
    resident = selectors.resident_get(request.user, pk=resident_id)
    return {"id_number": services.resident_reveal_id(actor=request.user, resident=resident,
                                                     purpose=payload.purpose)}


@router.get("/search", response=SearchOut)
def search(request: HttpRequest, q: str = Query(..., min_length=1, max_length=50)) -> Any:
    result = selectors.search(request.user, q)
    return {"residents": result.residents, "households": result.households}
