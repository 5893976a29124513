"""The back office (Django admin at /admin/), kept inside the one permission mechanism.

Only accounts with ``is_staff`` enter the admin at all. Inside, every list goes through
``access.scope`` with the model's view action, and adding, changing and deleting through
``access.can`` with the model's actions, exactly as in the pages and the API: a township
clerk with ``is_staff`` sees and edits their township, nothing else. Each action of a
``ScopedModelAdmin`` is an access action name, ``ADMINS`` (administrators only) or
``NOBODY``. What the admin writes goes to the one audit log (Django's own admin log is not
kept: one log, not two).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access, audit
from shanzhi.core.models import AuditEvent, InboxMessage, JobLease, Notification, StateChange

ADMINS = "<admins>"
NOBODY = "<nobody>"

admin.site.site_header = _("Shanzhi back office")
admin.site.site_title = _("Shanzhi back office")
admin.site.index_title = _("Records")


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set)) or (hasattr(value, "__iter__") and not isinstance(value, dict)):
        return [_plain(v) for v in value]
    return str(value)


class ScopedModelAdmin(admin.ModelAdmin):
    view_action: str = ADMINS
    change_action: str = ADMINS
    add_action: str = NOBODY
    delete_action: str = NOBODY
    # Values of these fields are not copied into the audit entry (only that they changed).
    audit_redacted: tuple[str, ...] = ("password",)

    # -- who may do what ---------------------------------------------------------------------

    def _may(self, request: HttpRequest, action: str, obj: models.Model | None = None) -> bool:
        user = request.user
        if action == NOBODY or not (user.is_active and user.is_staff):
            return False
        viewer = access.viewer_for(user)
        if viewer.is_admin:
            return True
        if action == ADMINS or self.model not in access.POLICIES:
            return False
        if obj is None:
            return any(action in access.ROLE_ACTIONS.get(g.role, ()) for g in viewer.grants)
        return access.can(viewer, action, obj)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        qs = super().get_queryset(request)
        viewer = access.viewer_for(request.user)
        if viewer.is_admin:
            return qs
        if self.view_action in (ADMINS, NOBODY) or self.model not in access.POLICIES:
            return qs.none()
        return access.scope(viewer, self.view_action, qs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, self.view_action, obj) or self.has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, self.change_action, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may(request, self.add_action)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, self.delete_action, obj)

    # -- the database's invariants, checked on the form ---------------------------------------

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        concrete = {f.name for f in self.model._meta.concrete_fields}
        read_only = set(self.get_readonly_fields(request, obj)) & concrete
        if not read_only:
            return form

        class ConstraintCheckedForm(form):  # type: ignore[misc, valid-type]
            # A ModelForm skips a model constraint naming a field that is not on the form
            # (here: a read-only one), so the database would refuse the save with an error
            # page. Check those constraints too, with the stored values of those fields.
            def _post_clean(self) -> None:
                super()._post_clean()
                if self._errors:
                    return
                try:
                    self.instance.validate_constraints(exclude=self._get_validation_exclusions() - read_only)
                except DjangoValidationError as exc:
                    self._update_errors(exc)

        ConstraintCheckedForm.__name__ = form.__name__
        return ConstraintCheckedForm

    # -- what is written goes to the audit log --------------------------------------------------

    def _action(self, verb: str) -> str:
        return f"{self.model._meta.model_name}.admin_{verb}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = list(form.changed_data) if form is not None else []
        before = {f: form.initial.get(f) for f in changed} if change and form is not None else {}
        super().save_model(request, obj, form, change)
        detail: dict[str, Any] = {"via": "admin"}
        if changed:
            detail["changes"] = {
                f: "…" if f in self.audit_redacted else [_plain(before.get(f)), _plain(form.cleaned_data.get(f))]
                for f in changed
            }
        audit.record(actor=request.user, action=self._action("change" if change else "create"), target=obj,
                     detail=detail)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(actor=request.user, action=self._action("delete"), target=obj, detail={"via": "admin"})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            audit.record(actor=request.user, action=self._action("delete"), target=obj, detail={"via": "admin"})
        super().delete_queryset(request, queryset)

    # Django's own admin log (LogEntry) is not kept: the audit entries above are the record.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:  # type: ignore[override]
        return None


class ReadOnlyAdmin(ScopedModelAdmin):
    """Records nobody edits by hand: logs and history."""

    change_action = NOBODY
    add_action = NOBODY
    delete_action = NOBODY


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    view_action = "audit.view"
    list_display = ("at", "actor_name", "action", "target_type", "target_label", "channel", "address")
    list_filter = ("channel", "action")
    search_fields = ("actor_name", "action", "target_label", "target_id")
    date_hierarchy = "at"


@admin.register(StateChange)
class StateChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "workflow", "object_id", "transition", "from_state", "to_state", "actor_name",
                    "internal")
    list_filter = ("workflow", "transition", "internal")
    search_fields = ("actor_name", "note")
    list_select_related = ("content_type",)
    date_hierarchy = "at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "recipient", "title", "delivered_at", "attempts")
    list_filter = ("kind",)
    search_fields = ("title",)
    list_select_related = ("recipient",)


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "recipient", "title", "read_at")
    list_filter = ("kind",)
    list_select_related = ("recipient",)


@admin.register(JobLease)
class JobLeaseAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_started", "last_finished", "last_error")
