"""Fixtures of household contact: the small county's Party (a branch per village, a party
group on the first grid of 张湾村) and members who log in (one through their resident
account, one through an account of their own), and a member of 李塬村 for the edges."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image

from shanzhi.people.models import PartyMember, PartyOrganisation, User
from shanzhi.regions.models import Resident
from tests import factories


@dataclass
class Party:
    branch: PartyOrganisation  # 张湾村
    group: PartyOrganisation  # 张湾村第1网格党小组
    other_branch: PartyOrganisation  # 李塬村
    community_branch: PartyOrganisation  # 城关社区
    wang: PartyMember  # 张湾村, in the group, logs in with the resident account of household 2's spouse
    li: PartyMember  # 张湾村 branch, an account of their own
    zhao: PartyMember  # 李塬村
    wang_user: User
    li_user: User
    zhao_user: User


def _org(region, kind, name, parent=None):
    return PartyOrganisation.objects.create(name=name, kind=kind, region=region, region_path=region.path,
                                            parent=parent)


@pytest.fixture
def party(county):
    return make_party(county)


def make_party(county) -> Party:
    v1, v2, v3 = county.villages
    township = county.townships[0]
    committee = _org(township, PartyOrganisation.Kind.COMMITTEE, "柔远镇党委")
    branch = _org(v1, PartyOrganisation.Kind.BRANCH, "张湾村党支部", committee)
    group = _org(county.grids[0], PartyOrganisation.Kind.GROUP, "第1网格党小组", branch)
    other = _org(v3, PartyOrganisation.Kind.BRANCH, "李塬村党支部")
    community = _org(v2, PartyOrganisation.Kind.BRANCH, "城关社区党支部", committee)
    spouse = Resident.objects.get(household=county.households[1], relation=Resident.Relation.SPOUSE)
    wang_user = factories.user("u_wang", full_name="王党员", phone=spouse.phone, resident=spouse)
    wang = PartyMember.objects.create(name=spouse.name, organisation=group, resident=spouse,
                                      region_path=spouse.region_path)
    li_user = factories.user("u_li", full_name="李党员")
    li = PartyMember.objects.create(name="李党员", organisation=branch, user=li_user, region_path=v1.path)
    zhao_user = factories.user("u_zhao", full_name="赵党员")
    zhao = PartyMember.objects.create(name="赵党员", organisation=other, user=zhao_user, region_path=v3.path)
    return Party(branch, group, other, community, wang, li, zhao, wang_user, li_user, zhao_user)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (40, 30), gps: tuple[float, float] | None = None) -> bytes:
    image = Image.new("RGB", size, (30, 120, 30))
    buffer = io.BytesIO()
    if gps is None:
        image.save(buffer, format=fmt)
    else:
        exif = Image.Exif()
        lat, lng = gps

        def dms(value):
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60, 4)
            return (float(d), float(m), float(s))

        exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lng)})
        image.save(buffer, format=fmt, exif=exif)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
