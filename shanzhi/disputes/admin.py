"""Disputes and petitions in the back office: the types (names, the six, deadlines) are kept
here; the cases themselves are read-only, for they move only through their workflow (the
pages and the API), which checks, records the history and tells those concerned."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.core.admin import ReadOnlyAdmin, ScopedModelAdmin
from shanzhi.disputes.models import Dispute, DisputeType, PetitionCase, ScreeningRecord


@admin.register(DisputeType)
class DisputeTypeAdmin(ScopedModelAdmin):
    view_action = "dispute_type.change"
    change_action = "dispute_type.change"
    list_display = ("name", "code", "county", "is_six", "accept_amount", "accept_unit", "mediate_amount",
                    "mediate_unit", "is_active")
    list_filter = ("is_six", "is_active")
    search_fields = ("name", "code")
    fields = ("county", "code", "name", "is_six", "accept_amount", "accept_unit", "mediate_amount", "mediate_unit",
              "is_active", "order")
    readonly_fields = ("county", "code")
    list_select_related = ("county",)


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Read-only, without the parties' names: the case file with its parties is the page's,
    which keeps to the narrower scope of disputes."""

    view_action = "dispute.view"
    list_display = ("number", "type", "state", "level", "source", "on_the_spot", "reported_at", "settled_level")
    list_filter = ("state", "level", "source", "on_the_spot")
    fields = ("type", "state", "level", "source", "on_the_spot", "region_path", "handling_path", "reported_at",
              "accepted_at", "settled_at", "closed_at", "settled_level", "escalation_count", "reopen_count")
    readonly_fields = fields
    list_select_related = ("type",)
    date_hierarchy = "reported_at"


@admin.register(ScreeningRecord)
class ScreeningRecordAdmin(ReadOnlyAdmin):
    view_action = "dispute.view"
    list_display = ("grid", "week", "clues_found", "filed_at")
    list_select_related = ("grid",)
    date_hierarchy = "week"


@admin.register(PetitionCase)
class PetitionCaseAdmin(ReadOnlyAdmin):
    view_action = "petition.view"
    list_display = ("number", "subject", "state", "received_at", "case_leader", "repeat_count")
    list_filter = ("state", "channel")
    search_fields = ("subject",)
    fields = ("subject", "state", "channel", "received_at", "accept_due", "resolve_due", "case_leader",
              "repeat_count", "resolved_at", "closed_at", "satisfied")
    readonly_fields = fields
    list_select_related = ("case_leader",)
    date_hierarchy = "received_at"
