"""A villager votes on their phone in an online vote the village has opened."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shanzhi.deliberation import services
from shanzhi.deliberation.models import VillageRules, Vote
from shanzhi.regions.models import Region

pytestmark = pytest.mark.browser


def test_a_villager_votes(journey, live_county):
    village = Region.objects.get(code="621023100201")
    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                allow_online_voting=True)
    vote = services.vote_create(actor=live_county.users["village_secretary"], village=village, title="路灯安装位置",
                                question="路灯先装在哪里？", options=["村委会至学校", "一组至二组"],
                                opens_at=timezone.now(), closes_at=timezone.now() + timezone.timedelta(days=2))
    j = journey("voter")
    j.log_in("u_resident")
    j.step("home")

    j.click("进入村务议事")
    j.click("投票表决")
    j.see("路灯安装位置")
    j.step("votes")
    j.click("路灯安装位置", exact=False)
    j.see("路灯先装在哪里？")
    j.step("vote")
    j.page.get_by_label("一组至二组").check()
    j.submit("投票")
    j.no_form_errors()
    j.see("您的投票已计入。")
    j.step("voted")
    assert Vote.objects.get(pk=vote.pk).turnout_count == 1
