"""The back office of the request loop: a county's categories (deadlines, default level,
questions) and routing rules, and its Open311 clients. Requests themselves change only
through their workflow (the pages and the API), so the admin shows them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shanzhi.casework.models import Category, CategoryAttribute, Open311Client, RoutingRule, ServiceRequest
from shanzhi.core.admin import NOBODY, ReadOnlyAdmin, ScopedModelAdmin

CHANGE = "request_category.change"


class AttributeInline(admin.TabularInline):
    model = CategoryAttribute
    extra = 0
    fields = ("order", "code", "label", "datatype", "required", "description", "values")

    def _may(self, request: HttpRequest, obj: Any = None) -> bool:
        return CategoryAdmin(Category, admin.site).has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)


class RuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    fields = ("region", "department", "auto_dispatch")
    autocomplete_fields = ()
    raw_id_fields = ("region", "department")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return CategoryAdmin(Category, admin.site).has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return CategoryAdmin(Category, admin.site).has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return CategoryAdmin(Category, admin.site).has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return CategoryAdmin(Category, admin.site).has_change_permission(request, obj)


@admin.register(Category)
class CategoryAdmin(ScopedModelAdmin):
    view_action = CHANGE
    change_action = CHANGE
    add_action = CHANGE
    delete_action = NOBODY  # a category in use is switched off, not deleted
    list_display = ("name", "code", "county", "default_level", "response_amount", "response_unit",
                    "resolve_amount", "resolve_unit", "is_public", "is_active", "order")
    list_filter = ("default_level", "is_active", "is_public")
    list_editable = ("order",)
    search_fields = ("name", "code")
    raw_id_fields = ("county",)
    readonly_fields = ("region_path",)
    inlines = [AttributeInline, RuleInline]

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        obj.region_path = obj.county.path
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        rules = formset.save(commit=False)
        for rule in rules:
            if isinstance(rule, RoutingRule):
                rule.region_path = rule.region.path
            rule.save()
        for gone in formset.deleted_objects:
            gone.delete()
        formset.save_m2m()


@admin.register(Open311Client)
class Open311ClientAdmin(ScopedModelAdmin):
    """Keys are made with ``shanzhi open311-key`` (shown once); here they are listed and
    switched off."""

    view_action = CHANGE
    change_action = CHANGE
    list_display = ("name", "prefix", "county", "is_active", "created_at", "last_used_at")
    fields = ("name", "county", "prefix", "is_active", "created_at", "last_used_at")
    readonly_fields = ("county", "prefix", "created_at", "last_used_at")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    view_action = "request.view"
    list_display = ("id", "category", "state", "level", "region", "submitted_at", "response_due", "resolve_due")
    list_filter = ("state", "level", "channel")
    search_fields = ("description", "address")
    list_select_related = ("category", "region")
    date_hierarchy = "submitted_at"
    raw_id_fields = ("county", "region", "category", "household", "resident", "filed_by", "open311_client",
                     "assignee_department", "assignee_member", "assignee_user", "suggested_department",
                     "merged_into")
