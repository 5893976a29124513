"""A Party member on a phone, in headless Chromium against a live server: signs in, opens the
households in their care, logs a visit where the phone says they are (the page's location
script), and sees it saved; nothing scrolls sideways on a 360-pixel screen. Screenshots go to
test-artifacts/contact/."""

from __future__ import annotations

from pathlib import Path

import pytest

from shanzhi.contact import services
from shanzhi.contact.models import Visit
from shanzhi.regions.models import Region
from tests import factories
from tests.contact.conftest import make_party

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "contact"
LAT, LNG = 36.4567, 107.9876


def test_a_member_logs_a_visit_on_a_phone(browser, live_server, transactional_db):
    county = factories.small_county()
    factories.role_users(county)
    party = make_party(county)
    Region.objects.filter(pk=county.villages[0].pk).update(latitude=LAT, longitude=LNG)
    homes = county.households_in(county.grids[0])
    services.assignment_create(actor=county.users["village_secretary"], member=party.wang, households=homes)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  geolocation={"latitude": LAT + 0.001, "longitude": LNG}, permissions=["geolocation"])
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名或手机号").fill(party.wang_user.username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/contact/")
    assert page.get_by_role("heading", name="我的包联户").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "my-households.png"), full_page=True)
    page.get_by_role("link", name=homes[1].number, exact=False).first.click()
    page.get_by_label("帮办解难").check()
    page.get_by_label("走访情况（选填）").fill("帮老人代缴电费")
    page.get_by_label("现场解决了群众小事").check()
    page.wait_for_function("document.querySelector('input[name=latitude]').value !== ''")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "log-a-visit.png"), full_page=True)
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_load_state()
    errors = page.locator(".field", has=page.locator(".field__error")).all_inner_texts()
    assert not errors, errors
    page.wait_for_url("**/contact/visits/*/")
    assert page.get_by_role("paragraph").filter(has_text="帮老人代缴电费").is_visible()
    # The follow-ups start from what the visit says.
    assert page.get_by_role("textbox", name="纠纷情况").input_value() == "帮老人代缴电费"
    visit = Visit.objects.get()
    assert (visit.household_id, visit.purpose, visit.settled) == (homes[1].pk, "help", True)
    assert abs(float(visit.latitude) - (LAT + 0.001)) < 1e-5
    page.screenshot(path=str(ARTIFACTS / "visit.png"), full_page=True)
    context.close()
