"""Statistics computed from a known set of disputes, and the narrower scope of disputes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.disputes import selectors, services
from shanzhi.disputes.models import Dispute, DisputeMediator, DisputeType, FollowUp, Party, ScreeningRecord

pytestmark = pytest.mark.django_db


def _make(county, grid, code, *, state, level="village", settled_level="", on_the_spot=False, source="screening",
          days=0.0, escalations=0):
    now = timezone.now()
    reported = now - dt.timedelta(days=40)
    kind = DisputeType.objects.get(county=county.county, code=code)
    return Dispute.objects.create(
        county=county.county, region=grid, region_path=grid.path, handling_path=grid.path, type=kind, source=source,
        summary="s", reported_at=reported, state=state, level=level, settled_level=settled_level,
        on_the_spot=on_the_spot, accept_due=reported, state_changed_at=now, escalation_count=escalations,
        referred_to="court" if state == "referred" else "",
        settled_at=reported + dt.timedelta(days=days) if settled_level else None)


def test_every_statistic_matches_a_known_set(dcounty):
    c = dcounty
    g1, g2 = c.grids[0], c.grids[4]  # 张湾村 (柔远镇) and 李塬村 (悦乐镇)
    made = [
        _make(c, g1, "neighbours", state="closed", settled_level="village", on_the_spot=True, days=0),
        _make(c, g1, "marriage_family", state="agreed", settled_level="village", days=2),
        _make(c, g1, "land_forest", state="closed", level="township", settled_level="township", days=10,
              escalations=1),
        _make(c, g2, "traffic", state="referred", level="county", escalations=2, source="police"),
        _make(c, g2, "medical", state="mediating", source="hotline"),
        _make(c, g2, "labour_wages", state="withdrawn"),
        _make(c, g2, "other", state="dismissed"),  # not a dispute: never counted
    ]
    now = timezone.now()
    agreed = made[1]
    FollowUp.objects.create(dispute=agreed, agreement_id=_agreement(agreed).pk, after_days=7,
                            due_at=now - dt.timedelta(days=1), status="done", holds=True, done_at=now)
    FollowUp.objects.create(dispute=agreed, agreement_id=agreed.agreements.first().pk, after_days=30,
                            due_at=now - dt.timedelta(hours=1))
    FollowUp.objects.create(dispute=agreed, agreement_id=agreed.agreements.first().pk, after_days=60,
                            due_at=now + dt.timedelta(days=20))  # not due yet
    ScreeningRecord.objects.create(county=c.county, grid=g1, region_path=g1.path,
                                   week=services.week_of(timezone.localdate()), filed_at=now)

    t = selectors.totals(c.users["county_staff"])
    assert t.count == 6
    assert t.six == 4
    assert t.six_share == round(4 / 6, 4)
    # Open: the one mediating and the agreed one still awaiting its follow-ups.
    assert t.settled == 3
    assert t.referred == 1
    assert t.withdrawn == 1
    assert t.open == 2
    assert t.success_rate == 0.75  # 3 settled / (3 settled + 1 referred)
    assert t.on_the_spot == 1
    assert t.on_the_spot_share == round(1 / 6, 4)
    assert t.settled_count_at == {"village": 2, "township": 1, "county": 0}
    assert t.settled_at == {"village": round(2 / 3, 4), "township": round(1 / 3, 4), "county": 0.0}
    assert t.avg_days_to_settle == 4.0  # (0 + 2 + 10) / 3
    assert (t.follow_ups_due, t.follow_ups_done, t.follow_up_completion) == (2, 1, 0.5)
    assert t.escalated == 2

    by_level = {f.key: f.count for f in selectors.stats(c.users["county_staff"], by="level")}
    assert by_level == {"village": 4, "township": 1, "county": 1}
    by_source = {f.key: f.count for f in selectors.stats(c.users["county_staff"], by="source")}
    assert by_source == {"screening": 4, "police": 1, "hotline": 1}
    by_region = {f.key: f.count for f in selectors.stats(c.users["county_staff"], by="region", region=c.county)}
    assert by_region == {c.townships[0].code: 3, c.townships[1].code: 3}
    # A township sees its own part only.
    assert selectors.totals(c.users["township_staff"]).count == 3

    cover = selectors.screening_coverage(c.users["county_staff"], list_missing=10)
    assert (cover.grids, cover.filed) == (6, 1)
    assert cover.rate == round(1 / 6, 4)
    assert g1 not in cover.missing
    assert len(cover.missing) == 5


def _agreement(d):
    from shanzhi.disputes.models import Agreement

    return Agreement.objects.create(dispute=d, status="signed", facts="f", terms="t", committee="c",
                                    signed_on=timezone.localdate())


def test_disputes_are_narrower_than_the_general_scope(dcounty, api):
    c = dcounty
    gw = c.users["grid_worker"]
    d = services.dispute_report(actor=gw, source="resident", summary="家庭矛盾", type_code="marriage_family",
                                household=c.households[0], parties=[{"name": "甲"}, {"name": "乙",
                                                                                      "side": "respondent"}])
    # The grid team, the village secretary, the township and county see it...
    for role in ("grid_worker", "grid_leader", "village_secretary", "chief_grid_leader", "township_staff",
                 "county_staff", "admin"):
        assert api(c.users[role], "GET", f"/disputes/{d.pk}").status_code == 200, role
    # ...not every staff member of the village, nor a mediator not assigned to it.
    for role in ("village_committee", "legal_adviser", "village_police", "mediator", "department_staff",
                 "grid_instructor"):
        assert api(c.users[role], "GET", f"/disputes/{d.pk}").status_code == 404, role
    assert api(c.users["village_mediator"], "GET", f"/disputes/{d.pk}").status_code == 404
    # Another grid of the same village does not see it.
    other = services.dispute_report(actor=c.users["township_staff"], source="hotline", summary="x",
                                    region=c.grids[1])
    assert api(gw, "GET", f"/disputes/{other.pk}").status_code == 404
    ids = [row["id"] for row in api(gw, "GET", "/disputes").json()["items"]]
    assert d.pk in ids
    assert other.pk not in ids
    # Once assigned, the mediator sees it (and only then).
    DisputeMediator.objects.create(dispute=d, user=c.users["village_mediator"], level="village",
                                   assigned_at=timezone.now())
    assert api(c.users["village_mediator"], "GET", f"/disputes/{d.pk}").status_code == 200
    # A party sees their own dispute; the resident is no party here.
    assert api(c.users["resident"], "GET", f"/disputes/{d.pk}").status_code == 404
    Party.objects.create(dispute=d, side="other", resident_id=c.users["resident"].resident_id, name="户主")
    assert api(c.users["resident"], "GET", f"/disputes/{d.pk}").status_code == 200
    # In scope without the right: a grid worker of the place may not assign at township level.
    assert api(c.users["village_committee"], "POST", f"/disputes/{d.pk}/dismiss",
               {"reason": "x"}).status_code == 404


def test_escalation_by_deadline(dcounty):
    c = dcounty
    d = services.dispute_report(actor=c.users["grid_worker"], source="resident", summary="邻里", type_code="neighbours",
                                household=c.households[0], parties=[{"name": "甲"}])
    services.dispute_accept(actor=c.users["grid_worker"], dispute=d)
    d.refresh_from_db()
    later = d.mediation_due + dt.timedelta(minutes=1)
    assert services.sweep(now=later)["escalated"] == 1
    d.refresh_from_db()
    assert (d.state, d.level, d.handling_path, d.escalation_count) == ("escalated", "township",
                                                                      c.townships[0].path, 1)
    assert services.sweep(now=later)["escalated"] == 0  # idempotent
