from __future__ import annotations

import pytest

from tests import factories
from tests.browser import browser  # noqa: F401  (the one shared Chromium fixture)
from tests.concurrency import shared_db  # noqa: F401  (committed data other connections see)


@pytest.fixture
def county(db):
    """A small county (see tests/factories.py) with one account per role."""
    c = factories.small_county()
    factories.role_users(c)
    return c


@pytest.fixture
def login(client):
    """Log the test client in as a user: ``login(user)``."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Tests log in many accounts; production keeps Django's PBKDF2 default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    factories._HASH = None


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test starts with an empty cache of its own process: the login-throttling and
    rate-limit counters (core/security.py) live there, and the suite's processes would
    otherwise add up each other's requests. tests/trust/test_security*.py use the shared
    file and Redis caches on purpose."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "shanzhi-tests"}}
    cache.clear()
