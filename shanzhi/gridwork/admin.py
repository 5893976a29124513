"""The back office's view of grid work: read-only, scoped (it changes through its services)."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.core.admin import ReadOnlyAdmin
from shanzhi.gridwork.models import Assessment, FieldUpdate, GridTask, Indicator, LogEntry


@admin.register(GridTask)
class GridTaskAdmin(ReadOnlyAdmin):
    view_action = "gridwork.view"
    list_display = ("title", "grid", "duty", "due_on", "state")
    list_select_related = ("grid",)
    list_filter = ("state", "duty")


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    view_action = "gridwork.view"
    list_display = ("day", "worker", "grid", "duty")
    list_select_related = ("worker", "grid")
    list_filter = ("duty",)
    date_hierarchy = "day"


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    view_action = "gridwork.view"
    list_display = ("county", "order", "code", "name", "max_score", "is_active")
    list_select_related = ("county",)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    view_action = "gridwork.assess"
    list_display = ("month", "worker", "grid", "total", "full_marks", "published_at")
    list_select_related = ("worker", "grid")


@admin.register(FieldUpdate)
class FieldUpdateAdmin(ReadOnlyAdmin):
    view_action = "fieldupdate.view"
    list_display = ("reported_at", "kind", "household", "state")
    list_select_related = ("household",)
    list_filter = ("state", "kind")
