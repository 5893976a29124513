"""The Content-Security-Policy in a real browser: headless Chromium opens the pages that need
no record (every such page in the permission matrix) as the administrator, the public board
and the API documentation, and the browser reports no blocked script or style. The HTML
check in test_security.py sees what the server sends; this sees what the pages' scripts do."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from tests import factories
from tests.browser import log_in
from tests.matrix import registry
from tests.matrix.routes import walk

pytestmark = pytest.mark.browser
MAX_PAGES = 25  # bounded for CI; test_security.py parses every declared page's HTML

WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});
"""


def _pages_without_a_record() -> list[str]:
    entries, _prefixes = registry.load()
    routes = {r.ident: r for r in walk()}
    paths = []
    for entry in entries:
        if entry.is_api or entry.method != "GET" or entry.kind or entry.name not in routes:
            continue
        route = routes[entry.name]
        if route.parameters() or entry.name.startswith("admin:"):
            continue
        paths.append(route.sample())
    return sorted(set(paths))


def test_no_page_trips_the_content_security_policy(browser, live_server, transactional_db):
    county = factories.small_county()
    users = factories.role_users(county)
    page = browser.new_page(locale="zh-CN")
    page.add_init_script(WATCH)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    base = live_server.url
    page.goto(f"{base}{reverse('deliberation:public_board', args=['621023100201'])}")
    page.goto(f"{base}/api/docs")
    page.wait_for_selector(".swagger-ui", timeout=30_000)
    log_in(page, base, users["admin"].username)
    visited: dict[str, list[str]] = {}
    for path in _pages_without_a_record()[:MAX_PAGES]:
        try:
            response = page.goto(f"{base}{path}", wait_until="load")
        except PlaywrightError:  # a download (an export), not a page
            continue
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited[path] = page.evaluate("window.__cspViolations")
    assert len(visited) >= 10
    blocked = {path: found for path, found in visited.items() if found}
    assert not blocked
    assert not console
