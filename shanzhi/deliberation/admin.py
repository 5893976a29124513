"""Deliberation and disclosure in the back office: to look things up, never to edit them.

Every change goes through the services (the pages, the API), which keep the stages in
order, the votes single and the notices unedited, and write the audit log; so here every
record is read-only, and each list is scoped like the pages."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.core.admin import ReadOnlyAdmin
from shanzhi.deliberation.models import (
    Admonition,
    CouncilMeeting,
    DeliberationMeeting,
    DisclosureRequirement,
    Matter,
    Notice,
    RedBlackList,
    RoleModel,
    Topic,
    VillageRules,
    Vote,
)


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    view_action = "topic.moderate"
    list_display = ("title", "village", "raised_as", "state", "hidden", "support_count", "comment_count", "created_at")
    list_filter = ("state", "hidden", "raised_as")
    search_fields = ("title",)
    list_select_related = ("village",)
    exclude = ("resident",)


@admin.register(DeliberationMeeting)
class DeliberationMeetingAdmin(ReadOnlyAdmin):
    view_action = "deliberation.view"
    list_display = ("subject", "village", "kind", "held_on", "attendee_count", "settled")
    list_filter = ("kind", "settled")
    search_fields = ("subject",)
    list_select_related = ("village",)
    date_hierarchy = "held_on"


@admin.register(Matter)
class MatterAdmin(ReadOnlyAdmin):
    view_action = "matter.view"
    list_display = ("title", "village", "kind", "state", "created_at")
    list_filter = ("kind", "state")
    search_fields = ("title",)
    list_select_related = ("village",)


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    view_action = "vote.paper"
    list_display = ("title", "village", "purpose", "secrecy", "basis", "opens_at", "closes_at", "turnout_count",
                    "elector_count")
    list_filter = ("purpose", "secrecy", "basis")
    search_fields = ("title",)
    list_select_related = ("village",)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    view_action = "notice.view"
    list_display = ("title", "region", "board", "category", "posted_on", "remove_on", "removed_at")
    list_filter = ("board", "category", "source")
    search_fields = ("title",)
    list_select_related = ("region",)
    date_hierarchy = "posted_on"


@admin.register(DisclosureRequirement)
class DisclosureRequirementAdmin(ReadOnlyAdmin):
    view_action = "disclosure.view"
    list_display = ("title", "region", "board", "category", "frequency", "grace_days", "active")
    list_filter = ("board", "frequency", "active")
    list_select_related = ("region",)


@admin.register(RoleModel)
class RoleModelAdmin(ReadOnlyAdmin):
    view_action = "rolemodel.view_all"
    list_display = ("title", "year", "village", "household", "state")
    list_filter = ("title", "year", "state")
    list_select_related = ("village", "household")
    exclude = ("resident",)


@admin.register(CouncilMeeting)
class CouncilMeetingAdmin(ReadOnlyAdmin):
    view_action = "council.view"
    list_display = ("village", "held_on", "present_count", "member_count")
    list_select_related = ("village",)
    date_hierarchy = "held_on"


@admin.register(Admonition)
class AdmonitionAdmin(ReadOnlyAdmin):
    view_action = "council.view"
    list_display = ("conduct", "village", "household", "recorded_at", "corrected_on")
    list_filter = ("conduct",)
    list_select_related = ("village", "household")
    exclude = ("resident",)


@admin.register(RedBlackList)
class RedBlackListAdmin(ReadOnlyAdmin):
    view_action = "ranking.view"
    list_display = ("township", "year", "quarter", "state", "red_count", "black_count", "published_at")
    list_filter = ("state", "year", "quarter")
    list_select_related = ("township",)


@admin.register(VillageRules)
class VillageRulesAdmin(ReadOnlyAdmin):
    view_action = "villagerules.view"
    list_display = ("village", "allow_online_voting", "default_vote_basis", "publish_names", "updated_at")
    list_select_related = ("village",)
