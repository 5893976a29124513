"""Races with real concurrent connections: two staff accepting the same request, two sweeps
at once. On PostgreSQL (CI's second run) and on the SQLite test file alike."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from shanzhi.casework import services
from shanzhi.casework.models import HandlerKind, ServiceRequest
from shanzhi.core.models import Notification, StateChange
from shanzhi.people.models import Role
from tests import factories
from tests.casework.conftest import file_request
from tests.concurrency import race


def test_two_staff_accept_the_same_request_one_wins_the_other_gets_409(shared_db, county, categories):
    users = county.users
    colleague = factories.user("u_department_staff_2", role=Role.DEPARTMENT_STAFF, department=county.department)
    req = file_request(county, categories)
    services.request_dispatch(actor=users["grid_worker"], request=req, to=HandlerKind.DEPARTMENT,
                              department=county.department)
    staff = [users["department_staff"], colleague]

    def accept(i):
        client = Client()
        client.force_login(staff[i])
        response = client.post(f"/api/requests/{req.pk}/accept", {}, content_type="application/json")
        return response.status_code, response.json()

    results = race(2, accept)
    statuses = sorted(status for status, _body in results)
    assert statuses == [200, 409], results
    loser = next(body for status, body in results if status == 409)
    assert loser["code"] == "conflict"
    assert loser["message"]
    req.refresh_from_db()
    assert req.state == "accepted"
    assert StateChange.objects.filter(object_id=req.pk, transition="accept").count() == 1


def test_two_sweeps_at_once_escalate_each_request_once(shared_db, county, categories):
    reqs = [file_request(county, categories, who="township_staff", household=h) for h in county.households[:3] * 2]
    past = timezone.now() - dt.timedelta(minutes=1)
    ServiceRequest.objects.filter(pk__in=[r.pk for r in reqs]).update(escalation_due=past)
    now = timezone.now()
    results = race(2, lambda i: services.sweep(now=now, batch=4)["escalated"])
    assert sum(results) == 6, results
    assert set(ServiceRequest.objects.values_list("level", "escalation_count", "state")) == {
        ("township", 1, "escalated")}
    assert StateChange.objects.filter(transition="escalate").count() == 6
    # Both levels were told: the grid's leader and worker, the township's staff (a digest each
    # per sweep batch rather than a message per request).
    told = set(Notification.objects.filter(kind="request.escalated").values_list("recipient_id", flat=True))
    assert told == {county.users[r].pk for r in ("grid_leader", "grid_worker", "township_staff")}
    assert services.sweep(now=now)["escalated"] == 0


def test_two_me_too_clicks_at_once_make_one_follower(shared_db, county, categories):
    from shanzhi.casework.models import Follower
    from shanzhi.regions.models import Resident

    leak = file_request(county, categories)  # a public matter of 张湾村
    head = Resident.objects.get(household=county.households[4], relation="head")  # same village
    neighbour = factories.user("u_neighbour", phone=head.phone, resident=head)
    results = race(2, lambda i: services.request_follow(actor=neighbour, request=leak))
    assert sorted(results, key=repr) == [False, True], results
    assert Follower.objects.filter(request=leak).count() == 1
