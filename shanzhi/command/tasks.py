"""Background work of the command centre: the early-warning rules (thin and idempotent)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from shanzhi.core import jobs


@jobs.periodic("command.raise_alerts", every=dt.timedelta(minutes=30))
@shared_task(name="command.raise_alerts")
def command_raise_alerts() -> dict[str, int]:
    """Run the early-warning rules over every county; open alerts are not raised twice."""
    from shanzhi.command import services

    return services.alerts_raise()


@jobs.periodic("command.refresh_rollups", every=dt.timedelta(seconds=60))
@shared_task(name="command.refresh_rollups")
def command_refresh_rollups() -> dict[str, int]:
    """Bring the dashboard's rollups up to date with what changed since the last run."""
    from shanzhi.command import rollups

    return rollups.refresh_all()
