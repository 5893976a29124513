"""Each dashboard figure equals a direct count over the raw rows; drill-down and the lists
behind the numbers keep to the viewer's places."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from django.utils import timezone

from shanzhi.casework.models import ServiceRequest
from shanzhi.command import selectors
from shanzhi.disputes.models import Dispute
from tests.command.conftest import file_request, make_dispute

pytestmark = pytest.mark.django_db

OPEN_REQUEST_STATES = {"submitted", "dispatched", "accepted", "in_progress", "escalated", "reopened", "resolved"}


def _plant(c):
    homes_t1 = c.households_in(c.grids[0], c.grids[1])
    homes_t2 = c.households_in(c.grids[4])
    reqs = [file_request(c, h) for h in homes_t1[:4]] + [file_request(c, h) for h in homes_t2[:2]]
    # One of 柔远镇's requests is overdue, one was filed 40 days ago.
    past = timezone.now() - dt.timedelta(days=3)
    ServiceRequest.objects.filter(pk=reqs[0].pk).update(response_due=past, resolve_due=past)
    ServiceRequest.objects.filter(pk=reqs[1].pk).update(submitted_at=timezone.now() - dt.timedelta(days=40))
    g1, g5 = c.grids[0], c.grids[4]
    make_dispute(c, g1)
    make_dispute(c, g1, state="closed", on_the_spot=True)
    make_dispute(c, g1, state="dismissed")
    make_dispute(c, g5)
    return reqs


def _under(qs, region):
    return qs.filter(region_path__startswith=region.path)


def test_each_figure_equals_a_direct_count(ccounty):
    c = ccounty
    _plant(c)
    township = c.villages[0].parent
    viewer = c.users["township_staff"]
    per = selectors.period("month")
    d = selectors.dashboard(viewer, township, per)
    raw = _under(ServiceRequest.objects.exclude(state="merged"), township)
    today = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    assert d.requests_today == raw.filter(submitted_at__gte=today).count() == 3
    assert d.requests_now.open == raw.filter(state__in=OPEN_REQUEST_STATES).count() == 4
    assert d.requests_now.overdue == raw.filter(resolve_due__lt=timezone.now()).count() == 1
    assert d.requests.count == raw.filter(submitted_at__gte=per.since).count()
    rawd = _under(Dispute.objects.exclude(state="dismissed"), township)
    assert d.disputes_now.count == rawd.count() == 2
    assert d.disputes_now.open == rawd.filter(state="mediating").count() == 1
    assert d.disputes.on_the_spot == rawd.filter(on_the_spot=True, reported_at__gte=per.since).count()
    assert d.disputes.success_rate == 1.0  # one settled, none referred
    assert d.grids.grids == 4  # two villages of two grids
    assert d.open_alerts == 0

    # The county sees both townships; its drill-down rows add up to its own figures.
    county_view = selectors.dashboard(c.users["county_staff"], c.county, per)
    assert county_view.requests_now.count == ServiceRequest.objects.exclude(state="merged").count() == 6
    rows = selectors.children(c.users["county_staff"], c.county, per)
    assert [r.region.code for r in rows] == sorted(t.code for t in c.county.children.all())
    assert sum(r.requests.count for r in rows if r.requests) == county_view.requests.count


def test_trend_counts_by_month_and_last_year(ccounty):
    c = ccounty
    _plant(c)
    t = selectors.trend(c.users["county_staff"], c.county, "month")
    assert len(t.labels) == 12
    assert t.requests[-1] + t.requests[-2] >= 5
    assert sum(t.requests) == ServiceRequest.objects.exclude(state="merged").count()
    assert sum(t.requests_last_year) == 0
    assert sum(t.disputes) == Dispute.objects.exclude(state="dismissed").count()
    day = selectors.trend(c.users["county_staff"], c.county, "day")
    assert len(day.labels) == 14
    assert day.requests[-1] == 5


def test_pages_drill_down_within_scope(ccounty, login):
    c = ccounty
    _plant(c)
    t1, t2 = c.villages[0].parent, c.villages[2].parent
    client = login(c.users["township_staff"])
    page = client.get("/command/")
    assert page.status_code == 200
    assert t1.name in page.content.decode()
    assert "<svg" in page.content.decode()
    assert "<script" not in page.content.decode().split("</header>")[-1]
    assert client.get(f"/command/?region={c.villages[0].code}").status_code == 200
    assert client.get(f"/command/?region={c.grids[0].code}").status_code == 200
    assert client.get(f"/command/?region={t2.code}").status_code == 404  # another township
    assert client.get(f"/command/?region={c.county.code}").status_code == 403  # seen from below only
    assert client.get("/command/?region=999").status_code == 404
    for path in ("wall/", "wall.json", "map/", "alerts/", "report.xlsx", "list/requests_open/"):
        assert client.get(f"/command/{path}?region={t2.code}").status_code == 404, path
        assert client.get(f"/command/{path}").status_code == 200, path
    data = client.get("/command/wall.json").json()
    assert data["requests_open"] == 4
    assert data["requests_overdue"] == 1
    wall = client.get("/command/wall/").content.decode()
    assert "command/wall.js" in wall
    assert "data-refresh-url" in wall
    for role in ("grid_worker", "village_secretary", "resident", "department_staff"):
        assert login(c.users[role]).get("/command/").status_code == 403, role


def test_lists_behind_the_numbers_keep_to_scope(ccounty, login):
    c = ccounty
    reqs = _plant(c)
    client = login(c.users["township_staff"])
    listed = client.get("/command/list/requests_open/")
    text = listed.content.decode()
    assert listed.status_code == 200
    for r in reqs[:4]:
        assert f"/requests/{r.pk}/" in text
    for r in reqs[4:]:
        assert f"/requests/{r.pk}/" not in text
    overdue = client.get("/command/list/requests_overdue/").content.decode()
    assert f"/requests/{reqs[0].pk}/" in overdue
    assert f"/requests/{reqs[2].pk}/" not in overdue
    village = client.get(f"/command/list/disputes_open/?region={c.villages[0].code}").content.decode()
    assert village.count("/disputes/") >= 1
    assert client.get("/command/list/nonsense/").status_code == 422


def test_report_workbook_holds_the_figures(ccounty, login):
    c = ccounty
    _plant(c)
    client = login(c.users["county_staff"])
    today = timezone.localdate()
    answer = client.get(f"/command/report.xlsx?year={today.year}&month={today.month}")
    assert answer.status_code == 200
    import io

    wb = openpyxl.load_workbook(io.BytesIO(answer.content))
    summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    assert list(summary.values())[2] == ServiceRequest.objects.filter(submitted_at__gte=month_start).count()
    places = list(wb.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert len(places) == 2
    assert client.get("/command/report.xlsx?month=13").status_code == 422
    assert client.get("/command/report.xlsx?month=x").status_code == 422


def test_report_pdf_is_chinese_and_holds_the_figures(ccounty, login):
    import io

    from pypdf import PdfReader

    c = ccounty
    _plant(c)
    client = login(c.users["county_staff"])
    client.cookies["django_language"] = "en"  # printed and filed in Chinese whatever the reader's language
    today = timezone.localdate()
    answer = client.get(f"/command/report.pdf?year={today.year}&month={today.month}", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.content))
    # fpdf2's embedded CMap: pypdf puts a NUL before each CJK character (see tests/disputes).
    text = "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    filed = ServiceRequest.objects.filter(submitted_at__gte=month_start).count()
    assert text.startswith("华池县月度"), text[:100]
    assert f"受理诉求{filed}" in text, text[:500]
    assert "六类纠纷占比" in text  # the six types' share
    assert "柔远镇" in text  # a row per township
    quarter = client.get(f"/command/report.pdf?year={today.year}&month={today.month}&span=quarter")
    assert "".join(p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(quarter.content)).pages
                   ).startswith("华池县季度")
    assert client.get("/command/report.pdf?month=13").status_code == 422
