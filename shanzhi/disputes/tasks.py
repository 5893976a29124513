"""Background work of disputes: the deadline sweep (thin and idempotent)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from shanzhi.core import jobs


@jobs.periodic("disputes.sweep", every=dt.timedelta(minutes=5))
@shared_task(name="disputes.sweep")
def disputes_sweep() -> dict[str, int]:
    """Escalate disputes past their level's deadline; tell the leaders of overdue petitions."""
    from shanzhi.disputes import services

    return services.sweep()
