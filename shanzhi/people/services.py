"""Writes to accounts, positions, departments and tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit
from shanzhi.core.errors import NotFound, PermissionDenied, ValidationError
from shanzhi.people.models import DEPARTMENT_ROLES, ApiToken, Department, Position, Role, User
from shanzhi.regions.models import Region

# Which level of region each role is held at (grid roles at a grid, and so on).
ROLE_LEVELS: dict[str, set[int]] = {
    Role.GRID_LEADER: {Region.Level.GRID},
    Role.GRID_WORKER: {Region.Level.GRID},
    Role.MICRO_GRID_WORKER: {Region.Level.MICRO_GRID, Region.Level.GRID},
    Role.NEIGHBOUR_LEADER: {Region.Level.MICRO_GRID, Region.Level.GRID},
    Role.GROUP_LEADER: {Region.Level.GROUP, Region.Level.GRID},
    Role.CHIEF_GRID_LEADER: {Region.Level.VILLAGE, Region.Level.TOWNSHIP},
    Role.GRID_INSTRUCTOR: {Region.Level.VILLAGE, Region.Level.TOWNSHIP},
    Role.VILLAGE_SECRETARY: {Region.Level.VILLAGE},
    Role.VILLAGE_COMMITTEE: {Region.Level.VILLAGE},
    Role.MEDIATOR: {Region.Level.VILLAGE, Region.Level.TOWNSHIP, Region.Level.COUNTY},
    Role.LEGAL_ADVISER: {Region.Level.VILLAGE, Region.Level.TOWNSHIP},
    Role.VILLAGE_POLICE: {Region.Level.VILLAGE},
    Role.TOWNSHIP_STAFF: {Region.Level.TOWNSHIP},
    Role.COUNTY_STAFF: {Region.Level.COUNTY, Region.Level.CITY, Region.Level.PROVINCE},
    Role.ADMIN: {Region.Level.COUNTY, Region.Level.CITY, Region.Level.PROVINCE},
}


def build_position(*, user: User, role: str, region: Region | None = None, department: Department | None = None,
                   start_date: dt.date | None = None, end_date: dt.date | None = None) -> Position:
    """An unsaved, validated position (for bulk loads and for ``position_grant``)."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role."), field="role")
    if role in DEPARTMENT_ROLES:
        if department is None:
            raise ValidationError(_("Department staff need a department."), field="department")
        region = region or department.region
    elif role != Role.ADMIN and region is None:
        raise ValidationError(_("This role is held in a region."), field="region")
    if region is not None and role in ROLE_LEVELS and region.level not in ROLE_LEVELS[role]:
        raise ValidationError(_("This role is not held at this level of the map."), field="region")
    start = start_date or dt.date.today()
    if end_date is not None and end_date < start:
        raise ValidationError(_("The end date is before the start date."), field="end_date")
    path = department.region_path if department is not None else (region.path if region else "")
    return Position(user=user, role=role, region=region, department=department, region_path=path,
                    start_date=start, end_date=end_date)


@transaction.atomic
def position_grant(*, actor: Any, user: User, role: str, region: Region | None = None,
                   department: Department | None = None, start_date: dt.date | None = None,
                   end_date: dt.date | None = None) -> Position:
    position = build_position(user=user, role=role, region=region, department=department,
                              start_date=start_date, end_date=end_date)
    viewer = access.viewer_for(actor)
    if role == Role.ADMIN and not viewer.is_admin:
        raise PermissionDenied()
    if position.region_path:
        access.require(actor, "position.change", position, view_action="position.view")
    elif not viewer.is_admin:
        raise PermissionDenied()
    position.save()
    audit.record(actor=actor, action="position.grant", target=position,
                 detail={"user": user.username, "role": role})
    return position


@transaction.atomic
def position_end(*, actor: Any, position: Position, end_date: dt.date | None = None) -> Position:
    access.require(actor, "position.change", position)
    end = end_date or dt.date.today()
    if end < position.start_date:
        raise ValidationError(_("The end date is before the start date."), field="end_date")
    position.end_date = end
    position.save(update_fields=["end_date"])
    audit.record(actor=actor, action="position.end", target=position, detail={"end_date": end.isoformat()})
    return position


def _check_password(password: str, user: User) -> None:
    """The password policy (AUTH_PASSWORD_VALIDATORS), as a 422 on the password field."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), field="password") from None


@transaction.atomic
def admin_ensure(*, username: str, password: str, full_name: str = "") -> tuple[User, bool]:
    user, created = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
    user.is_staff = user.is_superuser = user.is_active = True
    if full_name:
        user.full_name = full_name
    user.set_password(password)
    user.save()
    audit.record(actor=None, action="account.admin_ensure", target=user, detail={"created": created})
    return user, created


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User, name: str = "", days: int | None = 365) -> tuple[ApiToken, str]:
    """A new API token for ``actor``; the key is returned once and only its hash kept."""
    if not actor or not actor.is_authenticated:
        raise PermissionDenied()
    key = "sz_" + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    token = ApiToken.objects.create(user=actor, name=name[:100], key_hash=_hash(key), prefix=key[:8],
                                    expires_at=expires)
    audit.record(actor=actor, action="token.create", target=token)
    return token, key


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> None:
    """Withdraw one of the actor's own tokens; requests carrying it get 401 from now on."""
    if token.user_id != getattr(actor, "pk", None):
        raise NotFound()
    audit.record(actor=actor, action="token.revoke", target=token)
    token.delete()


def token_user(key: str) -> User | None:
    """The active user a bearer key belongs to, or None; stamps last use at most once a minute."""
    if not key or not key.startswith("sz_"):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key)).first()
    now = timezone.now()
    if token is None or not token.user.is_active or (token.expires_at and token.expires_at < now):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def resident_account_create(*, actor: Any, resident: Any, password: str) -> User:
    """An account for a resident, who logs in with the phone number on the roster."""
    access.require(actor, "resident.change", resident)
    if not resident.phone:
        raise ValidationError(_("The resident has no phone number to log in with."), field="phone")
    user = User(username=f"r{resident.pk}", phone=resident.phone, full_name=resident.name, resident=resident)
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(_("An account with this phone number exists already."), field="phone") from None
    audit.record(actor=actor, action="account.create_resident", target=user, region_path=resident.region_path)
    return user
