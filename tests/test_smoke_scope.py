from shanzhi.core import access
from shanzhi.regions import selectors
from shanzhi.regions.models import Household


def test_grid_worker_sees_exactly_their_grid(county):
    worker = county.users["grid_worker"]
    grid = county.grid("621023100201001")
    seen = set(selectors.households(worker).values_list("pk", flat=True))
    assert seen == {h.pk for h in county.households_in(grid)}


def test_township_staff_sees_their_township_only(county):
    staff = county.users["township_staff"]
    seen = set(selectors.households(staff).values_list("pk", flat=True))
    expected = {h.pk for h in Household.objects.filter(region_path__startswith="621023000000/621023100000/")}
    assert len(expected) == 12
    assert seen == expected


def test_resident_sees_own_household(county):
    resident = county.users["resident"]
    assert list(selectors.households(resident).values_list("pk", flat=True)) == [county.households[0].pk]


def test_department_staff_sees_no_household(county):
    assert not access.scope(county.users["department_staff"], "household.view", Household.objects.all()).exists()
