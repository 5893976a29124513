from __future__ import annotations

import datetime as dt

from celery import shared_task

from shanzhi.core import jobs
from shanzhi.regions import services


@jobs.periodic("regions.grid_counts_refresh", every=dt.timedelta(minutes=10))
@shared_task(name="regions.grid_counts_refresh")
def grid_counts_refresh() -> int:
    """Keep each grid's and village's cached household count in step (idempotent)."""
    return services.grid_counts_refresh()
