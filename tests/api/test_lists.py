"""Pagination and filters of the lists."""

from __future__ import annotations

from tests import factories
from tests.api.conftest import error_of


def test_pages_are_50_by_default_and_at_most_200(county, api_as):
    for _ in range(190):
        factories.household(county.grids[0], members=1)
    staff = api_as(county.users["county_staff"])
    first = staff.get("/api/households").json()
    assert first["count"] == 18 + 190
    assert len(first["items"]) == 50
    second = staff.get("/api/households", {"page": 2}).json()
    assert len(second["items"]) == 50
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert len(staff.get("/api/households", {"page_size": 500}).json()["items"]) == 200  # capped
    assert len(staff.get("/api/households", {"page_size": 500, "page": 2}).json()["items"]) == 8
    assert staff.get("/api/households", {"page": 9}).json()["items"] == []
    for bad in ({"page": 0}, {"page_size": 0}, {"page": "x"}):
        response = staff.get("/api/households", bad)
        assert response.status_code == 422
        assert set(error_of(response)["fields"]) <= {"page", "page_size"}


def test_household_filters(county, api_as):
    staff = api_as(county.users["county_staff"])
    first = county.households[0]
    assert [i["id"] for i in staff.get("/api/households", {"q": first.number}).json()["items"]] == [first.pk]
    assert staff.get("/api/households", {"without_grid": True}).json()["count"] == 0
    community = staff.get("/api/households", {"region": "621023100001"}).json()
    assert community["count"] == 6
    assert all(i["village"]["code"] == "621023100001" for i in community["items"])
    item = community["items"][0]
    assert item["head_name"]
    assert item["member_count"] == 3


def test_resident_filters(county, api_as):
    from shanzhi.regions.services import set_tags

    member = county.households[0].members.get(relation="spouse")
    set_tags(member, ["low_income"])
    staff = api_as(county.users["county_staff"])
    assert [i["id"] for i in staff.get("/api/residents", {"tag": "low_income"}).json()["items"]] == [member.pk]
    response = staff.get("/api/residents", {"tag": "rich"})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"tag"}


def test_region_filters(county, api_as):
    worker = api_as(county.users["grid_worker"])
    # A grid worker sees their grid and the places above it, not the grid next door.
    codes = [i["code"] for i in worker.get("/api/regions").json()["items"]]
    assert codes == ["621023000000", "621023100000", "621023100201", "621023100201001"]
    assert [i["code"] for i in worker.get("/api/regions", {"level": 7}).json()["items"]] == ["621023100201001"]
    staff = api_as(county.users["township_staff"])
    children = staff.get("/api/regions", {"parent": "621023100201"}).json()["items"]
    assert [c["code"] for c in children] == ["621023100201001", "621023100201002"]
    assert all(c["parent_code"] == "621023100201" for c in children)


def test_people_positions_and_party_filters(county, api_as):
    staff = api_as(county.users["township_staff"])
    people = staff.get("/api/people", {"role": "grid_worker"}).json()["items"]
    assert [p["username"] for p in people] == ["u_grid_worker"]
    assert people[0]["positions"][0]["region_code"] == "621023100201001"
    response = staff.get("/api/positions", {"role": "pope"})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"role"}
    positions = staff.get("/api/positions", {"region": "621023100201"}).json()["items"]
    assert {p["role"] for p in positions} >= {"village_secretary", "grid_worker"}
    assert all(p["region_code"].startswith("621023100201") for p in positions)
    response = staff.get("/api/party/members", {"organisation_id": 999999})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"organisation_id"}
