from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.casework import services as casework
from shanzhi.casework.models import Category
from shanzhi.disputes import services as disputes
from shanzhi.disputes.models import Dispute, DisputeType


@pytest.fixture
def ccounty(county):
    """The small county with the request categories and the dispute types installed."""
    casework.categories_install_defaults(actor=None, county=county.county)
    disputes.types_install_defaults(actor=None, county=county.county)
    county.categories = {c.code: c for c in Category.objects.filter(county=county.county)}
    return county


def file_request(c, household, category="water", **extra):
    return casework.request_submit(actor=c.users["county_staff"], category=c.categories[category],
                                   description="村口水管破裂,漏水严重", household=household, **extra)


def make_dispute(c, grid, *, reported_at=None, state="mediating", code="neighbours", on_the_spot=False):
    reported = reported_at or timezone.now()
    kind = DisputeType.objects.get(county=c.county, code=code)
    return Dispute.objects.create(
        county=c.county, region=grid, region_path=grid.path, handling_path=grid.path, type=kind,
        source="screening", summary="邻里纠纷", reported_at=reported, state=state, level="village",
        settled_level="village" if state in ("agreed", "closed") else "", on_the_spot=on_the_spot,
        accept_due=reported + dt.timedelta(days=1), mediation_due=reported + dt.timedelta(days=15),
        state_changed_at=reported, settled_at=reported if state in ("agreed", "closed") else None)
