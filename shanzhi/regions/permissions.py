"""Scope policies and actions of the governance map."""

from shanzhi.core import access, roles
from shanzhi.regions.models import Household, Region, Resident, ResidentMove

access.register(Region, region_field="path", include_ancestors=True)
access.register(Household, region_field="region_path", household_field="id")
access.register(Resident, region_field="region_path", household_field="household_id")
access.register(ResidentMove, region_field=None)

access.allow(roles.ALL_STAFF, ["region.view"])
access.allow(roles.ALL_STAFF - roles.DEPARTMENT, ["household.view", "resident.view"])
access.allow(roles.KEEPS_ROSTER, ["household.change", "resident.change", "household.export"])
access.allow(roles.SEES_FULL_ID, ["resident.view_id"])
access.allow(roles.GOVERNMENT, ["region.change", "coverage.view"])
access.allow(roles.VILLAGE_CADRES | roles.GRID_SUPERVISORS | {"grid_leader"}, ["coverage.view"])
access.allow([access.RESIDENT], ["household.view", "resident.view"])
