"""The full demo county, built once, against the figures of seed 000 (Huachi)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.db.models import Count, F

from shanzhi.core import access, idnumbers, tree
from shanzhi.core.models import AuditEvent
from shanzhi.demo import accounts, generator, services
from shanzhi.people.models import Department, PartyMember, PartyOrganisation, Position, Role, User
from shanzhi.regions import selectors
from shanzhi.regions.models import GridStandard, Household, Region, Resident, ResidentTag, Tag
from shanzhi.regions.services import division_code_problem, grid_counts_refresh


def _regions_by_level() -> dict[int, int]:
    return dict(Region.objects.order_by().values_list("level").annotate(n=Count("id")).values_list("level", "n"))


def _check_shape() -> None:
    by_level = _regions_by_level()
    assert by_level[Region.Level.COUNTY] == 1
    assert by_level[Region.Level.TOWNSHIP] == 15
    assert by_level[Region.Level.VILLAGE] == 117
    assert by_level[Region.Level.GRID] == 685
    assert by_level[Region.Level.MICRO_GRID] == generator.HUACHI.micro_grids == 1072
    assert Region.Level.PROVINCE not in by_level  # one county stands alone, as a county's deployment does
    townships = Region.objects.filter(level=Region.Level.TOWNSHIP)
    assert {t.name for t in townships} == {
        "柔远镇", "悦乐镇", "南梁镇", "城壕镇", "五蛟镇", "元城镇", "白马乡", "怀安乡", "王咀子乡", "上里塬乡",
        "乔河乡", "林镇乡", "山庄乡", "紫坊畔乡", "乔川乡"}
    assert all(t.kind == (Region.Kind.TOWN if t.name.endswith("镇") else Region.Kind.TOWNSHIP) for t in townships)
    communities = Region.objects.filter(kind=Region.Kind.COMMUNITY)
    assert communities.count() == 5
    assert all(c.path.startswith("621023000000/621023100000/") and c.is_urban for c in communities)

    # Valid division codes, consistent paths, coordinates on every village and grid.
    regions = {r.pk: r for r in Region.objects.all()}
    county = Region.objects.get(level=Region.Level.COUNTY)
    for region in regions.values():
        region.parent = regions.get(region.parent_id)
        assert division_code_problem(region.code, region.level, region.parent) is None, region.code
        assert region.path == (region.parent.path if region.parent else "") + region.code + "/"
        assert region.county_id == county.pk
        if region.level in (Region.Level.VILLAGE, Region.Level.GRID):
            assert abs(float(region.latitude) - 36.46) < 0.6
            assert abs(float(region.longitude) - 107.99) < 0.7
    assert GridStandard.objects.count() == 1


def _check_households() -> None:
    households = Household.objects.count()
    assert abs(households - 18_000) <= 900
    assert households == generator.HUACHI.households  # exactly, in fact
    # Every household is in exactly one grid, and its micro-grid is in that grid.
    assert not Household.objects.filter(grid__isnull=True).exists()
    assert not Household.objects.filter(micro_grid__isnull=True).exists()
    for number, path, grid_path, micro_parent, grid_id, village_path in Household.objects.values_list(
            "number", "region_path", "grid__path", "micro_grid__parent_id", "grid_id", "village__path").iterator():
        assert path.startswith(grid_path), number
        assert grid_path.startswith(village_path), number
        assert micro_parent == grid_id, number
    # Cached counts are right: the periodic refresh has nothing to change.
    assert grid_counts_refresh() == 0

    residents = Resident.objects.count()
    assert 2.5 <= residents / households <= 3.5
    assert not Resident.objects.filter(household__isnull=True).exists()
    assert not Resident.objects.exclude(region_path=F("household__region_path")).exists()
    heads = Resident.objects.filter(relation=Resident.Relation.HEAD).values("household").annotate(n=Count("id"))
    assert heads.count() == households
    assert not heads.filter(n__gt=1).exists()

    # ID numbers all valid (GB 11643) and unique; gender and birth date agree with them.
    ids = list(Resident.objects.values_list("id_number", "gender", "birth_date"))
    assert len({i for i, _, _ in ids}) == len(ids) == residents
    for id_number, gender, birth in ids:
        assert idnumbers.id_problem(id_number, dt.date(2025, 7, 1)) is None, id_number
        assert id_number.startswith("621023")
        assert idnumbers.gender_of(id_number) == gender
        assert idnumbers.birth_date_of(id_number) == birth
    phones = list(Resident.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(set(phones)) == len(phones) > residents / 2
    assert all(idnumbers.phone_problem(p) is None for p in phones)
    ages = [(dt.date(2025, 7, 1) - b).days / 365.25 for _, _, b in ids]
    assert min(ages) >= 0
    assert max(ages) < 100
    assert 30 < sum(ages) / len(ages) < 45

    # Addresses like 华池县柔远镇张湾村二组12号.
    rural = Household.objects.filter(grid__is_urban=False).first()
    assert rural.address.startswith("华池县")
    assert rural.address.endswith("号")
    assert "组" in rural.address


def _check_tags_and_party() -> None:
    adults = Resident.objects.filter(birth_date__lte=dt.date(2007, 7, 1)).count()
    tags = dict(ResidentTag.objects.order_by().values_list("tag").annotate(n=Count("id")).values_list("tag", "n"))
    for tag in (Tag.ELDERLY_ALONE, Tag.LEFT_BEHIND_CHILD, Tag.DISABLED, Tag.LOW_INCOME, Tag.KEY_PERSON,
                Tag.PARTY_MEMBER):
        assert tags.get(tag, 0) > 0, tag
    assert tags[Tag.KEY_PERSON] < tags[Tag.DISABLED] < tags[Tag.LOW_INCOME]
    members = PartyMember.objects.count()
    assert 0.07 <= members / adults <= 0.08
    assert tags[Tag.PARTY_MEMBER] == members
    assert not PartyMember.objects.exclude(resident__tag_rows__tag=Tag.PARTY_MEMBER).exists()
    # Members belong to their grid's party group, or to their village's branch.
    for member in PartyMember.objects.select_related("organisation", "resident__household__grid")[:500]:
        grid = member.resident.household.grid
        assert member.region_path == member.resident.region_path
        assert tree.is_under(member.region_path, member.organisation.region_path)
        assert member.organisation.kind in (PartyOrganisation.Kind.GROUP, PartyOrganisation.Kind.BRANCH)
        if member.organisation.kind == PartyOrganisation.Kind.BRANCH:
            assert not PartyOrganisation.objects.filter(region=grid).exists()

    kinds = dict(PartyOrganisation.objects.order_by().values_list("kind").annotate(n=Count("id"))
                 .values_list("kind", "n"))
    assert kinds == {"committee": 15, "branch": 117, "group": 277}
    assert not PartyOrganisation.objects.filter(kind="group").exclude(region__level=Region.Level.GRID).exists()
    assert not PartyOrganisation.objects.filter(kind="branch").exclude(parent__kind="committee").exists()

    county_departments = set(Department.objects.filter(region__level=Region.Level.COUNTY)
                             .values_list("kind", flat=True))
    assert {"water", "roads", "civil_affairs", "police", "justice", "court", "market", "housing",
            "natural_resources", "human_resources", "petition", "emergency", "governance_centre"} <= county_departments
    stations = Department.objects.filter(region__level=Region.Level.TOWNSHIP)
    assert stations.filter(kind="police").count() == stations.filter(kind="justice").count() == 15
    # A grid worker and a grid leader in every grid, a secretary in every village.
    for role, level, places in ((Role.GRID_WORKER, Region.Level.GRID, 685), (Role.GRID_LEADER, Region.Level.GRID, 685),
                                (Role.MICRO_GRID_WORKER, Region.Level.MICRO_GRID, 1072),
                                (Role.VILLAGE_SECRETARY, Region.Level.VILLAGE, 117)):
        held = Position.objects.filter(role=role, region__level=level).values("region").distinct().count()
        assert held == places, role


def _check_accounts(client) -> None:
    assert {a.role for a in accounts.DEMO_ACCOUNTS} == set(Role.values) | {accounts.RESIDENT_ROLE}
    grid = Region.objects.get(code=accounts.GRID_CODE)
    assert grid.name == "张湾村第1网格"
    assert not grid.is_urban
    assert grid.path.startswith("621023000000/621023100000/")
    grid_homes = set(Household.objects.filter(grid=grid).values_list("pk", flat=True))
    assert len(grid_homes) == accounts.GRID_HOUSEHOLDS

    def under(code: str) -> set[int]:
        path = Region.objects.get(code=code).path
        return set(Household.objects.filter(tree.under(path)).values_list("pk", flat=True))

    expected = {accounts.GRID_CODE: grid_homes, accounts.MICRO_GRID_CODE: under(accounts.MICRO_GRID_CODE),
                accounts.GROUP_CODE: under(accounts.GROUP_CODE), accounts.VILLAGE_CODE: under(accounts.VILLAGE_CODE),
                accounts.TOWNSHIP_CODE: under(accounts.TOWNSHIP_CODE)}
    assert expected[accounts.GROUP_CODE] == grid_homes  # the group leader shares the grid
    assert 0 < len(expected[accounts.MICRO_GRID_CODE]) < len(grid_homes) < len(expected[accounts.VILLAGE_CODE])

    for account in accounts.DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        validate_password(accounts.DEMO_PASSWORD, user)
        assert client.login(username=account.login, password=accounts.DEMO_PASSWORD), account.login
        assert int(client.session["_auth_user_id"]) == user.pk
        client.logout()
        seen = set(selectors.households(user).values_list("pk", flat=True))
        if account.role == accounts.RESIDENT_ROLE:
            assert user.phone == accounts.RESIDENT_PHONE
            assert user.resident.relation == Resident.Relation.HEAD
            assert seen == {user.resident.household_id}
            assert user.resident.household.grid_id == grid.pk
            continue
        positions = list(Position.objects.filter(user=user).select_related("region", "department"))
        assert [p.role for p in positions] == [account.role], account.username
        if account.role == Role.DEPARTMENT_STAFF:
            assert positions[0].department.name == account.place == "华池县水务局"
            assert seen == set()
        elif account.place_code == accounts.COUNTY_CODE:
            assert len(seen) == Household.objects.count(), account.username
        else:
            assert positions[0].region.code == account.place_code
            assert seen == expected[account.place_code], account.username
        assert access.viewer_for(user).home_paths() == [Region.objects.get(code=account.place_code).path]
    # The resident account also logs in with its phone number only (not a second one).
    assert User.objects.filter(phone=accounts.RESIDENT_PHONE).count() == 1
    assert client.login(username=accounts.RESIDENT_PHONE, password="wrong-password-1") is False


def test_full_county_matches_huachi(db, client):
    result = services.demo_build()
    assert result.built
    assert result.counts["households"] == 18_000
    assert AuditEvent.objects.count() == 1  # one entry for the whole build, none per row
    event = AuditEvent.objects.get()
    assert event.action == "demo.build"
    assert event.detail["counts"]["grids"] == 685
    _check_shape()
    _check_households()
    _check_tags_and_party()
    _check_accounts(client)
    # Coverage as the county command centre sees it: every grid within the standard.
    county_user = User.objects.get(username="county")
    coverage = selectors.coverage(county_user, region=Region.objects.get(code=accounts.COUNTY_CODE))
    assert coverage.grids == 685
    assert coverage.households == 18_000
    assert coverage.out_of_standard == []
    assert not coverage.without_grid.exists()
    # Asked again, it reuses what is there.
    again = services.demo_build()
    assert not again.built
    assert again.counts == result.counts
    assert Household.objects.count() == 18_000
    assert AuditEvent.objects.count() == 1
