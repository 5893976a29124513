"""The points shop (爱心超市) clerk finds a household at the counter and redeems its points
for goods, with a receipt."""

from __future__ import annotations

import pytest

from shanzhi.points.models import Redemption
from tests.points.conftest import award, build_setup

pytestmark = pytest.mark.browser


def test_a_shop_redeems_points_for_a_household(journey, live_county):
    setup = build_setup(live_county)
    home = setup.households()[0]
    for _ in range(4):
        award(setup, home)  # 4 × 5 points for 清洁家园
    j = journey("shop")
    j.log_in("u_shopkeeper")
    j.step("home")

    j.click("超市兑换台")
    j.click("张湾村爱心超市")
    j.step("shop")
    j.click("兑换台：兑换")
    j.see_heading("兑换台 · 张湾村爱心超市")
    j.page.get_by_label("户号、姓名、电话，或扫描积分卡二维码").fill(home.number)
    j.submit("查找")
    j.see("20 分")
    j.step("found")
    j.click(home.number, exact=False)
    j.page.get_by_label("大米5kg").fill("1")
    j.step("choose-goods")
    j.submit("下一步")
    j.no_form_errors()
    j.see_heading("确认")
    j.step("confirm")
    j.submit("确认兑换")
    j.no_form_errors()
    j.see("兑换小票")
    j.see("大米5kg × 1")
    j.step("receipt")
    redemption = Redemption.objects.get(household=home)
    assert redemption.points == 10
    assert j.page.locator("tr", has_text="当前余额").inner_text().split()[-1] == "10"
