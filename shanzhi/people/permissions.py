"""Scope policies and actions of people, positions, departments and the Party."""

from shanzhi.core import access, roles
from shanzhi.core.models import AuditEvent
from shanzhi.people.models import Department, PartyMember, PartyOrganisation, Position

access.register(Department, region_field="region_path", department_field="id", include_ancestors=True)
access.register(Position, region_field="region_path", department_field="department_id")
access.register(PartyOrganisation, region_field="region_path", include_ancestors=True)
access.register(PartyMember, region_field="region_path")
access.register(AuditEvent, region_field="region_path")

access.allow(roles.ALL_STAFF, ["department.view", "position.view"])
access.allow(roles.ALL_STAFF - roles.DEPARTMENT, ["party.view"])
access.allow(roles.GOVERNMENT | roles.VILLAGE_CADRES, ["position.change"])
access.allow(roles.GOVERNMENT, ["department.change", "audit.view"])
