"""Accounts, departments, positions and the Party organisation in the back office.

Accounts are for administrators only. Positions are granted through the people pages
(which check the role fits the level of the map); here a position can only be ended."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core import audit, idnumbers
from shanzhi.core.admin import ADMINS, NOBODY, ReadOnlyAdmin, ScopedModelAdmin
from shanzhi.people.models import ApiToken, Department, PartyMember, PartyOrganisation, Position, User


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]
        model = User


class AccountCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username",)


@admin.register(User)
class AccountAdmin(ScopedModelAdmin, DjangoUserAdmin):
    view_action = ADMINS
    change_action = ADMINS
    add_action = ADMINS
    delete_action = NOBODY  # accounts are deactivated, never deleted (the audit log names them)
    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ("username", "full_name", "masked_phone", "is_active", "is_staff", "is_superuser", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("username", "full_name")
    ordering = ("username",)
    raw_id_fields = ("resident",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "email", "resident")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1",
                                                               "password2")}),)
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: User) -> str:
        return idnumbers.mask_phone(obj.phone)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            audit.record(actor=request.user, action="user.admin_password_set", target=user,
                         detail={"via": "admin"})
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedModelAdmin):
    change_action = NOBODY
    delete_action = ADMINS  # deleting a token revokes it
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "expires_at")
    fields = ("prefix", "name", "user", "created_at", "last_used_at", "expires_at")
    readonly_fields = fields
    list_select_related = ("user",)


@admin.register(Department)
class DepartmentAdmin(ScopedModelAdmin):
    view_action = "department.view"
    change_action = "department.change"
    add_action = ADMINS
    list_display = ("name", "kind", "region", "phone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    fields = ("name", "kind", "region", "phone", "is_active", "region_path")
    readonly_fields = ("region_path",)
    raw_id_fields = ("region",)
    list_select_related = ("region",)

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        obj.region_path = obj.region.path  # the scope follows the region, as in the services
        super().save_model(request, obj, form, change)


@admin.register(Position)
class PositionAdmin(ScopedModelAdmin):
    view_action = "position.view"
    change_action = "position.change"
    list_display = ("user", "role", "region", "department", "start_date", "end_date")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name")
    fields = ("user", "role", "region", "department", "region_path", "start_date", "end_date")
    readonly_fields = ("user", "role", "region", "department", "region_path", "start_date")
    list_select_related = ("user", "region", "department")


@admin.register(PartyOrganisation)
class PartyOrganisationAdmin(ScopedModelAdmin):
    view_action = "party.view"
    change_action = ADMINS
    list_display = ("name", "kind", "region", "parent")
    list_filter = ("kind",)
    search_fields = ("name",)
    fields = ("name", "kind", "parent", "region", "region_path")
    readonly_fields = ("kind", "parent", "region", "region_path")
    list_select_related = ("region", "parent")


@admin.register(PartyMember)
class PartyMemberAdmin(ReadOnlyAdmin):
    view_action = "party.view"
    list_display = ("name", "organisation", "joined_on")
    search_fields = ("name",)
    fields = ("name", "organisation", "resident", "user", "joined_on", "region_path")
    readonly_fields = fields
    list_select_related = ("organisation",)
