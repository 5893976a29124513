"""A resident asks for help from their phone, follows the request, and rates it once the
department has resolved it."""

from __future__ import annotations

import pytest

from shanzhi.casework import services
from shanzhi.casework.models import ServiceRequest

pytestmark = pytest.mark.browser


def test_a_resident_files_a_request_and_rates_the_result(journey, live_county):
    services.categories_install_defaults(actor=None, county=live_county.county)
    users = live_county.users
    j = journey("resident-request")
    j.log_in("u_resident")
    j.step("home")

    j.click("我要反映")
    j.see_heading("我要反映")
    j.step("ask-for-help")
    j.page.get_by_label("诉求类别").select_option(label="供水")
    j.page.get_by_label("请描述您的诉求").fill("村口水管破裂，漏水严重，已经两天了。")
    j.page.get_by_label("具体位置(选填)").fill("张湾村村委会门口")
    j.submit("提交")
    j.no_form_errors()
    request = ServiceRequest.objects.get(description__startswith="村口水管破裂")
    j.see(f"您的诉求 #{request.number} 已提交")
    j.see("村口水管破裂，漏水严重")
    j.step("filed")

    # The grid worker dispatches it to the water bureau, which resolves it (their own journeys).
    services.request_dispatch(actor=users["grid_worker"], request=request, to="department",
                              department=live_county.department)
    services.request_accept(actor=users["department_staff"], request=request)
    services.request_resolve(actor=users["department_staff"], request=request, result="已更换破裂水管，恢复供水。")

    j.home()
    j.click(f"#{request.number}", exact=False)
    j.see("已更换破裂水管，恢复供水。")
    j.see_heading("评价办理结果")
    j.step("resolved")
    j.page.get_by_label("★★★★★ 非常满意").check()
    j.page.get_by_label("评价意见(选填)").fill("来得快，修得好。")
    j.submit("评价")
    j.no_form_errors()
    j.see("5 / 5")
    j.see("来得快，修得好。")
    j.step("rated")
    request.refresh_from_db()
    assert (request.state, request.rating) == ("rated", 5)
