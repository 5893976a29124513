"""Races with real concurrent connections, on PostgreSQL and on the SQLite test file alike:
two staff accepting one application, the lawyer concluding while the applicant withdraws,
two residents applying at once. Exactly one wins each race; nobody gets a 500."""

from __future__ import annotations

import threading

from django.db import close_old_connections, connection
from django.test import Client

from shanzhi.core.models import StateChange
from shanzhi.legal import services
from shanzhi.legal.models import LegalAidApplication
from shanzhi.regions.models import Resident
from tests import factories


def _race(n, target):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _post(user, url, body):
    client = Client()
    client.force_login(user)
    response = client.post(url, body, content_type="application/json")
    return response.status_code, response.json()


def _submitted(legal):
    head = Resident.objects.get(household=legal.households[0], relation="head")
    return services.legal_aid_submit(actor=legal.users["township_staff"], matter_type="unpaid_wages",
                                     summary="拖欠工资", applicant=head)


def test_two_staff_accept_one_application_one_wins(shared_db, legal):
    users = legal.users
    case = _submitted(legal)
    other_lawyer = factories.user("u_legal_adviser_2", role="legal_adviser", region=legal.villages[1])
    staff = [(users["township_staff"], users["legal_adviser"]), (users["county_staff"], other_lawyer)]

    results = _race(2, lambda i: _post(staff[i][0], f"/api/legal-aid/{case.pk}/accept",
                                       {"lawyer_id": staff[i][1].pk}))
    statuses = sorted(status for status, _body in results)
    assert statuses == [200, 409], results
    winner = next(body for status, body in results if status == 200)
    case.refresh_from_db()
    assert case.state == "accepted"
    assert case.lawyer.get_full_name() == winner["lawyer_name"]
    assert StateChange.objects.filter(object_id=case.pk, workflow="legal_aid", transition="accept").count() == 1


def test_lawyer_concludes_while_applicant_withdraws_one_wins(shared_db, legal):
    users = legal.users
    case = services.legal_aid_accept(actor=users["township_staff"], case=_submitted(legal),
                                     lawyer=users["legal_adviser"])
    moves = [(users["legal_adviser"], "conclude", {"result": "追回工资", "amount_recovered_fen": 500000}),
             (users["resident"], "withdraw", {"reason": "已和解"})]

    results = _race(2, lambda i: _post(moves[i][0], f"/api/legal-aid/{case.pk}/{moves[i][1]}", moves[i][2]))
    statuses = [status for status, _body in results]
    assert sorted(statuses) == [200, 409], results
    won = moves[statuses.index(200)][1]
    case.refresh_from_db()
    assert case.state == {"conclude": "concluded", "withdraw": "withdrawn"}[won]
    assert case.amount_recovered_fen == (500000 if won == "conclude" else 0)
    assert StateChange.objects.filter(object_id=case.pk, workflow="legal_aid").exclude(
        to_state__in=["submitted", "accepted"]).count() == 1


def test_two_applications_at_once_get_distinct_numbers(shared_db, legal):
    neighbour = Resident.objects.get(household=legal.households[1], relation="head")
    residents = [legal.users["resident"], factories.user("u_resident_2", phone=neighbour.phone, resident=neighbour)]

    results = _race(2, lambda i: _post(residents[i], "/api/legal-aid", {"matter_type": "family", "summary": "纠纷"}))
    assert [status for status, _body in results] == [201, 201], results
    numbers = set(LegalAidApplication.objects.values_list("number", flat=True))
    assert len(numbers) == 2
    assert {body["number"] for _status, body in results} == numbers
