"""Races with real concurrent connections, on PostgreSQL and on the SQLite test file alike:
two mediators signing the same agreement at once, two people escalating the same dispute at
once, two sweeps escalating the same overdue disputes at once. Exactly one wins each time."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from shanzhi.core.models import StateChange
from shanzhi.disputes import services
from shanzhi.disputes.models import Agreement, Dispute, FollowUp
from shanzhi.regions.models import Resident
from tests.concurrency import race


def _post(user, path, data):
    client = Client()
    client.force_login(user)
    response = client.post(f"/api{path}", data, content_type="application/json")
    return response.status_code, response.json()


def _mediating(c, mediators):
    a = Resident.objects.get(household=c.households[0], relation="head")
    b = Resident.objects.get(household=c.households[1], relation="head")
    gw = c.users["grid_worker"]
    d = services.dispute_report(actor=gw, source="resident", summary="宅基地边界纠纷", type_code="land_forest",
                                household=c.households[0],
                                parties=[{"resident_id": a.pk}, {"side": "respondent", "resident_id": b.pk}])
    services.dispute_accept(actor=gw, dispute=d)
    services.dispute_assess(actor=gw, dispute=d, risk_level=2)
    services.dispute_assign(actor=gw, dispute=d, mediators=mediators)
    services.session_record(actor=mediators[0], dispute=d, held_on=timezone.localdate(), place="调解室",
                            attendees="双方", record="陈述")
    return d, [a.name, b.name]


def test_two_mediators_sign_the_same_agreement_one_wins(shared_db, dcounty):
    c = dcounty
    mediators = [c.users["village_mediator"], c.users["mediator"]]
    d, names = _mediating(c, mediators)
    draft = services.agreement_draft(actor=mediators[0], dispute=d, facts="边界不清", terms="以界石为准")
    body = {"signed_on": timezone.localdate().isoformat(), "signatories": names}
    results = race(2, lambda i: _post(mediators[i], f"/disputes/agreements/{draft.pk}/sign", body))
    statuses = sorted(status for status, _body in results)
    assert statuses[0] == 200, results
    # The other finds it signed: a conflict if both read the draft before either wrote,
    # "already signed" if it read after the winner committed.
    assert statuses[1] in (409, 422), results
    loser = next(b for status, b in results if status != 200)
    assert loser["message"]
    assert set(loser) == {"code", "message", "fields"}
    assert Agreement.objects.get(pk=draft.pk).status == "signed"
    d.refresh_from_db()
    assert (d.state, d.settled_level) == ("agreed", "village")
    assert FollowUp.objects.filter(dispute=d).count() == 2
    assert StateChange.objects.filter(object_id=d.pk, workflow="dispute", transition="agree").count() == 1


def test_two_people_escalate_the_same_dispute_one_wins(shared_db, dcounty):
    c = dcounty
    mediators = [c.users["village_mediator"]]
    d, _names = _mediating(c, mediators)
    people = [c.users["village_mediator"], c.users["grid_worker"]]
    results = race(2, lambda i: _post(people[i], f"/disputes/{d.pk}/escalate", {"reason": f"村级调解未果{i}"}))
    statuses = sorted(status for status, _body in results)
    assert statuses[0] == 200, results
    assert statuses[1] in (403, 409), results  # lost the race (409), or no longer theirs once it went up (403)
    d.refresh_from_db()
    assert (d.state, d.level, d.escalation_count) == ("escalated", "township", 1)
    assert StateChange.objects.filter(object_id=d.pk, workflow="dispute", transition="escalate").count() == 1


def test_two_sweeps_at_once_escalate_each_dispute_once(shared_db, dcounty):
    c = dcounty
    gw = c.users["grid_worker"]
    disputes = []
    for h in c.households_in(c.grids[0]) * 2:
        d = services.dispute_report(actor=gw, source="resident", summary="邻里纠纷", type_code="neighbours",
                                    household=h, parties=[{"name": "甲"}])
        if len(disputes) % 2:
            services.dispute_accept(actor=gw, dispute=d)  # half of them in hand, half still clues
        disputes.append(d)
    past = timezone.now() - dt.timedelta(minutes=1)
    Dispute.objects.filter(pk__in=[d.pk for d in disputes]).update(escalation_due=past)
    now = timezone.now()
    results = race(2, lambda i: services.sweep(now=now, batch=2)["escalated"])
    assert sum(results) == len(disputes), results
    assert set(Dispute.objects.values_list("level", "escalation_count", "handling_path")) == {
        ("township", 1, c.townships[0].path)}
    assert set(Dispute.objects.values_list("state", flat=True)) == {"clue", "escalated"}
    escalations = StateChange.objects.filter(workflow="dispute", transition__in=["escalate", "escalate_clue"])
    assert escalations.count() == len(disputes)
    assert services.sweep(now=now)["escalated"] == 0
