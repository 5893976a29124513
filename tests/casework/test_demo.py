"""The demo history: a year of requests shaped like the seed's figures."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.db.models import Avg
from django.utils import timezone

from shanzhi.casework import demo, selectors, services
from shanzhi.casework.models import ServiceRequest
from shanzhi.core.models import StateChange

pytestmark = pytest.mark.django_db


def test_a_year_of_history(county):
    now = timezone.now()
    out = io.StringIO()
    n = demo.build_demo(county.county, random.Random(7), out, per_household=40, now=now)
    assert n == 18 * 40 == ServiceRequest.objects.count()
    assert "requests:" in out.getvalue()
    states = set(ServiceRequest.objects.values_list("state", flat=True))
    assert {"closed", "rated", "escalated", "rejected"} <= states
    # Every request has its timeline, starting with its filing.
    assert StateChange.objects.filter(transition="create").count() == n
    # Response times fall through the year (48 h toward 6 h).
    early = ServiceRequest.objects.filter(submitted_at__lt=now - dt.timedelta(days=300)).aggregate(
        a=Avg("response_seconds"))["a"]
    late = ServiceRequest.objects.filter(submitted_at__gt=now - dt.timedelta(days=60)).aggregate(
        a=Avg("response_seconds"))["a"]
    assert early / 3600 > 25
    assert late / 3600 < 12
    # Some are overdue; the statistics read it all.
    assert selectors.requests(county.users["county_staff"], queue="overdue").exists()
    total = selectors.totals(county.users["county_staff"])
    assert total.count == n
    assert total.satisfaction is not None
    assert 3.5 < total.satisfaction < 5
    # A second run leaves the county as it is; the sweep copes with the history.
    assert demo.build_demo(county.county, random.Random(7), None, now=now) == 0
    services.sweep(now=now + dt.timedelta(days=1))
