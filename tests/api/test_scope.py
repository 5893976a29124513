"""Each role's lists through the API hold exactly the records of its place: the same scope
rule as the pages, checked against the places of the county fixture."""

from __future__ import annotations

import pytest

from shanzhi.regions.models import Household, Resident
from tests import factories
from tests.matrix.world import REGION_ROLES


def _expected_households(county, role: str) -> set[int]:
    if role == "admin":
        return set(Household.objects.values_list("pk", flat=True))
    if role == "department_staff":
        return set()
    if role == "resident":
        return {county.households[0].pk}
    home = factories.ROLE_HOMES[role]
    return {h.pk for h in county.households if home in h.region_path.split("/")}


@pytest.mark.parametrize("role", [*REGION_ROLES, "department_staff", "admin", "resident"])
def test_household_list_is_exactly_the_role_s_place(county, api_as, role):
    expected = _expected_households(county, role)
    items = api_as(county.users[role]).all_items("/api/households")
    assert {item["id"] for item in items} == expected
    assert len(items) == len(expected)  # no household twice


@pytest.mark.parametrize("role", [*REGION_ROLES, "department_staff", "admin", "resident"])
def test_resident_list_is_exactly_the_role_s_place(county, api_as, role):
    households = _expected_households(county, role)
    expected = set(Resident.objects.filter(household__in=households, status="active").values_list("pk", flat=True))
    items = api_as(county.users[role]).all_items("/api/residents")
    assert {item["id"] for item in items} == expected


def test_grid_worker_sees_their_three_households_and_no_neighbour(county, api_as):
    grid = county.grid("621023100201001")
    items = api_as(county.users["grid_worker"]).all_items("/api/households")
    assert sorted(item["number"] for item in items) == sorted(h.number for h in county.households_in(grid))
    assert len(items) == 3
    assert all(item["grid"]["code"] == grid.code for item in items)


def test_region_filter_narrows_within_scope_and_rejects_what_is_not_visible(county, api_as):
    staff = api_as(county.users["township_staff"])  # 柔远镇: two villages
    village = "621023100201"
    items = staff.all_items("/api/households", {"region": village})
    assert {i["id"] for i in items} == {h.pk for h in county.households if h.village.code == village}
    # The other township is outside: its code is unknown here, by the filter's name.
    response = staff.get("/api/households", {"region": "621023101201"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"region"}


def test_a_moved_record_leaves_the_old_scope(county, api_as):
    """Scope follows the data: placing a household in another grid moves it (and its
    members) out of the first grid worker's lists."""
    home = county.households_in(county.grid("621023100201001"))[1]
    leader = api_as(county.users["village_secretary"])
    response = leader.post(f"/api/households/{home.pk}/place", {"grid": "621023100201002"})
    assert response.status_code == 200, response.content
    assert response.json()["grid"]["code"] == "621023100201002"
    worker = api_as(county.users["grid_worker"])
    assert home.pk not in {i["id"] for i in worker.all_items("/api/households")}
    assert not {r.pk for r in home.members.all()} & {i["id"] for i in worker.all_items("/api/residents")}
    assert worker.get(f"/api/households/{home.pk}").status_code == 404
