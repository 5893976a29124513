"""The rollups give the same figures as a direct count over the raw rows, and an
incremental run rewrites only the cells that new or changed records fall in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from django.utils import timezone

from shanzhi.casework import selectors as casework_selectors
from shanzhi.casework import services as casework
from shanzhi.casework.models import ServiceRequest
from shanzhi.command import rollups, selectors
from shanzhi.command.models import RollupCell, RollupWatermark
from shanzhi.disputes import selectors as dispute_selectors
from shanzhi.disputes.flow import DISPUTE_OPEN
from shanzhi.disputes.models import Dispute
from tests.command.conftest import file_request, make_dispute

pytestmark = pytest.mark.django_db

REQUEST_STATES = ["submitted", "dispatched", "accepted", "in_progress", "resolved", "closed", "rejected", "merged"]
DISPUTE_STATES = ["clue", "accepted", "mediating", "agreed", "closed", "referred", "withdrawn", "dismissed"]
NOT_ROLLED_UP = {"follow_ups_due", "follow_ups_done", "follow_up_completion"}


def _plant(c, rng: random.Random) -> None:
    """Requests and disputes over two townships and the last 14 months, with every figure's
    inputs varied (states, times, ratings, levels, due moments in the past and future)."""
    now = timezone.now()
    homes = [h for g in c.grids for h in c.households_in(g)]
    first = None
    for i in range(60):
        r = file_request(c, rng.choice(homes), category=rng.choice(sorted(c.categories)))
        state = rng.choice(REQUEST_STATES)
        submitted = now - dt.timedelta(days=rng.choice([0, 0, 1, 3, 10, 35, 70, 200, 380]), hours=rng.randint(0, 20))
        done = state in ("resolved", "closed")
        if first is None or (state == "merged" and first.pk == r.pk):
            first, state = first or r, "submitted"
        ServiceRequest.objects.filter(pk=r.pk).update(
            state=state, submitted_at=submitted,
            response_due=now + dt.timedelta(hours=rng.randint(-100, 100)),
            resolve_due=now + dt.timedelta(hours=rng.randint(-100, 300)),
            accepted_at=submitted + dt.timedelta(hours=1) if i % 3 else None,
            response_seconds=rng.randint(60, 200_000) if i % 4 else None,
            resolve_seconds=rng.randint(3000, 900_000) if done or i % 7 == 0 else None,
            resolved_at=submitted + dt.timedelta(days=1) if done or i % 9 == 0 else None,
            responded_on_time=rng.choice([True, False, None]), resolved_on_time=rng.choice([True, False, None]),
            rating=rng.choice([None, 1, 3, 4, 5]) if done else None, reopen_count=rng.choice([0, 0, 1]),
            resolved_level=rng.choice(["village", "township", "county"]) if done else "",
            merged_into=first if state == "merged" else None)
    for _i in range(40):
        state = rng.choice(DISPUTE_STATES)
        reported = now - dt.timedelta(days=rng.choice([0, 2, 12, 40, 100, 370]), hours=rng.randint(0, 20))
        d = make_dispute(c, rng.choice(c.grids), reported_at=reported, state="mediating",
                         code=rng.choice(["neighbours", "marriage_family", "land_forest", "damage", "traffic",
                                          "other"]),
                         on_the_spot=rng.random() < 0.3)
        Dispute.objects.filter(pk=d.pk).update(
            state=state, referred_to="court" if state == "referred" else "",
            accept_due=now + dt.timedelta(hours=rng.randint(-50, 50)),
            mediation_due=now + dt.timedelta(hours=rng.randint(-200, 200)),
            settled_at=reported + dt.timedelta(hours=rng.randint(1, 500)) if state in ("agreed", "closed") else None,
            escalation_count=rng.choice([0, 0, 1]),
            settled_level=rng.choice(["village", "township"]) if state in ("agreed", "closed") else "")


def _same(rolled, live, path: str) -> None:
    a, b = dataclasses.asdict(rolled), dataclasses.asdict(live)
    for name in ("p90_response_hours", "p90_resolve_hours"):
        if name in a:  # the percentiles come from a histogram kept to three significant digits
            x, y = a.pop(name), b.pop(name)
            assert (x is None) == (y is None), (path, name)
            if x is not None:
                assert abs(x - y) <= 0.005 * y + 0.01, (path, name, x, y)
    for name in NOT_ROLLED_UP | {"key", "label"}:
        a.pop(name, None)
        b.pop(name, None)
    assert a == b, path


def _check_everything(c) -> None:
    """Every place, every period: the rollups' figures equal the modules' direct counts."""
    viewer = c.users["county_staff"]
    now = timezone.now()
    places = [c.county, *c.county.children.all(), *c.villages, *c.grids]
    periods = [None, *[selectors.period(k, now=now) for k in selectors.PERIODS], selectors.month_period(
        timezone.localdate(now).year, timezone.localdate(now).month)]
    for place in places:
        for per in periods:
            since, until = (per.since, per.until) if per else (None, None)
            _same(selectors.request_figures(rollups.sums("request", place.path, since=since, until=until, now=now)),
                  casework_selectors.totals(viewer, region=place, since=since, until=until, now=now), place.path)
            _same(selectors.dispute_figures(rollups.sums("dispute", place.path, since=since, until=until, now=now)),
                  dispute_selectors.totals(viewer, region=place, since=since, until=until, now=now), place.path)


def test_every_figure_from_the_rollups_equals_the_direct_count(ccounty):
    c = ccounty
    _plant(c, random.Random(10))
    run = rollups.refresh("request")
    rollups.refresh("dispute")
    assert run.own_cells > 10
    _check_everything(c)

    # The dashboard reads them, and agrees with plain counts over the raw rows.
    viewer = c.users["county_staff"]
    per = selectors.period("month")
    d = selectors.dashboard(viewer, c.county, per)
    raw = ServiceRequest.objects.exclude(state="merged")
    assert d.requests_now.count == raw.count() == 60 - ServiceRequest.objects.filter(state="merged").count()
    assert d.requests.count == raw.filter(submitted_at__gte=per.since).count()
    assert d.requests_now.overdue == raw.filter(casework_selectors.overdue_q()).count()
    rawd = Dispute.objects.exclude(state="dismissed")
    assert d.disputes_now.open == rawd.filter(state__in=DISPUTE_OPEN).count()
    assert d.disputes.six == rawd.filter(type__is_six=True, reported_at__gte=per.since).count()

    # Drill-down rows and trends: the same as the live selectors.
    rows = selectors.children(viewer, c.county, per)
    for row in rows:
        live = casework_selectors.totals(viewer, region=row.region, since=per.since, until=per.until)
        assert row.requests.count == live.count
        assert row.requests.overdue == live.overdue
        assert row.disputes.success_rate == dispute_selectors.totals(
            viewer, region=row.region, since=per.since, until=per.until).success_rate
    for unit in selectors.TRENDS:
        rolled = selectors.trend(viewer, c.county, unit)
        RollupWatermark.objects.all().delete()  # no rollups: the live path
        live = selectors.trend(viewer, c.county, unit)
        rollups.refresh_all()
        assert rolled == live, unit


def test_an_incremental_run_rewrites_only_what_changed(ccounty, settings):
    # No read-back window here, so that a quiet run has nothing to redo.
    settings.COMMAND_ROLLUP_LAG_SECONDS = 0
    c = ccounty
    _plant(c, random.Random(11))
    rollups.refresh_all()
    before = {(r.path, r.day, r.own): r.pk for r in RollupCell.objects.filter(source="request")}

    # Nothing changed: nothing rewritten.
    quiet = rollups.refresh("request")
    assert (quiet.changed_records, quiet.own_cells, quiet.tree_cells) == (0, 0, 0)

    # A new request in one grid today, and one earlier request rejected (a state change).
    home = c.households_in(c.grids[3])[0]
    new = file_request(c, home)
    old = ServiceRequest.objects.filter(state="submitted").exclude(pk=new.pk).order_by("pk").first()
    casework.request_reject(actor=c.users["county_staff"], request=old, reason="不属于政府职责")
    run = rollups.refresh("request")
    assert run.changed_records >= 2
    touched = {(new.region_path, timezone.localdate(new.submitted_at)),
               (old.region_path, timezone.localdate(old.submitted_at))}
    assert run.own_cells <= len(touched)
    after = {(r.path, r.day, r.own): r.pk for r in RollupCell.objects.filter(source="request")}
    rewritten = {k for k, pk in after.items() if before.get(k) != pk}
    ancestors = {(a, day) for path, day in touched for a in rollups.tree.ancestors(path)}
    assert {(p, d) for p, d, _own in rewritten} <= ancestors
    assert len(rewritten) < len(after) / 3
    _check_everything(c)


def test_percentile_from_a_histogram():
    values = [5, 17, 17, 230, 999, 1234, 56789, 120_000]
    hist: dict[str, int] = {}
    for v in values:
        hist[str(rollups.bucket(v))] = hist.get(str(rollups.bucket(v)), 0) + 1
    for fraction in (0.0, 0.5, 0.9, 1.0):
        exact = casework_selectors.percentile(values, fraction)
        assert abs(rollups.hist_percentile(hist, fraction) - exact) <= 0.005 * exact
    assert rollups.hist_percentile({}, 0.9) is None
    assert rollups.hist_percentile({"17": 2}, 0.9) == 17.0


def test_the_demo_builder_fills_the_rollups_once(ccounty):
    from shanzhi.command import demo

    c = ccounty
    _plant(c, random.Random(12))
    first = demo.build_demo(c.county, random.Random(1))
    assert first["rollup_cells"] > 0
    assert rollups.ready("request")
    assert rollups.ready("dispute")
    assert demo.build_demo(c.county, random.Random(1)) == {}
    _check_everything(c)
