"""Monthly reports (月汇报): assembled from a member's visits, submitted by the member, reviewed
by the branch (approved or returned and submitted again); the branch's quarterly summary
(季总结) with its figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.contact import selectors, services
from shanzhi.contact.models import MonthlyReport, QuarterSummary, Visit
from shanzhi.core.errors import NotFound, PermissionDenied, ValidationError
from shanzhi.core.models import Notification, StateChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_of_visits(county, party):
    """王 looks after three households; in the month he visits two of them three times (one
    small matter settled), and one visit of the month before does not count."""
    sec = county.users["village_secretary"]
    homes = county.households_in(county.grids[0])
    today = timezone.localdate()
    month = today.replace(day=1)
    services.assignment_create(actor=sec, member=party.wang, households=homes, start_date=month - dt.timedelta(40))
    rows = [(homes[0], month, "policy", False), (homes[0], today, "help", True), (homes[1], today, "help", False),
            (homes[1], month - dt.timedelta(days=3), "festival", False)]
    for household, day, purpose, settled in rows:
        Visit.objects.create(member=party.wang, household=household, village_id=household.village_id,
                             region_path=household.region_path, county_id=household.county_id, visited_on=day,
                             purpose=purpose, settled=settled)
    return month


def _post(client, user, url, body=None):
    client.force_login(user)
    return client.post(url, body or {}, content_type="application/json")


def test_the_whole_loop_by_api(client, county, party, month_of_visits):
    month = month_of_visits.strftime("%Y-%m")
    r = _post(client, party.wang_user, "/api/contact/reports", {"month": month})
    assert r.status_code == 201, r.content
    report = r.json()
    assert (report["state"], report["visits"], report["households_visited"], report["households_assigned"],
            report["settled"], report["by_purpose"]) == ("draft", 3, 2, 3, 1, {"policy": 1, "help": 2})
    assert report["actions"] == ["submit"]
    pk = report["id"]
    # The branch cannot approve a draft (409: wrong state); another member does not see it at all.
    assert _post(client, county.users["village_secretary"], f"/api/contact/reports/{pk}/approve").status_code == 409
    assert _post(client, party.li_user, f"/api/contact/reports/{pk}/submit").status_code == 404
    r = _post(client, party.wang_user, f"/api/contact/reports/{pk}/submit", {"summary": "本月走访两户，解决一件"})
    assert r.status_code == 200
    assert r.json()["state"] == "submitted"
    # The secretary is told, and finds it in the review queue.
    secretary = county.users["village_secretary"]
    assert Notification.objects.filter(recipient=secretary, kind="contact.report_submitted").exists()
    client.force_login(secretary)
    queue = client.get("/api/contact/reports?queue=review").json()
    assert [x["id"] for x in queue["items"]] == [pk]
    r = _post(client, secretary, f"/api/contact/reports/{pk}/return", {"note": ""})
    assert r.status_code == 422
    assert "note" in r.json()["fields"]
    r = _post(client, secretary, f"/api/contact/reports/{pk}/return", {"note": "请补充第三户的走访"})
    assert r.status_code == 200
    assert r.json()["state"] == "returned"
    assert Notification.objects.filter(recipient=party.wang_user, kind="contact.report_returned").exists()
    # 王 visits the third household and submits again: the figures follow.
    home = county.households_in(county.grids[0])[2]
    services.visit_log(actor=party.wang_user, household=home, visited_on=timezone.localdate(), purpose="policy")
    r = _post(client, party.wang_user, f"/api/contact/reports/{pk}/submit", {"summary": "已补充"})
    assert r.json()["households_visited"] == 3
    assert r.json()["visits"] == 4
    r = _post(client, county.users["village_committee"], f"/api/contact/reports/{pk}/approve", {"note": "好"})
    assert r.status_code == 200
    assert r.json()["state"] == "approved"
    assert list(StateChange.objects.filter(object_id=pk, workflow="contact_report").values_list(
        "transition", flat=True)) == ["create", "submit", "return", "submit", "approve"]
    # Approved: assembling again changes nothing.
    r = _post(client, party.wang_user, "/api/contact/reports", {"month": month})
    assert r.json()["id"] == pk
    assert r.json()["state"] == "approved"


def test_bad_months_and_the_wrong_people(county, party, month_of_visits):
    with pytest.raises(ValidationError):
        services.report_assemble(actor=party.wang_user, month=timezone.localdate() + dt.timedelta(days=40))
    with pytest.raises(PermissionDenied):
        services.report_assemble(actor=county.users["grid_worker"], month=month_of_visits)
    report = services.report_assemble(actor=party.wang_user, month=month_of_visits)
    services.report_submit(actor=party.wang_user, report=report)
    with pytest.raises(NotFound):
        selectors.report_get(party.zhao_user, report.pk)  # another village's member
    # A report belongs to the village: the grid team does not see it; a committee member
    # reviews, the township too; a member never reviews their own.
    with pytest.raises(NotFound):
        services.report_approve(actor=county.users["grid_leader"], report=report)
    with pytest.raises(PermissionDenied):
        services.report_approve(actor=party.wang_user, report=report)  # sees it: their own
    services.report_approve(actor=county.users["township_staff"], report=report)
    assert MonthlyReport.objects.get().state == "approved"


def test_report_pages(client, county, party, month_of_visits):
    client.force_login(party.wang_user)
    r = client.post("/contact/reports/new/", {"month": month_of_visits.strftime("%Y-%m")})
    assert r.status_code == 302
    report = MonthlyReport.objects.get()
    page = client.get(f"/contact/reports/{report.pk}/").content.decode()
    assert f"contact/reports/{report.pk}/submit/" in page
    assert client.post(f"/contact/reports/{report.pk}/submit/", {"summary": "本月小结"}).status_code == 302
    client.force_login(county.users["village_secretary"])
    listing = client.get("/contact/reports/?queue=review").content.decode()
    assert party.wang.name in listing
    r = client.post(f"/contact/reports/{report.pk}/return/", {"note": ""})
    assert r.status_code == 422
    assert client.post(f"/contact/reports/{report.pk}/approve/", {"note": "同意"}).status_code == 302
    report.refresh_from_db()
    assert report.state == "approved"
    assert report.review_note == "同意"


def test_the_branch_quarter(client, county, party, month_of_visits):
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    figures = selectors.branch_quarter_figures(party.branch, today.year, quarter)
    in_quarter = Visit.objects.filter(visited_on__gte=services.quarter_bounds(today.year, quarter)[0]).count()
    assert (figures.members, figures.members_with_households, figures.households_in_care, figures.visits) == (
        2, 1, 3, in_quarter)
    assert figures.settled == 1
    # The group's member counts for the branch; the other branch has none of it.
    assert selectors.branch_quarter_figures(party.other_branch, today.year, quarter).visits == 0
    client.force_login(county.users["village_secretary"])
    url = f"/api/contact/branches/{party.branch.pk}/quarters/{today.year}/{quarter}"
    assert client.get(url).json()["figures"]["visits"] == in_quarter
    r = client.post(url, {"summary": "本季度党员联户走访全覆盖"}, content_type="application/json")
    assert r.status_code == 200, r.content
    saved = QuarterSummary.objects.get()
    assert saved.figures["visits"] == in_quarter
    assert saved.written_by == county.users["village_secretary"]
    # The chief grid leader reads it but does not write it; the grid worker does not see the
    # branch; 李塬村's branch is not the secretary's.
    client.force_login(county.users["chief_grid_leader"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"summary": "x"}, content_type="application/json").status_code == 403
    client.force_login(county.users["grid_worker"])
    assert client.get(url).status_code == 404
    client.force_login(county.users["village_secretary"])
    other = f"/api/contact/branches/{party.other_branch.pk}/quarters/{today.year}/{quarter}"
    assert client.get(other).status_code == 404
    future = f"/api/contact/branches/{party.branch.pk}/quarters/{today.year + 1}/{quarter}"
    assert client.post(future, {"summary": "x"}, content_type="application/json").status_code == 422
    page = client.get(f"/contact/quarters/?branch={party.branch.pk}&year={today.year}&quarter={quarter}")
    assert page.status_code == 200
    assert "本季度党员联户走访全覆盖" in page.content.decode()
