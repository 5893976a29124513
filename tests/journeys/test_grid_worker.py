"""A grid worker on their round: a quick report (随手拍) of something they saw, a resident's
request sent to the department that can fix it, and a quarrel settled on the spot (随手调)."""

from __future__ import annotations

import pytest

from shanzhi.casework import services as casework
from shanzhi.casework.models import ServiceRequest
from shanzhi.disputes import services as disputes
from shanzhi.disputes.models import Dispute

pytestmark = pytest.mark.browser


def test_a_grid_worker_reports_dispatches_and_settles_a_dispute(journey, live_county):
    categories = {c.code: c for c in casework.categories_install_defaults(actor=None, county=live_county.county)}
    disputes.types_install_defaults(actor=None, county=live_county.county)
    asked = casework.request_submit(actor=live_county.users["resident"], category=categories["water"],
                                    description="自来水管冻裂，全组停水。")
    j = journey("grid-worker")
    j.log_in("u_grid_worker")
    j.step("home")

    # 随手拍: something seen on the round, a public matter at the grid.
    j.click("一键上报")
    j.see_heading("一键上报")
    j.step("quick-report")
    j.page.get_by_label("诉求类别").select_option(label="道路")
    j.page.get_by_label("请描述您的诉求").fill("二组路口路灯倒伏，夜间有安全隐患。")
    j.page.get_by_label("地点(公共事务时选择)").select_option(label="张湾村第1网格")
    j.submit("提交")
    j.no_form_errors()
    reported = ServiceRequest.objects.get(description__startswith="二组路口路灯")
    j.see(f"您的诉求 #{reported.number} 已提交")
    j.step("quick-report-filed")

    # 网格派单: the resident's request, to the county water bureau.
    j.home()
    j.click("全部诉求")
    j.click("待派单")
    j.step("to-dispatch")
    j.click(f"#{asked.number}", exact=False)
    j.see("自来水管冻裂，全组停水。")
    j.see_heading("派单")
    j.step("request")
    j.page.get_by_label("部门", exact=True).first.check()
    j.page.locator("select[name=department]").select_option(label="县水务局")
    j.page.get_by_label("备注").first.fill("请尽快上门抢修。")
    with j.page.expect_navigation():
        j.page.locator("#req-dispatch").locator("..").get_by_role("button", name="提交").click()
    j.no_form_errors()
    j.see("已完成:派单。")
    j.see("县水务局")
    j.step("dispatched")
    asked.refresh_from_db()
    assert (asked.state, asked.assignee_department_id) == ("dispatched", live_county.department.pk)

    # 随手调: two neighbours' quarrel, settled where it happened.
    j.home()
    j.click("随手调")
    j.see_heading("随手调")
    j.step("on-the-spot")
    page = j.page
    page.get_by_label("或网格").select_option(label="张湾村第1网格")
    page.get_by_label("类型").select_option(label="邻里纠纷")
    page.get_by_label("纠纷的简要情况").fill("两户因门前通道占用发生争吵。")
    page.get_by_label("申请人", exact=True).fill("张大山")
    page.get_by_label("被申请人", exact=True).fill("李小河")
    page.get_by_label("纠纷事实").fill("李家在通道堆放柴草，影响张家出入。")
    page.get_by_label("协议内容").fill("李家三日内清走柴草，通道两家共用。")
    page.get_by_label("双方当事人已在协议上签字").check()
    j.submit("登记调解结果")
    j.no_form_errors()
    dispute = Dispute.objects.get(summary__startswith="两户因门前通道")
    j.see(f"矛盾纠纷 #{dispute.number} 已现场化解。")
    j.step("settled")
    assert dispute.on_the_spot
