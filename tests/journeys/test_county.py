"""County staff open the command centre from their home page and see the county's figures."""

from __future__ import annotations

import re

import pytest

from shanzhi.casework import services

pytestmark = pytest.mark.browser


def test_the_county_dashboard_loads(journey, live_county):
    categories = {c.code: c for c in services.categories_install_defaults(actor=None, county=live_county.county)}
    for text in ("自来水管冻裂，全组停水。", "村道塌方，车辆无法通行。"):
        services.request_submit(actor=live_county.users["resident"], category=categories["water"], description=text)
    j = journey("county-dashboard")
    j.log_in("u_county_staff")
    j.step("home")

    with j.page.expect_navigation():
        j.page.locator("main a[href='/command/']").first.click()
    j.see("华池县")
    figures = j.page.locator(".figure dd").all_inner_texts()
    assert len(figures) >= 5, figures
    assert any(re.search(r"[1-9]", f) for f in figures), figures
    j.step("dashboard")
