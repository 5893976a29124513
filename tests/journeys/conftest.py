"""Each role's main path through the real pages, in headless Chromium against a live server.

A journey walks at phone size (360×740, the smallest phone the grid uses); at each step
``journey.step(name)`` checks the page (no horizontal scrolling at 360 px, no server error,
no browser console error, no English left in the zh-hans page) and writes a screenshot at
phone and at desktop size (1280×800) to docs/screenshots/<journey>/<step>-<size>.png, which
docs/screenshots/README.md indexes (and CI keeps as an artefact)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import factories
from tests.browser import fits, log_in

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Words that stay in Latin letters in the Chinese interface: the language switch, file kinds.
LATIN_ALLOWED = {"English", "Excel", "PDF", "QR", "SVG", "Open311", "API", "xlsx", "docx", "JPEG", "PNG", "MB"}
# Pages with English left in them that are known and reported to their module's owners: the
# journey warns instead of failing. Remove an entry when its page is translated.
KNOWN_UNTRANSLATED: dict[str, str] = {
    r"/command/": "the command centre has no zh_Hans catalogue yet",
}
# Phrases (in otherwise translated pages) known and reported likewise.
KNOWN_PHRASES = {
    "Command centre": "the home page's command centre card", "Open alerts": "the same card",
    "Dashboard": "the same card", "Alerts": "the same card",
}
# The elements that stick out to the right of the screen (to say which, when a page is too wide).
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + String(e.className).replace(/ +/g, '.')
  + ' ' + JSON.stringify((e.innerText || '').slice(0, 40)))"""
# A word of Latin letters (a code such as settle_on_spot too); the test accounts' user names
# (u_grid_worker) and numbers (H000001) are data, not text.
LATIN_WORD = re.compile(r"[A-Za-z0-9_]*[A-Za-z]{3,}[A-Za-z0-9_]*")
DATA_WORD = re.compile(r"u_\w+|\w*[0-9]\w*")


class Journey:
    """One person's walk through the pages, with a screenshot of every page they see."""

    def __init__(self, browser: Any, base: str, name: str):
        self.base = base
        self.name = name
        self.folder = SHOTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):  # a step renamed or gone leaves no stale picture
            old.unlink()
        self.context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("response", self._response)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        self.steps: list[str] = []

    def _response(self, response: Any) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    # -- walking ----------------------------------------------------------------------------

    def log_in(self, username: str) -> None:
        """Through the login page, to the home page that greets them (the test accounts' full
        names are their user names)."""
        log_in(self.page, self.base, username, factories.PASSWORD)
        self.see_heading(f"{username}，您好")

    def home(self) -> None:
        """Back to the home page by the 善治 mark at the top, as on every page."""
        with self.page.expect_navigation():
            self.page.locator("a.brand").click()

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def click(self, name: str, role: str = "link", **kwargs: Any) -> None:
        """Clicks the link (or button) a person would, and waits for the next page."""
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, **kwargs).first.click()

    def submit(self, name: str) -> None:
        self.click(name, role="button")

    def see(self, text: str) -> None:
        """The text is on the page, visible."""
        locator = self.page.get_by_text(text).first
        assert locator.is_visible(), f"{text!r} is not visible on {self.page.url}:\n{self.main_text()}\n{self.problems}"

    def see_heading(self, name: str) -> None:
        locator = self.page.get_by_role("heading", name=name).first
        assert locator.is_visible(), f"no heading {name!r} on {self.page.url}:\n{self.main_text()}\n{self.problems}"

    def main_text(self) -> str:
        return str(self.page.locator("main").inner_text())

    def no_form_errors(self) -> None:
        errors = self.page.locator(".field__error, .alert, [role=alert]").all_inner_texts()
        assert not errors, f"form errors on {self.page.url}: {errors}"

    # -- checking and recording each page --------------------------------------------------

    def step(self, name: str) -> None:
        """Checks the page as it is now and writes its screenshots at both sizes."""
        number = f"{len(self.steps) + 1:02d}-{name}"
        page = self.page
        page.wait_for_load_state("load")
        # Recorded rather than raised, so that one walk reports every page's problems.
        if not fits(page):
            self.problems.append(f"{page.url} scrolls sideways on a 360 px phone: {page.evaluate(TOO_WIDE)}")
        self._check_language()
        page.screenshot(path=str(self.folder / f"{number}-phone.png"))
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(self.folder / f"{number}-desktop.png"))
        page.set_viewport_size(PHONE)
        self.steps.append(number)

    def _check_language(self) -> None:
        """No English left in the zh-hans page (but the known and reported leftovers)."""
        path = self.page.url.removeprefix(self.base)
        text = self.page.locator("body").inner_text()
        for phrase, why in KNOWN_PHRASES.items():
            if phrase in text:
                warnings.warn(f"untranslated {phrase!r} on {path} ({why})", stacklevel=3)
                text = text.replace(phrase, "")
        leftovers = sorted({w for w in LATIN_WORD.findall(text)
                            if w not in LATIN_ALLOWED and not DATA_WORD.fullmatch(w)})
        known = next((why for pattern, why in KNOWN_UNTRANSLATED.items() if re.match(pattern, path)), None)
        if leftovers and known:
            warnings.warn(f"untranslated text on {path} ({known}): {leftovers}", stacklevel=3)
        elif leftovers:
            self.problems.append(f"untranslated text on {path}: {leftovers}")

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems
        index = (SHOTS / "README.md").read_text(encoding="utf-8")
        missing = [f"{self.name}/{s}-phone.png" for s in self.steps if f"{self.name}/{s}-phone.png" not in index]
        assert not missing, f"docs/screenshots/README.md does not show {missing}"


@pytest.fixture
def journey(browser: Any, live_server: Any) -> Iterator[Any]:
    """``journey(name)`` starts a walk; all are closed (and checked) at the end of the test."""
    started: list[Journey] = []

    def start(name: str) -> Journey:
        j = Journey(browser, live_server.url, name)
        started.append(j)
        return j

    yield start
    for j in started:
        j.close()


@pytest.fixture
def live_county(transactional_db: Any) -> factories.County:
    """The small county with one account per role, committed for the live server to see."""
    county = factories.small_county()
    factories.role_users(county)
    return county
