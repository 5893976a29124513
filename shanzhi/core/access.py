"""The one permission mechanism: who may do what to which record.

Every scoped record carries a region path (and, where it applies, a department or a
household). A viewer's grants come from their current positions: each grant is a role
held at a place. A role allows a set of actions (``ROLE_ACTIONS``), which modules extend
with ``allow``. A model declares how it is scoped once, with ``register``.

- ``scope(viewer, action, queryset)`` narrows a list to what the viewer may see or do.
- ``get_for(viewer, action, queryset, **lookup)`` fetches one record or raises NotFound.
- ``can`` / ``require`` check one object already in hand.

Out of scope reads as "not found"; in scope but without the right reads as "forbidden".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from shanzhi.core import tree
from shanzhi.core.errors import NotFound, PermissionDenied

M = TypeVar("M", bound=models.Model)

RESIDENT = "resident"  # the role of a resident's own account (not a position)
ADMIN = "admin"
ASSIGNED = "assigned"  # in ``Policy.named_by``: the lookup reaches an account id
DEPARTMENT = "department"  # in ``Policy.named_by``: the lookup reaches a department id

# role -> actions. Modules add theirs with ``allow`` in their AppConfig.ready().
ROLE_ACTIONS: dict[str, set[str]] = defaultdict(set)


def allow(roles: Iterable[str], actions: Iterable[str]) -> None:
    for role in roles:
        ROLE_ACTIONS[str(role)].update(actions)


@dataclass(frozen=True)
class Policy:
    """How one model is scoped. Field names are attribute names on the instance and
    lookups on the queryset (``region_path``, ``department_id``, ``household_id``)."""

    region_field: str | None = "region_path"
    department_field: str | None = None
    household_field: str | None = None
    # Regions and departments above the viewer's place are visible too (for breadcrumbs,
    # and so a grid worker can dispatch to a county department): for ``*.view`` actions only.
    include_ancestors: bool = False
    # Records that belong to a whole place (a village's topics, votes, notices) are open to
    # the residents living in it: a resident whose household lies under the record's region
    # may do what the resident role allows on it.
    residents_of_place: bool = False
    # With ``include_ancestors``: actions besides viewing that positions below the record's
    # place may take too (the grid team commenting on its village's topics).
    ancestor_actions: frozenset[str] = frozenset()
    # A record that names one account personally in a field of its own (a request dispatched
    # to a Party member): that account may do on it what the ``ASSIGNED`` pseudo-role allows
    # (like ``named_by``, without a query per check).
    user_field: str | None = None
    # False: a department position reaches these records only through ``department_field``,
    # not through its department's seat (a county bureau sees the requests given to it, not
    # every request of the county).
    department_grants_by_region: bool = True
    # Records that name several people through a relation (the mediators assigned to a
    # dispute, its parties, the units responsible for a petition): ``((lookup, who), ...)``
    # where the lookup reaches an account id (``who`` = ASSIGNED), a resident id (RESIDENT)
    # or a department id (DEPARTMENT); that person (or department) may do on the record what
    # the pseudo-role ASSIGNED, the resident role, or their department role allows.
    named_by: tuple[tuple[str, str], ...] = ()


POLICIES: dict[type[models.Model], Policy] = {}


def register(model: type[models.Model], **options: Any) -> None:
    POLICIES[model] = Policy(**options)


def policy_of(model: type[models.Model]) -> Policy:
    try:
        return POLICIES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no scope policy; call access.register") from None


@dataclass(frozen=True)
class Grant:
    role: str
    region_path: str | None = None
    department_id: int | None = None


@dataclass
class Viewer:
    user: Any = None
    grants: tuple[Grant, ...] = ()
    household_id: int | None = None
    resident_id: int | None = None
    is_admin: bool = False
    home_path: str | None = None  # the region path of the resident's household
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated)

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def allows(self, role: str, action: str) -> bool:
        return self.is_admin or action in ROLE_ACTIONS.get(role, ())

    def paths_for(self, action: str, *, department_grants: bool = True) -> list[str]:
        key = f"paths:{action}:{department_grants}"
        if key not in self._cache:
            self._cache[key] = tree.minimal_paths(
                g.region_path for g in self.grants if g.region_path and action in ROLE_ACTIONS.get(g.role, ())
                and (department_grants or not g.department_id)
            )
        return self._cache[key]

    def departments_for(self, action: str) -> list[int]:
        return sorted(
            {g.department_id for g in self.grants if g.department_id and action in ROLE_ACTIONS.get(g.role, ())}
        )

    def own_household_for(self, action: str) -> int | None:
        if self.household_id and action in ROLE_ACTIONS.get(RESIDENT, ()):
            return self.household_id
        return None

    def own_home_for(self, action: str) -> str | None:
        if self.home_path and action in ROLE_ACTIONS.get(RESIDENT, ()):
            return self.home_path
        return None

    def home_paths(self) -> list[str]:
        """Where the viewer works: the places of their positions, top-most first."""
        return tree.minimal_paths(g.region_path for g in self.grants if g.region_path)


ANONYMOUS = Viewer()

# Grants that come from a module's own roster rather than from a Position (the members of
# a village's moral review council, a points shop's staff): callables ``(user, on)`` that
# return Grants. Registered once in the module's AppConfig.ready().
GRANT_SOURCES: list[Any] = []


def grant_source(source: Any) -> Any:
    if source not in GRANT_SOURCES:
        GRANT_SOURCES.append(source)
    return source


def viewer_for(user: Any, on: dt.date | None = None) -> Viewer:
    """The viewer for an account, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_shanzhi_viewer", None)
    if cached is not None and on is None:
        return cached
    from shanzhi.people.models import Position

    grants: list[Grant] = []
    is_admin = bool(user.is_superuser)
    positions = Position.objects.current(on).filter(user=user).select_related("department")
    for pos in positions:
        if pos.role == ADMIN:
            is_admin = True
        path = pos.region_path or (pos.department.region_path if pos.department else None)
        grants.append(Grant(role=pos.role, region_path=path or None, department_id=pos.department_id))
    for source in GRANT_SOURCES:
        grants.extend(source(user, on))
    household_id = resident_id = home_path = None
    if user.resident_id:
        from shanzhi.regions.models import Resident

        resident = Resident.objects.filter(pk=user.resident_id, status=Resident.Status.ACTIVE).values_list(
            "pk", "household_id", "household__region_path"
        ).first()
        if resident is not None:
            resident_id, household_id, home_path = resident
            grants.append(Grant(role=RESIDENT))
    viewer = Viewer(user=user, grants=tuple(grants), household_id=household_id, resident_id=resident_id,
                    is_admin=is_admin, home_path=home_path)
    if on is None:
        user._shanzhi_viewer = viewer
    return viewer


def _as_viewer(who: Any) -> Viewer:
    return who if isinstance(who, Viewer) else viewer_for(who)


def _reaches_up(policy: Policy, action: str) -> bool:
    """Records above the viewer's places are seen (breadcrumbs, a county department to
    dispatch to), never changed: a township's staff must not edit the county."""
    return policy.include_ancestors and (action.endswith(".view") or action in policy.ancestor_actions)


def scope_q(viewer: Viewer, action: str, model: type[models.Model]) -> Q | None:
    """The filter for ``action`` on ``model``; None means everything."""
    if viewer.is_admin:
        return None
    policy = policy_of(model)
    q = Q(pk__in=[])
    paths = viewer.paths_for(action, department_grants=policy.department_grants_by_region)
    if policy.region_field and paths:
        q |= tree.under_any(paths, policy.region_field)
        if _reaches_up(policy, action):
            above = {a for p in paths for a in tree.ancestors(p)}
            q |= Q(**{f"{policy.region_field}__in": sorted(above)})
    departments = viewer.departments_for(action)
    if policy.department_field and departments:
        q |= Q(**{f"{policy.department_field}__in": departments})
    household = viewer.own_household_for(action)
    if policy.household_field and household:
        q |= Q(**{policy.household_field: household})
    home = viewer.own_home_for(action)
    if policy.residents_of_place and policy.region_field and home:
        q |= Q(**{f"{policy.region_field}__in": tree.ancestors(home)})
    if policy.user_field and viewer.user is not None and action in ROLE_ACTIONS.get(ASSIGNED, ()):
        q |= Q(**{policy.user_field: viewer.user.pk})
    for lookup, value in _named(viewer, action, policy):
        q |= Q(pk__in=model._default_manager.filter(**{lookup: value}).values("pk"))
    return q


def _named(viewer: Viewer, action: str, policy: Policy) -> list[tuple[str, Any]]:
    """The ``named_by`` conditions that apply to this viewer and action: (lookup, value)."""
    found: list[tuple[str, Any]] = []
    for lookup, who in policy.named_by:
        if who == ASSIGNED and viewer.user is not None and action in ROLE_ACTIONS.get(ASSIGNED, ()):
            found.append((lookup, viewer.user.pk))
        elif who == RESIDENT and viewer.resident_id and action in ROLE_ACTIONS.get(RESIDENT, ()):
            found.append((lookup, viewer.resident_id))
        elif who == DEPARTMENT and viewer.departments_for(action):
            found.append((f"{lookup}__in", viewer.departments_for(action)))
    return found


def scope(who: Any, action: str, queryset: QuerySet[M]) -> QuerySet[M]:
    viewer = _as_viewer(who)
    q = scope_q(viewer, action, queryset.model)
    return queryset if q is None else queryset.filter(q)


def get_for(who: Any, action: str, queryset: QuerySet[M] | type[M], **lookup: Any) -> M:
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        return scope(who, action, qs).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can(who: Any, action: str, obj: models.Model) -> bool:
    viewer = _as_viewer(who)
    if viewer.is_admin:
        return True
    policy = policy_of(type(obj))
    if policy.region_field:
        path = getattr(obj, policy.region_field, None) or ""
        paths = viewer.paths_for(action, department_grants=policy.department_grants_by_region)
        if path and any(tree.is_under(path, p) for p in paths):
            return True
        if path and _reaches_up(policy, action) and any(tree.is_under(p, path) for p in paths):
            return True
    if policy.department_field:
        dept = getattr(obj, policy.department_field, None)
        if dept and dept in viewer.departments_for(action):
            return True
    if policy.household_field:
        household = viewer.own_household_for(action)
        if household and getattr(obj, policy.household_field, None) == household:
            return True
    if policy.residents_of_place and policy.region_field:
        home = viewer.own_home_for(action)
        path = getattr(obj, policy.region_field, None) or ""
        if home and path and tree.is_under(home, path):
            return True
    if policy.user_field and viewer.user is not None and action in ROLE_ACTIONS.get(ASSIGNED, ()):
        named = getattr(obj, policy.user_field, None)
        if named is not None and named == viewer.user.pk:
            return True
    if obj.pk is not None:
        manager = type(obj)._default_manager
        for lookup, value in _named(viewer, action, policy):
            if manager.filter(pk=obj.pk, **{lookup: value}).exists():
                return True
    return False


def require(who: Any, action: str, obj: models.Model, *, view_action: str | None = None) -> None:
    """Raise unless the viewer may ``action`` on ``obj``: NotFound if they cannot even
    see it, PermissionDenied if they can see it but not do this."""
    if can(who, action, obj):
        return
    view = view_action or action.split(".", 1)[0] + ".view"
    if view != action and can(who, view, obj):
        raise PermissionDenied()
    raise NotFound()


def require_any_role(who: Any, action: str) -> Viewer:
    """For creating records: the viewer must hold some role allowing ``action``."""
    viewer = _as_viewer(who)
    if viewer.is_admin or any(action in ROLE_ACTIONS.get(g.role, ()) for g in viewer.grants):
        return viewer
    raise PermissionDenied()
