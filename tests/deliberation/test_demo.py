"""The demo history on the small demo county: every village's boards, topics, matters at
every stage whose meetings obey the quorum rules, last quarter's red/black list; the same
seed gives the same history, and a second run adds nothing."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count

from shanzhi.deliberation import demo, rules, selectors
from shanzhi.deliberation.models import (
    Board,
    Matter,
    MatterMeeting,
    Notice,
    RedBlackList,
    RoleModel,
    Topic,
    Vote,
)
from shanzhi.demo import accounts
from shanzhi.demo import services as demo_services
from shanzhi.people.models import User
from shanzhi.regions.models import Region


@pytest.fixture
def demo_county(db):
    demo_services.demo_build(size="small")
    return Region.objects.get(code=accounts.COUNTY_CODE)


def _digest() -> tuple:
    return (
        tuple(Topic.objects.order_by("id").values_list("title", "raised_as", "support_count", "comment_count")),
        tuple(Matter.objects.order_by("id").values_list("title", "kind", "state")),
        tuple(MatterMeeting.objects.order_by("id").values_list("stage", "body", "present_count", "votes_for")),
        tuple(Notice.objects.order_by("id").values_list("title", "posted_on", "category")),
        tuple(RoleModel.objects.order_by("id").values_list("title", "state", "household_id")),
    )


def test_the_demo_history_is_complete_and_lawful(demo_county):
    written = demo.build_demo(demo_county, random.Random(1))
    assert min(written["notices"], written["topics"], written["matters"], written["meetings"]) > 0
    villages = Region.objects.filter(path__startswith=demo_county.path, level=Region.Level.VILLAGE)
    boards = set(Notice.objects.values_list("region_id", "board").distinct())
    for village in villages:
        assert (village.pk, Board.PARTY) in boards
        assert (village.pk, Board.VILLAGE) in boards
    # A few matters at each stage, every advancing meeting quorate and carried by the rules.
    states = set(Matter.objects.values_list("state", flat=True))
    assert {"draft", "resolved", "result_disclosed"} <= states
    for meeting in MatterMeeting.objects.all():
        result = rules.assess(rules.rule_for(meeting.body), eligible=meeting.eligible_count,
                              present=meeting.present_count, votes_for=meeting.votes_for)
        assert result.passed == meeting.carried, meeting
    disclosed = Matter.objects.filter(state="result_disclosed").annotate(n=Count("notices"))
    assert all(m.n == 2 for m in disclosed)
    # Last quarter's red/black list of each township with two villages or more, published.
    lists = RedBlackList.objects.all()
    assert lists.exists()
    assert all(r.state == "published" and r.notice_id for r in lists)
    # The late list has something to show, and the demo resident has an open vote.
    county_staff = User.objects.filter(positions__role="county_staff").first()
    late = selectors.late_disclosures(county_staff, region=demo_county)
    assert late
    resident = User.objects.get(username="resident")
    assert selectors.votes(resident, status="open").exists()
    assert Vote.objects.filter(turnout_count__gt=0).exists()
    # Running again adds nothing.
    assert demo.build_demo(demo_county, random.Random(1)) == {}


def test_the_same_seed_gives_the_same_history(demo_county):
    from django.db import transaction

    class Rollback(Exception):
        pass

    digests = []
    for _ in range(2):
        try:
            with transaction.atomic():
                demo.build_demo(demo_county, random.Random(7))
                digests.append(_digest())
                raise Rollback
        except Rollback:
            pass
    assert digests[0] == digests[1]
    assert digests[0][0]
