"""Routes declared by prefix (the admin site): every role without a staff account is
sent to the admin's login page from every one of them; a superuser opens them all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.matrix.registry import ADMIN_LOGIN, load
from tests.matrix.routes import walk
from tests.matrix.runner import sign_in
from tests.matrix.world import ROLES

ENTRIES, PREFIXES = load()


@pytest.mark.parametrize("prefix", PREFIXES, ids=lambda p: p.prefix)
def test_prefix_routes_turn_away_everyone_without_a_staff_account(prefix, world, client):
    routes = [r for r in walk() if r.route.startswith(prefix.prefix)]
    login = reverse("admin:login")
    problems = []
    for role in ROLES:
        sign_in(client, world, role, session=True)
        for route in routes:
            expected = prefix.exceptions.get(route.ident, prefix.redirect)
            response = client.get(route.sample())
            if expected == ADMIN_LOGIN:
                ok = response.status_code == 302 and response["Location"].split("?")[0] == login
            elif isinstance(expected, str):  # a redirect to this path
                ok = response.status_code == 302 and response["Location"].split("?")[0] == expected
            else:
                ok = response.status_code == expected
            if not ok:
                problems.append(f"{role:>18} {route.ident}: expected {expected}, got {response.status_code} "
                                f"{response.get('Location', '')}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("prefix", PREFIXES, ids=lambda p: p.prefix)
def test_prefix_routes_open_for_a_superuser(prefix, world, client):
    root = factories.user("u_root", is_staff=True, is_superuser=True)
    client.force_login(root)
    problems = []
    for route in walk():
        if not route.route.startswith(prefix.prefix) or route.ident in prefix.exceptions:
            continue
        response = client.get(route.sample())
        # Lists open; other pages may refuse (a read-only record: 403) or not find the
        # sample object (404, or a redirect), but never fail.
        must_open = route.ident.endswith("_changelist") or route.ident in ("admin:index", "admin:app_list")
        if (must_open and response.status_code != 200) or response.status_code >= 500:
            problems.append(f"{route.ident} ({route.sample()}): {response.status_code}")
    assert not problems, "\n".join(problems)
