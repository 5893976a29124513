"""The demo year of disputes: shaped like the seeds (845 disputes, 691 of the six common types
= 81.78%, most settled in the village), consistent with the workflow, and what the statistics
page shows is computed from it."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shanzhi.core.models import StateChange
from shanzhi.demo import services as demo_services
from shanzhi.disputes import demo, selectors, services
from shanzhi.disputes.flow import DISPUTE_FLOW, PETITION_FLOW
from shanzhi.disputes.models import Dispute, FollowUp, PetitionCase, ScreeningRecord
from shanzhi.people.models import User
from shanzhi.regions.models import Region

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def demo_county(db):
    demo_services.demo_build(size="small")
    return Region.objects.get(level=Region.Level.COUNTY)


class _Rollback(Exception):
    pass


def _fingerprint() -> str:
    rows = Dispute.objects.order_by("reported_at", "summary").values_list(
        "type__code", "state", "level", "settled_level", "on_the_spot", "reported_at", "settled_at", "region_path")
    steps = StateChange.objects.filter(workflow="dispute").order_by("at", "transition").values_list(
        "transition", "to_state", "at")
    return hashlib.sha256(repr((sorted(map(repr, rows)), sorted(map(repr, steps)))).encode()).hexdigest()


def _build_and_fingerprint(county) -> str:
    try:
        with transaction.atomic():
            demo.build_demo(county, random.Random(5), None, now=NOW, disputes=845)
            digest = _fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    assert not Dispute.objects.exists()
    return digest


def test_the_demo_year_is_shaped_like_the_seeds(demo_county, client):
    county = demo_county
    # Deterministic: the same rng and time give the same year.
    first = _build_and_fingerprint(county)
    written = demo.build_demo(county, random.Random(5), None, now=NOW, disputes=845)
    assert _fingerprint() == first
    assert written["disputes"] == 845
    assert written["six_types"] == 691
    assert demo.build_demo(county, random.Random(5), None, now=NOW) == {}  # once only

    staff = User.objects.get(username="county")
    since = NOW - dt.timedelta(days=365)
    t = selectors.totals(staff, since=since, now=NOW)
    assert t.count == 845
    assert t.six == 691
    assert t.six_share == 0.8178
    assert 0.25 < t.on_the_spot_share < 0.42
    assert t.settled_at["village"] > 0.78
    assert t.settled_count_at["township"] > 20
    assert t.settled_count_at["county"] > 3
    assert t.success_rate > 0.985
    assert t.referred >= 1
    assert t.open > 0
    assert t.follow_up_completion > 0.9
    assert t.escalated > t.settled_count_at["township"]
    # Nothing open is past the deadline the sweep watches: the running platform would have
    # escalated it already.
    assert services.escalate_overdue(now=NOW) == 0
    assert not Dispute.objects.filter(escalation_due__lte=NOW).exists()

    # The history of every dispute follows the workflow and ends where the dispute is.
    steps: dict[int, list[tuple[str, str, str]]] = {}
    for object_id, name, before, after in StateChange.objects.filter(workflow=DISPUTE_FLOW.name).order_by(
            "at", "id").values_list("object_id", "transition", "from_state", "to_state"):
        steps.setdefault(object_id, []).append((name, before, after))
    for d in Dispute.objects.all():
        history = steps[d.pk]
        assert history[0][0] == "create"
        assert history[-1][2] == d.state, d.pk
        for (name, before, after), previous in zip(history[1:], history, strict=False):
            transition = DISPUTE_FLOW.get_transition(name)
            assert (before, after) == (previous[2], transition.target), (d.pk, name)
            assert before in transition.source, (d.pk, name)
    for p in PetitionCase.objects.all():
        chain = list(PETITION_FLOW.history(p).values_list("to_state", flat=True))
        assert chain[-1] == p.state

    # Follow-ups at 7 and 30 days after each agreement.
    assert set(FollowUp.objects.values_list("after_days", flat=True)) == {7, 30}
    # Screening: every grid, every week; last week nearly all filed, this week still coming in.
    last_week = services.week_of(timezone.localdate(NOW)) - dt.timedelta(weeks=1)
    cover = selectors.screening_coverage(staff, week=last_week)
    assert cover.rate is not None
    assert cover.rate > 0.9
    now_cover = selectors.screening_coverage(staff, week=services.week_of(timezone.localdate(NOW)))
    assert now_cover.filed < now_cover.grids
    assert ScreeningRecord.objects.filter(clues_found__gt=0).exists()
    assert Dispute.objects.filter(source="screening", screening__isnull=False).exists()

    # Petitions: case leaders and units, one repeated, one past its deadline.
    assert PetitionCase.objects.filter(repeat_count__gt=0).count() >= 1
    assert selectors.petitions(staff, queue="overdue", now=NOW).exists()
    assert all(p.units.exists() and p.case_leader_id for p in PetitionCase.objects.all())

    # The demo accounts each find work in their lists.
    assert selectors.disputes(User.objects.get(username="gridworker"), queue="intake", now=NOW).exists()
    assert selectors.disputes(User.objects.get(username="mediator"), queue="assigned", now=NOW).exists()
    assert selectors.disputes(User.objects.get(username="gridworker"), queue="follow_up", now=NOW).exists()
    assert selectors.disputes(User.objects.get(username="township"), queue="escalated", now=NOW).exists()
    mine = selectors.disputes(User.objects.get(username="resident"), queue="mine", now=NOW)
    assert mine.filter(agreements__status="signed").exists()

    # The statistics page shows these figures, computed from the rows.
    client.force_login(staff)
    Dispute.objects.update(reported_at=F("reported_at") + (timezone.now() - NOW))  # into the page's last year
    page = client.get("/disputes/stats/", {"period": "365"}).content.decode()
    assert ">845<" in page
    assert ">691<" in page
    assert "81.78%" in page
