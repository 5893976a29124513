"""Quorum and majority arithmetic (rules.py): whole numbers, the law's defaults, villages
may only be stricter."""

from __future__ import annotations

import pytest

from shanzhi.core.errors import ValidationError
from shanzhi.deliberation import rules
from shanzhi.deliberation.models import Body


@pytest.mark.parametrize(("share", "whole", "needed"), [
    (rules.HALF, 7, 4), (rules.HALF, 8, 5), (rules.HALF, 1, 1),
    (rules.TWO_THIRDS, 9, 6), (rules.TWO_THIRDS, 10, 7), (rules.MORE_THAN_TWO_THIRDS, 9, 7),
])
def test_needed_is_the_smallest_count_that_meets_the_share(share, whole, needed):
    assert share.needed(whole) == needed
    assert share.met(needed, whole)
    assert not share.met(needed - 1, whole)


def test_villagers_meeting_is_quorate_by_adults_or_by_two_thirds_of_households():
    rule = rules.rule_for(Body.VILLAGERS)
    # 100 adults, 50 present: not more than half; but 21 of 30 households represented is
    # more than two thirds.
    assert not rules.assess(rule, eligible=100, present=50, votes_for=40).quorum_met
    by_households = rules.assess(rule, eligible=100, present=50, votes_for=26, households_eligible=30,
                                 households_present=21)
    assert by_households.quorum_met
    assert by_households.carried
    assert not rules.assess(rule, eligible=100, present=50, votes_for=26, households_eligible=30,
                            households_present=20).quorum_met
    # A decision needs more than half of those present.
    assert not rules.assess(rule, eligible=100, present=60, votes_for=30).carried
    assert rules.assess(rule, eligible=100, present=60, votes_for=31).carried


def test_representatives_need_two_thirds_present():
    rule = rules.rule_for(Body.REPRESENTATIVES)
    assert rules.assess(rule, eligible=30, present=20, votes_for=11).passed
    assert not rules.assess(rule, eligible=30, present=19, votes_for=19).quorum_met


def test_party_members_carry_by_more_than_half_of_all_members_not_of_those_present():
    rule = rules.rule_for(Body.PARTY_MEMBERS)
    # 20 members, 12 present, 10 for: a majority of those present but not of the members.
    result = rules.assess(rule, eligible=20, present=12, votes_for=10)
    assert result.quorum_met
    assert not result.carried
    assert result.needed_for == 11
    assert rules.assess(rule, eligible=20, present=12, votes_for=11).carried


def test_a_village_may_be_stricter_never_looser():
    stricter = rules.clean_overrides({"villagers": {"majority": [2, 3, False]}})
    rule = rules.rule_for(Body.VILLAGERS, stricter)
    assert not rules.assess(rule, eligible=100, present=60, votes_for=39).carried
    assert rules.assess(rule, eligible=100, present=60, votes_for=40).carried
    with pytest.raises(ValidationError) as err:
        rules.clean_overrides({"representatives": {"quorum": [1, 2, True]}})
    assert "meeting_rules.representatives.quorum" in err.value.fields
    with pytest.raises(ValidationError):
        rules.clean_overrides({"villagers": {"quorum": [1, 2, False]}})  # "at least half" is looser
    with pytest.raises(ValidationError):
        rules.clean_overrides({"parliament": {}})
