"""The Celery application. Tasks live in each module's ``tasks.py``; the periodic ones
are declared once in ``shanzhi.core.jobs`` and run either by Celery beat (with Redis) or
by the embedded scheduler (without)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")

app = Celery("shanzhi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_periodic(sender: Celery, **_: object) -> None:
    from shanzhi.core import jobs

    sender.conf.beat_schedule = jobs.beat_schedule()
