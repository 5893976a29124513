"""The public board on a phone and the A4 poster, in headless Chromium against a live
server: no horizontal scrolling on a 360-pixel phone, the poster one A4 page in Chinese.
Screenshots (and the poster as a PDF) go to test-artifacts/deliberation/."""

from __future__ import annotations

from pathlib import Path

import pytest

from shanzhi.deliberation import services
from shanzhi.deliberation.models import Board, Category
from shanzhi.regions.models import Region
from tests import factories
from tests.deliberation.conftest import VILLAGE

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "deliberation"


def test_the_public_board_fits_a_phone_and_the_notice_prints_on_a4(browser, live_server, transactional_db):
    county = factories.small_county()
    users = factories.role_users(county)
    village = Region.objects.get(code=VILLAGE)
    notice = services.notice_post(
        actor=users["village_secretary"], region=village, board=Board.VILLAGE, category=Category.FINANCES,
        title="2025年10月村级财务收支公开",
        body="本月收入：土地流转收入12,000元，光伏收益8,600元。\n本月支出：道路维修4,500元，保洁员工资3,000元。\n"
             "如有疑问，请于公示期内向村务监督委员会反映。" * 3)
    services.notice_post(actor=users["village_secretary"], region=village, board=Board.PARTY,
                         category=Category.PARTY_DUES, title="第三季度党费收缴情况", body="应缴5人，实缴5人。")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page.goto(f"{live_server.url}/deliberation/board/{VILLAGE}/")
    assert "张湾村" in page.title()
    assert page.get_by_role("heading", name="党务公开栏").is_visible()
    assert page.get_by_text("2025年10月村级财务收支公开").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "board-phone.png"), full_page=True)
    page.get_by_text("2025年10月村级财务收支公开").click()
    page.get_by_role("link", name="打印 A4 张贴版").click()
    # The click returns before the new page (and its stylesheet) has loaded.
    page.wait_for_url(f"**/deliberation/board/notices/{notice.pk}/print/", wait_until="load")
    page.emulate_media(media="print")
    assert page.locator(".poster__board").inner_text().startswith("张湾村村务公开")
    assert not page.locator(".screen-only").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "poster.pdf").write_bytes(pdf)
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page\n") >= 1
    page.set_viewport_size({"width": 794, "height": 1123})
    page.screenshot(path=str(ARTIFACTS / "poster.png"), full_page=True)
    page.close()


def test_a_matter_page_and_a_vote_on_a_phone(browser, live_server, transactional_db):
    """The secretary records a stage meeting from a phone; a villager votes from a phone."""
    from django.utils import timezone

    from shanzhi.deliberation.models import Matter, VillageRules

    county = factories.small_county()
    users = factories.role_users(county)
    village = Region.objects.get(code=VILLAGE)
    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                allow_online_voting=True)
    matter = services.matter_create(actor=users["village_secretary"], village=village, title="硬化三组通组道路",
                                    proposal="将三组通组道路1.2公里硬化为水泥路面。")
    vote = services.vote_create(actor=users["village_secretary"], village=village, title="路灯安装位置",
                                question="路灯先装在哪里？", options=["村委会至学校", "一组至二组"],
                                opens_at=timezone.now(), closes_at=timezone.now() + timezone.timedelta(days=2))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")

    def log_in(login: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名或手机号").fill(login)
        page.get_by_label("密码").fill(factories.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server.url}/")

    log_in("u_village_secretary")
    page.goto(f"{live_server.url}/deliberation/matters/{matter.pk}/")
    page.fill("input[name=eligible_count]", "5")
    page.fill("input[name=present_count]", "5")
    page.fill("textarea[name=minutes]", "支委会一致同意提议。")
    page.fill("input[name=votes_for]", "5")
    page.fill("input[name=votes_against]", "0")
    page.fill("input[name=votes_abstain]", "0")
    page.get_by_role("button", name="记录会议").click()
    assert page.get_by_text("会议已记录。").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "matter-phone.png"), full_page=True)
    matter.refresh_from_db()
    assert matter.state == "proposed"

    log_in(users["resident"].phone)
    page.goto(f"{live_server.url}/deliberation/votes/{vote.pk}/")
    page.get_by_label("一组至二组").check()
    page.get_by_role("button", name="投票").click()
    assert page.get_by_text("您的投票已计入。").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "vote-phone.png"), full_page=True)
    assert Matter.objects.get(pk=matter.pk).state == "proposed"
    vote.refresh_from_db()
    assert vote.turnout_count == 1
    page.close()
