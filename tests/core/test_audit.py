"""The audit log is append-only in the database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from shanzhi.core import audit, context
from shanzhi.core.models import AuditEvent


@pytest.fixture
def event(county):
    with context.acting("web", "10.0.0.7"):
        return audit.record(actor=county.users["grid_worker"], action="household.change",
                            target=county.households[0], detail={"address": ["旧", "新"]})


def test_record_names_actor_channel_address_and_target(event, county):
    assert event.actor == county.users["grid_worker"]
    assert event.actor_name == "u_grid_worker"
    assert event.channel == "web"
    assert event.address == "10.0.0.7"
    assert event.target_type == "regions.household"
    assert event.target_id == str(county.households[0].pk)
    assert event.region_path == county.households[0].region_path


def test_the_orm_cannot_update_or_delete_an_entry(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.detail = {}
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "household.change"
    assert stored.detail == {"address": ["旧", "新"]}


def test_raw_sql_cannot_update_or_delete_an_entry(event):
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET actor_name = 'someone else' WHERE id = %s", [event.pk])  # noqa: S608
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert AuditEvent.objects.filter(pk=event.pk, actor_name="u_grid_worker").exists()


def test_flushing_the_whole_database_keeps_the_protection(shared_db, county):
    """Emptying everything (the test runner, `shanzhi flush`) is allowed, and the
    append-only triggers are still there afterwards."""
    audit.record(actor=None, action="test.before_flush")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    entry = audit.record(actor=None, action="test.after_flush")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).update(action="x")
