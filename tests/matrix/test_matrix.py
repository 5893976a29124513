"""The permission matrix: every API operation and every page, for every role, at the edge
of its scope. Entries live in tables/; see registry.py for how a cell's answer is derived."""

from __future__ import annotations

import pytest

from tests.matrix.registry import load
from tests.matrix.routes import walk
from tests.matrix.runner import run
from tests.matrix.world import ROLES

ENTRIES, PREFIXES = load()


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_cell(entry, world, client):
    route = None
    if not entry.is_api:
        route = next((r for r in walk() if r.ident == entry.name), None)
        assert route is not None, f"{entry.ident}: no such URL pattern"
    problems = run(client, world, entry, route, [*ROLES, *sorted(entry.roles)])
    assert not problems, f"{entry.ident}\n" + "\n".join(problems)
