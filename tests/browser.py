"""The one headless Chromium for every browser test (Playwright, /usr/bin/chromium), and the
few helpers they share. tests/conftest.py makes ``browser`` a fixture everywhere.

Without Chromium the browser tests are skipped; with SHANZHI_REQUIRE_BROWSER=1 (CI) they fail
instead, so a missing browser cannot pass unnoticed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=zh-CN",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``); closed after the test."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("SHANZHI_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and SHANZHI_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the test's own database calls
    # are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def log_in(page: Any, base: str, login: str, password: str = factories.PASSWORD) -> None:
    """Signs in through the login page, as a person would, and waits for the home page."""
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("用户名或手机号").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def fits(page: Any) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
