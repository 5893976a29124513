"""Votes: the roll from the map, the window, secrecy, paper ballots counted with online
ones, and one vote per elector held by the database against real concurrent requests."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError
from shanzhi.core.models import AuditEvent
from shanzhi.deliberation import services
from shanzhi.deliberation.models import Elector, NamedChoice, Turnout, VillageRules, Vote, VoteOption
from shanzhi.regions.models import Resident
from tests import factories
from tests.deliberation.conftest import VILLAGE, soon

BASE = "/api/deliberation"


def make_vote(users, village, **extra):
    values = {"title": "村道路灯安装位置", "question": "路灯先装在哪里？", "options": ["村委会至学校", "一组至二组"],
              "opens_at": soon(-1), "closes_at": soon(60 * 24), "secrecy": "secret", "basis": "person"}
    values.update(extra)
    return services.vote_create(actor=users["village_secretary"], village=village, **values)


def resident_user(household, relation="head", username=None):
    person = household.members.get(relation=relation)
    return factories.user(username or f"u_{person.pk}", phone=person.phone, resident=person)


def test_the_roll_is_the_adults_of_the_village_or_its_households(users, village, online):
    by_person = make_vote(users, village)
    assert by_person.elector_count == 18
    young = Resident.objects.filter(household__village=village).order_by("id").first()
    young.birth_date = timezone.localdate() - dt.timedelta(days=365 * 17)
    young.save()
    by_person = make_vote(users, village, title="第二次")
    assert by_person.elector_count == 17
    assert not Elector.objects.filter(vote=by_person, resident=young).exists()
    by_household = make_vote(users, village, title="按户", basis="household")
    assert by_household.elector_count == 6


def test_a_village_without_online_voting_votes_on_paper(users, village):
    with pytest.raises(ValidationError) as err:
        make_vote(users, village, online=True)
    assert "online" in err.value.fields
    vote = make_vote(users, village)
    assert vote.online is False
    with pytest.raises(ValidationError):
        services.vote_cast(actor=users["resident"], vote=vote, option_id=vote.options.first().pk)
    assert not Turnout.objects.exists()


def test_one_vote_per_elector_online_then_paper(users, village, online):
    vote = make_vote(users, village)
    option = vote.options.first()
    services.vote_cast(actor=users["resident"], vote=vote, option_id=option.pk)
    with pytest.raises(Conflict):
        services.vote_cast(actor=users["resident"], vote=vote, option_id=option.pk)
    me = users["resident"].resident
    with pytest.raises(Conflict):
        services.vote_paper_record(actor=users["village_secretary"], vote=vote, resident=me)
    vote.refresh_from_db()
    assert vote.turnout_count == 1
    assert VoteOption.objects.get(pk=option.pk).online_count == 1


def test_a_household_votes_once_whoever_of_it_votes(users, village, online):
    vote = make_vote(users, village, basis="household")
    household = users["resident"].resident.household
    spouse = resident_user(household, relation="spouse")
    services.vote_cast(actor=users["resident"], vote=vote, option_id=vote.options.first().pk)
    with pytest.raises(Conflict):
        services.vote_cast(actor=spouse, vote=vote, option_id=vote.options.last().pk)
    assert Turnout.objects.filter(vote=vote).count() == 1


def test_votes_outside_the_window_or_by_the_ineligible_are_refused_and_nothing_is_written(
        users, village, other_village, online, county):
    option_of = lambda v: v.options.first().pk  # noqa: E731
    before = make_vote(users, village, title="未开始", opens_at=soon(60), closes_at=soon(120))
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        services.vote_cast(actor=users["resident"], vote=before, option_id=option_of(before))
    assert "vote" in err.value.fields
    closed = make_vote(users, village, title="已结束", opens_at=soon(-1), closes_at=soon(1))
    Vote.objects.filter(pk=closed.pk).update(opens_at=soon(-120), closes_at=soon(-60))
    closed.refresh_from_db()
    with pytest.raises(ValidationError):
        services.vote_cast(actor=users["resident"], vote=closed, option_id=option_of(closed))
    with pytest.raises(ValidationError):
        services.vote_paper_record(actor=users["village_secretary"], vote=closed, resident=users["resident"].resident)
    # A resident of another village is not on the roll (and cannot even see the vote).
    stranger = resident_user(county.households[-1], username="u_stranger")
    vote = make_vote(users, village, title="本村")
    from shanzhi.core.errors import NotFound

    with pytest.raises(NotFound):
        services.vote_cast(actor=stranger, vote=vote, option_id=option_of(vote))
    # Staff do not vote online.
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=users["grid_worker"], vote=vote, option_id=option_of(vote))
    # A villager under eighteen is not on the roll.
    young = Resident.objects.filter(household=county.households[2], relation="son").get()
    Resident.objects.filter(pk=young.pk).update(birth_date=timezone.localdate() - dt.timedelta(days=3000))
    later = make_vote(users, village, title="新一轮")
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=factories.user("u_young", resident=young), vote=later, option_id=option_of(later))
    # An option of another vote.
    with pytest.raises(ValidationError) as err:
        services.vote_cast(actor=users["resident"], vote=vote, option_id=option_of(later))
    assert "option" in err.value.fields
    assert not Turnout.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="vote.cast").count() == 0
    assert AuditEvent.objects.count() >= events


def test_a_secret_ballot_keeps_no_link_between_voter_and_choice(users, village, online):
    vote = make_vote(users, village)
    services.vote_cast(actor=users["resident"], vote=vote, option_id=vote.options.last().pk)
    assert not NamedChoice.objects.exists()
    turnout = Turnout.objects.get()
    assert turnout.elector.resident_id == users["resident"].resident_id
    # Nothing on the turnout, the audit entry or its detail names the option.
    assert not {f.name for f in Turnout._meta.get_fields()} & {"option", "choice_id", "at", "created_at"}
    event = AuditEvent.objects.get(action="vote.cast")
    assert "option" not in event.detail
    # And the counts stay hidden until the close, even from the officials.
    response = Client()
    response.force_login(users["village_secretary"])
    detail = response.get(f"{BASE}/votes/{vote.pk}").json()
    assert detail["results_visible"] is False
    assert all("total" not in o or o["total"] is None for o in detail["options"])


def test_a_named_ballot_shows_the_officials_who_chose_what(users, village, online):
    vote = make_vote(users, village, secrecy="named", hide_results_until_close=False)
    services.vote_cast(actor=users["resident"], vote=vote, option_id=vote.options.last().pk)
    client = Client()
    client.force_login(users["resident"])
    mine = client.get(f"{BASE}/votes/{vote.pk}").json()
    assert mine["my_ballot"]["option_id"] == vote.options.last().pk
    assert [o["total"] for o in mine["options"]] == [0, 1]


def test_paper_ballots_are_counted_with_the_online_ones(users, village, online):
    vote = make_vote(users, village)
    first, second = list(vote.options.all())
    services.vote_cast(actor=users["resident"], vote=vote, option_id=first.pk)
    paper_voters = Resident.objects.filter(household__village=village).exclude(pk=users["resident"].resident_id)[:3]
    for person in paper_voters:
        services.vote_paper_record(actor=users["village_secretary"], vote=vote, resident=person)
    # A secret paper ballot's choice is never entered against the voter.
    with pytest.raises(ValidationError) as err:
        services.vote_paper_record(actor=users["village_secretary"], vote=vote,
                                   resident=Resident.objects.filter(household__village=village).last(),
                                   option_id=first.pk)
    assert "option" in err.value.fields
    with pytest.raises(ValidationError):  # counted after the close
        services.vote_paper_tally(actor=users["village_secretary"], vote=vote, counts={first.pk: 1, second.pk: 2})
    Vote.objects.filter(pk=vote.pk).update(opens_at=soon(-120), closes_at=soon(-1))
    vote.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        services.vote_paper_tally(actor=users["village_secretary"], vote=vote, counts={first.pk: 3, second.pk: 2})
    assert "counts" in err.value.fields
    services.vote_paper_tally(actor=users["village_secretary"], vote=vote, counts={first.pk: 1, second.pk: 2})
    with pytest.raises(Conflict):
        services.vote_paper_tally(actor=users["village_secretary"], vote=vote, counts={first.pk: 1, second.pk: 2})
    client = Client()
    client.force_login(users["resident"])
    detail = client.get(f"{BASE}/votes/{vote.pk}").json()
    assert detail["results_visible"]
    assert detail["results_final"]
    assert [(o["online"], o["paper"], o["total"]) for o in detail["options"]] == [(1, 1, 2), (0, 2, 2)]
    assert detail["turnout_count"] == 4


def test_vote_api_bad_input_is_4xx_with_the_field(users, village, online):
    client = Client()
    client.force_login(users["village_secretary"])
    bad = client.post(f"{BASE}/votes", {"village": VILLAGE, "title": "t", "question": "q", "options": ["a", "a"],
                                        "opens_at": soon(1).isoformat(), "closes_at": soon(2).isoformat()},
                      content_type="application/json")
    assert bad.status_code == 422
    assert "options" in bad.json()["fields"]
    backwards = client.post(f"{BASE}/votes", {"village": VILLAGE, "title": "t", "question": "q",
                                              "options": ["a", "b"], "opens_at": soon(60).isoformat(),
                                              "closes_at": soon(30).isoformat()}, content_type="application/json")
    assert backwards.status_code == 422
    assert "closes_at" in backwards.json()["fields"]
    assert not Vote.objects.exists()
    vote = make_vote(users, village)
    resident = Client()
    resident.force_login(users["resident"])
    url = f"{BASE}/votes/{vote.pk}/ballots"
    assert resident.post(url, {"option_id": vote.options.first().pk}, content_type="application/json").status_code \
        == 201
    second = resident.post(url, {"option_id": vote.options.first().pk}, content_type="application/json")
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert resident.post(url, {"option_id": "x"}, content_type="application/json").status_code == 422


# -- races: real concurrent requests against the one-vote rule ---------------------------------

def _race(requests_, workers: int = 12) -> list[int]:
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    lock = threading.Lock()

    def go(send) -> None:
        try:
            barrier.wait(timeout=20)
            status = send()
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(requests_[i % len(requests_)],)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_concurrent_ballots_online_and_on_paper_count_once():
    """Twelve requests at once for one villager, online from two phones and on paper from the
    village office: exactly one is counted, the others answer 409, and the counts agree."""
    county = factories.small_county()
    users = factories.role_users(county)
    village = county.villages[0]
    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                allow_online_voting=True)
    vote = make_vote(users, village, secrecy="named")
    option = vote.options.first()
    me = users["resident"]

    def online() -> int:
        client = Client()
        client.force_login(me)
        return client.post(f"{BASE}/votes/{vote.pk}/ballots", {"option_id": option.pk},
                           content_type="application/json").status_code

    def paper() -> int:
        client = Client()
        client.force_login(users["village_secretary"])
        return client.post(f"{BASE}/votes/{vote.pk}/paper", {"resident_id": me.resident_id, "option_id": option.pk},
                           content_type="application/json").status_code

    statuses = _race([online, online, paper])
    assert sorted(statuses).count(201) == 1, statuses
    assert set(statuses) <= {201, 409}, statuses
    vote.refresh_from_db()
    option.refresh_from_db()
    assert vote.turnout_count == 1
    assert Turnout.objects.filter(vote=vote).count() == 1
    assert NamedChoice.objects.filter(turnout__vote=vote).count() == 1
    assert option.online_count + option.paper_count == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_ballots_of_many_voters_all_count():
    """Every adult of the village votes at the same moment: all eighteen count, once each."""
    county = factories.small_county()
    users = factories.role_users(county)
    village = county.villages[0]
    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                allow_online_voting=True)
    vote = make_vote(users, village)
    option = vote.options.first()
    accounts = [users["resident"]] + [
        factories.user(f"u_voter{p.pk}", phone=p.phone, resident=p)
        for p in Resident.objects.filter(household__village=village).exclude(pk=users["resident"].resident_id)]

    def ballot(account):
        def send() -> int:
            client = Client()
            client.force_login(account)
            return client.post(f"{BASE}/votes/{vote.pk}/ballots", {"option_id": option.pk},
                               content_type="application/json").status_code
        return send

    statuses = _race([ballot(a) for a in accounts] * 2, workers=len(accounts) * 2)
    assert statuses.count(201) == 18, statuses
    assert statuses.count(409) == 18, statuses
    vote.refresh_from_db()
    option.refresh_from_db()
    assert vote.turnout_count == 18 == option.online_count
