"""The public village legal page (no login, no personal data) and figures per period."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shanzhi.legal import selectors, services
from shanzhi.legal.models import ReminderTalk
from shanzhi.regions.models import Resident

pytestmark = pytest.mark.django_db


def test_public_page_opens_without_login_and_leaks_nothing(legal, client):
    village = legal.villages[0]
    services.power_item_add(
        actor=legal.users["village_secretary"],
        region=village,
        which="power",
        title="村级工程项目建设",
        legal_basis="《村民委员会组织法》第二十四条",
        steps=["村党支部提议", "两委会商议", "党员大会审议", "村民代表会议决议"],
    )
    services.power_item_add(
        actor=legal.users["township_staff"],
        region=legal.townships[0],
        which="responsibility",
        title="村党组织书记主体责任",
        steps=["年初签订责任书", "年终述职"],
    )
    for page in (
        client.get(f"/legal/village/{village.code}/"),
        client.get(f"/api/legal/public/villages/{village.code}"),
    ):
        assert page.status_code == 200
        text = page.content.decode() if page["Content-Type"].startswith("text/html") else json.dumps(
            page.json(), ensure_ascii=False)
        assert "0934-5551234" in text
        assert "0934-5550110" in text
        assert "村民代表会议决议" in text
        assert "年终述职" in text
        for phone, id_number in Resident.objects.values_list("phone", "id_number"):
            assert phone not in text
            assert id_number not in text
        for user in legal.users.values():
            assert not user.phone or user.phone not in text
    assert client.get("/legal/village/999999999999/").status_code == 404
    assert client.get("/api/legal/public/villages/999999999999").status_code == 404


def test_talk_figures_per_period(legal, login):
    """Seed 002: 160 talks before, 171 during and 125 after (here in miniature, and the
    period edges checked)."""
    village = legal.villages[0]
    actor = legal.users["township_staff"]
    for stage, n in (("before", 16), ("during", 17), ("after", 12)):
        for i in range(n):
            services.talk_record(
                actor=actor,
                region=village,
                stage=stage,
                cadre_name="王某",
                reason="工程招标",
                talked_by="镇纪委",
                held_on=dt.date(2025, 1 + i % 12, 10),
                record="已提醒",
            )
    services.talk_record(
        actor=actor,
        region=village,
        stage="after",
        cadre_name="李某",
        reason="x",
        talked_by="镇纪委",
        held_on=dt.date(2024, 12, 31),
        record="上一年",
    )
    assert ReminderTalk.objects.count() == 46
    figures = selectors.talk_figures(actor, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    assert figures == {"before": 16, "during": 17, "after": 12}
    r = login(legal.users["county_staff"]).get("/api/legal/figures?start=2025-01-01&end=2025-12-31")
    assert r.json()["reminder_talks"] == {"before": 16, "during": 17, "after": 12}
    # The other township sees none of it.
    other = legal.townships[1]
    assert not selectors.talks(legal.users["township_staff"]).filter(region_path__startswith=other.path).exists()


def test_education_figures(legal, login):
    actor = legal.users["legal_adviser"]
    v = legal.villages[0]
    services.event_record(
        actor=actor,
        region=v,
        kind="case_explaining",
        title="以案释法",
        held_on="2025-03-01",
        place="村委会",
        organiser="司法所",
        attendance=80,
        materials=200,
    )
    services.event_record(
        actor=actor,
        region=v,
        kind="legal_fair",
        title="法治大集",
        held_on="2025-06-01",
        place="集市",
        organiser="司法所",
        attendance=300,
        materials=1000,
    )
    services.event_record(
        actor=actor,
        region=v,
        kind="mock_trial",
        title="模拟法庭",
        held_on="2024-06-01",
        place="学校",
        organiser="法院",
        attendance=50,
    )
    head = Resident.objects.filter(household=legal.households[0]).first()
    liaison = services.liaison_add(actor=actor, resident=head, trained_on="2025-01-10", training_hours=16)
    services.liaison_activity_record(
        actor=actor, liaison=liaison, held_on="2025-04-02", description="调解邻里纠纷", people_reached=5
    )
    f = selectors.education_figures(legal.users["county_staff"], start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    assert (f.events, f.attendance, f.materials, f.liaisons, f.liaison_activities) == (2, 380, 1200, 1, 1)
    assert f.by_village == [{"region__name": v.name, "region__code": v.code, "events": 2, "attendance": 380}]
    # Bad input: 422 with the field, nothing written.
    r = login(actor).post(
        "/api/legal/events",
        {
            "region": v.code,
            "kind": "party",
            "title": "t",
            "held_on": "2025-01-01",
            "place": "p",
            "organiser": "o",
            "attendance": 1,
        },
        content_type="application/json",
    )
    assert r.status_code == 422
    assert "kind" in r.json()["fields"]
    # Outside the adviser's village.
    r = login(actor).post(
        "/api/legal/events",
        {
            "region": legal.villages[2].code,
            "kind": "lecture",
            "title": "t",
            "held_on": "2025-01-01",
            "place": "p",
            "organiser": "o",
            "attendance": 1,
        },
        content_type="application/json",
    )
    assert r.status_code == 422
    assert "region" in r.json()["fields"]


def test_admission_list_flags_tasks_off_the_list(legal, login):
    county_staff = legal.users["county_staff"]
    item = services.admission_item_add(actor=county_staff, county=legal.county, title="人口普查协助")
    client = login(legal.users["township_staff"])
    v = legal.villages[1]
    on = client.post(
        "/api/supervision/tasks",
        {
            "region": v.code,
            "title": "人口普查协助",
            "assigned_by": "县统计局",
            "assigned_on": "2025-05-01",
            "admission_item_id": item.pk,
        },
        content_type="application/json",
    )
    off = client.post(
        "/api/supervision/tasks",
        {"region": v.code, "title": "招商引资指标", "assigned_by": "县商务局", "assigned_on": "2025-05-02"},
        content_type="application/json",
    )
    assert on.status_code == 201
    assert on.json()["flagged"] is False
    assert off.status_code == 201
    assert off.json()["flagged"] is True
    assert [t.title for t in selectors.tasks(county_staff, flagged=True)] == ["招商引资指标"]
    bad = client.post(
        "/api/supervision/tasks",
        {"region": v.code, "title": "x", "assigned_by": "y", "assigned_on": "2025-05-02", "admission_item_id": 999999},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "admission_item_id" in bad.json()["fields"]


def test_liaisons_by_api(legal, login):
    """Add a legal liaison (法律明白人) and record an activity through the API; the list shows
    them with their count of activities; a resident number twice is refused on the field."""
    client = login(legal.users["legal_adviser"])
    head = Resident.objects.filter(household=legal.households[0]).order_by("id").first()
    r = client.post("/api/legal/liaisons", {"resident_id": head.pk, "trained_on": "2025-03-15", "training_hours": 16},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    liaison = r.json()
    assert (liaison["name"], liaison["training_hours"], liaison["activities"]) == (head.name, 16, 0)
    again = client.post("/api/legal/liaisons", {"resident_id": head.pk, "trained_on": "2025-03-15",
                                                "training_hours": 16}, content_type="application/json")
    assert again.status_code == 422
    assert "resident_id" in again.json()["fields"]
    r = client.post(f"/api/legal/liaisons/{liaison['id']}/activities",
                    {"held_on": "2025-04-02", "description": "调解邻里纠纷", "people_reached": 6},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    listed = client.get("/api/legal/liaisons").json()
    assert listed["count"] == 1
    assert listed["items"][0]["activities"] == 1
