from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only: who did what to which record, when, from where.

    Written only by ``shanzhi.core.audit.record`` from services. Database triggers (on
    SQLite and PostgreSQL alike) refuse UPDATE and DELETE on this table.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    channel = models.CharField(_("channel"), max_length=16)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("record type"), max_length=64, blank=True)
    target_id = models.CharField(_("record"), max_length=64, blank=True)
    target_label = models.CharField(_("record label"), max_length=200, blank=True)
    region_path = models.CharField(_("region path"), max_length=255, blank=True, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_type}:{self.target_id}"


class JobLease(models.Model):
    """One row per periodic job: lets several embedded schedulers (several web processes
    on one SQLite file) agree that a job runs once per interval."""

    name = models.CharField(max_length=100, primary_key=True)
    last_started = models.DateTimeField(null=True, blank=True)
    last_finished = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name


class StateChange(models.Model):
    """One step of a case through its workflow: written only by ``shanzhi.core.workflow``.

    The case is named by content type and id, so every module's cases share one history
    table (and one history view)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(_("record"))
    case = GenericForeignKey("content_type", "object_id")
    workflow = models.CharField(_("workflow"), max_length=64)
    transition = models.CharField(_("transition"), max_length=64)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)
    # An internal note is for staff only: a resident following their own case never sees it.
    internal = models.BooleanField(_("internal"), default=False)
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="state_change_case_idx")]

    def __str__(self) -> str:
        return f"{self.workflow}:{self.object_id} {self.from_state or '∅'}→{self.to_state}"


class Notification(models.Model):
    """The outbox: one row per recipient, written in the caller's transaction by
    ``shanzhi.core.notify.notify`` and delivered after commit, channel by channel."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    target_type = models.CharField(_("record type"), max_length=64, blank=True)
    target_id = models.CharField(_("record"), max_length=64, blank=True)
    channels = models.JSONField(_("channels"), default=list)
    channels_done = models.JSONField(_("channels delivered"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The catch-up job's query: what is still waiting.
            models.Index(fields=["created_at"], condition=models.Q(delivered_at__isnull=True),
                         name="notification_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class InboxMessage(models.Model):
    """What a user sees in the platform's own inbox: the in-app channel's delivery of a
    notification (at most one per notification, which is what makes delivery idempotent)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="inbox"
    )
    notification = models.OneToOneField(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="inbox_message"
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    target_type = models.CharField(_("record type"), max_length=64, blank=True)
    target_id = models.CharField(_("record"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("received"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="inbox_recipient_idx")]

    def __str__(self) -> str:
        return self.title
