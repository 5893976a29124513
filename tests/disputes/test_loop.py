"""The whole loop by API: screening → clue → accepted → assessed → assigned → mediating →
agreement signed → follow-ups → closed; the agreement prints as a Chinese PDF; a follow-up
finding the dispute alive reopens it; bad input gets a clear 4xx and writes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from shanzhi.core.models import AuditEvent
from shanzhi.disputes.models import Agreement, Dispute, FollowUp, ScreeningRecord
from shanzhi.regions.models import Resident

pytestmark = pytest.mark.django_db


def _text(pdf_bytes: bytes) -> str:
    # fpdf2 writes the CJK font's encoding as an embedded CMap, which pypdf reads as
    # one-byte codes: each character comes out after a NUL (its ToUnicode map is right).
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


def _parties(county):
    h1, h2 = county.households[0], county.households[1]
    a = Resident.objects.filter(household=h1).order_by("id").first()
    b = Resident.objects.filter(household=h2).order_by("id").first()
    return a, b


def _to_mediating(api, county):
    gw, vm = county.users["grid_worker"], county.users["village_mediator"]
    grid = county.grids[0]
    a, b = _parties(county)
    r = api(gw, "POST", "/disputes/screening", {"grid": grid.code, "clues": [
        {"summary": "两户因宅基地边界发生争执", "type": "land_forest", "household_id": county.households[0].pk,
         "parties": [{"side": "applicant", "resident_id": a.pk}, {"side": "respondent", "resident_id": b.pk}]}]})
    assert r.status_code == 201, r.content
    dispute = Dispute.objects.get(screening_id=r.json()["id"])
    pk = dispute.pk
    assert api(gw, "POST", f"/disputes/{pk}/accept", {}).status_code == 200
    r = api(gw, "POST", f"/disputes/{pk}/assess", {"risk_level": 2, "urgency": "urgent", "risk_petition": True})
    assert r.status_code == 200, r.content
    r = api(gw, "POST", f"/disputes/{pk}/assign", {"mediator_ids": [vm.pk], "participants": [
        {"kind": "police", "person": "李警官"}]})
    assert r.status_code == 200, r.content
    r = api(vm, "POST", f"/disputes/{pk}/sessions", {"held_on": timezone.localdate().isoformat(),
                                                     "place": "张湾村网格调解室", "attendees": "双方当事人、调解员",
                                                     "record": "双方陈述,现场查看边界"})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "mediating"
    return pk, a, b


def test_the_whole_loop_by_api_and_the_pdf(api, dcounty):
    c = dcounty
    vm, gw = c.users["village_mediator"], c.users["grid_worker"]
    pk, a, b = _to_mediating(api, c)
    r = api(vm, "POST", f"/disputes/{pk}/agreement",
            {"facts": "两户宅基地边界不清", "terms": "以原界石为准,各自退让半米"})
    assert r.status_code == 201, r.content
    agreement_id = r.json()["id"]
    pdf = api(vm, "GET", f"/disputes/agreements/{agreement_id}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = _text(pdf.content)
    assert "人民调解协议书" in text
    assert a.name in text
    assert b.name in text
    assert "以原界石为准" in text
    assert a.id_number not in text  # masked on paper too

    r = api(vm, "POST", f"/disputes/agreements/{agreement_id}/sign",
            {"signed_on": timezone.localdate().isoformat(), "signatories": [a.name, b.name]})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "signed"
    # Signing twice: refused, nothing changes.
    again = api(vm, "POST", f"/disputes/agreements/{agreement_id}/sign",
                {"signed_on": timezone.localdate().isoformat(), "signatories": [a.name, b.name]})
    assert again.status_code == 422
    assert "status" in again.json()["fields"]
    # A signed agreement is never edited: a new draft would supersede it.
    d = Dispute.objects.get(pk=pk)
    assert d.state == "agreed"
    assert d.settled_level == "village"
    visits = list(FollowUp.objects.filter(dispute=d).order_by("due_at"))
    assert [v.after_days for v in visits] == [7, 30]

    # The scanned signed copy, checked by content.
    r = api(vm, "POST", f"/disputes/agreements/{agreement_id}/scan", data=None)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client()
    client.force_login(vm)
    fake = SimpleUploadedFile("scan.pdf", b"not a pdf at all", content_type="application/pdf")
    r = client.post(f"/api/disputes/agreements/{agreement_id}/scan", {"file": fake})
    assert r.status_code == 422
    assert "file" in r.json()["fields"]  # the API names its own field
    real = SimpleUploadedFile("scan.pdf", pdf.content, content_type="application/pdf")
    r = client.post(f"/api/disputes/agreements/{agreement_id}/scan", {"file": real})
    assert r.status_code == 200
    assert r.json()["has_scan"] is True

    r = api(gw, "POST", f"/disputes/follow-ups/{visits[0].pk}", {"holds": True, "note": "双方已按协议退让"})
    assert r.status_code == 200
    assert r.json()["state"] == "agreed"
    r = api(gw, "POST", f"/disputes/follow-ups/{visits[1].pk}", {"holds": True})
    assert r.status_code == 200
    assert r.json()["state"] == "closed"
    # The parties see their own dispute and its agreement.
    resident = c.users["resident"]
    assert a.pk == resident.resident_id
    assert api(resident, "GET", f"/disputes/{pk}").status_code == 200
    assert api(resident, "GET", f"/disputes/agreements/{agreement_id}/pdf").status_code == 200


def test_a_follow_up_finding_it_alive_reopens_and_a_new_agreement_supersedes(api, dcounty):
    c = dcounty
    vm, gw = c.users["village_mediator"], c.users["grid_worker"]
    pk, a, b = _to_mediating(api, c)
    first = api(vm, "POST", f"/disputes/{pk}/agreement", {"facts": "事实", "terms": "条款一"}).json()["id"]
    api(vm, "POST", f"/disputes/agreements/{first}/sign", {"signed_on": timezone.localdate().isoformat(),
                                                            "signatories": [a.name, b.name]})
    visit = FollowUp.objects.filter(dispute_id=pk).order_by("due_at").first()
    r = api(gw, "POST", f"/disputes/follow-ups/{visit.pk}", {"holds": False, "note": "又起争执"})
    assert r.status_code == 200
    assert r.json()["state"] == "mediating"
    assert r.json()["reopen_count"] == 1
    assert FollowUp.objects.filter(dispute_id=pk, status="pending").count() == 0
    second = api(vm, "POST", f"/disputes/{pk}/agreement", {"facts": "事实", "terms": "条款二"}).json()["id"]
    r = api(vm, "POST", f"/disputes/agreements/{second}/sign", {"signed_on": timezone.localdate().isoformat(),
                                                                 "signatories": [a.name, b.name]})
    assert r.status_code == 200
    assert Agreement.objects.get(pk=first).status == "superseded"
    assert Agreement.objects.get(pk=second).supersedes_id == first


def test_on_the_spot_is_settled_in_the_village_and_followed_up(api, dcounty):
    c = dcounty
    gw = c.users["grid_worker"]
    r = api(gw, "POST", "/disputes/on-the-spot", {
        "type": "neighbours", "summary": "排水沟堵塞引发口角", "household_id": c.households[0].pk,
        "parties": [{"side": "applicant", "name": "赵大"},
                    {"side": "respondent", "name": "钱二", "phone": "13900001111"}],
        "facts": "排水沟堵塞", "terms": "共同清理", "signatories": ["赵大", "钱二"]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "agreed"
    assert body["on_the_spot"]
    assert body["settled_level"] == "village"
    assert len(body["follow_ups"]) == 2
    assert "13900001111" not in r.content.decode()


BAD = [
    ("agreement without parties", "agreement"),
    ("follow-up before agreement", "follow_up"),
    ("transition out of order", "order"),
]


def test_bad_input_is_refused_and_writes_nothing(api, dcounty):
    c = dcounty
    gw, vm = c.users["grid_worker"], c.users["village_mediator"]
    # An agreement without parties (on the spot, one side only): 422 on parties, no dispute.
    before = (Dispute.objects.count(), AuditEvent.objects.count())
    r = api(gw, "POST", "/disputes/on-the-spot", {
        "type": "neighbours", "summary": "口角", "household_id": c.households[0].pk,
        "parties": [{"side": "applicant", "name": "赵大"}], "facts": "f", "terms": "t", "signatories": ["赵大"]})
    assert r.status_code == 422
    assert "parties" in r.json()["fields"]
    assert (Dispute.objects.count(), AuditEvent.objects.count()) == before
    # A clue accepted without any party: 422.
    clue = api(gw, "POST", "/disputes", {"source": "resident", "summary": "家庭矛盾", "type": "marriage_family",
                                         "household_id": c.households[0].pk}).json()["id"]
    r = api(gw, "POST", f"/disputes/{clue}/accept", {})
    assert r.status_code == 422
    assert "parties" in r.json()["fields"]
    # Out of order: assigning a clue; drafting an agreement before mediation.
    r = api(gw, "POST", f"/disputes/{clue}/assign", {"mediator_ids": [vm.pk]})
    assert r.status_code == 409  # the clue's state does not allow it
    assert "state" in r.json()["fields"]
    # Risk level outside 1-4.
    api(gw, "POST", f"/disputes/{clue}/accept", {"parties": [{"name": "甲"}, {"name": "乙", "side": "respondent"}]})
    r = api(gw, "POST", f"/disputes/{clue}/assess", {"risk_level": 5})
    assert r.status_code == 422
    assert "risk_level" in r.json()["fields"]
    assert Dispute.objects.get(pk=clue).state == "accepted"
    # A follow-up before the agreement: there is none to record; the dispute's own visits
    # come only with a signed agreement.
    assert not FollowUp.objects.filter(dispute_id=clue).exists()
    # Screening twice in a week.
    grid = c.grids[0]
    assert api(gw, "POST", "/disputes/screening", {"grid": grid.code}).status_code == 201
    r = api(gw, "POST", "/disputes/screening", {"grid": grid.code})
    assert r.status_code == 422
    assert "week" in r.json()["fields"]
    assert ScreeningRecord.objects.filter(grid=grid).count() == 1


def test_follow_up_before_agreement_is_refused(api, dcounty):
    """A visit of an agreement whose dispute was reopened (no longer agreed) is refused."""
    c = dcounty
    vm, gw = c.users["village_mediator"], c.users["grid_worker"]
    pk, a, b = _to_mediating(api, c)
    first = api(vm, "POST", f"/disputes/{pk}/agreement", {"facts": "事实", "terms": "条款"}).json()["id"]
    api(vm, "POST", f"/disputes/agreements/{first}/sign", {"signed_on": timezone.localdate().isoformat(),
                                                            "signatories": [a.name, b.name]})
    v1, v2 = FollowUp.objects.filter(dispute_id=pk).order_by("due_at")
    api(gw, "POST", f"/disputes/follow-ups/{v1.pk}", {"holds": False, "note": "复发"})
    before = AuditEvent.objects.count()
    r = api(gw, "POST", f"/disputes/follow-ups/{v2.pk}", {"holds": True})
    assert r.status_code == 422
    assert AuditEvent.objects.count() == before
    # Signing without every party: 422 on signatories.
    second = api(vm, "POST", f"/disputes/{pk}/agreement", {"facts": "事实", "terms": "条款二"}).json()["id"]
    r = api(vm, "POST", f"/disputes/agreements/{second}/sign", {"signed_on": timezone.localdate().isoformat(),
                                                                 "signatories": [a.name]})
    assert r.status_code == 422
    assert "signatories" in r.json()["fields"]
    r = api(vm, "POST", f"/disputes/agreements/{second}/sign", {
        "signed_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(), "signatories": [a.name, b.name]})
    assert r.status_code == 422
    assert "signed_on" in r.json()["fields"]
