"""The generator on the small shape: determinism, several counties, resuming, refusing."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count

from shanzhi.core.errors import Conflict, ValidationError
from shanzhi.core.models import AuditEvent
from shanzhi.demo import accounts, generator, services
from shanzhi.people.models import Position, User
from shanzhi.regions.models import Household, Region, Resident
from shanzhi.regions.services import build_region
from tests.demo.fingerprint import fingerprint


class _Rollback(Exception):
    pass


def _build_and_fingerprint(**kwargs) -> str:
    try:
        with transaction.atomic():
            services.demo_build(size="small", **kwargs)
            digest = fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    assert not Region.objects.exists()
    return digest


def test_same_seed_same_county(db):
    first = _build_and_fingerprint()
    assert _build_and_fingerprint() == first
    assert _build_and_fingerprint(seed=7) != first


def test_small_county_has_its_shape(db):
    result = services.demo_build(size="small")
    shape = generator.SMALL
    counts = result.counts
    assert (counts["townships"], counts["villages"], counts["grids"], counts["micro_grids"], counts["households"],
            counts["party_groups"]) == (shape.townships, shape.villages, shape.grids, shape.micro_grids,
                                        shape.households, shape.party_groups)
    assert Household.objects.count() == shape.households
    # Every demo account exists in this small county too, at its place.
    for account in accounts.DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        if account.role != accounts.RESIDENT_ROLE:
            position = Position.objects.select_related("region").get(user=user)
            assert position.region.code == account.place_code


def test_two_counties_under_a_province(db):
    result = services.demo_build(scale=2, size="small")
    assert result.counts["counties"] == 2
    province = Region.objects.get(parent__isnull=True)
    assert province.code == "620000000000"
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    assert [c.code for c in counties] == ["621023000000", "621121000000"]
    assert counties[0].path == "620000000000/621000000000/621023000000/"
    per_county = dict(Household.objects.order_by().values_list("county").annotate(n=Count("id"))
                      .values_list("county", "n"))
    assert per_county == {c.pk: generator.SMALL.households for c in counties}
    # ID numbers carry each county's code; ID numbers and phones are unique across counties.
    assert Resident.objects.filter(county=counties[1], id_number__startswith="621121").count() == \
        Resident.objects.filter(county=counties[1]).count()
    assert Resident.objects.values("id_number").distinct().count() == Resident.objects.count()
    phones = Resident.objects.exclude(phone="")
    assert phones.values("phone").distinct().count() == phones.count()
    # The demo accounts belong to the first county.
    for account in accounts.DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        paths = [p.region_path for p in Position.objects.filter(user=user)] or [user.resident.region_path]
        assert all(p.startswith(counties[0].path) for p in paths)
    assert AuditEvent.objects.filter(action="demo.build").count() == 1


def test_interrupted_build_resumes(db):
    """Counties are written one transaction each: a build stopped after two of three
    counties finishes the third and leaves the first two as they were."""
    generator.build(scale=2, shape=generator.SMALL, password_hash=make_password(None))  # no audit entry: unfinished
    before = list(Household.objects.order_by("id").values_list("id", "number"))
    result = services.demo_build(scale=3, size="small")
    assert result.built
    assert result.counts["counties"] == 3
    assert result.counts["households"] == 3 * generator.SMALL.households
    assert list(Household.objects.filter(id__lte=before[-1][0]).order_by("id").values_list("id", "number")) == before
    assert AuditEvent.objects.get(action="demo.build").detail["written"]["counties"] == 1


def test_refuses_a_database_holding_another_county(db):
    build_region(parent=None, code="110101000000", name="东城区", kind="county").save()
    with pytest.raises(Conflict):
        services.demo_build(size="small")
    assert Region.objects.count() == 1
    assert not Household.objects.exists()


def test_refuses_when_demo_user_names_are_taken(db):
    User.objects.create(username="admin")
    with pytest.raises(Conflict):
        services.demo_build(size="small")
    assert not Region.objects.exists()


@pytest.mark.parametrize(("kwargs", "field"), [({"size": "huge"}, "size"), ({"scale": 0}, "scale"),
                                               ({"scale": generator.MAX_COUNTIES + 1}, "scale")])
def test_rejects_bad_input(db, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        services.demo_build(**kwargs)
    assert field in caught.value.fields
    assert not Region.objects.exists()


def test_plan_totals_are_exact_for_every_seed():
    for seed in range(5):
        plan = generator.plan_county(0, generator.HUACHI, generator.county_rng(seed, 0))
        grids = list(plan.grids())
        assert len(grids) == 685
        assert sum(g.households for g in grids) == 18_000
        assert sum(g.micro_grids for g in grids) == 1072
        assert sum(g.party_group for g in grids) == 277
        assert all(15 <= g.households <= 30 for g in grids if not g.urban)
        assert all(200 <= g.households <= 500 for g in grids if g.urban)
        assert sum(len(t.villages) for t in plan.townships) == 117
