"""Reads of people, positions, departments and the Party, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from shanzhi.core import access, tree
from shanzhi.people.models import ApiToken, Department, PartyMember, PartyOrganisation, Position, User
from shanzhi.regions.models import Region


def positions(viewer: Any, *, region: Region | None = None, role: str = "", current_only: bool = True
              ) -> QuerySet[Position]:
    qs = access.scope(viewer, "position.view", Position.objects.current() if current_only else Position.objects.all())
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if role:
        qs = qs.filter(role=role)
    return qs.select_related("user", "region", "department").order_by("region_path", "role", "id")


def people(viewer: Any, *, q: str = "", role: str = "", region: Region | None = None) -> QuerySet[User]:
    """Staff accounts holding a current position the viewer may see, with those positions."""
    visible = positions(viewer, region=region, role=role)
    qs = User.objects.filter(pk__in=visible.values("user_id"), is_active=True)
    if q:
        qs = qs.filter(Q(full_name__contains=q) | Q(username__startswith=q))
    return qs.prefetch_related(
        Prefetch("positions", queryset=visible.order_by("id"), to_attr="visible_positions")
    ).order_by("id")


def person_get(viewer: Any, *, pk: int) -> User:
    return _person(viewer, pk)


def _person(viewer: Any, pk: int) -> User:
    from shanzhi.core.errors import NotFound

    user = people(viewer).filter(pk=pk).first()
    if user is None:
        raise NotFound()
    return user


def departments(viewer: Any, *, kind: str = "", q: str = "") -> QuerySet[Department]:
    qs = access.scope(viewer, "department.view", Department.objects.filter(is_active=True))
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__contains=q)
    return qs.select_related("region").order_by("region_path", "name")


def party_organisations(viewer: Any, *, region: Region | None = None, kind: str = "") -> QuerySet[PartyOrganisation]:
    qs = access.scope(viewer, "party.view", PartyOrganisation.objects.all())
    if region is not None:
        qs = qs.filter(tree.under(region.path))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("region", "parent").order_by("region_path", "kind")


def party_members(viewer: Any, *, organisation: PartyOrganisation | None = None) -> QuerySet[PartyMember]:
    qs = access.scope(viewer, "party.view", PartyMember.objects.all())
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.select_related("organisation").order_by("region_path", "name")


def tokens(viewer: Any) -> QuerySet[ApiToken]:
    """The viewer's own API tokens (never anyone else's, whatever their role)."""
    user = viewer.user if isinstance(viewer, access.Viewer) else viewer
    if user is None or not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
