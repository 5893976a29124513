"""The notification outbox and the in-app inbox."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from shanzhi.core import notify
from shanzhi.core.models import InboxMessage, Notification


@pytest.fixture
def people(county):
    return county.users["grid_worker"], county.users["village_secretary"]


def test_notify_writes_the_outbox_and_delivers_after_commit(people, county, django_capture_on_commit_callbacks):
    worker, secretary = people
    household = county.households[0]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = notify.notify([worker, secretary, worker.pk, None], "case.dispatched", "新的派单",
                             body="张湾村路灯", link="/cases/1", target=household)
        assert len(rows) == 2  # duplicates and empty values dropped
        assert Notification.objects.filter(delivered_at__isnull=True).count() == 2
        assert not InboxMessage.objects.exists()  # nothing is delivered before the commit
    assert len(callbacks) == 1
    assert not Notification.objects.filter(delivered_at__isnull=True).exists()
    message = notify.inbox(worker).get()
    assert message.title == "新的派单"
    assert message.body == "张湾村路灯"
    assert message.link == "/cases/1"
    assert message.target_type == "regions.household"
    assert message.target_id == str(household.pk)
    assert message.read_at is None
    assert notify.inbox(secretary).count() == 1


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(people, django_capture_on_commit_callbacks):
    worker, _ = people
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify.notify([worker], "case.dispatched", "新的派单")
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not InboxMessage.objects.exists()


def test_delivery_is_idempotent(people, django_capture_on_commit_callbacks):
    worker, _ = people
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = notify.notify([worker], "case.dispatched", "新的派单")
    assert notify.deliver(row.pk) is True
    assert notify.deliver(row.pk) is False
    assert notify.deliver_pending() == 0
    assert InboxMessage.objects.filter(notification=row).count() == 1
    row.refresh_from_db()
    assert row.attempts == 1
    assert row.channels_done == ["inbox"]


def test_a_failing_channel_is_retried_without_repeating_the_others(people, django_capture_on_commit_callbacks,
                                                                 monkeypatch):
    worker, _ = people
    sent: list[int] = []

    class FlakySms:
        name = "sms"
        fail = True

        def send(self, n):
            if self.fail:
                raise ConnectionError("gateway timeout")
            sent.append(n.pk)

    flaky = FlakySms()
    monkeypatch.setitem(notify.CHANNELS, "sms", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = notify.notify([worker], "case.overdue", "已超时", channels=["inbox", "sms"])
    row.refresh_from_db()
    assert row.delivered_at is None
    assert row.channels_done == ["inbox"]
    assert "gateway timeout" in row.last_error
    assert InboxMessage.objects.filter(notification=row).count() == 1

    flaky.fail = False
    assert notify.deliver_pending() == 1
    row.refresh_from_db()
    assert row.delivered_at is not None
    assert row.channels_done == ["inbox", "sms"]
    assert row.last_error == ""
    assert sent == [row.pk]
    assert InboxMessage.objects.filter(notification=row).count() == 1


def test_unknown_channels_are_refused(people):
    with pytest.raises(ValueError, match="fax"):
        notify.notify([people[0]], "x", "y", channels=["fax"])


def test_the_external_channels_are_a_no_op_seam_until_configured(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = notify.notify([people[0]], "x", "y", channels=["inbox", "email", "sms", "wechat"])
    row.refresh_from_db()
    assert row.delivered_at is not None
    assert row.channels_done == ["inbox", "email", "sms", "wechat"]


def test_inbox_is_per_user_and_mark_read_touches_only_ones_own(people, django_capture_on_commit_callbacks):
    worker, secretary = people
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify([worker, secretary], "a", "一")
        notify.notify([worker], "b", "二")
    assert notify.unread_count(worker) == 2
    theirs = notify.inbox(secretary).get()
    first = notify.inbox(worker).get(kind="a")
    # The secretary's message id is ignored when the worker marks it.
    assert notify.inbox_mark_read(actor=worker, ids=[first.pk, theirs.pk]) == 1
    assert notify.unread_count(worker) == 1
    assert notify.unread_count(secretary) == 1
    assert [m.title for m in notify.inbox(worker, unread_only=True)] == ["二"]
    assert notify.inbox_mark_read(actor=worker) == 1
    assert notify.unread_count(worker) == 0
    assert list(notify.inbox(None)) == []


def test_two_deliveries_racing_deliver_once(shared_db, county):
    """Two workers handed the same rows at once (a retried task): each row delivered
    exactly once, none skipped by both (rows to the same person must not block each other)."""
    worker = county.users["grid_worker"]
    rows = [Notification.objects.create(recipient=worker, kind="race", title=f"t{i}", channels=["inbox"])
            for i in range(5)]
    barrier = threading.Barrier(2, timeout=30)
    errors: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            for row in rows:
                notify.deliver(row.pk)
        except Exception as exc:  # pragma: no cover - shown in the assertion
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_old_connections()
    assert errors == []
    assert InboxMessage.objects.filter(kind="race").count() == 5
    assert not Notification.objects.filter(kind="race", delivered_at__isnull=True).exists()
    assert set(Notification.objects.filter(kind="race").values_list("attempts", flat=True)) == {1}
