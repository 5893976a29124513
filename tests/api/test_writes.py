"""Writes through the API: bad input is a 422 naming the field and writes nothing; a
concurrent edit is a 409; what is written is audited."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.core import idnumbers
from shanzhi.core.models import AuditEvent
from shanzhi.regions.models import Household, Region, Resident
from tests.api.conftest import error_of

GOOD_ID = idnumbers.make_id("621023", dt.date(1990, 5, 17), 77, male=True)
BAD_CHECK_DIGIT = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")


def _snapshot():
    return (Resident.objects.count(), Household.objects.count(), Region.objects.count(), AuditEvent.objects.count())


@pytest.fixture
def roster(county, api_as):
    return api_as(county.users["grid_worker"], language="en")


def test_a_grid_worker_registers_a_resident_in_their_grid(county, roster):
    home = county.households[0]
    response = roster.post("/api/residents", {"household_id": home.pk, "name": " 王芳 ", "relation": "daughter",
                                              "id_number": GOOD_ID.lower(), "phone": "13912345678",
                                              "tags": ["left_behind_child"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "王芳"
    assert body["gender"] == "M"
    assert body["birth_date"] == "1990-05-17"
    assert body["id_number_masked"] == idnumbers.mask_id(GOOD_ID)
    assert body["phone_masked"] == "139****5678"
    assert body["tags"] == ["left_behind_child"]
    stored = Resident.objects.get(pk=body["id"])
    assert stored.id_number == GOOD_ID
    assert stored.region_path == home.region_path
    event = AuditEvent.objects.get(action="resident.create", target_id=str(stored.pk))
    assert event.actor == county.users["grid_worker"]
    assert event.channel == "api"


@pytest.mark.parametrize(("change", "field"), [
    ({"id_number": BAD_CHECK_DIGIT}, "id_number"),
    ({"id_number": "62102319900517"}, "id_number"),
    ({"id_number": GOOD_ID, "birth_date": "1991-01-01"}, "birth_date"),
    ({"id_number": GOOD_ID, "gender": "F"}, "gender"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "2391234567800"}, "phone"),
    ({"name": "   "}, "name"),
    ({"tags": ["vip"]}, "tags.0"),
    ({"relation": "head"}, "relation"),  # the household has a head already
    ({"household_id": 999999}, "household_id"),
])
def test_bad_resident_input_names_the_field_and_writes_nothing(county, roster, change, field):
    body = {"household_id": county.households[0].pk, "name": "王芳", "relation": "daughter", "gender": "F", **change}
    before = _snapshot()
    response = roster.post("/api/residents", body)
    assert response.status_code == 422, response.content
    assert field in error_of(response)["fields"]
    assert error_of(response)["message"]
    assert _snapshot() == before


def test_an_id_number_already_registered_is_refused(county, roster):
    taken = county.households[1].members.first().id_number
    response = roster.post("/api/residents", {"household_id": county.households[0].pk, "name": "重名",
                                              "relation": "other", "id_number": taken})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"id_number"}


def test_bad_patch_leaves_the_resident_as_it_was(county, roster):
    member = county.households[0].members.exclude(relation="head").first()
    before = (member.name, member.phone, member.updated_at)
    response = roster.patch(f"/api/residents/{member.pk}", {"name": "新名字", "phone": "555"})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"phone"}
    member.refresh_from_db()
    assert (member.name, member.phone, member.updated_at) == before
    assert not AuditEvent.objects.filter(action="resident.update").exists()


def test_patch_can_clear_a_phone_number(county, roster):
    member = county.households[0].members.exclude(relation="head").first()
    old_phone = member.phone
    response = roster.patch(f"/api/residents/{member.pk}", {"phone": None})
    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert member.phone == ""
    # The audit entry keeps the old number masked: the log itself is read by many.
    event = AuditEvent.objects.get(action="resident.update")
    assert event.detail["phone"] == [idnumbers.mask_phone(old_phone), ""]


def test_a_concurrent_edit_is_a_409_and_writes_nothing(county, api_as):
    member = county.households[0].members.exclude(relation="head").first()
    worker, leader = api_as(county.users["grid_worker"]), api_as(county.users["grid_leader"])
    version = worker.get(f"/api/residents/{member.pk}").json()["updated_at"]

    first = leader.patch(f"/api/residents/{member.pk}", {"name": "李四", "updated_at": version})
    assert first.status_code == 200, first.content
    second = worker.patch(f"/api/residents/{member.pk}", {"name": "张三", "updated_at": version})
    assert second.status_code == 409
    assert error_of(second)["code"] == "conflict"
    member.refresh_from_db()
    assert member.name == "李四"
    # With the fresh version the edit goes through.
    fresh = worker.get(f"/api/residents/{member.pk}").json()["updated_at"]
    assert worker.patch(f"/api/residents/{member.pk}", {"name": "张三", "updated_at": fresh}).status_code == 200


def test_unknown_codes_in_a_new_household_name_the_field(county, roster):
    before = _snapshot()
    for body, field in (({"number": "NEW1", "grid": "999999999999001"}, "grid"),
                        ({"number": "NEW1", "grid": "621023100201002"}, "grid"),  # exists, not theirs
                        ({"number": "NEW1", "village": "621023100201", "grid": "621023100201001",
                          "micro_grid": "62102310020100101"}, "micro_grid"),
                        ({"number": "", "grid": "621023100201001"}, "number"),
                        ({"number": county.households[1].number, "grid": "621023100201001"}, "number")):
        response = roster.post("/api/households", body)
        assert response.status_code == 422, (body, response.content)
        assert field in error_of(response)["fields"], (body, response.json())
    assert _snapshot() == before


def test_moving_a_resident_into_a_household_outside_scope_is_refused(county, roster):
    member = county.households[0].members.exclude(relation="head").first()
    elsewhere = county.households_in(county.grid("621023100201002"))[0]
    response = roster.post(f"/api/residents/{member.pk}/move", {"to_household_id": elsewhere.pk})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"to_household_id"}
    member.refresh_from_db()
    assert member.household_id == county.households[0].pk


def test_moving_a_resident_within_scope(county, roster):
    member = county.households[0].members.exclude(relation="head").first()
    target = county.households[1]
    response = roster.post(f"/api/residents/{member.pk}/move", {"to_household_id": target.pk, "relation": "other",
                                                                "reason": "婚嫁"})
    assert response.status_code == 200, response.content
    assert response.json()["household_id"] == target.pk
    assert AuditEvent.objects.filter(action="resident.move", target_id=str(member.pk)).count() == 1


def test_township_staff_cannot_change_the_county_above_them(county, api_as):
    """Regions above a viewer's place are visible (breadcrumbs), never changeable."""
    staff = api_as(county.users["township_staff"], language="en")
    before = _snapshot()
    response = staff.post("/api/regions", {"parent": county.county.code, "code": "621023199000", "name": "新镇",
                                           "kind": "town"})
    assert response.status_code == 403
    assert _snapshot() == before
    # Under their own township they may add a village.
    response = staff.post("/api/regions", {"parent": "621023100000", "code": "621023100299", "name": "新村",
                                           "kind": "village"})
    assert response.status_code == 201, response.content
    assert response.json()["parent_code"] == "621023100000"


def test_positions_are_granted_and_ended_within_scope(county, api_as):
    from tests import factories

    secretary = api_as(county.users["village_secretary"], language="en")
    newcomer = factories.user("u_newcomer")
    response = secretary.post("/api/positions", {"user_id": newcomer.pk, "role": "grid_worker",
                                                 "region": "621023100201002"})
    assert response.status_code == 201, response.content
    position_id = response.json()["id"]
    # A grid role cannot be held at a village, and a county role is beyond a village.
    wrong_level = secretary.post("/api/positions", {"user_id": newcomer.pk, "role": "grid_worker",
                                                    "region": "621023100201"})
    assert wrong_level.status_code == 422
    assert set(wrong_level.json()["fields"]) == {"region"}
    unknown_user = secretary.post("/api/positions", {"user_id": 999999, "role": "grid_worker",
                                                     "region": "621023100201002"})
    assert unknown_user.status_code == 422
    assert set(unknown_user.json()["fields"]) == {"user_id"}

    ended = secretary.post(f"/api/positions/{position_id}/end", {"end_date": "2019-01-01"})
    assert ended.status_code == 422
    assert set(ended.json()["fields"]) == {"end_date"}
    ended = secretary.post(f"/api/positions/{position_id}/end", {})
    assert ended.status_code == 200
    assert ended.json()["end_date"] == dt.date.today().isoformat()
