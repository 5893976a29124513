"""Issue 9's acceptance: each village's public legal page and power list open without
login, and the figures per period are right (seed 002: 160 / 171 / 125 reminder talks)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.legal import selectors, services
from shanzhi.legal.models import ReminderTalk
from shanzhi.regions.models import Region, Resident

pytestmark = pytest.mark.django_db

SEED_002 = {"before": 160, "during": 171, "after": 125}


def test_every_villages_legal_page_and_power_list_open_without_login(legal, client):
    services.power_item_add(actor=legal.users["county_staff"], region=legal.county, which="power",
                            title="村级财务收支", legal_basis="《村集体经济组织财务制度》",
                            steps=["经办人取得票据", "村务监督委员会审核", "每月公开"])
    own = {}
    for village in legal.villages:
        own[village.code] = services.power_item_add(
            actor=legal.users["admin"], region=village, which="responsibility", title=f"{village.name}书记责任",
            steps=["年初签订责任书", "年终述职"]).title
    villages = list(Region.objects.filter(level=Region.Level.VILLAGE))
    assert len(villages) == len(legal.villages)
    for village in villages:
        page = client.get(f"/legal/village/{village.code}/")
        assert page.status_code == 200, village.code
        text = page.content.decode()
        assert village.name in text
        assert "村务监督委员会审核" in text  # the county's flowchart, in every village
        assert own[village.code] in text
        assert all(title not in text for code, title in own.items() if code != village.code)
        api = client.get(f"/api/legal/public/villages/{village.code}")
        assert api.status_code == 200
        titles = [i["title"] for i in api.json()["power_items"]]
        assert "村级财务收支" in titles
        assert own[village.code] in titles
    # Anonymous all along: no session was made.
    assert "sessionid" not in client.cookies


def _talks(village: Region, stage: str, n: int, year: int) -> list[ReminderTalk]:
    county = Region.objects.get(pk=village.county_id)
    return [ReminderTalk(county=county, region=village, region_path=village.path, stage=stage, cadre_name="王某",
                         reason="工程招标", talked_by="镇纪委", held_on=dt.date(year, 1 + i % 12, 1 + i % 28),
                         record="已提醒") for i in range(n)]


def test_figures_per_period_match_seed_002(legal, login):
    """456 reminder talks in 2025 spread over the villages (160 before, 171 during, 125 after),
    with talks just outside the period on both sides; legal aid in and out of the period."""
    rows = []
    for stage, n in SEED_002.items():
        for k, village in enumerate(legal.villages):
            share = n // len(legal.villages) + (1 if k < n % len(legal.villages) else 0)
            rows += _talks(village, stage, share, 2025)
        rows += _talks(legal.villages[0], stage, 1, 2024)  # 2024-01-01: before the period
    rows[-1].held_on = dt.date(2026, 1, 1)
    ReminderTalk.objects.bulk_create(rows)
    start, end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)

    county_staff = legal.users["county_staff"]
    assert selectors.talk_figures(county_staff, start=start, end=end) == SEED_002
    r = login(county_staff).get("/api/legal/figures?start=2025-01-01&end=2025-12-31")
    assert r.status_code == 200
    assert r.json()["reminder_talks"] == SEED_002
    page = login(county_staff).get("/legal/talks/?start=2025-01-01&end=2025-12-31")
    assert page.context["figures"] == SEED_002
    text = login(county_staff).get("/legal/figures/?start=2025-01-01&end=2025-12-31").content.decode()
    assert all(f"<dd>{n}</dd>" in text for n in SEED_002.values())
    # The township sees its own villages' share only.
    township = legal.townships[0]
    expected = {stage: sum(1 for t in rows if t.stage == stage and t.held_on.year == 2025
                           and t.region_path.startswith(township.path)) for stage in SEED_002}
    assert selectors.talk_figures(legal.users["township_staff"], start=start, end=end) == expected
    assert expected != SEED_002

    # Legal aid in the same period: two applications in 2025 (one concluded with money
    # recovered), one in 2024.
    head = Resident.objects.get(household=legal.households[0], relation="head")
    staff = legal.users["township_staff"]

    def apply(at: dt.datetime):
        return services.legal_aid_submit(actor=staff, matter_type="unpaid_wages", summary="欠薪", applicant=head,
                                         at=at)

    tz = timezone.get_current_timezone()
    done = apply(dt.datetime(2025, 3, 1, 10, tzinfo=tz))
    apply(dt.datetime(2025, 12, 31, 15, tzinfo=tz))
    apply(dt.datetime(2024, 12, 31, 15, tzinfo=tz))
    services.legal_aid_accept(actor=staff, case=done, lawyer=legal.users["legal_adviser"])
    services.legal_aid_conclude(actor=legal.users["legal_adviser"], case=done, result="追回",
                                amount_recovered_fen=490000)
    aid = login(county_staff).get("/api/legal/figures?start=2025-01-01&end=2025-12-31").json()["legal_aid"]
    assert (aid["total"], aid["concluded"], aid["recovered_fen"]) == (2, 1, 490000)
    assert aid["by_type"]["unpaid_wages"] == 2
