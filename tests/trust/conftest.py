"""Shared fixtures for the trust tests (issue 11): the permission matrix's world, a way
to call the site as each role, and the Django app as a plain WSGI callable.

Kept generic on purpose: several test files (fuzzing, bad input, security, faults, races,
backups) use them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.matrix import registry
from tests.matrix.world import ANONYMOUS, ROLES, World, build_world

# Every kind of account the matrix knows (each role, plus anonymous); the tables add their
# kinds of records to the world when loaded.
registry.load()
ALL_ROLES: list[str] = list(ROLES)
assert ANONYMOUS in ALL_ROLES


@pytest.fixture
def world(county) -> World:
    """The permission matrix's world (tests/matrix/world.py): the small county with one
    account and one API token per role, and a neighbouring county."""
    return build_world(county)


@pytest.fixture
def bearer(world: World) -> Callable[[str], dict[str, str]]:
    """``bearer(role)``: the headers (Django test client form) that authenticate as the
    role through its API token; none for anonymous."""

    def headers(role: str) -> dict[str, str]:
        return {} if role == ANONYMOUS else {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[role]}"}

    return headers


@pytest.fixture
def wsgi_app(db) -> Iterator[Any]:
    """The site as a WSGI application that runs inside the test's transaction. As Django's
    test client does, neither the start nor the end of a request closes the database
    connection (that would break the test's transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
