"""The matrix covers the site: every API operation and every URL pattern has an entry,
and every entry still matches something. A new endpoint without an entry fails here."""

from __future__ import annotations

from tests.matrix.registry import load
from tests.matrix.routes import api_operations, paginated_operations, walk

ENTRIES, PREFIXES = load()


def _listing(items: object) -> str:
    return "\n  ".join(sorted(str(i) for i in items))  # type: ignore[attr-defined]


def test_every_api_operation_has_an_entry():
    operations = api_operations()
    declared = {(e.method, e.path) for e in ENTRIES if e.is_api}
    missing = operations - declared
    stale = declared - operations
    assert not missing, ("API operations with no entry in tests/matrix/tables/ (declare who may call them):\n  "
                         + _listing(f"{m} {p}" for m, p in missing))
    assert not stale, "matrix entries for API operations that no longer exist:\n  " + _listing(
        f"{m} {p}" for m, p in stale)


def test_every_url_pattern_has_an_entry():
    api_paths = {path for _method, path in api_operations()}
    names = {e.name for e in ENTRIES if not e.is_api}
    routes = walk()
    missing = []
    for route in routes:
        if any(route.route.startswith(prefix.prefix) for prefix in PREFIXES):
            continue
        if route.ident in names:
            continue
        if route.name and route.name.startswith("api:") and route.api_path() in api_paths:
            continue  # an API operation: covered by its OpenAPI entry
        missing.append(f"{route.ident}  ({route.route})")
    assert not missing, ("URL patterns with no entry in tests/matrix/tables/ (declare who may open them):\n  "
                         + _listing(missing))
    stale = names - {r.ident for r in routes}
    assert not stale, "matrix entries for URL patterns that no longer exist:\n  " + _listing(stale)


def test_every_prefix_matches_routes():
    routes = walk()
    for prefix in PREFIXES:
        assert any(r.route.startswith(prefix.prefix) for r in routes), prefix


def test_every_paginated_list_is_a_list_entry_that_can_grow():
    """So the query-count test (test_query_counts.py) covers every paginated list."""
    by_op = {(e.method, e.path): e for e in ENTRIES if e.is_api}
    lacking = [f"{m} {p}" for m, p in paginated_operations()
               if (m, p) not in by_op or not (by_op[(m, p)].lists and by_op[(m, p)].grow)]
    assert not lacking, "paginated lists without lists=True and grow=Grow(...):\n  " + _listing(lacking)
