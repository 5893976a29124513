"""The back office's view of the organisations' register: read-only, scoped (it changes through
its services: the pages and the API)."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.core.admin import ReadOnlyAdmin
from shanzhi.organisations.models import Activity, Organisation


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    view_action = "organisation.view"
    list_display = ("name", "village", "kind", "is_active")
    list_select_related = ("village",)
    list_filter = ("kind", "is_active")
    search_fields = ("name",)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    view_action = "organisation.view"
    list_display = ("held_on", "organisation", "kind", "subject", "matters_settled")
    list_select_related = ("organisation",)
    list_filter = ("kind",)
    date_hierarchy = "held_on"
