"""Scope policies and actions of grid work.

The grid team logs its work and reports data updates in its grids; the grid leader, the
village and the grid supervisors set tasks; the village's staff review the data updates
(the map changes only then); the grid supervisors, the village and the township assess the
grid workers each month against the county's indicators, which the county sets. A worker
sees their own log, tasks and published assessments by name; a Party member who found a
change on a visit reports it too.
"""

from __future__ import annotations

from shanzhi.contact.permissions import PARTY_MEMBER
from shanzhi.core import access, roles
from shanzhi.gridwork.models import Assessment, FieldUpdate, GridTask, Indicator, LogEntry
from shanzhi.people.models import Role

access.register(GridTask, region_field="region_path", user_field="worker_id")
access.register(LogEntry, region_field="region_path", user_field="worker_id")
access.register(Indicator, region_field="region_path", include_ancestors=True)
access.register(Assessment, region_field="region_path", user_field="worker_id")
access.register(FieldUpdate, region_field="region_path", user_field="reported_by_id")

VIEWERS = roles.GRID_TEAM | roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES | roles.GOVERNMENT
ASSESSORS = roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES | {Role.TOWNSHIP_STAFF}

access.allow(VIEWERS | {access.ASSIGNED}, ["gridwork.view"])
access.allow(roles.GRID_TEAM, ["gridwork.log"])
access.allow({Role.GRID_LEADER} | roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES, ["gridwork.task"])
access.allow(ASSESSORS, ["gridwork.assess"])
access.allow(roles.GOVERNMENT, ["gridwork.indicators"])

access.allow(VIEWERS | {access.ASSIGNED}, ["fieldupdate.view"])
access.allow(roles.GRID_TEAM | {PARTY_MEMBER}, ["fieldupdate.report"])
access.allow([access.ASSIGNED], ["fieldupdate.report"])  # the reporter withdraws their own
access.allow(roles.VILLAGE_CADRES, ["fieldupdate.review"])

__all__ = ["ASSESSORS", "VIEWERS"]
