"""The background-work seam.

- ``enqueue(task, ...)``: run a Celery task after the current transaction commits. With
  Redis (production) a worker picks it up; with the embedded default Celery runs it
  eagerly in-process, after the commit, so the caller sees the same behaviour.
- ``periodic(name, every)``: declare a periodic job once. Celery beat runs it in
  production (``shanzhi worker``); without Redis, the embedded scheduler thread started by
  ``shanzhi serve``/``shanzhi demo`` runs the same task on the same interval. A lease row
  per job keeps several processes on one database from running it twice in one interval;
  tasks are idempotent anyway.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: dt.timedelta


PERIODIC: dict[str, PeriodicJob] = {}


def periodic(name: str, every: dt.timedelta) -> Callable[[Any], Any]:
    """Decorator for a Celery task (put it above ``@shared_task(name=...)``)."""

    def register(task: Any) -> Any:
        PERIODIC[name] = PeriodicJob(name=name, every=every)
        return task

    return register


PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` after the commit. The caller's work is committed by then, so a broker
    that is down (Redis stopped) must not turn it into an error: the failure is logged and
    the work stays in its table (the notification outbox, the SLA deadlines) for the
    periodic job that catches up (``core.notifications_deliver_pending``, the sweeps)."""

    def send() -> None:
        if task.app.conf.task_always_eager:
            task.delay(*args, **kwargs)  # runs here: its errors are the caller's to see
            return
        try:
            # Nobody waits for the result (no result-store subscription, which with Redis
            # down retries for twenty seconds), and a down broker is given up on quickly.
            task.apply_async(args, kwargs, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY)
        except Exception as exc:
            log.warning("could not queue %s (broker down?); the periodic catch-up will do it: %r",
                        getattr(task, "name", task), exc)

    transaction.on_commit(send)


def task_named(name: str) -> Any:
    """The Celery task registered under ``name`` (every module's tasks loaded first)."""
    from celery import current_app

    load_task_modules()
    return current_app.tasks[name]


def load_task_modules() -> None:
    for config in apps.get_app_configs():
        if config.name.startswith("shanzhi."):
            try:
                importlib.import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise


def beat_schedule() -> dict[str, dict[str, Any]]:
    load_task_modules()
    return {name: {"task": name, "schedule": job.every.total_seconds()} for name, job in PERIODIC.items()}


def take_lease(job: PeriodicJob, now: dt.datetime | None = None) -> bool:
    """True if this process may run ``job`` now (and it is marked as started)."""
    from shanzhi.core.models import JobLease

    now = now or timezone.now()
    JobLease.objects.get_or_create(name=job.name)
    taken = JobLease.objects.filter(
        Q(last_started__isnull=True) | Q(last_started__lte=now - job.every), name=job.name
    ).update(last_started=now)
    return taken == 1


def run_job(name: str) -> Any:
    """Run one periodic job's task in this process and record how it ended."""
    from shanzhi.core.models import JobLease

    task = task_named(name)
    try:
        result = task.apply().get()
    except Exception as exc:
        JobLease.objects.filter(name=name).update(last_finished=timezone.now(), last_error=repr(exc)[:2000])
        log.exception("periodic job %s failed", name)
        return None
    JobLease.objects.filter(name=name).update(last_finished=timezone.now(), last_error="")
    return result


def run_due_jobs(now: dt.datetime | None = None) -> list[str]:
    load_task_modules()
    ran = []
    for job in list(PERIODIC.values()):
        if take_lease(job, now):
            run_job(job.name)
            ran.append(job.name)
    return ran


class EmbeddedScheduler(threading.Thread):
    def __init__(self, tick: float = 5.0):
        super().__init__(name="shanzhi-scheduler", daemon=True)
        self.tick = tick
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                close_old_connections()
                run_due_jobs()
            except Exception:
                log.exception("embedded scheduler tick failed")
            finally:
                close_old_connections()
            self.stopping.wait(self.tick)

    def stop(self) -> None:
        self.stopping.set()


_scheduler: EmbeddedScheduler | None = None


def start_embedded_scheduler_if_enabled() -> None:
    """Called by serve/demo only, never at import: migrations and tests start no thread."""
    global _scheduler
    if _scheduler is None and settings.SHANZHI_EMBEDDED_SCHEDULER:
        _scheduler = EmbeddedScheduler()
        _scheduler.start()
        log.info("embedded scheduler started (%d periodic jobs)", len(PERIODIC))


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
