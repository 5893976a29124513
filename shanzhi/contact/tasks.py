"""Background work of household contact: thin, idempotent wrappers over the services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from shanzhi.core import jobs


@jobs.periodic("contact.remind_due", every=dt.timedelta(days=1))
@shared_task(name="contact.remind_due")
def remind_due() -> int:
    """Each member with households waiting for a visit is told, at most once a week."""
    from shanzhi.contact import services

    return services.due_reminders_send()
