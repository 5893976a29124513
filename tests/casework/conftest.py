from __future__ import annotations

import io

import pytest
from PIL import Image

from shanzhi.casework import services
from shanzhi.casework.models import Category
from shanzhi.people.models import PartyMember, PartyOrganisation
from tests import factories


@pytest.fixture
def categories(county):
    """The county's default categories (and the water rule to the county water bureau)."""
    services.categories_install_defaults(actor=None, county=county.county)
    return {c.code: c for c in Category.objects.filter(county=county.county)}


@pytest.fixture
def member(county):
    """A Party member of 张湾村 with an account, who can be given requests."""
    village = county.villages[0]
    branch = PartyOrganisation.objects.create(name="张湾村党支部", kind=PartyOrganisation.Kind.BRANCH, region=village,
                                              region_path=village.path)
    user = factories.user("u_party_member", full_name="党员王")
    return PartyMember.objects.create(name="党员王", organisation=branch, user=user, region_path=village.path)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def file_request(county, categories, *, who="resident", category="water", **extra):
    actor = county.users[who]
    kwargs = {"description": "村口水管破裂,漏水严重", **extra}
    if who != "resident" and "household" not in kwargs and "region" not in kwargs:
        kwargs["household"] = county.households[0]
    return services.request_submit(actor=actor, category=categories[category], **kwargs)


# -- real connections and processes ------------------------------------------------------------

@pytest.fixture
def background(tmp_path):
    from tests.core.processes import Background

    started = []

    def start(args, env, name="process"):
        proc = Background(args, env, tmp_path / f"{name}.log")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def redis_url():
    """Redis DB 5, the request loop's own in tests."""
    import os

    import redis

    url = os.environ.get("SHANZHI_TEST_REDIS_URL_REQUESTS", "redis://127.0.0.1:6379/5")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("SHANZHI_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {url} does not answer: {exc}")
        pytest.skip(f"Redis at {url} does not answer (set SHANZHI_REQUIRE_REDIS=1 to fail instead)")
    client.flushdb()
    client.close()
    return url
