"""The filing page in headless Chromium: the similar requests appear as a resident types
(casework/similar.js, under the site's Content-Security-Policy), and "me too" follows one."""

from __future__ import annotations

import pytest

from shanzhi.casework import services
from shanzhi.casework.models import Category
from tests import factories
from tests.browser import log_in

pytestmark = pytest.mark.browser


def test_similar_requests_appear_as_the_resident_types(browser, live_server, transactional_db):
    county = factories.small_county()
    users = factories.role_users(county)
    services.categories_install_defaults(actor=None, county=county.county)
    water = Category.objects.get(county=county.county, code="water")
    # In the resident's village, the next grid.
    leak = services.request_submit(actor=users["admin"], category=water, description="村口水管破裂,漏水严重",
                                   household=county.households[3])
    page = browser.new_page(locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        log_in(page, live_server.url, users["resident"].username)
        page.goto(f"{live_server.url}/requests/new/")
        page.select_option("select[name=category]", "water")
        page.fill("textarea[name=description]", "水管漏水")
        item = page.locator("#similar .similar__item").first
        item.wait_for(timeout=15000)
        assert f"#{leak.number}" in item.inner_text()
        item.get_by_role("button", name="我也遇到了：关注").click()
        page.wait_for_url(f"{live_server.url}/requests/{leak.pk}/")
        assert leak.followers.filter(user=users["resident"]).exists()
    finally:
        page.close()
    assert errors == []  # no script refused by the CSP, no failed fetch
