"""The early-warning thresholds are settings kept in the back office (by the administrators);
alerts are read-only here, for they move only through their workflow."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.command.models import Alert, Thresholds
from shanzhi.core.admin import ADMINS, ReadOnlyAdmin, ScopedModelAdmin


@admin.register(Thresholds)
class ThresholdsAdmin(ScopedModelAdmin):
    add_action = ADMINS
    list_display = ("county", "spike_sigmas", "spike_months", "repeat_party_disputes", "burst_requests",
                    "overdue_per_department", "petition_repeats")
    list_select_related = ("county",)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("rule", "reason", "region", "state", "raised_at")
    list_filter = ("rule", "state")
    list_select_related = ("region",)
