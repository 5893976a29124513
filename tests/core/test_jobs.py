"""Background work: the embedded scheduler's leases, the beat schedule, and a real Celery
worker (with Redis) running tasks against the test database."""

from __future__ import annotations

import datetime as dt
import shelve
import threading

import pytest
from celery import Celery, shared_task
from django.db import close_old_connections, connection
from django.utils import timezone

from shanzhi.core import jobs
from shanzhi.core.models import InboxMessage, JobLease, Notification
from shanzhi.regions.models import Region
from tests.core.processes import SHANZHI, database_url, run_shanzhi, subprocess_env

RUNS: list[str] = []


@shared_task(name="tests.core.tick")
def tick() -> int:
    RUNS.append("tick")
    return len(RUNS)


@shared_task(name="tests.core.broken")
def broken() -> None:
    raise RuntimeError("the rollup failed")


EVERY = dt.timedelta(minutes=10)


@pytest.fixture
def only_test_jobs(monkeypatch):
    """The scheduler sees only the test's jobs (the real ones are loaded first, so a late
    import cannot add them to the replaced table)."""
    jobs.load_task_modules()
    table = {"tests.core.tick": jobs.PeriodicJob("tests.core.tick", EVERY)}
    monkeypatch.setattr(jobs, "PERIODIC", table)
    RUNS.clear()
    return table


def test_a_due_job_runs_and_is_not_due_again_until_its_interval_passes(db, only_test_jobs):
    now = timezone.now()
    assert jobs.run_due_jobs(now) == ["tests.core.tick"]
    assert RUNS == ["tick"]
    lease = JobLease.objects.get(name="tests.core.tick")
    assert lease.last_started == now
    assert lease.last_finished is not None
    assert lease.last_error == ""
    assert jobs.run_due_jobs(now + dt.timedelta(minutes=5)) == []  # not due
    assert RUNS == ["tick"]
    assert jobs.run_due_jobs(now + EVERY) == ["tests.core.tick"]
    assert RUNS == ["tick", "tick"]


def test_a_failing_job_is_recorded_and_the_others_still_run(db, only_test_jobs):
    only_test_jobs["tests.core.broken"] = jobs.PeriodicJob("tests.core.broken", EVERY)
    ran = jobs.run_due_jobs(timezone.now())
    assert sorted(ran) == ["tests.core.broken", "tests.core.tick"]
    assert RUNS == ["tick"]
    assert "the rollup failed" in JobLease.objects.get(name="tests.core.broken").last_error


def test_two_schedulers_ticking_together_run_a_due_job_once(shared_db, only_test_jobs):
    """Two web processes' schedulers on one database, at the same instant."""
    now = timezone.now()
    barrier = threading.Barrier(2, timeout=30)
    ran: list[list[str]] = []

    def scheduler() -> None:
        try:
            barrier.wait()
            ran.append(jobs.run_due_jobs(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_old_connections()
    assert sorted(ran) == [[], ["tests.core.tick"]]
    assert RUNS == ["tick"]


def test_the_embedded_scheduler_thread_runs_due_jobs(shared_db, only_test_jobs):
    scheduler = jobs.EmbeddedScheduler(tick=0.2)
    scheduler.start()
    try:
        assert jobs.wait_for(lambda: RUNS == ["tick"], timeout=30)
    finally:
        scheduler.stop()
        scheduler.join(30)
    close_old_connections()
    assert not scheduler.is_alive()
    assert RUNS == ["tick"]  # ticking every 0.2 s, but the job is due every 10 minutes


def test_beat_schedule_lists_every_periodic_job():
    from shanzhi.celery import app

    schedule = jobs.beat_schedule()
    assert schedule["regions.grid_counts_refresh"] == {"task": "regions.grid_counts_refresh", "schedule": 600.0}
    assert schedule["core.notifications_deliver_pending"]["schedule"] == 60.0
    app.finalize()
    assert set(schedule) <= set(app.conf.beat_schedule)
    for entry in schedule.values():
        assert entry["task"] in app.tasks


# -- a real worker -----------------------------------------------------------------------------

def _worker_env(tmp_path, redis_url):
    return subprocess_env(tmp_path / "data", DATABASE_URL=database_url(), REDIS_URL=redis_url)


@pytest.mark.redis
def test_a_real_worker_runs_enqueued_tasks_against_the_database(shared_db, county, redis_url, tmp_path,
                                                              background):
    grid = county.grid("621023100201001")
    Region.objects.filter(pk=grid.pk).update(household_count=99)
    env = _worker_env(tmp_path, redis_url)
    worker = background([SHANZHI, "worker", "--no-beat", "--concurrency=1"], env, name="worker")

    # 1. A task sent to the broker by name: the grid counts are put right by the worker.
    probe = Celery("probe", broker=redis_url, set_as_current=False)  # or shared tasks would go to it
    try:
        probe.send_task("regions.grid_counts_refresh")
    finally:
        probe.close()
    worker.wait_for(lambda: Region.objects.get(pk=grid.pk).household_count == 3, what="grid_counts_refresh")

    # 2. The outbox end to end: another process (with REDIS_URL, so not eager) notifies
    #    inside a transaction; the worker delivers after the commit.
    recipient = county.users["grid_worker"]
    script = (
        "from django.db import transaction\n"
        "from shanzhi.core import notify\n"
        "with transaction.atomic():\n"
        f"    notify.notify([{recipient.pk}], 'test.worker', '来自后台')\n"
    )
    result = run_shanzhi("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    assert Notification.objects.filter(kind="test.worker").count() == 1
    worker.wait_for(lambda: InboxMessage.objects.filter(recipient=recipient, kind="test.worker").exists(),
                    what="the outbox delivery")
    row = Notification.objects.get(kind="test.worker")
    assert row.delivered_at is not None
    assert row.attempts == 1
    assert "core.notifications_deliver" in worker.output()
    assert worker.stop() in (0, -15)


@pytest.mark.redis
def test_shanzhi_worker_starts_with_beat_and_beat_loads_the_periodic_jobs(shared_db, redis_url, tmp_path,
                                                                          background):
    env = _worker_env(tmp_path, redis_url)
    worker = background([SHANZHI, "worker", "--concurrency=1"], env, name="worker-beat")
    worker.wait_for(lambda: "beat: Starting" in worker.output() and " ready." in worker.output(),
                    what="the worker and beat to start")
    # beat writes its schedule file when it starts and syncs it when it stops
    assert worker.stop() in (0, -15)
    with shelve.open(str(tmp_path / "data" / "celerybeat-schedule"), flag="r") as db:  # noqa: S301 (beat's own file)
        entries = set(db["entries"])
    assert {"regions.grid_counts_refresh", "core.notifications_deliver_pending"} <= entries


def test_the_worker_refuses_to_start_without_redis(tmp_path):
    result = run_shanzhi("worker", env=subprocess_env(tmp_path))
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr


def test_shanzhi_worker_embedded_once_runs_the_due_jobs(migrated_dir):
    env = subprocess_env(migrated_dir)
    result = run_shanzhi("worker", "--embedded", "--once", env=env)
    assert result.returncode == 0, result.stderr
    assert "regions.grid_counts_refresh" in result.stdout
    again = run_shanzhi("worker", "--embedded", "--once", env=env)
    assert "nothing due" in again.stdout
