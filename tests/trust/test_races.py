"""Races on real concurrent connections (issue 11): one thread per contender, each with its own
database connection, released together (tests/concurrency.py). They must hold on
PostgreSQL (CI's second run) and on the SQLite test file alike: exactly one wins, nothing is
left half done.

The issue's list, and where each race is tested:
- accepting one request: tests/casework/test_concurrency.py
  (test_two_staff_accept_the_same_request_one_wins_the_other_gets_409);
- escalating once: tests/casework/test_concurrency.py
  (test_two_sweeps_at_once_escalate_each_request_once);
- claiming one micro-wish: tests/contact/test_wishes.py (test_many_claim_at_once_one_wins);
- redeeming one balance: here (two counters, different goods, together over the balance;
  tests/points/test_concurrency.py has fifty redemptions of the same goods);
- voting once: here (the same voter from two phones at once, through the API;
  tests/deliberation/test_votes.py races online and paper ballots).
"""

from __future__ import annotations

import pytest
from django.test import Client

from shanzhi.core.errors import DomainError
from shanzhi.deliberation.models import Turnout, VillageRules
from shanzhi.ledger import services as ledger
from shanzhi.points import selectors as points_selectors
from shanzhi.points import services as points_services
from shanzhi.points.models import Goods, Redemption
from tests.concurrency import race, shared_db  # noqa: F401 (fixture)
from tests.deliberation.test_votes import BASE, make_vote
from tests.points.conftest import award, build_setup

pytestmark = pytest.mark.usefixtures("shared_db")


def test_two_redemptions_over_the_balance_one_wins(county):
    setup = build_setup(county)
    home = setup.households()[0]
    for _ in range(5):
        award(setup, home)  # 25 points: rice x2 (20) or oil (20), not both
    rice_stock, oil_stock = setup.rice.stock, setup.oil.stock
    orders = [[(setup.rice.pk, 2)], [(setup.oil.pk, 1)]]

    def redeem(i: int) -> str:
        try:
            points_services.redeem(actor=setup.users["shopkeeper"], shop=setup.shop, household=home, lines=orders[i])
        except DomainError as exc:
            return exc.code
        return "ok"

    results = race(2, redeem)
    assert sorted(results) == ["insufficient_balance", "ok"], results
    won = results.index("ok")
    assert points_selectors.balance(home) == 5
    assert Redemption.objects.filter(household=home).count() == 1
    # Only the winner's goods left the shelf; the loser's stock move was rolled back.
    assert Goods.objects.get(pk=setup.rice.pk).stock == rice_stock - (2 if won == 0 else 0)
    assert Goods.objects.get(pk=setup.oil.pk).stock == oil_stock - (1 if won == 1 else 0)
    assert ledger.verify() == []


def test_the_same_voter_twice_at_once_counts_once(county):
    users = county.users
    village = county.villages[0]
    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                allow_online_voting=True)
    vote = make_vote(users, village, secrecy="secret")
    option = vote.options.first()

    def cast(_i: int) -> tuple[int, str]:
        client = Client()
        client.force_login(users["resident"])
        response = client.post(f"{BASE}/votes/{vote.pk}/ballots", {"option_id": option.pk},
                               content_type="application/json")
        return response.status_code, response.json().get("code", "")

    results = race(2, cast)
    assert sorted(status for status, _code in results) == [201, 409], results
    assert ("conflict" in {code for _status, code in results})
    vote.refresh_from_db()
    option.refresh_from_db()
    assert vote.turnout_count == 1
    assert option.online_count == 1
    assert Turnout.objects.filter(vote=vote).count() == 1
