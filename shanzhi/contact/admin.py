"""The back office's view of household contact, dual registration and wishes: read-only (they
change through their services: the pages and the API), scoped like everywhere else."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.contact.models import (
    Assignment,
    ContactPolicy,
    MemberRegistration,
    MicroWish,
    MonthlyReport,
    QuarterSummary,
    Unit,
    UnitRegistration,
    Visit,
)
from shanzhi.core.admin import ReadOnlyAdmin


@admin.register(ContactPolicy)
class ContactPolicyAdmin(ReadOnlyAdmin):
    view_action = "contact.view"
    list_display = ("county", "min_households", "max_households", "interval_days", "updated_at")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    view_action = "contact.view"
    list_display = ("member", "household", "village", "start_date", "end_date")
    list_select_related = ("member", "household", "village")
    list_filter = ("end_date",)


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    view_action = "contact.view"
    list_display = ("visited_on", "member", "household", "purpose", "settled")
    list_select_related = ("member", "household")
    list_filter = ("purpose", "settled")
    date_hierarchy = "visited_on"


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdmin):
    view_action = "contact.view"
    list_display = ("month", "member", "branch", "state", "visits", "households_visited", "settled")
    list_select_related = ("member", "branch")
    list_filter = ("state",)


@admin.register(QuarterSummary)
class QuarterSummaryAdmin(ReadOnlyAdmin):
    view_action = "contact.view"
    list_display = ("branch", "year", "quarter", "written_at")
    list_select_related = ("branch",)


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    view_action = "unit.view"
    list_display = ("name", "kind", "party_organisation")
    list_select_related = ("party_organisation",)
    search_fields = ("name",)


@admin.register(UnitRegistration)
class UnitRegistrationAdmin(ReadOnlyAdmin):
    view_action = "unit.view"
    list_display = ("unit", "community", "registered_on", "ended_on")
    list_select_related = ("unit", "community")


@admin.register(MemberRegistration)
class MemberRegistrationAdmin(ReadOnlyAdmin):
    view_action = "unit.view"
    list_display = ("member", "community", "unit", "registered_on", "ended_on")
    list_select_related = ("member", "community", "unit")


@admin.register(MicroWish)
class MicroWishAdmin(ReadOnlyAdmin):
    view_action = "wish.view"
    list_display = ("title", "village", "state", "created_at")
    list_select_related = ("village",)
    list_filter = ("state", "category")
