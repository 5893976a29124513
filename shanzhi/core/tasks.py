"""Background tasks of the core: notification delivery (thin wrappers, idempotent)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from shanzhi.core import jobs


@shared_task(name="core.notifications_deliver")
def notifications_deliver(ids: list[int]) -> int:
    from shanzhi.core import notify

    return notify.deliver_many(ids)


@jobs.periodic("core.notifications_deliver_pending", every=dt.timedelta(minutes=1))
@shared_task(name="core.notifications_deliver_pending")
def notifications_deliver_pending() -> int:
    """Whatever the after-commit delivery missed (broker down, worker killed)."""
    from shanzhi.core import notify

    return notify.deliver_pending()
