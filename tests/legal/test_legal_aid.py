"""Legal aid from application to result, by API and by page; scope; bad input."""

from __future__ import annotations

import pytest

from shanzhi.core.models import AuditEvent, StateChange
from shanzhi.legal import services
from shanzhi.legal.models import LegalAidApplication, LegalAidStep
from shanzhi.regions.models import Resident

pytestmark = pytest.mark.django_db


def _apply(client, **extra):
    body = {
        "matter_type": "unpaid_wages",
        "summary": "包工头拖欠工资三个月",
        "hardship_declared": True,
        "hardship_statement": "家中无其他收入",
        "amount_claimed_fen": 1200000,
        **extra,
    }
    return client.post("/api/legal-aid", body, content_type="application/json")


def test_whole_loop_by_api(legal, login, client):
    users = legal.users
    r = _apply(login(users["resident"]))
    assert r.status_code == 201, r.content
    case_id = r.json()["id"]
    assert r.json()["state"] == "submitted"
    assert r.json()["applicant_name"]

    staff = login(users["township_staff"])
    r = staff.post(
        f"/api/legal-aid/{case_id}/accept", {"lawyer_id": users["legal_adviser"].pk}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "accepted"
    assert r.json()["lawyer_name"]

    lawyer = login(users["legal_adviser"])
    mine = lawyer.get("/api/legal-aid?queue=cases").json()["items"]
    assert [row["id"] for row in mine] == [case_id]
    assert lawyer.post(f"/api/legal-aid/{case_id}/start", {}, content_type="application/json").status_code == 200
    r = lawyer.post(
        f"/api/legal-aid/{case_id}/steps", {"on": "2026-01-05", "note": "与用工方协商"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    r = lawyer.post(
        f"/api/legal-aid/{case_id}/conclude",
        {"result": "调解结案，全额追回", "amount_recovered_fen": 1200000},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "concluded"
    assert body["amount_recovered_fen"] == 1200000
    assert [s["note"] for s in body["steps"]] == ["与用工方协商"]

    seen = login(users["resident"]).get(f"/api/legal-aid/{case_id}").json()
    assert seen["state"] == "concluded"
    moves = list(StateChange.objects.filter(object_id=case_id, workflow="legal_aid").values_list("to_state", flat=True))
    assert moves == ["submitted", "accepted", "in_progress", "concluded"]


def test_whole_loop_by_page(legal, client):
    users = legal.users
    client.force_login(users["resident"])
    r = client.post("/legal/apply/", {"matter_type": "family", "summary": "离婚财产分割", "amount_claimed": "3000.50"})
    assert r.status_code == 302
    case = LegalAidApplication.objects.get()
    assert case.amount_claimed_fen == 300050
    assert case.number in client.get("/legal/?queue=mine").content.decode()

    client.force_login(users["township_staff"])
    assert case.number in client.get("/legal/?queue=open").content.decode()
    assert client.post(f"/legal/{case.pk}/accept/", {"lawyer_id": users["legal_adviser"].pk}).status_code == 302
    client.force_login(users["legal_adviser"])
    page = client.get(f"/legal/{case.pk}/").content.decode()
    assert "conclude" in page
    client.post(f"/legal/{case.pk}/step/", {"on": "2026-01-06", "note": "调查取证"})
    client.post(f"/legal/{case.pk}/conclude/", {"result": "胜诉", "amount_recovered": "2500"})
    case.refresh_from_db()
    assert case.state == "concluded"
    assert case.amount_recovered_fen == 250000
    assert LegalAidStep.objects.filter(application=case).count() == 1


def test_scope(legal, login):
    users = legal.users
    case_id = _apply(login(users["resident"])).json()["id"]
    # The grid team and the village do not see a resident's legal matter; another township's
    # staff does not either (404, like an unknown case).
    for role in ("grid_worker", "village_secretary", "legal_adviser"):
        assert login(users[role]).get(f"/api/legal-aid/{case_id}").status_code == 404, role
    # Before it is assigned to them the lawyer cannot act; once accepted by staff, only the lawyer named.
    staff = login(users["township_staff"])
    assert staff.get(f"/api/legal-aid/{case_id}").status_code == 200
    assert (
        staff.post(f"/api/legal-aid/{case_id}/conclude", {"result": "x"}, content_type="application/json").status_code
        == 409
    )  # not from submitted: a step the state does not allow is a conflict
    county_staff = login(users["county_staff"])
    assert county_staff.get("/api/legal-aid").json()["count"] == 1
    # A resident cannot accept their own application.
    r = login(users["resident"]).post(
        f"/api/legal-aid/{case_id}/accept", {"lawyer_id": users["legal_adviser"].pk}, content_type="application/json"
    )
    assert r.status_code == 403


def test_bad_input_writes_nothing(legal, login):
    client = login(legal.users["resident"])
    for body, field in [
        ({"matter_type": "murder"}, "matter_type"),
        ({"summary": "  "}, "summary"),
        ({"hardship_statement": ""}, "hardship_statement"),
        ({"amount_claimed_fen": -5}, "amount_claimed_fen"),
    ]:
        r = _apply(client, **body)
        assert r.status_code == 422, (body, r.content)
        assert field in r.json()["fields"], r.json()
    assert not LegalAidApplication.objects.exists()
    r = client.post("/legal/apply/", {"matter_type": "family", "summary": "x", "amount_claimed": "abc"})
    assert r.status_code == 422
    assert not LegalAidApplication.objects.exists()


def test_accept_needs_a_lawyer_of_the_county(legal, login):
    users = legal.users
    case_id = _apply(login(users["resident"])).json()["id"]
    r = login(users["township_staff"]).post(
        f"/api/legal-aid/{case_id}/accept", {"lawyer_id": users["grid_worker"].pk}, content_type="application/json"
    )
    assert r.status_code == 422
    assert "lawyer_id" in r.json()["fields"]
    assert LegalAidApplication.objects.get().state == "submitted"


def _dispute(legal, household):
    from shanzhi.disputes import services as disputes

    head = Resident.objects.get(household=household, relation="head")
    other = Resident.objects.get(household=legal.households[1], relation="head")
    return disputes.dispute_report(actor=legal.users["admin"], source="resident", summary="拖欠工资引发纠纷",
                                   household=household, parties=[{"resident_id": head.pk},
                                                                 {"side": "respondent", "resident_id": other.pk}])


def test_application_linked_to_a_dispute(legal, login, client):
    users = legal.users
    dispute = _dispute(legal, legal.households[0])
    # The applicant names the dispute they are a party to.
    r = _apply(login(users["resident"]), dispute_id=dispute.pk)
    assert r.status_code == 201, r.content
    assert r.json()["dispute_id"] == dispute.pk
    assert list(dispute.legal_aid_applications.values_list("pk", flat=True)) == [r.json()["id"]]
    # A dispute they are no party to, or none at all: 422, nothing written.
    far = _dispute(legal, legal.households[3])
    for bad in (far.pk, 999999):
        r = _apply(login(users["resident"]), dispute_id=bad)
        assert r.status_code == 422
        assert "dispute_id" in r.json()["fields"]
    assert LegalAidApplication.objects.count() == 1

    # Linked later, on the page: by the justice office, not by the applicant.
    case_id = _apply(login(users["resident"])).json()["id"]
    client.force_login(users["resident"])
    assert client.post(f"/legal/{case_id}/dispute/", {"dispute_id": dispute.pk}).status_code == 403
    client.force_login(users["township_staff"])
    assert f'action="/legal/{case_id}/dispute/"' in client.get(f"/legal/{case_id}/").content.decode()
    assert client.post(f"/legal/{case_id}/dispute/", {"dispute_id": dispute.pk}).status_code == 302
    case = LegalAidApplication.objects.get(pk=case_id)
    assert case.dispute_id == dispute.pk
    assert f"/disputes/{dispute.pk}/" in client.get(f"/legal/{case_id}/").content.decode()
    assert AuditEvent.objects.filter(action="legal_aid.link_dispute", target_id=str(case_id)).exists()
    # And by API: unlinked, linked again; not by the applicant.
    api = login(users["township_staff"])
    r = api.post(f"/api/legal-aid/{case_id}/dispute", {"dispute_id": None}, content_type="application/json")
    assert (r.status_code, r.json()["dispute_id"]) == (200, None)
    r = api.post(f"/api/legal-aid/{case_id}/dispute", {"dispute_id": dispute.pk}, content_type="application/json")
    assert (r.status_code, r.json()["dispute_id"]) == (200, dispute.pk)
    r = api.post(f"/api/legal-aid/{case_id}/dispute", {"dispute_id": far.pk}, content_type="application/json")
    assert r.status_code == 200  # the township's staff may see that dispute too
    r = login(users["resident"]).post(f"/api/legal-aid/{case_id}/dispute", {"dispute_id": None},
                                      content_type="application/json")
    assert r.status_code == 403
    client.force_login(users["township_staff"])
    client.post(f"/legal/{case_id}/dispute/", {"dispute_id": dispute.pk})
    case.refresh_from_db()
    # Once closed the link stays as it was.
    services.legal_aid_reject(actor=users["township_staff"], case=case, reason="不符合条件")
    client.post(f"/legal/{case_id}/dispute/", {"dispute_id": ""})
    case.refresh_from_db()
    assert case.dispute_id == dispute.pk
