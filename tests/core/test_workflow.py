"""The workflow mechanism, on the test-only Case model (tests/core/wfapp)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from celery import shared_task
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone, translation

from shanzhi.core import workflow
from shanzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from shanzhi.core.models import AuditEvent, StateChange
from shanzhi.core.workflow import State, Transition
from tests.core.wfapp.models import CASE_FLOW, Case

GRID = "621023100201001"
HOOKED: list[int] = []


@shared_task(name="tests.core.on_dispatch")
def on_dispatch(change_id: int) -> None:
    HOOKED.append(change_id)


@pytest.fixture
def case(county):
    grid = county.grid(GRID)
    household = county.households_in(grid)[0]
    return Case.objects.create(title="路灯不亮", region_path=household.region_path, household=household,
                               filed_by=county.users["resident"])


def test_a_step_moves_the_state_stamps_the_time_and_writes_history_and_audit(county, case):
    worker = county.users["grid_worker"]
    before = timezone.now()
    change = workflow.transition(case, name="dispatch", actor=worker, note="派给村委")

    case.refresh_from_db()
    assert case.state == "dispatched"
    assert case.state_changed_at is not None
    assert case.state_changed_at >= before
    assert case.updated_at == case.state_changed_at  # auto_now fields move with the step
    assert change.from_state == "submitted"
    assert change.to_state == "dispatched"
    assert change.transition == "dispatch"
    assert change.actor == worker
    assert change.note == "派给村委"
    assert not change.internal
    assert change.content_type == ContentType.objects.get_for_model(Case)
    assert change.object_id == case.pk
    event = AuditEvent.objects.get(action="case.dispatch")
    assert event.actor == worker
    assert event.target_id == str(case.pk)
    assert event.region_path == case.region_path
    assert event.detail == {"from": "submitted", "to": "dispatched"}


def test_to_finds_the_transition_and_field_changes_are_applied(county, case):
    secretary = county.users["village_secretary"]
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    workflow.transition(case, to="accepted", actor=secretary, assignee=secretary, priority=2)
    case.refresh_from_db()
    assert case.state == "accepted"
    assert case.assignee == secretary
    assert case.priority == 2
    assert AuditEvent.objects.get(action="case.accept").detail["changes"] == {"assignee": secretary.pk,
                                                                              "priority": 2}


def test_a_transition_stamp_sets_its_own_field(county, case):
    secretary = county.users["village_secretary"]
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    workflow.transition(case, name="accept", actor=secretary)
    assert case.resolved_at is None
    at = timezone.now() - dt.timedelta(hours=1)
    workflow.transition(case, name="resolve", actor=secretary, note="已修复", at=at)
    case.refresh_from_db()
    assert case.resolved_at == at
    assert case.state_changed_at == at


def test_a_step_not_allowed_from_the_current_state_is_a_409_on_state(county, case):
    secretary = county.users["village_secretary"]
    with pytest.raises(Conflict) as exc, translation.override("en"):
        workflow.transition(case, name="resolve", actor=secretary, note="x")
    assert exc.value.status == 409
    assert str(exc.value.fields["state"]) == "A case that is submitted cannot become resolved."
    case.refresh_from_db()
    assert case.state == "submitted"
    assert not StateChange.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="case.").exists()


def test_a_terminal_state_cannot_change(county, case):
    secretary = county.users["village_secretary"]
    workflow.transition(case, name="cancel", actor=secretary, note="重复")
    assert CASE_FLOW.is_terminal(case)
    with pytest.raises(Conflict) as exc, translation.override("en"):
        workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    assert str(exc.value.fields["state"]) == "This case is cancelled and can no longer change."


def test_permission_is_checked_against_the_object(county, case):
    # A resident of the household sees the case but may not dispatch it: 403.
    with pytest.raises(PermissionDenied):
        workflow.transition(case, name="dispatch", actor=county.users["resident"])
    # A grid worker of another grid does not even see it: 404, also for a wrong step.
    other = county.users["grid_worker"]
    other_grid_case = Case.objects.create(title="x", region_path=county.grid("621023101201001").path)
    with pytest.raises(NotFound):
        workflow.transition(other_grid_case, name="dispatch", actor=other)
    with pytest.raises(NotFound):
        workflow.transition(other_grid_case, name="resolve", actor=other, note="x")
    other_grid_case.refresh_from_db()
    assert other_grid_case.state == "submitted"


def test_a_guard_narrows_a_transition_to_the_filer(county, case):
    secretary = county.users["village_secretary"]
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    workflow.transition(case, name="accept", actor=secretary)
    workflow.transition(case, name="resolve", actor=secretary, note="已修复")
    # Someone else of the same household may see the case, but only the filer confirms.
    from tests import factories

    spouse = factories.user("u_spouse", resident=case.household.members.get(relation="spouse"))
    assert [t.name for t in workflow.allowed_transitions(case, spouse)] == []
    with pytest.raises(PermissionDenied):
        workflow.transition(case, name="confirm", actor=spouse)
    assert [t.name for t in workflow.allowed_transitions(case, county.users["resident"])] == ["confirm"]
    workflow.transition(case, name="confirm", actor=county.users["resident"])
    assert case.state == "closed"


def test_an_ambiguous_target_needs_the_transition_name(county, case):
    secretary = county.users["village_secretary"]
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    workflow.transition(case, name="accept", actor=secretary)
    workflow.transition(case, name="resolve", actor=secretary, note="ok")
    with pytest.raises(TypeError, match="pass name="):
        workflow.transition(case, to="closed", actor=secretary)
    with pytest.raises(TypeError):
        workflow.transition(case, actor=secretary)
    with pytest.raises(TypeError):
        workflow.transition(case, name="close", to="cancelled", actor=secretary)


def test_a_required_note_and_internal_notes(county, case):
    secretary = county.users["village_secretary"]
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"], note="公开说明")
    with pytest.raises(ValidationError) as exc:
        workflow.transition(case, name="return", actor=secretary, note="   ")
    assert "note" in exc.value.fields
    workflow.transition(case, name="return", actor=secretary, note="不属于本村")  # internal by declaration
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"], note="内部备注", internal=True)
    public = list(workflow.history(case))
    everything = list(workflow.history(case, include_internal=True))
    assert [c.note for c in public] == ["公开说明"]
    assert [c.note for c in everything] == ["公开说明", "不属于本村", "内部备注"]
    assert [c.internal for c in everything] == [False, True, True]


def test_start_records_the_first_row_and_history_is_ordered(county, case):
    resident = county.users["resident"]
    workflow.start(case, actor=resident, note="请尽快处理")
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    rows = list(workflow.history(case))
    assert [(r.transition, r.from_state, r.to_state) for r in rows] == [
        ("create", "", "submitted"), ("dispatch", "submitted", "dispatched")]
    assert rows[0].actor == resident
    with translation.override("en"):
        words = [(r.step_label, r.from_label, r.state_label) for r in CASE_FLOW.history_in_words(case)]
    assert words == [("", "", "submitted"), ("dispatch", "submitted", "dispatched")]


def test_allowed_transitions_follow_state_and_role(county, case):
    assert [t.name for t in workflow.allowed_transitions(case, county.users["grid_worker"])] == ["dispatch"]
    assert [t.name for t in workflow.allowed_transitions(case, county.users["village_secretary"])] == ["cancel"]
    assert workflow.allowed_transitions(case, county.users["resident"]) == []
    assert workflow.allowed_transitions(case, county.users["department_staff"]) == []


def test_a_stale_copy_gets_a_conflict(county, case):
    stale = Case.objects.get(pk=case.pk)
    workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    with pytest.raises(Conflict) as exc:
        workflow.transition(stale, name="dispatch", actor=county.users["grid_worker"])
    assert exc.value.status == 409
    assert StateChange.objects.filter(transition="dispatch").count() == 1


def test_the_system_actor_skips_the_permission_check(county, case):
    change = workflow.transition(case, name="cancel", actor=workflow.SYSTEM, note="超时自动撤销")
    assert change.actor is None
    assert AuditEvent.objects.get(action="case.cancel").actor is None


def test_the_database_refuses_an_unknown_state(case):
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(state="lost")


def test_field_changes_must_be_plain_fields(county, case):
    with pytest.raises(TypeError):
        workflow.transition(case, name="dispatch", actor=county.users["grid_worker"], state="closed")
    with pytest.raises(TypeError):
        workflow.transition(case, name="dispatch", actor=county.users["grid_worker"], nonsense=1)


def test_hooks_run_after_commit_only(county, case, django_capture_on_commit_callbacks):
    seen = []
    hook = CASE_FLOW.on_commit(lambda change: seen.append(change.transition), transitions=["dispatch"])
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
            assert seen == []  # not before the commit
        assert len(callbacks) == 1
        assert seen == ["dispatch"]
        with django_capture_on_commit_callbacks(execute=True):
            workflow.transition(case, name="accept", actor=county.users["village_secretary"])
        assert seen == ["dispatch"]  # limited to the dispatch step
    finally:
        CASE_FLOW._hooks[:] = [h for h in CASE_FLOW._hooks if h.hook is not hook]


@pytest.mark.parametrize("hook", [on_dispatch, "tests.core.on_dispatch"], ids=["task", "task name"])
def test_a_celery_task_hook_is_enqueued_with_the_state_change_id(county, case, django_capture_on_commit_callbacks,
                                                                  hook):
    HOOKED.clear()
    CASE_FLOW.on_commit(hook, transitions=["dispatch"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            change = workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
            assert not HOOKED
    finally:
        CASE_FLOW._hooks[:] = [h for h in CASE_FLOW._hooks if h.hook is not hook]
    assert [change.pk] == HOOKED  # run (eagerly, without Redis) after the commit


def test_a_hook_failing_after_commit_does_not_undo_the_step(county, case, django_capture_on_commit_callbacks):
    def broken(change):
        raise RuntimeError("mail server down")

    CASE_FLOW.on_commit(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.transition(case, name="dispatch", actor=county.users["grid_worker"])
    finally:
        CASE_FLOW._hooks[:] = [h for h in CASE_FLOW._hooks if h.hook is not broken]
    case.refresh_from_db()
    assert case.state == "dispatched"


def test_a_failed_step_rolls_back_everything(county, case, monkeypatch):
    """The audit entry is the last write of a step: if it fails, state and history roll back."""
    from shanzhi.core import audit

    def failing(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        workflow.transition(case, name="cancel", actor=county.users["village_secretary"], note="x")
    assert Case.objects.get(pk=case.pk).state == "submitted"
    assert not StateChange.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"states": [State("a", "a"), State("a", "a")], "transitions": []}, "twice"),
        ({"states": [State("a", "a")], "transitions": [Transition("t", ["a"], "b", "x.y")]}, "unknown state"),
        ({"states": [State("a", "a"), State("b", "b")], "transitions": [Transition("t", ["b"], "a", "x.y")],
          "terminal": ["b"]}, "leaves terminal"),
        ({"states": [State("a", "a")], "transitions": [], "terminal": ["z"]}, "unknown terminal"),
    ],
)
def test_a_bad_declaration_is_refused_at_import(kwargs, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        workflow.Workflow("x", **kwargs)


def test_any_expands_to_the_open_states():
    cancel = CASE_FLOW.get_transition("cancel")
    assert set(cancel.source) == {"submitted", "dispatched", "accepted", "resolved"}


def test_state_constraint_is_named_per_model():
    constraint = next(c for c in Case._meta.constraints if "state" in c.name)
    assert constraint.name == "wfapp_case_state_valid"


def _race(case_id: int, actor, barrier: threading.Barrier, results: list[str]) -> None:
    try:
        mine = Case.objects.get(pk=case_id)  # each thread reads the case itself
        barrier.wait()
        workflow.transition(mine, name="dispatch", actor=actor)
        results.append("won")
    except Conflict:
        results.append("conflict")
    except Exception as exc:  # shown in the assertion
        results.append(repr(exc))
    finally:
        connection.close()


def test_two_workers_racing_the_same_step_exactly_one_wins(shared_db, county):
    """Real concurrency: two threads, two database connections, the same step at once
    (several rounds, so the two really overlap in some of them)."""
    worker = county.users["grid_worker"]
    path = county.grid(GRID).path
    for _round in range(4):
        case = Case.objects.create(title="race", region_path=path)
        barrier = threading.Barrier(2, timeout=30)
        results: list[str] = []
        threads = [threading.Thread(target=_race, args=(case.pk, worker, barrier, results)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        close_old_connections()
        assert sorted(results) == ["conflict", "won"]
        assert StateChange.objects.filter(object_id=case.pk, transition="dispatch").count() == 1
        assert AuditEvent.objects.filter(action="case.dispatch", target_id=str(case.pk)).count() == 1
        assert Case.objects.get(pk=case.pk).state == "dispatched"


def test_expect_makes_the_compare_and_set_check_more_fields(county, case):
    stale = Case.objects.get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(priority=5)  # someone re-prioritised meanwhile
    with pytest.raises(Conflict):
        workflow.transition(stale, name="dispatch", actor=county.users["grid_worker"], expect={"priority": 0})
    assert Case.objects.get(pk=case.pk).state == "submitted"
    workflow.transition(stale, name="dispatch", actor=county.users["grid_worker"], expect={"priority": 5})
    assert Case.objects.get(pk=case.pk).state == "dispatched"


def test_transition_many_moves_each_open_case_once_with_history_and_audit(county):
    path = county.grid(GRID).path
    open_cases = [Case.objects.create(title=f"c{i}", region_path=path) for i in range(3)]
    done = Case.objects.create(title="done", region_path=path, state="closed")
    Case.objects.filter(pk=open_cases[2].pk).update(state="accepted")
    with pytest.raises(ValidationError):
        CASE_FLOW.transition_many(Case.objects.all(), name="cancel")  # the step needs a note
    changes = CASE_FLOW.transition_many(Case.objects.all(), name="cancel", note="超期未处理，自动撤销")
    assert sorted(c.object_id for c in changes) == sorted(c.pk for c in open_cases)
    assert {(c.from_state, c.to_state) for c in changes} == {("submitted", "cancelled"), ("accepted", "cancelled")}
    assert set(Case.objects.exclude(pk=done.pk).values_list("state", flat=True)) == {"cancelled"}
    assert Case.objects.get(pk=done.pk).state == "closed"  # terminal: not a source of the step
    (entry,) = AuditEvent.objects.filter(action="case.cancel")  # one entry for the batch, naming its cases
    assert sorted(entry.detail["cases"]) == sorted(c.pk for c in open_cases)
    assert entry.region_path == path
    assert all(c.state_changed_at is not None for c in Case.objects.exclude(pk=done.pk))
    assert CASE_FLOW.transition_many(Case.objects.all(), name="cancel", note="again") == []


def _sweep(barrier: threading.Barrier, results: list[int]) -> None:
    try:
        barrier.wait()
        results.append(len(CASE_FLOW.transition_many(Case.objects.all(), name="cancel", note="sweep")))
    except Exception as exc:  # shown in the assertion
        results.append(repr(exc))  # type: ignore[arg-type]
    finally:
        connection.close()


def test_two_sweeps_at_once_move_each_case_once(shared_db, county):
    path = county.grid(GRID).path
    ids = [Case.objects.create(title=f"s{i}", region_path=path).pk for i in range(20)]
    barrier = threading.Barrier(2, timeout=30)
    results: list[int] = []
    threads = [threading.Thread(target=_sweep, args=(barrier, results)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_old_connections()
    assert sum(r for r in results if isinstance(r, int)) == 20, results
    assert StateChange.objects.filter(object_id__in=ids, transition="cancel").count() == 20
    audited = [pk for e in AuditEvent.objects.filter(action="case.cancel") for pk in e.detail["cases"]]
    assert sorted(audited) == sorted(ids)
