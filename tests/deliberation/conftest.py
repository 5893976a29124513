"""The small county (tests/factories.py) as deliberation sees it.

张湾村 (621023100201) is the village where the secretary, the committee member, the grid
team and the resident live and work; its six households hold eighteen adults. 城关社区 is
the other village of the same township (柔远镇), 李塬村 the village of the other township.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.deliberation.models import VillageRules
from shanzhi.people.models import PartyMember, PartyOrganisation
from shanzhi.regions.models import Region, Resident

VILLAGE = "621023100201"  # 张湾村
SAME_TOWNSHIP = "621023100001"  # 城关社区
OTHER_TOWNSHIP = "621023101201"  # 李塬村
TOWNSHIP = "621023100000"  # 柔远镇


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def village(county) -> Region:
    return Region.objects.get(code=VILLAGE)


@pytest.fixture
def other_village(county) -> Region:
    return Region.objects.get(code=OTHER_TOWNSHIP)


@pytest.fixture
def users(county):
    return county.users


@pytest.fixture
def online(village):
    """张湾村 allows online voting."""
    return VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                       allow_online_voting=True)


@pytest.fixture
def branch(village) -> PartyOrganisation:
    """张湾村's Party branch with five members on the map."""
    org = PartyOrganisation.objects.create(name="张湾村党支部", kind=PartyOrganisation.Kind.BRANCH, region=village,
                                           region_path=village.path)
    for resident in Resident.objects.filter(household__village=village).order_by("id")[:5]:
        PartyMember.objects.create(name=resident.name, organisation=org, resident=resident,
                                   region_path=village.path)
    return org


def soon(minutes: int = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def api(client, method: str, url: str, data=None):
    """Call the API as the logged-in client, with JSON in and out."""
    kwargs = {"content_type": "application/json"} if data is not None else {}
    return getattr(client, method)(url, data=data, **kwargs)
