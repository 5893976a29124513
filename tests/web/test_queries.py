"""List pages keep a flat number of queries as their rows grow."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanzhi.regions.models import Household, Resident
from tests import factories

GRID_1 = "621023100201001"
VILLAGE = "621023100201"
TOWNSHIP = "621023100000"


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(county, households: int) -> None:
    grid = county.grid(GRID_1)
    for _ in range(households):
        home = factories.household(grid)
        Resident.objects.get(household=home, relation=Resident.Relation.HEAD).tag_rows.create(tag="veteran")


def _counts(client, county, url, params=None) -> tuple[int, int]:
    _queries(client, url, params)  # warm the per-process caches (content types, sessions)
    small = _queries(client, url, params)
    _grow(county, 20)
    large = _queries(client, url, params)
    return small, large


def test_grid_page_is_flat(login, county):
    client = login(county.users["grid_worker"])
    small, large = _counts(client, county, reverse("web:region", args=[GRID_1]))
    assert small == large


def test_village_and_township_pages_are_flat(login, county):
    client = login(county.users["township_staff"])
    for url in (reverse("web:region", args=[VILLAGE]), reverse("web:region", args=[TOWNSHIP])):
        small = _queries(client, url)
        _grow(county, 10)
        assert _queries(client, url) == small, url


def test_home_is_flat(login, county):
    client = login(county.users["township_staff"])
    small, large = _counts(client, county, reverse("web:home"))
    assert small == large


def test_household_page_is_flat_as_members_grow(login, county):
    client = login(county.users["grid_worker"])
    home = Household.objects.filter(grid__code=GRID_1).order_by("number").first()
    url = reverse("web:household", args=[home.pk])
    _queries(client, url)
    small = _queries(client, url)
    for i in range(8):
        person = factories.resident(home, name=f"新成员{i}")
        person.tag_rows.create(tag="migrant_worker")
    assert _queries(client, url) == small


def test_search_is_flat(login, county):
    client = login(county.users["township_staff"])
    small, large = _counts(client, county, reverse("web:search"), {"q": "居民"})
    assert small == large


def test_coverage_is_flat(login, county):
    from shanzhi.regions import services

    staff = county.users["township_staff"]
    client = login(staff)
    url = reverse("web:coverage", args=[TOWNSHIP])
    services.household_create(actor=staff, number="H-NOGRID-X", village=county.villages[0])
    _queries(client, url)
    small = _queries(client, url)
    _grow(county, 10)
    for i in range(10):
        services.household_create(actor=staff, number=f"H-NOGRID-{i}", village=county.villages[0])
    assert _queries(client, url) == small
