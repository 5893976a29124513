"""REST endpoints for accounts and tokens, people and positions, departments and the
Party organisation. Parsing and calling services/selectors only."""

# No "from __future__ import annotations": ninja reads these signatures through the
# pagination wrapper, where postponed (string) annotations would not resolve.
import datetime as dt
from typing import Any, cast

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from shanzhi.core import access
from shanzhi.core.errors import NotFound, ValidationError
from shanzhi.people import selectors, services
from shanzhi.people.models import Department, PartyOrganisation, Role, User
from shanzhi.regions.selectors import region_ref

router = Router(tags=["people"])
auth_router = Router(tags=["auth"])


class TokenIn(Schema, extra="forbid"):
    username: str = Field(..., description="username, or a resident's phone number", max_length=150)
    password: str = Field(..., max_length=200)
    name: str = Field("", max_length=100, description="what the token is for, e.g. the mini-program")
    days: int = Field(365, ge=1, le=3650, description="how long the token lasts")


class TokenCreated(Schema):
    id: int
    token: str = Field(..., description="shown once; only a hash is kept")
    expires_at: dt.datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


class GrantOut(Schema):
    role: str
    region_path: str | None = None
    department_id: int | None = None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    is_admin: bool
    household_id: int | None = None
    resident_id: int | None = None
    grants: list[GrantOut]


class DepartmentRef(Schema):
    id: int
    name: str


class PositionOut(Schema):
    id: int
    user_id: int
    user_name: str
    role: str
    region_code: str | None = None
    region_name: str | None = None
    department: DepartmentRef | None = None
    start_date: dt.date
    end_date: dt.date | None = None

    @staticmethod
    def resolve_user_name(obj: Any) -> str:
        return obj.user.get_full_name()

    @staticmethod
    def resolve_region_code(obj: Any) -> str | None:
        return obj.region.code if obj.region_id else None

    @staticmethod
    def resolve_region_name(obj: Any) -> str | None:
        return obj.region.name if obj.region_id else None


class PersonOut(Schema):
    id: int
    username: str
    full_name: str
    positions: list[PositionOut] = Field(..., alias="visible_positions")


class PositionIn(Schema, extra="forbid"):
    user_id: int
    role: Role
    region: str | None = Field(None, description="region code (not for department staff)")
    department_id: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class PositionEndIn(Schema, extra="forbid"):
    end_date: dt.date | None = Field(None, description="today when empty")


class DepartmentOut(Schema):
    id: int
    name: str
    kind: str
    region_code: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")
    phone: str


class PartyOrganisationOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None = None
    region_code: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")


class PartyMemberOut(Schema):
    id: int
    name: str
    organisation_id: int
    organisation_name: str = Field(..., alias="organisation.name")
    resident_id: int | None = None
    joined_on: dt.date | None = None


class PeopleFilter(Schema):
    q: str = Field("", max_length=50, description="name contains, or username starts with")
    role: Role | None = None
    region: str | None = Field(None, description="region code: positions at or under it")


class PositionFilter(Schema):
    role: Role | None = None
    region: str | None = Field(None, description="region code: positions at or under it")
    current: bool = Field(True, description="only positions held today")


class DepartmentFilter(Schema):
    kind: Department.Kind | None = None
    q: str = Field("", max_length=50)


class PartyOrganisationFilter(Schema):
    region: str | None = Field(None, description="region code: organisations at or under it")
    kind: PartyOrganisation.Kind | None = None


class PartyMemberFilter(Schema):
    organisation_id: int | None = None


# --- accounts and tokens ---------------------------------------------------------------

@auth_router.post("/token", response={201: TokenCreated}, auth=None)
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    """Exchange a username (or a resident's phone number) and password for a bearer token.
    Failed attempts count towards the login lockout, as on the login page (429 while locked)."""
    from shanzhi.core.security import login_check

    login_check(request, payload.username)
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise ValidationError(_("Wrong username or password."), field="password")
    token, key = services.token_create(actor=user, name=payload.name, days=payload.days)
    return Status(201, {"id": token.pk, "token": key, "expires_at": token.expires_at})


@auth_router.get("/tokens", response=list[TokenOut])
def list_tokens(request: HttpRequest) -> Any:
    """Your own tokens (their keys are never shown again)."""
    return list(selectors.tokens(request.user))


@auth_router.delete("/tokens/{int:token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    token = selectors.tokens(request.user).filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    services.token_revoke(actor=request.user, token=token)
    return Status(204, None)


@auth_router.get("/me", response=MeOut)
def me(request: HttpRequest) -> Any:
    user = cast(User, request.user)  # authenticated: the router requires it
    viewer = access.viewer_for(user)
    return {"id": user.pk, "username": user.get_username(),
            "full_name": user.get_full_name(), "is_admin": viewer.is_admin,
            "household_id": viewer.household_id, "resident_id": viewer.resident_id,
            "grants": [{"role": g.role, "region_path": g.region_path, "department_id": g.department_id}
                       for g in viewer.grants]}


# --- people and positions ----------------------------------------------------------------

@router.get("/people", response=list[PersonOut])
@paginate(PageNumberPagination)
def list_people(request: HttpRequest, filters: PeopleFilter = Query(...)) -> Any:
    return selectors.people(request.user, q=filters.q, role=filters.role or "",
                            region=region_ref(request.user, filters.region, field="region"))


@router.get("/people/{int:user_id}", response=PersonOut)
def get_person(request: HttpRequest, user_id: int) -> Any:
    return selectors.person_get(request.user, pk=user_id)


@router.get("/positions", response=list[PositionOut])
@paginate(PageNumberPagination)
def list_positions(request: HttpRequest, filters: PositionFilter = Query(...)) -> Any:
    return selectors.positions(request.user, role=filters.role or "", current_only=filters.current,
                               region=region_ref(request.user, filters.region, field="region"))


@router.post("/positions", response={201: PositionOut})
def grant_position(request: HttpRequest, payload: PositionIn) -> Any:
    # Anyone active may be appointed; the scope check is on the place of the position.
    user = User.objects.filter(pk=payload.user_id, is_active=True).first()
    if user is None:
        raise ValidationError(_("Unknown account."), field="user_id")
    department = None
    if payload.department_id is not None:
        department = selectors.departments(request.user).filter(pk=payload.department_id).first()
        if department is None:
            raise ValidationError(_("Unknown department."), field="department_id")
    position = services.position_grant(actor=request.user, user=user, role=payload.role,
                                       region=region_ref(request.user, payload.region, field="region"),
                                       department=department, start_date=payload.start_date,
                                       end_date=payload.end_date)
    return Status(201, selectors.positions(request.user, current_only=False).get(pk=position.pk))


@router.post("/positions/{int:position_id}/end", response=PositionOut)
def end_position(request: HttpRequest, position_id: int, payload: PositionEndIn) -> Any:
    position = access.get_for(request.user, "position.view", selectors.positions(request.user, current_only=False),
                              pk=position_id)
    services.position_end(actor=request.user, position=position, end_date=payload.end_date)
    return selectors.positions(request.user, current_only=False).get(pk=position_id)


# --- departments and the Party -----------------------------------------------------------

@router.get("/departments", response=list[DepartmentOut])
@paginate(PageNumberPagination)
def list_departments(request: HttpRequest, filters: DepartmentFilter = Query(...)) -> Any:
    return selectors.departments(request.user, kind=filters.kind or "", q=filters.q)


@router.get("/departments/{int:department_id}", response=DepartmentOut)
def get_department(request: HttpRequest, department_id: int) -> Any:
    return access.get_for(request.user, "department.view", selectors.departments(request.user), pk=department_id)


@router.get("/party/organisations", response=list[PartyOrganisationOut])
@paginate(PageNumberPagination)
def list_party_organisations(request: HttpRequest, filters: PartyOrganisationFilter = Query(...)) -> Any:
    return selectors.party_organisations(request.user, kind=filters.kind or "",
                                         region=region_ref(request.user, filters.region, field="region"))


@router.get("/party/organisations/{int:organisation_id}", response=PartyOrganisationOut)
def get_party_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return access.get_for(request.user, "party.view", selectors.party_organisations(request.user),
                          pk=organisation_id)


@router.get("/party/members", response=list[PartyMemberOut])
@paginate(PageNumberPagination)
def list_party_members(request: HttpRequest, filters: PartyMemberFilter = Query(...)) -> Any:
    organisation = None
    if filters.organisation_id is not None:
        organisation = selectors.party_organisations(request.user).filter(pk=filters.organisation_id).first()
        if organisation is None:
            raise ValidationError(_("Unknown Party organisation."), field="organisation_id")
    return selectors.party_members(request.user, organisation=organisation)
