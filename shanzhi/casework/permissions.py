"""Scope policies and actions of the request loop. Who may take each step of a request is
this table plus the guards declared with the workflow (``flow.py``)."""

from shanzhi.casework.models import Category, Open311Client, RoutingRule, ServiceRequest
from shanzhi.core import access, roles
from shanzhi.people.models import Role

# A request is seen by the staff of the places above it, by the department it is dispatched
# to, by the household that asked, and by the Party member it was given to.
access.register(ServiceRequest, region_field="region_path", department_field="assignee_department_id",
                household_field="household_id", user_field="assignee_user_id",
                department_grants_by_region=False)
access.register(Category, region_field="region_path")
access.register(RoutingRule, region_field="region_path")
access.register(Open311Client, region_field="region_path")

DISPATCHERS = {Role.GRID_LEADER, Role.GRID_WORKER} | roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES | roles.GOVERNMENT
HANDLERS = DISPATCHERS | roles.DEPARTMENT | {access.ASSIGNED}
FILERS = roles.GRID_TEAM | roles.GRID_SUPERVISORS | roles.VILLAGE_CADRES | roles.GOVERNMENT

access.allow(roles.ALL_STAFF | {access.ASSIGNED}, ["request.view", "request.view_internal"])
access.allow([access.RESIDENT], ["request.view", "request.submit", "request.rate", "request.reopen"])
access.allow(FILERS, ["request.submit"])
access.allow(DISPATCHERS, ["request.dispatch", "request.reject", "request.merge", "request.close"])
access.allow(roles.GOVERNMENT, ["request.reassign", "request_category.change"])
access.allow(HANDLERS, ["request.accept", "request.return", "request.resolve", "request.escalate"])
access.allow(roles.GOVERNMENT | roles.VILLAGE_CADRES | roles.GRID_SUPERVISORS | {Role.GRID_LEADER},
             ["request.stats"])
