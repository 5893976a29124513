"""Department staff (县水务局) take a request the grid has sent them, and report it resolved."""

from __future__ import annotations

import pytest

from shanzhi.casework import services

pytestmark = pytest.mark.browser


def test_a_department_accepts_and_resolves_a_request(journey, live_county):
    categories = {c.code: c for c in services.categories_install_defaults(actor=None, county=live_county.county)}
    users = live_county.users
    request = services.request_submit(actor=users["resident"], category=categories["water"],
                                      description="自来水管冻裂，全组停水。", address="张湾村二组")
    services.request_dispatch(actor=users["grid_worker"], request=request, to="department",
                              department=live_county.department, note="请尽快上门抢修。")
    j = journey("department")
    j.log_in("u_department_staff")
    j.step("home")

    j.click("全部诉求")
    j.see("自来水管冻裂，全组停水。")
    j.step("incoming")
    j.click(f"#{request.number}", exact=False)
    j.see("张湾村二组")
    j.step("request")
    j.submit("接单")
    j.no_form_errors()
    j.see("已接单")
    j.step("accepted")

    j.page.get_by_label("办理情况").fill("已更换冻裂水管并做保温，恢复供水。")
    j.submit("已办结")
    j.no_form_errors()
    j.see("已更换冻裂水管并做保温，恢复供水。")
    j.step("resolved")
    request.refresh_from_db()
    assert request.state == "resolved"
    assert request.result_note == "已更换冻裂水管并做保温，恢复供水。"
