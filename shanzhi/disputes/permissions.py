"""Scope policies and actions of disputes and petitions.

Disputes (family ones above all) are narrower than the general scope. A dispute is seen by:
- the grid team of the grid where it happened, the village Party secretary and the chief
  grid leader of its village, and the township and county staff above it (by place);
- the mediators assigned to it (``named_by`` their assignments), at whatever level;
- the parties themselves (``named_by`` the parties' resident records).
Not by every staff member of the village: committee members, legal advisers, the village
police officer and the departments see a dispute only when they are assigned to mediate it.

A petition case is seen by the township and county staff above its place, its case leader,
the staff of its responsible units and the petitioner.
"""

from shanzhi.core import access, roles
from shanzhi.disputes.models import (
    Dispute,
    DisputeType,
    PetitionCase,
    ScreeningRecord,
)
from shanzhi.people.models import Role

access.register(Dispute, region_field="region_path", department_grants_by_region=False,
                named_by=(("mediators__user_id", access.ASSIGNED), ("parties__resident_id", access.RESIDENT)))
access.register(DisputeType, region_field="region_path")
access.register(ScreeningRecord, region_field="region_path", department_grants_by_region=False)
access.register(PetitionCase, region_field="region_path", user_field="case_leader_id",
                department_grants_by_region=False,
                named_by=(("units__department_id", access.DEPARTMENT), ("petitioner_id", access.RESIDENT)))

GRID_STAFF = {Role.GRID_LEADER, Role.GRID_WORKER}
VILLAGE_HEADS = {Role.VILLAGE_SECRETARY, Role.CHIEF_GRID_LEADER}
# Those who see the disputes of their place.
DISPUTE_VIEWERS = roles.GRID_TEAM | VILLAGE_HEADS | roles.GOVERNMENT
# Those who take a dispute in and move it between levels (the level guards narrow them).
LEVEL_STAFF = GRID_STAFF | VILLAGE_HEADS | roles.GOVERNMENT

access.allow(DISPUTE_VIEWERS, ["dispute.view", "dispute.report", "dispute.follow_up"])
access.allow(LEVEL_STAFF, ["dispute.accept", "dispute.assess", "dispute.assign", "dispute.mediate",
                           "dispute.escalate"])
access.allow(GRID_STAFF | {Role.MICRO_GRID_WORKER} | VILLAGE_HEADS, ["dispute.on_the_spot"])
access.allow(GRID_STAFF, ["dispute.screen"])
access.allow(roles.GOVERNMENT | VILLAGE_HEADS | {Role.GRID_LEADER}, ["dispute.stats"])
access.allow(roles.GOVERNMENT, ["dispute_type.change"])
# The mediators assigned to a dispute, whatever their role.
access.allow([access.ASSIGNED], ["dispute.view", "dispute.mediate", "dispute.escalate", "dispute.follow_up"])
# The parties: their own disputes and agreements.
access.allow([access.RESIDENT], ["dispute.view"])

access.allow(roles.GOVERNMENT, ["petition.view", "petition.register", "petition.accept", "petition.resolve",
                                "petition.feedback", "petition.stats"])
access.allow([access.ASSIGNED], ["petition.view", "petition.resolve"])  # the case leader
access.allow(roles.DEPARTMENT, ["petition.view", "petition.resolve"])  # the responsible units
access.allow([access.RESIDENT], ["petition.view", "petition.feedback"])  # the petitioner
