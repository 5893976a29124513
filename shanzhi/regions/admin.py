"""The governance map in the back office: read mostly. Regions are renamed or located
here; households and residents are kept through the roster pages and the import, which
check what the admin cannot (division codes, one head per household, ID numbers)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shanzhi.core import idnumbers
from shanzhi.core.admin import ADMINS, ReadOnlyAdmin, ScopedModelAdmin
from shanzhi.regions.models import GridStandard, Household, Region, Resident, ResidentMove, ResidentTag


@admin.register(Region)
class RegionAdmin(ScopedModelAdmin):
    view_action = "region.view"
    change_action = "region.change"
    list_display = ("name", "code", "kind", "level", "household_count")
    list_filter = ("level", "kind")
    search_fields = ("name", "code")
    fields = ("name", "code", "kind", "level", "parent", "county", "path", "is_urban", "latitude", "longitude",
              "household_count")
    readonly_fields = ("code", "kind", "level", "parent", "county", "path", "household_count")
    list_select_related = ("parent",)


@admin.register(GridStandard)
class GridStandardAdmin(ScopedModelAdmin):
    view_action = ADMINS
    change_action = ADMINS
    add_action = ADMINS
    list_display = ("county", "rural_min", "rural_max", "urban_min", "urban_max")
    list_select_related = ("county",)
    raw_id_fields = ("county",)


@admin.register(Household)
class HouseholdAdmin(ScopedModelAdmin):
    view_action = "household.view"
    change_action = "household.change"
    list_display = ("number", "village", "grid", "address")
    search_fields = ("number", "address")
    fields = ("number", "address", "village", "grid", "micro_grid", "region_path", "created_at", "updated_at")
    readonly_fields = ("number", "village", "grid", "micro_grid", "region_path", "created_at", "updated_at")
    list_select_related = ("village", "grid")


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    """Read-only, and never the full ID number or phone: revealing an ID is a separate,
    audited act on the roster page."""

    view_action = "resident.view"
    list_display = ("name", "gender", "masked_id_number", "masked_phone", "household", "relation", "status")
    list_filter = ("status", "gender", "relation")
    search_fields = ("name", "household__number")
    fields = ("name", "gender", "birth_date", "masked_id_number", "masked_phone", "household", "relation",
              "status", "region_path", "created_at", "updated_at")
    readonly_fields = fields
    list_select_related = ("household",)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Resident) -> str:
        return idnumbers.mask_id(obj.id_number)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Resident) -> str:
        return idnumbers.mask_phone(obj.phone)


@admin.register(ResidentTag)
class ResidentTagAdmin(ReadOnlyAdmin):
    list_display = ("resident", "tag")
    list_filter = ("tag",)
    list_select_related = ("resident",)


@admin.register(ResidentMove)
class ResidentMoveAdmin(ReadOnlyAdmin):
    list_display = ("resident", "from_household", "to_household", "reason", "moved_at")
    list_select_related = ("resident", "from_household", "to_household")
