"""Scope policies and actions of self-governance organisations: the village's staff (and the
township and county) keep the register of its organisations, their members and what they
did; every staff member of the place (the grid team too: the village's organisations are
above their grid) and the village's residents read it (the councils' work is public in the
village)."""

from shanzhi.core import access, roles
from shanzhi.organisations.models import Activity, Organisation

access.register(Organisation, region_field="region_path", residents_of_place=True, include_ancestors=True)
access.register(Activity, region_field="region_path", residents_of_place=True, include_ancestors=True)

access.allow(roles.ALL_STAFF - roles.DEPARTMENT, ["organisation.view"])
access.allow([access.RESIDENT], ["organisation.view"])
access.allow(roles.VILLAGE_CADRES | roles.GOVERNMENT, ["organisation.manage", "organisation.record"])
