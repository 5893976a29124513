"""The pages in a real browser (headless Chromium through Playwright), at phone size and
at desktop size, against a live server. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from shanzhi.regions.models import Household, Resident
from tests import factories

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
GRID_1 = "621023100201001"
OTHER_TOWNSHIP_GRID = "621023101201001"


@pytest.fixture
def live_county(transactional_db):
    county = factories.small_county()
    factories.role_users(county)
    return county


def _log_in(page, base: str, username: str) -> None:
    page.goto(base + "/")
    assert page.url.startswith(base + "/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")


def _fits(page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling on a phone)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_grid_worker_on_a_phone(browser, live_server, live_county):
    base = live_server.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        _log_in(page, base, "u_grid_worker")
        assert page.get_by_role("heading", name="u_grid_worker，您好").is_visible()
        assert page.get_by_text("张湾村第1网格").first.is_visible()
        assert _fits(page)
        _shot(page, "phone-grid-worker-home")

        # Map: straight to their grid, then a household in it.
        page.get_by_role("link", name="打开地图").click()
        page.wait_for_url(f"{base}/map/{GRID_1}/")
        home = Household.objects.filter(grid__code=GRID_1).order_by("number").first()
        members = list(Resident.objects.filter(household=home).order_by("id"))
        head = members[0]
        page.get_by_role("link", name=head.name).click()
        page.wait_for_url(f"{base}/households/{home.pk}/")
        for member in members:
            assert page.locator(".member__name", has_text=member.name).is_visible()
            assert page.get_by_text(member.id_number_masked).is_visible()
        content = page.content()
        assert all(m.id_number not in content and m.phone not in content for m in members)
        assert _fits(page)
        _shot(page, "phone-grid-worker-household")

        # Showing one full ID number (a POST with its CSRF token, audited).
        page.get_by_role("button", name="查看完整身份证号").first.click()
        page.wait_for_load_state()
        assert page.get_by_text(head.id_number).is_visible()
        assert page.get_by_text("本次查看已记入审计日志").is_visible()

        # A household in another township: the 404 page, in the same style.
        outside = Household.objects.filter(grid__code=OTHER_TOWNSHIP_GRID).first()
        response = page.goto(f"{base}/households/{outside.pk}/")
        assert response.status == 404
        assert page.get_by_role("heading", name="找不到这个页面").is_visible()
        assert page.get_by_role("link", name="返回首页").is_visible()
        _shot(page, "phone-grid-worker-not-found")

        # The language switch, then back.
        page.goto(base + "/")
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Hello, u_grid_worker").is_visible()
        assert page.get_by_role("link", name="Home").is_visible()
        page.get_by_role("button", name="简体中文").click()
        page.wait_for_load_state()
        assert page.get_by_role("link", name="首页").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize(("size", "viewport"), [("small-phone", SMALL_PHONE), ("desktop", DESKTOP)])
def test_pages_fit_the_screen(browser, live_server, live_county, size, viewport):
    base = live_server.url
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    try:
        _log_in(page, base, "u_township_staff")
        home = Household.objects.filter(grid__code=GRID_1).order_by("number").first()
        pages = {
            "home": "/",
            "township": "/map/621023100000/",
            "grid": f"/map/{GRID_1}/",
            "household": f"/households/{home.pk}/",
            "coverage": "/map/621023100000/coverage/",
            "search": "/search/",
        }
        for name, path in pages.items():
            response = page.goto(base + path)
            assert response.status == 200, path
            assert _fits(page), f"{path} is wider than a {viewport['width']}px screen"
            # Body text is at least 18px, for older eyes.
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
            _shot(page, f"{size}-township-staff-{name}")
    finally:
        context.close()
