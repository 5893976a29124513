"""Scope policies and actions of deliberation and disclosure.

Village-level records (topics, meetings, matters, votes, role models) sit at the village's
path. ``include_ancestors`` lets the grid team, whose positions are at a grid, see their
village's records (and, through ``ancestor_actions``, raise topics, comment, record meetings
and nominate role models there); ``residents_of_place`` lets the residents of the village
see them and do what residents may.
Notices may sit at a township too, so their policy has no ancestors: a village cadre must
not take down a township's notice. Admonitions are personal: they sit at the household's
path and a resident sees only their own household's.
"""

from shanzhi.core import access, roles
from shanzhi.deliberation.models import (
    Admonition,
    CouncilMeeting,
    DeliberationMeeting,
    DisclosureRequirement,
    IndicatorReading,
    Matter,
    Notice,
    RedBlackList,
    RoleModel,
    Topic,
    VillageRules,
    Vote,
)
from shanzhi.people.models import Role

VILLAGE_RECORD = {"region_field": "region_path", "include_ancestors": True, "residents_of_place": True}

# The grid team works at a grid but takes part in its village's deliberation.
access.register(Topic, **VILLAGE_RECORD, ancestor_actions=frozenset({"topic.raise", "topic.comment"}))
access.register(DeliberationMeeting, **VILLAGE_RECORD, ancestor_actions=frozenset({"deliberation.record"}))
access.register(Matter, **VILLAGE_RECORD)
access.register(Vote, **VILLAGE_RECORD)
access.register(RoleModel, **VILLAGE_RECORD, ancestor_actions=frozenset({"rolemodel.nominate",
                                                                         "rolemodel.view_all"}))
access.register(Notice, region_field="region_path", residents_of_place=True)
access.register(CouncilMeeting, region_field="region_path", include_ancestors=True)
access.register(Admonition, region_field="region_path", household_field="household_id")
access.register(VillageRules, region_field="region_path")
access.register(DisclosureRequirement, region_field="region_path", include_ancestors=True)
access.register(IndicatorReading, region_field="region_path")
access.register(RedBlackList, region_field="region_path")

# Everyone who works in villages (not the county's departments) follows the village's
# deliberation.
VILLAGE_WORK = (roles.GRID_TEAM | roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES | roles.LEGAL_AND_POLICE
                | roles.GOVERNMENT)

access.allow(VILLAGE_WORK, ["topic.view", "topic.comment", "deliberation.view", "matter.view", "vote.view",
                            "rolemodel.view", "rolemodel.view_all", "disclosure.view"])
access.allow(roles.GRID_TEAM | roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES,
             ["topic.raise", "deliberation.record", "rolemodel.nominate"])
access.allow(roles.VILLAGE_CADRES | roles.GOVERNMENT, ["topic.moderate", "notice.view", "council.view",
                                                       "admonition.view"])
access.allow(roles.VILLAGE_CADRES, ["matter.propose", "matter.manage", "vote.create", "vote.paper", "notice.post",
                                    "rolemodel.review", "council.record", "villagerules.change"])
access.allow(roles.GRID_SUPERVISORS | {Role.GRID_LEADER, Role.GRID_WORKER}, ["admonition.view"])
access.allow(roles.GOVERNMENT, ["notice.post", "disclosure.manage", "ranking.view", "ranking.manage",
                                "villagerules.view"])
access.allow(roles.VILLAGE_CADRES, ["villagerules.view"])
access.allow([access.RESIDENT], ["topic.view", "topic.raise", "topic.comment", "topic.support", "deliberation.view",
                                 "matter.view", "vote.view", "vote.cast", "notice.view", "rolemodel.view",
                                 "rolemodel.nominate", "admonition.view"])

# The members of a village's moral review council are on the points module's duty roster
# (``points.Duty``, kind ``points_reviewer``, granted through ``access.grant_source``): one
# roster of the council, not two. They record the council's meetings and decisions.
MORAL_REVIEW_COUNCIL = "points_reviewer"
access.allow([MORAL_REVIEW_COUNCIL], ["council.view", "council.record", "admonition.view", "rolemodel.view",
                                      "rolemodel.view_all", "rolemodel.nominate", "rolemodel.review"])
