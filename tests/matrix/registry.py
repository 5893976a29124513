"""The permission matrix's table: one entry per API operation and per URL pattern.

Each module contributes a file in ``tests/matrix/tables/`` defining ``ENTRIES`` (and, if
it has new kinds of records, declaring them with ``tests.matrix.world.kind``). The suite
fails for any API operation or URL pattern without an entry, and for any entry that no
longer matches one, so a new endpoint cannot go unchecked.

How an entry's expected status is worked out for a role and a placement:

- anonymous: ``anonymous`` (401 for the API, a redirect to the login page for pages);
- a role in ``global_roles`` (the administrator, by default): ``ok``, inside or out;
- outside the role's home: ``outside`` (404: out of scope looks like unknown; 422 when
  the record is named in the request body or a filter);
- inside, a role in ``allowed``: ``ok``; in ``visible`` but not ``allowed``: 403; neither:
  ``hidden`` (404 by default);
- ``expect`` overrides any of these for one role (``{"resident": 200}``) or one role at
  one placement (``{"resident:inside": 422}``).

A list entry (``lists=True``) answers ``ok`` to everyone signed in, and lists the inside
record exactly when the role is in ``visible`` and the outside record only for
``global_roles``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.matrix.world import ANONYMOUS, INSIDE, KINDS, OUTSIDE, ROSTER_ROLES, SELF, SIGNED_IN, World

LOGIN = "login"  # expected: a redirect to the login page
ADMIN_LOGIN = "admin-login"  # expected: a redirect to the admin's login page

Body = Callable[[World, str, Any], dict[str, Any]]


@dataclass(frozen=True)
class Grow:
    """How to add ``n`` rows that ``role`` sees to a list (for the flat query-count test)."""

    add: Callable[[World, int], None]
    role: str = "county_staff"


@dataclass(frozen=True)
class Entry:
    # What is declared: an API operation (method + OpenAPI path) or a URL pattern (its
    # qualified name, e.g. "web:household", or its route when it has no name).
    method: str = "GET"
    path: str | None = None
    name: str | None = None
    # The record the route addresses (a key of world.KINDS) and who may do what to it.
    kind: str | None = None
    lists: bool = False
    visible: frozenset[str] = frozenset()
    allowed: frozenset[str] | None = None
    global_roles: frozenset[str] = frozenset({"admin"})
    # Roster roles (world.ROSTER_ROLES) this entry is tried with besides world.ROLES.
    roles: frozenset[str] = frozenset()
    ok: int = 200
    hidden: int = 404
    outside: int = 404
    anonymous: int | str = 401
    expect: dict[str, int | str] = field(default_factory=dict)
    # The request.
    body: Body | None = None
    query: Body | None = None
    params: Callable[[Any], dict[str, Any]] | None = None
    form: bool = False  # pages post forms; the API posts JSON
    # What the answer must hold.
    items: Callable[[Any], list[dict[str, Any]]] | None = None  # API lists: the items of the body
    shows: Callable[[Any], str] | None = None  # page lists: the text that shows a record
    reveals: bool = False  # the answer may carry a full ID number (a deliberate, audited reveal)
    grow: Grow | None = None
    note: str = ""

    @property
    def is_api(self) -> bool:
        return self.path is not None

    @property
    def ident(self) -> str:
        return f"{self.method} {self.path}" if self.is_api else f"{self.method} {self.name}"

    def __str__(self) -> str:
        return self.ident

    def placements(self) -> list[str]:
        return [INSIDE, OUTSIDE] if self.kind else [SELF]

    def expected(self, role: str, placement: str) -> int | str:
        for key in (f"{role}:{placement}", role):
            if key in self.expect:
                return self.expect[key]
        if role == ANONYMOUS:
            return self.anonymous
        if self.lists or placement == SELF or role in self.global_roles:
            return self.ok
        if placement == OUTSIDE:
            return self.outside
        allowed = self.visible if self.allowed is None else self.allowed
        if role in allowed:
            return self.ok
        if role in self.visible:
            return 403
        return self.hidden

    def target(self, world: World, role: str, placement: str) -> Any:
        if not self.kind or placement == SELF:
            return None
        k = KINDS[self.kind]
        # Anonymous callers address a record a grid worker may see.
        who = "grid_worker" if role == ANONYMOUS else role
        return k.inside(world, who) if placement == INSIDE else k.outside(world, who)

    def url_kwargs(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {}
        return (self.params or KINDS[self.kind].params)(obj)


def api(method: str, path: str, **options: Any) -> Entry:
    return Entry(method=method, path=path, **options)


def page(name: str, method: str = "GET", **options: Any) -> Entry:
    options.setdefault("anonymous", LOGIN)
    options.setdefault("form", True)
    return Entry(method=method, name=name, **options)


def public(name: str, method: str = "GET", status: int = 200, **options: Any) -> Entry:
    """A route everyone, signed in or not, gets the same answer from."""
    expect: dict[str, int | str] = dict.fromkeys([*SIGNED_IN, ANONYMOUS], status)
    if name.startswith("/"):
        return Entry(method=method, path=name, ok=status, anonymous=status, expect=expect, **options)
    return Entry(method=method, name=name, ok=status, anonymous=status, expect=expect, form=True, **options)


@dataclass(frozen=True)
class Prefix:
    """Every URL pattern whose qualified name starts with ``prefix`` (the admin site):
    everyone without a staff account is sent to ``redirect``, but for the ``exceptions``;
    a superuser opens every list page and index with 200, and no page fails (5xx)."""

    prefix: str
    redirect: str = ADMIN_LOGIN
    exceptions: dict[str, int | str] = field(default_factory=dict)  # a status, or the path a redirect goes to
    note: str = ""


def load() -> tuple[list[Entry], list[Prefix]]:
    """Every table module's ENTRIES and PREFIXES, in module order."""
    from tests.matrix import tables

    entries: list[Entry] = []
    prefixes: list[Prefix] = []
    for info in sorted(pkgutil.iter_modules(tables.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{tables.__name__}.{info.name}")
        entries.extend(getattr(module, "ENTRIES", []))
        prefixes.extend(getattr(module, "PREFIXES", []))
    seen: dict[str, Entry] = {}
    for entry in entries:
        assert entry.ident not in seen, f"declared twice: {entry.ident}"
        assert entry.kind is None or entry.kind in KINDS, f"{entry.ident}: unknown kind {entry.kind}"
        assert entry.roles <= set(ROSTER_ROLES), f"{entry.ident}: unknown roles {entry.roles - set(ROSTER_ROLES)}"
        seen[entry.ident] = entry
    return entries, prefixes
