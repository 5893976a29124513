"""The sweep through a real Celery worker and Redis, as in production."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from shanzhi.casework.models import ServiceRequest
from shanzhi.core.models import InboxMessage, StateChange
from tests.casework.conftest import file_request
from tests.core.processes import SHANZHI, database_url, subprocess_env


@pytest.mark.redis
def test_the_sweep_escalates_through_a_real_worker_once(shared_db, county, categories, redis_url, tmp_path,
                                                         background):
    reqs = [file_request(county, categories, who="township_staff", household=h) for h in county.households[:4]]
    fresh = file_request(county, categories)  # not overdue: left alone
    ServiceRequest.objects.filter(pk__in=[r.pk for r in reqs]).update(
        escalation_due=timezone.now() - dt.timedelta(hours=1))
    env = subprocess_env(tmp_path / "data", DATABASE_URL=database_url(), REDIS_URL=redis_url)
    # Two processes at once on PostgreSQL; SQLite has one writer anyway.
    concurrency = "2" if connection.vendor == "postgresql" else "1"
    worker = background([SHANZHI, "worker", "--no-beat", f"--concurrency={concurrency}"], env, name="worker")
    probe = Celery("probe", broker=redis_url, backend=redis_url, set_as_current=False)
    try:
        first = probe.send_task("casework.sweep")
        second = probe.send_task("casework.sweep")
        outcomes = [first.get(timeout=120), second.get(timeout=120)]
    finally:
        probe.close()
    assert sorted(o["escalated"] for o in outcomes) in ([0, 4], [1, 3], [2, 2]), (outcomes, worker.output()[-3000:])
    assert sum(o["escalated"] for o in outcomes) == 4
    assert set(ServiceRequest.objects.filter(pk__in=[r.pk for r in reqs]).values_list(
        "level", "escalation_count")) == {("township", 1)}
    assert ServiceRequest.objects.get(pk=fresh.pk).level == "village"
    assert StateChange.objects.filter(transition="escalate").count() == 4
    # The worker also delivered the notifications to the township's inbox.
    township = county.users["township_staff"]
    worker.wait_for(lambda: InboxMessage.objects.filter(recipient=township, kind="request.escalated").exists(),
                    what="the escalation notices in the township's inbox")
    assert "casework.sweep" in worker.output()
    assert worker.stop() in (0, -15)
