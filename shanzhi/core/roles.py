"""Groups of roles that modules grant actions to, so the permission table reads like the
organisation chart rather than a list of sixteen names each time."""

from __future__ import annotations

from shanzhi.core.access import ADMIN, RESIDENT
from shanzhi.people.models import Role

GRID_TEAM = {Role.GRID_LEADER, Role.GRID_WORKER, Role.MICRO_GRID_WORKER, Role.GROUP_LEADER,
             Role.NEIGHBOUR_LEADER}
GRID_SUPERVISORS = {Role.CHIEF_GRID_LEADER, Role.GRID_INSTRUCTOR}
VILLAGE_CADRES = {Role.VILLAGE_SECRETARY, Role.VILLAGE_COMMITTEE}
LEGAL_AND_POLICE = {Role.MEDIATOR, Role.LEGAL_ADVISER, Role.VILLAGE_POLICE}
GOVERNMENT = {Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF}
DEPARTMENT = {Role.DEPARTMENT_STAFF}
ALL_STAFF = GRID_TEAM | GRID_SUPERVISORS | VILLAGE_CADRES | LEGAL_AND_POLICE | GOVERNMENT | DEPARTMENT

# Who may see a full ID number (each time audited): those who keep the roster and those
# who must identify a person for their duty.
SEES_FULL_ID = {Role.GRID_LEADER, Role.GRID_WORKER, Role.VILLAGE_SECRETARY, Role.VILLAGE_COMMITTEE,
                Role.VILLAGE_POLICE, Role.MEDIATOR} | GOVERNMENT
KEEPS_ROSTER = {Role.GRID_LEADER, Role.GRID_WORKER, Role.VILLAGE_SECRETARY, Role.VILLAGE_COMMITTEE} | GOVERNMENT

__all__ = ["ADMIN", "ALL_STAFF", "DEPARTMENT", "GOVERNMENT", "GRID_SUPERVISORS", "GRID_TEAM", "KEEPS_ROSTER",
           "LEGAL_AND_POLICE", "RESIDENT", "SEES_FULL_ID", "VILLAGE_CADRES"]
