"""ID and phone numbers: masked in every answer; a full ID number only through reveal-id,
for the roles whose duty needs it, each time written to the audit log."""

from __future__ import annotations

from shanzhi.core import idnumbers
from shanzhi.core.models import AuditEvent
from shanzhi.regions.models import Resident


def test_reveal_id_shows_the_number_and_is_audited(county, api_as):
    worker = api_as(county.users["grid_worker"])
    member = county.households[0].members.get(relation="spouse")
    response = worker.post(f"/api/residents/{member.pk}/reveal-id", {"purpose": "办理低保"})
    assert response.status_code == 200
    assert response.json() == {"id_number": member.id_number}
    event = AuditEvent.objects.get(action="resident.view_id")
    assert (event.actor, event.target_id, event.channel) == (county.users["grid_worker"], str(member.pk), "api")
    assert event.detail == {"purpose": "办理低保"}
    assert member.id_number not in str(event.detail) + event.target_label  # the log holds no number


def test_no_reveal_without_the_right_and_no_audit_entry_then(county, api_as):
    member = county.households[0].members.get(relation="spouse")
    for role, status in (("group_leader", 403), ("resident", 403), ("department_staff", 404)):
        response = api_as(county.users[role]).post(f"/api/residents/{member.pk}/reveal-id", {})
        assert response.status_code == status, role
    assert not AuditEvent.objects.filter(action="resident.view_id").exists()


def test_lists_details_and_search_show_masked_numbers_only(county, api_as):
    staff = api_as(county.users["county_staff"])
    member = county.households[0].members.get(relation="spouse")
    secrets = [v for pair in Resident.objects.values_list("id_number", "phone") for v in pair if v]
    answers = [
        staff.get("/api/residents", {"page_size": 200}),
        staff.get(f"/api/residents/{member.pk}"),
        staff.get(f"/api/households/{member.household_id}/members"),
        staff.get("/api/households", {"page_size": 200}),
        staff.get("/api/search", {"q": member.id_number}),  # a full number finds, and still shows masked
        staff.get("/api/search", {"q": member.phone}),
        staff.patch(f"/api/residents/{member.pk}", {"name": "改名"}),
    ]
    for response in answers:
        assert response.status_code == 200, response.content
        text = response.content.decode()
        assert not [s for s in secrets if s in text], response.request["PATH_INFO"]
    found = answers[4].json()["residents"]
    assert [r["id"] for r in found] == [member.pk]
    assert found[0]["id_number_masked"] == idnumbers.mask_id(member.id_number)
    assert [r["id"] for r in answers[5].json()["residents"]] == [member.pk]


def test_search_never_matches_a_fragment_of_a_number(county, api_as):
    staff = api_as(county.users["county_staff"])
    member = county.households[0].members.get(relation="spouse")
    for fragment in (member.id_number[:10], member.id_number[-6:], member.phone[:7], member.phone[-4:]):
        body = staff.get("/api/search", {"q": fragment}).json()
        assert body["residents"] == [], fragment
