"""Background work of the request loop: thin, idempotent wrappers over the services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from shanzhi.core import jobs


@jobs.periodic("casework.sweep", every=dt.timedelta(minutes=5))
@shared_task(name="casework.sweep")
def sweep() -> dict[str, int]:
    """Escalate the requests past their deadline one level (telling both levels) and close
    those resolved more than 7 days ago. Safe to run twice or on two workers at once."""
    from shanzhi.casework import services

    return services.sweep()


@jobs.periodic("casework.photos_purge", every=dt.timedelta(hours=6))
@shared_task(name="casework.photos_purge")
def photos_purge() -> int:
    """Uploads never attached to a request within a day."""
    from shanzhi.casework import services

    return services.photos_purge_unattached()
