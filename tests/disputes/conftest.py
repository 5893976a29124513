from __future__ import annotations

import pytest

from shanzhi.disputes import services
from shanzhi.people.models import Role
from tests import factories


@pytest.fixture
def dcounty(county):
    """The small county with its dispute types, a village mediator at 张湾村 and a township
    mediator at 柔远镇 (the factory's mediator)."""
    services.types_install_defaults(actor=None, county=county.county)
    v1 = county.villages[0]
    county.users["village_mediator"] = factories.user("u_vmediator", role=Role.MEDIATOR, region=v1,
                                                      full_name="王调解")
    return county


@pytest.fixture
def api(client):
    def call(user, method, path, data=None, **extra):
        client.force_login(user)
        fn = getattr(client, method.lower())
        if data is not None and method.upper() != "GET":
            return fn(f"/api{path}", data=data, content_type="application/json", **extra)
        return fn(f"/api{path}", data or {}, **extra)

    return call


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
