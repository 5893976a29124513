"""The server-rendered pages: who sees what, for every role, inside and outside their scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shanzhi.core.models import AuditEvent
from shanzhi.regions.models import Household, Region, Resident
from tests import factories

GRID_1 = "621023100201001"  # 张湾村第1网格, home of the grid roles
GRID_OTHER_VILLAGE = "621023101201001"  # 李塬村第1网格, in the other township
VILLAGE = "621023100201"  # 张湾村
TOWNSHIP = "621023100000"  # 柔远镇
OTHER_TOWNSHIP = "621023101000"  # 悦乐镇
COUNTY = "621023000000"

# For each account of the county fixture: a region page it may open, one it may not (None:
# every region is in scope), and whether it sees households at all.
REGION_SCOPE = {
    "grid_worker": (GRID_1, GRID_OTHER_VILLAGE),
    "grid_leader": (GRID_1, "621023100201002"),
    "micro_grid_worker": (GRID_1, "621023100201002"),
    "group_leader": (GRID_1, "621023100201002"),
    "neighbour_leader": (GRID_1, "621023100201002"),
    "chief_grid_leader": (VILLAGE, "621023100001"),
    "grid_instructor": (VILLAGE, "621023100001"),
    "village_secretary": (VILLAGE, "621023100001"),
    "village_committee": (VILLAGE, "621023100001"),
    "legal_adviser": (VILLAGE, "621023100001"),
    "village_police": (VILLAGE, "621023100001"),
    "mediator": (TOWNSHIP, OTHER_TOWNSHIP),
    "township_staff": (TOWNSHIP, OTHER_TOWNSHIP),
    "county_staff": (COUNTY, None),
    "admin": (COUNTY, None),
    "department_staff": (COUNTY, None),
}
STAFF_ROLES = sorted(REGION_SCOPE)


def _household_in(code: str) -> Household:
    return Household.objects.filter(grid__code=code).order_by("number").first()


# ---- signing in and out ---------------------------------------------------------------

def test_login_page_renders_for_anonymous(client, db):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text
    # The language switch is on every page, the login page too.
    assert reverse("set_language") in response.text


def test_login_with_username_and_with_phone(client, county):
    response = client.post(reverse("web:login"), {"username": "u_grid_worker", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("web:home")
    client.logout()

    resident_account = county.users["resident"]
    response = client.post(reverse("web:login"), {"username": resident_account.phone,
                                                  "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("web:home")).context["user"] == resident_account


def test_login_with_wrong_password_says_so_in_chinese(client, county):
    response = client.post(reverse("web:login"), {"username": "u_grid_worker", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或手机号与密码不符" in response.text


def test_logout_is_a_post(login, county):
    client = login(county.users["grid_worker"])
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302  # back to the login page


@pytest.mark.parametrize("name", ["home", "map", "search"])
def test_pages_need_a_login(client, db, name):
    response = client.get(reverse(f"web:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


# ---- home -------------------------------------------------------------------------------

def test_grid_worker_home_shows_place_role_and_counts(login, county):
    response = login(county.users["grid_worker"]).get(reverse("web:home"))
    assert response.status_code == 200
    text = response.text
    assert "张湾村第1网格" in text
    assert "网格员" in text
    households = len(county.households_in(county.grid(GRID_1)))
    cards = {card.key: ctx for card, ctx in response.context["cards"]}
    assert cards["work"]["households"] == households == 3
    assert cards["work"]["residents"] == Resident.objects.filter(household__grid__code=GRID_1).count()
    assert reverse("web:map") in text
    assert reverse("web:search") in text
    assert "own_household" not in cards
    # A grid worker has no coverage page.
    assert "/coverage/" not in text


def test_township_staff_home_links_their_coverage(login, county):
    text = login(county.users["township_staff"]).get(reverse("web:home")).text
    assert reverse("web:coverage", args=[TOWNSHIP]) in text
    assert "柔远镇" in text


def test_department_staff_home_has_no_household_figures(login, county):
    response = login(county.users["department_staff"]).get(reverse("web:home"))
    assert response.status_code == 200
    cards = {card.key: ctx for card, ctx in response.context["cards"]}
    assert cards["work"]["sees_households"] is False
    assert "县水务局" in response.text


def test_resident_home_shows_their_household(login, county):
    response = login(county.users["resident"]).get(reverse("web:home"))
    assert response.status_code == 200
    own = county.households[0]
    assert own.number in response.text
    assert reverse("web:household", args=[own.pk]) in response.text
    for member in Resident.objects.filter(household=own):
        assert member.name in response.text
    # No map or search for a resident.
    assert reverse("web:search") not in response.text


@pytest.mark.parametrize("role", [*STAFF_ROLES, "resident"])
def test_home_renders_for_every_role(login, county, role):
    response = login(county.users[role]).get(reverse("web:home"))
    assert response.status_code == 200
    assert "善治" in response.text
    assert county.users[role].get_full_name() in response.text


# ---- the map --------------------------------------------------------------------------

@pytest.mark.parametrize("role", STAFF_ROLES)
def test_region_pages_in_and_out_of_scope(login, county, role):
    inside, outside = REGION_SCOPE[role]
    client = login(county.users[role])
    assert client.get(reverse("web:region", args=[inside])).status_code == 200
    if outside:
        assert client.get(reverse("web:region", args=[outside])).status_code == 404
    assert client.get(reverse("web:region", args=["999999999999"])).status_code == 404


def test_resident_has_no_map(login, county):
    client = login(county.users["resident"])
    assert client.get(reverse("web:region", args=[GRID_1])).status_code == 404


def test_map_index_goes_to_the_single_home_place(login, county):
    response = login(county.users["grid_worker"]).get(reverse("web:map"))
    assert response.status_code == 302
    assert response.url == reverse("web:region", args=[GRID_1])


def test_township_page_lists_villages_with_household_counts(login, county):
    response = login(county.users["township_staff"]).get(reverse("web:region", args=[TOWNSHIP]))
    children = {child.code: count for child, count in response.context["children"]}
    assert children == {"621023100201": 6, "621023100001": 6}
    assert response.context["total"] == 12
    assert response.context["households"] is None  # a township lists villages, not households
    crumbs = [r.code for r in response.context["crumbs"]]
    assert crumbs == [COUNTY]


def test_grid_worker_sees_only_their_branch_from_the_county_page(login, county):
    response = login(county.users["grid_worker"]).get(reverse("web:region", args=[COUNTY]))
    assert response.status_code == 200
    assert [c.code for c, _ in response.context["children"]] == [TOWNSHIP]
    assert response.context["total"] == 3  # only the households of their own grid


def test_grid_page_lists_its_households(login, county):
    grid = county.grid(GRID_1)
    response = login(county.users["grid_worker"]).get(reverse("web:region", args=[GRID_1]))
    page = response.context["households"]
    assert {h.pk for h in page} == {h.pk for h in county.households_in(grid)}
    for home in county.households_in(grid):
        assert reverse("web:household", args=[home.pk]) in response.text


def test_village_page_paginates_households(login, county):
    grid = county.grid(GRID_1)
    for _ in range(55):
        factories.household(grid, members=1)
    client = login(county.users["village_secretary"])
    first = client.get(reverse("web:region", args=[VILLAGE]))
    assert len(first.context["households"]) == 50
    assert first.context["households"].paginator.count == 61
    second = client.get(reverse("web:region", args=[VILLAGE]), {"page": 2})
    assert len(second.context["households"]) == 11


# ---- the household file ----------------------------------------------------------------

@pytest.mark.parametrize("role", STAFF_ROLES)
def test_household_page_in_and_out_of_scope(login, county, role):
    client = login(county.users[role])
    inside = _household_in(GRID_1)
    outside = _household_in(GRID_OTHER_VILLAGE)
    expected_inside = 404 if role == "department_staff" else 200
    assert client.get(reverse("web:household", args=[inside.pk])).status_code == expected_inside
    expected_outside = 200 if role in {"county_staff", "admin"} else 404
    assert client.get(reverse("web:household", args=[outside.pk])).status_code == expected_outside


def test_resident_sees_only_their_own_household(login, county):
    client = login(county.users["resident"])
    own, neighbour = county.households[0], county.households[1]
    assert client.get(reverse("web:household", args=[own.pk])).status_code == 200
    assert client.get(reverse("web:household", args=[neighbour.pk])).status_code == 404


def test_household_page_shows_members_masked(login, county):
    home = _household_in(GRID_1)
    member = Resident.objects.filter(household=home, relation=Resident.Relation.HEAD).get()
    member.tag_rows.create(tag="elderly_alone")
    response = login(county.users["grid_worker"]).get(reverse("web:household", args=[home.pk]))
    assert response.status_code == 200
    text = response.text
    members = list(Resident.objects.filter(household=home))
    assert len(members) == 3
    for person in members:
        assert person.name in text
        assert person.id_number not in text
        assert person.phone not in text
        assert person.id_number_masked in text
        assert person.phone_masked in text
        # Not even the middle digits, which a masked number leaves out.
        assert person.id_number[6:14] not in text
    assert "独居老人" in text  # the tag, in Chinese
    assert "户主" in text
    assert text.count(reverse("web:reveal_id", args=[member.pk])) == 1


def test_no_show_id_button_for_a_role_without_the_right(login, county):
    home = _household_in(GRID_1)
    text = login(county.users["micro_grid_worker"]).get(reverse("web:household", args=[home.pk])).text
    assert "/reveal-id/" not in text


def test_history_tab_lists_moves(login, county):
    worker = county.users["grid_worker"]
    grid = county.grid(GRID_1)
    source, target = county.households_in(grid)[:2]
    son = Resident.objects.get(household=source, relation=Resident.Relation.SON)
    from shanzhi.regions import services

    services.resident_move(actor=worker, resident=son, to_household=target, reason="分户")
    client = login(worker)
    out = client.get(reverse("web:household", args=[source.pk]), {"tab": "history"})
    assert out.status_code == 200
    assert son.name in out.text
    assert target.number in out.text
    assert "分户" in out.text
    into = client.get(reverse("web:household", args=[target.pk]), {"tab": "history"})
    assert son.name in into.text
    assert source.number in into.text


# ---- showing a full ID number ------------------------------------------------------------

def test_reveal_id_shows_it_and_writes_the_audit_entry(login, county):
    home = _household_in(GRID_1)
    person = Resident.objects.filter(household=home).first()
    worker = county.users["grid_worker"]
    response = login(worker).post(reverse("web:reveal_id", args=[person.pk]))
    assert response.status_code == 200
    assert person.id_number in response.text
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="resident.view_id")
    assert event.actor == worker
    assert event.target_id == str(person.pk)
    assert event.channel == "web"
    # Only that one person's number is shown.
    for other in Resident.objects.filter(household=home).exclude(pk=person.pk):
        assert other.id_number not in response.text


def test_reveal_id_out_of_scope_is_not_found(login, county):
    outside = Resident.objects.filter(household=_household_in(GRID_OTHER_VILLAGE)).first()
    response = login(county.users["grid_worker"]).post(reverse("web:reveal_id", args=[outside.pk]))
    assert response.status_code == 404
    assert outside.id_number not in response.text
    assert not AuditEvent.objects.filter(action="resident.view_id").exists()


def test_reveal_id_without_the_right_is_forbidden(login, county):
    person = Resident.objects.filter(household=_household_in(GRID_1)).first()
    response = login(county.users["micro_grid_worker"]).post(reverse("web:reveal_id", args=[person.pk]))
    assert response.status_code == 403
    assert person.id_number not in response.text
    assert "善治" in response.text  # the 403 page in the base style
    assert not AuditEvent.objects.filter(action="resident.view_id").exists()


def test_reveal_id_is_post_only(login, county):
    person = Resident.objects.filter(household=_household_in(GRID_1)).first()
    response = login(county.users["grid_worker"]).get(reverse("web:reveal_id", args=[person.pk]))
    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action="resident.view_id").exists()


# ---- search ------------------------------------------------------------------------------

def test_search_by_name_phone_id_and_number(login, county):
    person = Resident.objects.filter(household=_household_in(GRID_1)).first()
    client = login(county.users["grid_worker"])
    url = reverse("web:search")
    for text in (person.name, person.phone, person.id_number):
        response = client.post(url, {"q": text})
        assert [r.pk for r in response.context["result"].residents] == [person.pk], text
        # The results show masked numbers; the full one only in the box where it was typed.
        shown = response.text.replace(f'value="{text}"', "")
        assert person.id_number not in shown
        assert person.phone not in shown
        assert person.id_number_masked in shown
    # Phone and ID number match whole, never by a fragment.
    assert not client.post(url, {"q": person.phone[:7]}).context["result"].residents
    home = person.household
    assert [h.pk for h in client.post(url, {"q": home.number}).context["result"].households] == [home.pk]
    # A link may search by name too.
    assert [r.pk for r in client.get(url, {"q": person.name}).context["result"].residents] == [person.pk]


def test_search_stays_in_scope(login, county):
    outside = Resident.objects.filter(household=_household_in(GRID_OTHER_VILLAGE)).first()
    response = login(county.users["grid_worker"]).post(reverse("web:search"), {"q": outside.phone})
    assert response.status_code == 200
    assert not response.context["result"].residents
    assert outside.name not in response.text


# ---- coverage ------------------------------------------------------------------------------

def test_coverage_page_lists_small_grids_and_households_without_a_grid(login, county):
    staff = county.users["township_staff"]
    from shanzhi.regions import services

    loose = services.household_create(actor=staff, number="H-LOOSE-1", village=county.villages[0])
    response = login(staff).get(reverse("web:coverage", args=[TOWNSHIP]))
    assert response.status_code == 200
    result = response.context["coverage"]
    # Three households a grid, below the rural standard of 15 (and the urban one of 200).
    assert {load.grid.code for load in result.out_of_standard} == {g.code for g in county.grids[:4]}
    assert loose.number in response.text
    assert reverse("web:household", args=[loose.pk]) in response.text


@pytest.mark.parametrize(("role", "code", "status"), [
    ("township_staff", OTHER_TOWNSHIP, 404),
    ("grid_worker", VILLAGE, 403),  # the village is on their map, its coverage not theirs
    ("village_secretary", VILLAGE, 200),
    ("county_staff", COUNTY, 200),
    ("department_staff", COUNTY, 403),
])
def test_coverage_page_scope(login, county, role, code, status):
    assert login(county.users[role]).get(reverse("web:coverage", args=[code])).status_code == status


# ---- error pages -------------------------------------------------------------------------

def test_not_found_page_is_in_the_base_style(login, county):
    response = login(county.users["grid_worker"]).get("/no-such-page/")
    assert response.status_code == 404
    assert "善治" in response.text
    assert "shanzhi.css" in response.text
    assert "找不到这个页面" in response.text


def test_server_error_page_renders_without_a_request_context(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "善治" in text
    assert "shanzhi.css" in text


# ---- language ------------------------------------------------------------------------------

def test_chinese_by_default_and_english_on_request(login, county):
    client = login(county.users["grid_worker"])
    response = client.get(reverse("web:home"))
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.text
    assert "首页" in response.text
    assert "退出登录" in response.text

    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("web:home")})
    assert switched.status_code == 302
    response = client.get(reverse("web:home"))
    assert response["Content-Language"] == "en"
    assert "Home" in response.text
    assert "Log out" in response.text
    assert "grid worker" in response.text  # the role, from the people app's catalog

    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("web:home")})
    assert "首页" in client.get(reverse("web:home")).text


def test_language_switch_is_on_every_page(login, county):
    client = login(county.users["grid_worker"])
    home = _household_in(GRID_1)
    for url in (reverse("web:home"), reverse("web:region", args=[GRID_1]), reverse("web:search"),
                reverse("web:household", args=[home.pk]), "/no-such-page/"):
        text = client.get(url).text
        assert f'action="{reverse("set_language")}"' in text, url
        assert 'value="en"' in text, url
        assert 'value="zh-hans"' in text, url


def test_region_kinds_are_translated(login, county):
    text = login(county.users["township_staff"]).get(reverse("web:region", args=[TOWNSHIP])).text
    assert "镇" in text
    assert "社区" in text
    assert "户" in text


def test_pages_link_no_external_resources(login, county):
    text = login(county.users["grid_worker"]).get(reverse("web:home")).text
    assert "http://" not in text
    assert "https://" not in text
    assert "<script>" not in text
    assert "onclick" not in text


def test_region_codes_are_regions(county):
    # The constants above name the fixture's places.
    for code in (GRID_1, GRID_OTHER_VILLAGE, VILLAGE, TOWNSHIP, OTHER_TOWNSHIP, COUNTY):
        assert Region.objects.filter(code=code).exists()


def test_a_stale_form_gets_a_plain_explanation(county):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["grid_worker"])
    person = Resident.objects.filter(household=_household_in(GRID_1)).first()
    response = client.post(reverse("web:reveal_id", args=[person.pk]))  # no CSRF token
    assert response.status_code == 403
    assert "请再试一次" in response.text
    assert "善治" in response.text
    assert not AuditEvent.objects.filter(action="resident.view_id").exists()


def test_search_says_when_it_shows_only_the_first_matches(login, county):
    grid = county.grid(GRID_1)
    for _ in range(12):
        factories.household(grid)
    response = login(county.users["grid_worker"]).post(reverse("web:search"), {"q": "居民"})
    assert len(response.context["result"].residents) == 30
    assert "只显示前30条" in response.text
    one = Resident.objects.filter(household__grid=grid).first()
    few = login(county.users["grid_worker"]).post(reverse("web:search"), {"q": one.name})
    assert len(few.context["result"].residents) == 1
    assert "只显示前" not in few.text
