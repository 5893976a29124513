"""The village secretary posts the month's accounts on the village affairs board (村务公开),
and sees it as the public does, without logging in."""

from __future__ import annotations

import pytest

from shanzhi.deliberation.models import Notice

pytestmark = pytest.mark.browser

TITLE = "2026年10月村级财务收支公开"


def test_a_village_posts_a_notice(journey, live_county):
    j = journey("village-notice")
    j.log_in("u_village_secretary")
    j.step("home")

    j.click("进入村务议事")
    j.step("village-affairs")
    j.click("公告", exact=True)
    j.step("notices")
    j.click("发布公告")
    j.see_heading("发布公告")
    page = j.page
    page.get_by_label("公开栏").select_option("village")
    page.get_by_label("类别").select_option("finances")
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("正文").fill("本月收入：土地流转收入12,000元。\n本月支出：道路维修4,500元，保洁员工资3,000元。")
    j.step("post-a-notice")
    j.submit("发布公告")
    j.no_form_errors()
    j.see("公告已发布。")
    j.see_heading(TITLE)
    j.step("posted")
    assert Notice.objects.filter(title=TITLE, region__code="621023100201").exists()

    # As the public sees it: what a villager reads on the phone, without an account.
    j.click("查看公开页面")
    j.page.context.clear_cookies()
    j.page.reload()
    j.see_heading(TITLE)
    j.see("本月支出：道路维修4,500元，保洁员工资3,000元。")
    j.step("public-notice")
