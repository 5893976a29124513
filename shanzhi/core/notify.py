"""The one way to tell people something: a transactional outbox.

``notify(recipients, kind, title, ...)`` writes one ``Notification`` row per recipient in
the caller's transaction (so a rolled-back step tells nobody), and queues their delivery
for after the commit. Delivery goes through the channels named on the row: the in-app
inbox (an ``InboxMessage`` per user) always exists; e-mail, SMS and WeChat are senders in
a registry whose defaults do nothing until a deployment registers a real one. A periodic
job delivers whatever is still pending (a broker that was down, a worker that died), and
delivery is idempotent: a row is delivered once however many times the task runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from shanzhi.core.models import InboxMessage, Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BATCH = 200


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> None:
        """Deliver or raise; runs inside the delivery transaction of this row."""


class InboxChannel:
    name = "inbox"

    def send(self, notification: Notification) -> None:
        # One inbox message per notification (a one-to-one row): a second run is a no-op.
        InboxMessage.objects.get_or_create(
            notification=notification,
            defaults={
                "recipient_id": notification.recipient_id, "kind": notification.kind, "title": notification.title,
                "body": notification.body, "link": notification.link, "target_type": notification.target_type,
                "target_id": notification.target_id, "created_at": notification.created_at,
            },
        )


@dataclass
class NoopSender:
    """The seam for an external channel: replace it with ``register_channel`` once the
    county has an SMS gateway, a mail server or a WeChat official account."""

    name: str

    def send(self, notification: Notification) -> None:
        log.debug("channel %s has no sender configured; notification %s not sent there", self.name,
                  notification.pk)


CHANNELS: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


for _channel in (InboxChannel(), NoopSender("email"), NoopSender("sms"), NoopSender("wechat")):
    register_channel(_channel)


def default_channels() -> list[str]:
    return list(getattr(settings, "SHANZHI_NOTIFY_CHANNELS", None) or ["inbox"])


def _target(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    return target._meta.label_lower, str(target.pk)


def notify(recipients: Iterable[Any], kind: str, title: str, body: str = "", link: str = "",
           target: models.Model | None = None, channels: Iterable[str] | None = None) -> list[Notification]:
    """Queue a message to each recipient (accounts or account ids; duplicates and empty
    values are dropped). Call it inside the service's transaction."""
    ids: list[int] = []
    for r in recipients:
        pk = getattr(r, "pk", r)
        if pk is not None and pk not in ids:
            ids.append(int(pk))
    chosen = list(channels) if channels is not None else default_channels()
    unknown = [c for c in chosen if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown notification channels {unknown}")
    if not ids:
        return []
    target_type, target_id = _target(target)
    rows = [Notification(recipient_id=pk, kind=kind, title=str(title)[:200], body=str(body), link=link,
                         target_type=target_type, target_id=target_id, channels=chosen) for pk in ids]
    Notification.objects.bulk_create(rows)  # SQLite and PostgreSQL both return the new ids
    from shanzhi.core import jobs, tasks

    jobs.enqueue(tasks.notifications_deliver, [r.pk for r in rows])
    return rows


@dataclass
class Message:
    """One message to several people, for ``notify_many``."""

    recipients: Iterable[Any]
    kind: str
    title: str
    body: str = ""
    link: str = ""
    target: models.Model | None = None
    target_type: str = ""  # with target_id, instead of target, when the instance is not at hand
    target_id: str = ""


def notify_many(messages: Iterable[Message], channels: Iterable[str] | None = None) -> int:
    """``notify`` for many messages in one INSERT and one delivery job per few hundred rows
    (a sweep telling two levels about each of thousands of requests). Returns the row count."""
    chosen = list(channels) if channels is not None else default_channels()
    unknown = [c for c in chosen if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown notification channels {unknown}")
    rows: list[Notification] = []
    for m in messages:
        target_type, target_id = _target(m.target) if m.target is not None else (m.target_type, m.target_id)
        seen: set[int] = set()
        for r in m.recipients:
            pk = getattr(r, "pk", r)
            if pk is None or int(pk) in seen:
                continue
            seen.add(int(pk))
            rows.append(Notification(recipient_id=int(pk), kind=m.kind, title=str(m.title)[:200], body=str(m.body),
                                     link=m.link, target_type=target_type, target_id=target_id, channels=chosen))
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, batch_size=1000)
    from shanzhi.core import jobs, tasks

    for i in range(0, len(rows), BATCH):
        jobs.enqueue(tasks.notifications_deliver, [r.pk for r in rows[i:i + BATCH]])
    return len(rows)


def deliver(notification_id: int) -> bool:
    """Deliver one row through its remaining channels; True if this call completed it."""
    with transaction.atomic():
        qs = Notification.objects.filter(pk=notification_id, delivered_at__isnull=True)
        if connection.features.has_select_for_update_skip_locked:
            # Another worker on this very row: leave it to them. Only this row is locked
            # (``of``): locking the joined recipient too would make a second worker skip
            # every other row addressed to the same person.
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        n = qs.select_related("recipient").first()
        if n is None:
            return False
        done = list(n.channels_done)
        errors = []
        for name in n.channels:
            if name in done:
                continue
            channel = CHANNELS.get(name)
            if channel is None:
                errors.append(f"{name}: no such channel")
                continue
            try:
                with transaction.atomic():
                    channel.send(n)
            except Exception as exc:
                log.warning("notification %s: channel %s failed: %r", n.pk, name, exc)
                errors.append(f"{name}: {exc!r}"[:500])
            else:
                done.append(name)
        n.channels_done = done
        n.attempts += 1
        n.last_error = "\n".join(errors)
        finished = not errors or n.attempts >= MAX_ATTEMPTS
        if finished:
            n.delivered_at = timezone.now()
        n.save(update_fields=["channels_done", "attempts", "last_error", "delivered_at"])
        return finished and not errors


def deliver_many(ids: Iterable[int]) -> int:
    return sum(1 for pk in ids if deliver(pk))


def deliver_pending(limit: int = BATCH) -> int:
    """The catch-up: deliver rows still waiting (oldest first)."""
    ids = list(Notification.objects.filter(delivered_at__isnull=True).order_by("created_at", "id")
               .values_list("pk", flat=True)[:limit])
    return deliver_many(ids)


# -- the inbox ---------------------------------------------------------------------------

def inbox(user: Any, *, unread_only: bool = False) -> models.QuerySet[InboxMessage]:
    """A user's own inbox, newest first (nobody reads another person's inbox)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return InboxMessage.objects.none()
    qs = InboxMessage.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user: Any) -> int:
    return inbox(user, unread_only=True).count()


def inbox_mark_read(*, actor: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own messages read (``ids`` None: all of them); returns how many.
    Ids of other people's messages are ignored, as if they did not exist."""
    qs = inbox(actor, unread_only=True)
    if ids is not None:
        qs = qs.filter(pk__in=[int(i) for i in ids])
    return qs.update(read_at=timezone.now())


__all__ = ["CHANNELS", "Channel", "InboxChannel", "Message", "NoopSender", "deliver", "deliver_pending", "inbox",
           "inbox_mark_read", "notify", "notify_many", "register_channel", "unread_count"]
