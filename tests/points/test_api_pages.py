"""The loop by API and by page, for each role: rule → award → review → ledger →
redemption; the split; scope (404 outside); bad input (4xx with the field, nothing
written); list query counts stay flat."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanzhi.ledger import services as ledger
from shanzhi.ledger.models import Entry
from shanzhi.points import selectors, services
from shanzhi.points.models import Award, IncomeSplit, Redemption, StockMovement
from tests.points.conftest import award
from tests.points.test_services import PNG

TODAY = dt.date.today()


def test_loop_by_api(points, login, client):
    home = points.households()[0]
    gw = login(points.users["grid_worker"])
    r = gw.post("/api/points/awards", {"household_id": home.pk, "rule_id": points.photo_rule.pk,
                                       "occurred_on": TODAY.isoformat(), "note": "义务清扫"})
    assert r.status_code == 422
    assert "evidence" in r.json()["fields"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = gw.post("/api/points/awards", {"household_id": home.pk, "rule_id": points.photo_rule.pk,
                                       "occurred_on": TODAY.isoformat(), "note": "义务清扫",
                                       "evidence": SimpleUploadedFile("a.png", PNG, "image/png")})
    assert r.status_code == 201, r.content
    award_id = r.json()["id"]
    assert r.json()["state"] == "proposed"
    assert r.json()["evidence_url"]
    # The proposer cannot approve (not a reviewer): 403; a reviewer approves.
    assert gw.post(f"/api/points/awards/{award_id}/approve", {}, content_type="application/json").status_code == 403
    rv = login(points.users["reviewer"])
    queue = rv.get("/api/points/awards/queue").json()
    assert [a["id"] for a in queue["items"]] == [award_id]
    r = rv.post(f"/api/points/awards/{award_id}/approve", {"note": "属实"}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["state"] == "approved"
    assert r.json()["ledger_transaction_id"]
    # Editing a posted award: 422, nothing changed.
    r = gw.patch(f"/api/points/awards/{award_id}", {"points": 10}, content_type="application/json")
    assert r.status_code == 422
    assert "points" in r.json()["fields"]
    r = gw.patch(f"/api/points/awards/{award_id}", {"note": "x"}, content_type="application/json")
    assert r.status_code == 422
    assert "state" in r.json()["fields"]
    assert Award.objects.get(pk=award_id).note == "义务清扫"
    # The household's points.
    body = gw.get(f"/api/points/households/{home.pk}").json()
    assert body["balance"] == 8
    assert body["month_rank"] == 1
    assert body["history"][0]["amount"] == 8
    # The counter: find by card, redeem; more than the balance is 422 with nothing written.
    sk = login(points.users["shopkeeper"])
    found = sk.get(f"/api/points/shops/{points.shop.pk}/lookup", {"q": services.card_payload(home)}).json()
    assert [f["household_id"] for f in found] == [home.pk]
    assert found[0]["balance"] == 8
    r = sk.post("/api/points/redemptions", {"shop_id": points.shop.pk, "household_id": home.pk,
                                            "lines": [{"goods_id": points.rice.pk, "quantity": 1}]},
                content_type="application/json")
    assert r.status_code == 422
    assert r.json()["code"] == "insufficient_balance"
    assert "lines" in r.json()["fields"]
    assert not Redemption.objects.exists()
    assert not StockMovement.objects.filter(kind="redemption").exists()
    award(points, home)
    r = sk.post("/api/points/redemptions", {"shop_id": points.shop.pk, "household_id": home.pk,
                                            "lines": [{"goods_id": points.rice.pk, "quantity": 1}]},
                content_type="application/json")
    assert r.status_code == 201
    assert r.json()["points"] == 10
    assert r.json()["balance_after"] == 3
    assert ledger.verify() == []
    # A resident reads their own points, not the neighbour's.
    res = login(points.users["resident"])
    assert res.get(f"/api/points/households/{points.county.households[0].pk}").status_code == 200
    assert res.get(f"/api/points/households/{points.county.households[1].pk}").status_code == 404
    goods = res.get(f"/api/points/shops/{points.shop.pk}/goods").json()
    assert {g["name"] for g in goods} == {"大米5kg", "菜籽油5L"}


def test_api_scope_and_bad_input(points, login):
    home = points.households()[0]
    stranger = points.households(points.other_village)[0]
    gw = login(points.users["grid_worker"])
    r = gw.post("/api/points/awards", {"household_id": stranger.pk, "rule_id": points.rule.pk,
                                       "occurred_on": TODAY.isoformat()})
    assert r.status_code == 422
    assert "household_id" in r.json()["fields"]
    r = gw.post("/api/points/awards", {"household_id": home.pk, "rule_id": points.rule.pk,
                                       "occurred_on": TODAY.isoformat(), "points": 9})
    assert r.status_code == 422
    assert "points" in r.json()["fields"]
    assert not Award.objects.exists()
    other_award = services.award_propose(actor=points.users["admin"], household=stranger, rule=services.rule_create(
        actor=points.users["admin"], region=points.other_village, data=services.RuleInput(
            category="sanitation", item="清洁", points=2, valid_from=dt.date(2024, 1, 1),
            meeting_date=dt.date(2024, 1, 1), meeting_record="会议")), occurred_on=TODAY)
    rv = login(points.users["reviewer"])
    assert rv.get(f"/api/points/awards/{other_award.pk}").status_code == 404
    assert rv.post(f"/api/points/awards/{other_award.pk}/approve", {},
                   content_type="application/json").status_code == 404
    r = rv.post("/api/points/awards/999999/reject", {"reason": "x"}, content_type="application/json")
    assert r.status_code == 404
    r = login(points.users["accountant"]).post("/api/points/splits", {"village": points.village.code,
                                                                       "year": TODAY.year - 1, "income_fen": -1},
                                               content_type="application/json")
    assert r.status_code == 422
    assert "income_fen" in r.json()["fields"]
    assert not IncomeSplit.objects.exists()
    r = login(points.users["village_committee"]).patch(f"/api/points/goods/{points.rice.pk}", {"stock": 999},
                                                       content_type="application/json")
    assert r.status_code == 422
    assert "stock" in r.json()["fields"]
    r = login(points.users["village_committee"]).get("/api/points/ranking", {"region": points.village.code,
                                                                             "month": "2025-13"})
    assert r.status_code == 422
    assert "month" in r.json()["fields"]
    assert Entry.objects.filter(kind="redemption").count() == 0


def test_split_by_api_and_excel(points, login):
    last_year = dt.date(TODAY.year - 1, 5, 5)
    for h in points.households()[:3]:
        award(points, h, on=last_year)
    acc = login(points.users["accountant"])
    r = acc.post("/api/points/splits", {"village": points.village.code, "year": TODAY.year - 1,
                                        "income_fen": 504_000_001}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert sum(line["amount_fen"] for line in body["lines"]) == body["dividend_fen"] == 100_800_000
    assert body["industry_fen"] + body["welfare_fen"] + body["dividend_fen"] + body["risk_fen"] == 504_000_001
    x = acc.get(f"/api/points/splits/{body['id']}/export.xlsx")
    assert x.status_code == 200
    assert x.content[:2] == b"PK"
    assert acc.post(f"/api/points/splits/{body['id']}/approve").status_code == 403
    r = login(points.users["village_secretary"]).post(f"/api/points/splits/{body['id']}/approve")
    assert r.status_code == 200
    assert r.json()["state"] == "approved"
    assert r.json()["dividend_transaction_id"]
    assert ledger.verify() == []


def test_loop_by_pages(points, login):
    home = points.households()[0]
    gw = login(points.users["grid_worker"])
    r = gw.get(reverse("points:propose"), {"household": home.pk})
    assert r.status_code == 200
    assert "清洁家园" in r.content.decode()
    r = gw.post(reverse("points:propose"), {"household": home.pk, "rule": points.rule.pk,
                                            "occurred_on": TODAY.isoformat(), "note": "门前三包"})
    assert r.status_code == 302
    a = Award.objects.get()
    r = gw.post(reverse("points:propose"), {"household": home.pk, "rule": points.rule.pk,
                                            "occurred_on": "2099-01-01"})
    assert r.status_code == 422
    assert Award.objects.count() == 1
    rv = login(points.users["reviewer"])
    page = rv.get(reverse("points:review")).content.decode()
    assert "门前三包" in page
    r = rv.post(reverse("points:award_step", args=[a.pk, "approve"]), {"next": reverse("points:review")})
    assert r.status_code == 302
    assert selectors.balance(home) == 5
    award(points, home)
    sk = login(points.users["shopkeeper"])
    r = sk.get(reverse("points:counter", args=[points.shop.pk]), {"q": home.number})
    assert r.status_code == 200
    assert home.number in r.content.decode()
    url = reverse("points:counter", args=[points.shop.pk])
    r = sk.post(url, {"household": home.pk, f"q{points.rice.pk}": "1"})
    assert r.status_code == 200
    assert "10" in r.content.decode()
    assert not Redemption.objects.exists()
    r = sk.post(url, {"household": home.pk, f"q{points.rice.pk}": "1", "confirm": "1"})
    assert r.status_code == 302
    receipt = sk.get(r["Location"]).content.decode()
    assert Redemption.objects.get().number in receipt
    r = sk.post(url, {"household": home.pk, f"q{points.rice.pk}": "5", "confirm": "1"})
    assert r.status_code == 422
    assert Redemption.objects.count() == 1
    # The household tab, the card, the resident's pages.
    tab = login(points.users["village_committee"]).get(reverse("web:household", args=[home.pk]), {"tab": "points"})
    assert tab.status_code == 200
    card = login(points.users["village_committee"]).get(reverse("points:card", args=[home.pk]))
    assert card.status_code == 200
    assert "<svg" in card.content.decode()
    res = login(points.users["resident"])
    for name, args in (("points:me", []), ("points:shop", [points.shop.pk]), ("points:board", [points.village.code]),
                       ("points:index", [])):
        assert res.get(reverse(name, args=args)).status_code == 200, name
    assert res.get(reverse("points:counter", args=[points.shop.pk])).status_code == 403
    assert res.get(reverse("points:board", args=[points.other_village.code])).status_code == 404


def test_staff_pages_render(points, login):
    award(points, points.households()[0])
    cadre = login(points.users["village_committee"])
    for name, args in (("points:index", []), ("points:rules", [points.village.code]),
                       ("points:ranking", [points.village.code]), ("points:quarter", [points.village.code]),
                       ("points:settings", [points.village.code]), ("points:figures", [points.village.code]),
                       ("points:shops", []), ("points:stock", [points.shop.pk]), ("points:awards", []),
                       ("points:bulk", []), ("points:splits", [])):
        assert cadre.get(reverse(name, args=args)).status_code == 200, name
    acc = login(points.users["accountant"])
    r = acc.post(reverse("points:splits"), {"village": points.village.code, "year": TODAY.year - 1,
                                            "income_yuan": "12.345"})
    assert r.status_code == 422
    assert not IncomeSplit.objects.exists()
    r = acc.post(reverse("points:splits"), {"village": points.village.code, "year": TODAY.year - 1,
                                            "income_yuan": "100000.00"})
    assert r.status_code == 302
    assert acc.get(r["Location"]).status_code == 200
    home_page = login(points.users["resident"]).get(reverse("web:home")).content.decode()
    assert reverse("points:me") in home_page


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_lists_are_flat(points):
    from django.test import Client

    homes = points.households()
    rv, cadre = Client(), Client()
    rv.force_login(points.users["reviewer"])
    cadre.force_login(points.users["village_committee"])
    award(points, homes[0], approve=False)
    award(points, homes[0])
    urls = [(rv, reverse("points:review")), (rv, "/api/points/awards/queue"),
            (cadre, reverse("points:ranking", args=[points.village.code])),
            (cadre, "/api/points/awards"), (cadre, reverse("points:awards"))]
    before = []
    for client, url in urls:
        _count(client, url)
        before.append(_count(client, url))
    for h in homes[1:]:
        award(points, h, approve=False)
        award(points, h, points.deduction)
    after = [_count(client, url) for client, url in urls]
    assert before == after


def test_header_names_the_duties_and_home_shows_staff_first(points, login):
    """A duty from the points roster is named in the header like a position; a grid worker
    who also lives in the county gets the staff card first (with a link to their own
    household's points), not the resident's."""
    reviewer = login(points.users["reviewer"])
    header = reviewer.get(reverse("points:index")).content.decode()
    assert "道德评议会成员" in header
    assert "points_reviewer" not in header
    assert "村会计" in login(points.users["accountant"]).get(reverse("points:index")).content.decode()
    worker = points.users["grid_worker"]
    worker.resident = points.county.households[2].members.get(relation="head")
    worker.save(update_fields=["resident"])
    home = login(worker).get(reverse("web:home")).content.decode()
    assert reverse("points:propose") in home
    assert reverse("points:me") in home
    resident_home = login(points.users["resident"]).get(reverse("web:home")).content.decode()
    assert reverse("points:propose") not in resident_home
    assert reverse("points:me") in resident_home


def test_resident_proposes_for_own_household_by_api_and_page(points, login):
    """The village's rules are open to its residents: they see them and propose under them."""
    own, neighbour = points.county.households[0], points.county.households[1]
    res = login(points.users["resident"])
    rules = res.get("/api/points/rules", {"village": points.village.code})
    assert rules.status_code == 422  # residents do not look places up by code
    listed = {r["id"] for r in res.get("/api/points/rules").json()["items"]}
    assert points.rule.pk in listed
    r = res.post("/api/points/awards", {"household_id": own.pk, "rule_id": points.rule.pk,
                                        "occurred_on": TODAY.isoformat(), "note": "主动申报"})
    assert r.status_code == 201, r.content
    assert r.json()["source"] == "household"
    r = res.post("/api/points/awards", {"household_id": neighbour.pk, "rule_id": points.rule.pk,
                                        "occurred_on": TODAY.isoformat()})
    assert r.status_code == 422
    assert "household_id" in r.json()["fields"]
    page = res.get(reverse("points:propose")).content.decode()
    assert "清洁家园" in page
    r = res.post(reverse("points:propose"), {"household": own.pk, "rule": points.monthly_rule.pk,
                                             "occurred_on": TODAY.isoformat()})
    assert r.status_code == 302
    assert Award.objects.filter(household=own).count() == 2
    assert not Award.objects.filter(household=neighbour).exists()


def test_ranking_defaults_to_the_callers_place(points, login):
    homes = points.households()
    award(points, homes[0])
    award(points, homes[1], points.monthly_rule)
    cadre = login(points.users["village_committee"])
    rows = cadre.get("/api/points/ranking").json()["items"]
    assert [(r["household_id"], r["rank"], r["points"]) for r in rows] == [(homes[0].pk, 1, 5), (homes[1].pk, 2, 3)]
    r = login(points.users["resident"]).get("/api/points/ranking")
    assert r.status_code == 422
    assert "region" in r.json()["fields"]
