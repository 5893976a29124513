"""The pages of household contact for each role: the member's phone page, the branch's
coverage and assignments, the township's coverage by village, the county's policy, the
community's units and wishes, the household page's contact tab; and flat query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanzhi.contact import services
from shanzhi.contact.models import Assignment, ContactPolicy, Visit
from shanzhi.regions.models import Household

pytestmark = pytest.mark.django_db


def _page(client, user, url, status=200):
    client.force_login(user)
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    return r.content.decode() if status == 200 else ""


def test_home_cards(client, county, party):
    services.assignment_create(actor=county.users["village_secretary"], member=party.wang,
                               households=county.households_in(county.grids[0]))
    member = _page(client, party.wang_user, "/")
    assert "/contact/visits/new/" in member
    # The header names the member's roles in words, not by their codes.
    roles = re.search(r'<span class="who__roles">([^<]*)</span>', member)
    assert roles is not None
    assert "党员" in roles.group(1).split("、"), roles.group(1)
    secretary = _page(client, county.users["village_secretary"], "/")
    assert "/contact/coverage/?region=621023100201" in secretary
    # A resident without Party membership gets no contact card; the page works for them.
    assert "/contact/visits/new/" not in _page(client, county.users["resident"], "/")


def test_the_branch_arranges_contacts_on_the_coverage_page(client, county, party):
    village = county.villages[0]
    page = _page(client, county.users["village_secretary"], f"/contact/coverage/?region={village.code}")
    homes = county.households_in(county.grids[0])
    assert all(h.number in page for h in homes)
    assert party.wang.name in page
    r = client.post("/contact/assign/", {"region": village.code, "member": party.wang.pk,
                                         "households": [h.pk for h in homes]})
    assert r.status_code == 302, r.content.decode()[:3000]
    assert Assignment.objects.filter(member=party.wang).count() == 3
    follow = client.get(r["Location"]).content.decode()
    assert "10" in follow  # the warning: fewer than the county's 10
    # A household of another village posted into the form: refused, nothing written.
    other = county.households_in(county.grids[4])[0]
    r = client.post("/contact/assign/", {"region": village.code, "member": party.li.pk, "households": [other.pk]})
    assert r.status_code == 422
    assert Assignment.objects.count() == 3
    # The grid worker sees the coverage but gets no form.
    page = _page(client, county.users["grid_worker"], f"/contact/coverage/?region={county.grids[0].code}")
    assert 'action="/contact/assign/"' not in page
    client.force_login(county.users["grid_worker"])
    r = client.post("/contact/assign/", {"region": county.grids[0].code, "member": party.wang.pk,
                                         "households": [homes[0].pk]})
    assert r.status_code in (403, 404)


def test_township_and_county_pages(client, county, party):
    township = _page(client, county.users["township_staff"], f"/contact/coverage/?region={county.townships[0].code}")
    assert county.villages[0].name in township
    assert county.villages[1].name in township
    assert county.villages[2].name not in township
    _page(client, county.users["township_staff"], f"/contact/coverage/?region={county.townships[1].code}", 404)
    policy = _page(client, county.users["county_staff"], "/contact/policy/")
    assert 'name="interval_days"' in policy
    r = client.post("/contact/policy/", {"region": county.county.code, "min_households": 8, "max_households": 12,
                                         "interval_days": 20, "tag_elderly_alone": 5})
    assert r.status_code == 302
    saved = ContactPolicy.objects.get()
    assert (saved.min_households, saved.interval_days, dict(saved.tag_intervals.values_list("tag", "days"))) == (
        8, 20, {"elderly_alone": 5})
    r = client.post("/contact/policy/", {"region": county.county.code, "min_households": 12, "max_households": 8,
                                         "interval_days": 20})
    assert r.status_code == 422
    _page(client, county.users["village_secretary"], "/contact/policy/", 403)


def test_household_tab(client, county, party):
    home = county.households_in(county.grids[0])[0]
    services.assignment_create(actor=county.users["village_secretary"], member=party.wang, households=[home])
    services.visit_log(actor=party.wang_user, household=home, visited_on=timezone.localdate(), purpose="policy",
                       note="讲解养老保险")
    staff = _page(client, county.users["grid_worker"], f"/households/{home.pk}/?tab=contact")
    assert party.wang.name in staff
    assert "讲解养老保险" in staff
    own = _page(client, county.users["resident"], f"/households/{home.pk}/?tab=contact")
    assert party.wang.name in own
    assert "讲解养老保险" not in own


def test_member_and_community_pages(client, county, party):
    _page(client, party.wang_user, "/contact/")
    _page(client, party.wang_user, "/contact/visits/new/")
    _page(client, party.wang_user, "/contact/reports/")
    _page(client, party.wang_user, "/contact/wishes/")
    _page(client, county.users["village_secretary"], f"/contact/community/?region={county.villages[0].code}")
    _page(client, county.users["village_secretary"], "/contact/units/")
    _page(client, county.users["village_secretary"], "/contact/quarters/")
    _page(client, county.users["village_secretary"], "/contact/visits/new/?for=member")
    # Those with nothing to do here.
    _page(client, county.users["department_staff"], "/contact/", 404)
    _page(client, county.users["resident"], "/contact/coverage/", 404)  # no place of theirs to cover


def _grow(county, party, n):
    """n more households in 王's care, each visited once."""
    grid = county.grids[0]
    homes = [Household.objects.create(number=f"G{Household.objects.count() + i:05d}", village=grid.parent, grid=grid,
                                      region_path=grid.path, county_id=grid.county_id) for i in range(n)]
    services.assignment_create(actor=county.users["village_secretary"], member=party.wang, households=homes,
                               start_date=timezone.localdate() - dt.timedelta(days=90))
    for h in homes:
        Visit.objects.create(member=party.wang, household=h, village_id=h.village_id, region_path=h.region_path,
                             county_id=h.county_id, visited_on=timezone.localdate() - dt.timedelta(days=40),
                             purpose="help")


@pytest.mark.parametrize("url", ["/api/contact/households/due", "/api/contact/visits", "/api/contact/assignments",
                                 "/api/contact/households/without-contact", "/api/contact/members"])
def test_list_queries_stay_flat(client, county, party, url):
    client.force_login(county.users["village_secretary"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
            assert r.status_code == 200
        return len(ctx.captured_queries)

    _grow(county, party, 3)
    few = count()
    _grow(county, party, 9)
    assert count() == few


def test_member_pages_queries_stay_flat(client, county, party):
    client.force_login(party.wang_user)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/contact/").status_code == 200
        return len(ctx.captured_queries)

    _grow(county, party, 3)
    few = count()
    _grow(county, party, 9)
    assert count() == few
