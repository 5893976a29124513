"""The one workflow mechanism: a case moving through declared states.

A module declares its workflow once, next to its model::

    REQUEST_FLOW = workflow.Workflow(
        "request",
        states=[workflow.State("submitted", _("submitted")), ...],
        transitions=[
            workflow.Transition("dispatch", source=["submitted"], target="dispatched",
                                action="request.dispatch", label=_("dispatch")),
            workflow.Transition("close", source=workflow.ANY, target="closed",
                                action="request.close", note_required=True),
        ],
        terminal=["closed"],
        stamp_field="state_changed_at",
    )

    class ServiceRequest(models.Model):
        workflow = REQUEST_FLOW
        state = models.CharField(max_length=32, choices=REQUEST_FLOW.choices, default=REQUEST_FLOW.initial)
        class Meta:
            constraints = [REQUEST_FLOW.state_constraint()]

and its services call ``workflow.transition(case, name="dispatch", actor=user, note=...)``,
which checks the step is allowed from the current state (else 422 on ``state``), checks
the actor's right through ``access`` (404 out of scope, 403 in scope without the right),
moves the state with a compare-and-set UPDATE so two racing workers cannot both win (the
loser gets 409), stamps the time, writes the history row and the audit entry, and queues
the after-commit hooks, all in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext

from shanzhi.core import access, audit, jobs
from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError

log = logging.getLogger(__name__)

ANY = ("*",)  # as a transition's source: every state that is not terminal
STATE_MAX_LENGTH = 32
NOTE_MAX_LENGTH = 4000


class _System:
    """The actor of a step the platform takes by itself (a deadline passing, a timeout):
    no permission check, no account on the history row."""

    pk = None
    is_authenticated = False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Any = _System()


@dataclass(frozen=True)
class State:
    value: str
    label: Any


@dataclass(frozen=True)
class Transition:
    """One allowed step: from any of ``source`` to ``target``, for whoever ``access``
    allows ``action`` on the case. ``internal`` makes every note of this step staff-only;
    ``stamp`` names a DateTimeField set to the time of the step (e.g. ``resolved_at``);
    ``guard(case, viewer)`` adds a condition beyond the role (e.g. "only the filer rates")."""

    name: str
    source: Sequence[str]
    target: str
    action: str
    label: Any = ""
    note_required: bool = False
    internal: bool = False
    stamp: str | None = None
    guard: Callable[[Any, access.Viewer], bool] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", tuple([self.source] if isinstance(self.source, str) else self.source))

    @property
    def display(self) -> str:
        return str(self.label or self.name)


Hook = Callable[..., Any] | str


@dataclass
class _HookEntry:
    hook: Hook
    transitions: frozenset[str] | None  # None: every transition


class Workflow:
    def __init__(self, name: str, *, states: Sequence[State], transitions: Sequence[Transition],
                 terminal: Iterable[str] = (), initial: str | None = None, field: str = "state",
                 stamp_field: str | None = None, view_action: str | None = None):
        """``stamp_field`` is set to the time of every step (e.g. ``state_changed_at``);
        ``view_action`` (default ``<name>.view``) decides who may learn why a step failed."""
        self.name = name
        self.field = field
        self.stamp_field = stamp_field
        self.view_action = view_action or f"{name}.view"
        self.states = tuple(states)
        self.terminal = frozenset(terminal)
        self._hooks: list[_HookEntry] = []
        values = [s.value for s in self.states]
        if len(set(values)) != len(values):
            raise ImproperlyConfigured(f"workflow {self.name}: a state is declared twice")
        if any(len(v) > STATE_MAX_LENGTH or not v for v in values):
            raise ImproperlyConfigured(f"workflow {self.name}: state values are 1 to {STATE_MAX_LENGTH} characters")
        self._labels = {s.value: s.label for s in self.states}
        unknown = set(self.terminal) - set(values)
        if unknown:
            raise ImproperlyConfigured(f"workflow {self.name}: unknown terminal states {sorted(unknown)}")
        self.initial = initial or values[0]
        if self.initial not in self._labels:
            raise ImproperlyConfigured(f"workflow {self.name}: unknown initial state {self.initial}")
        open_states = tuple(v for v in values if v not in self.terminal)
        resolved: list[Transition] = []
        names: set[str] = set()
        for t in transitions:
            if t.name in names:
                raise ImproperlyConfigured(f"workflow {self.name}: transition {t.name} is declared twice")
            names.add(t.name)
            source = open_states if tuple(t.source) == ANY else t.source
            for state in (*source, t.target):
                if state not in self._labels:
                    raise ImproperlyConfigured(f"workflow {self.name}: transition {t.name} names unknown state {state}")
            leaving = set(source) & set(self.terminal)
            if leaving:
                raise ImproperlyConfigured(
                    f"workflow {self.name}: transition {t.name} leaves terminal state(s) {sorted(leaving)}")
            resolved.append(Transition(t.name, source, t.target, t.action, t.label, t.note_required, t.internal,
                                       t.stamp, t.guard))
        self.transitions = tuple(resolved)
        self._by_name = {t.name: t for t in self.transitions}

    # -- declaration helpers -------------------------------------------------------------

    @property
    def choices(self) -> list[tuple[str, Any]]:
        return [(s.value, s.label) for s in self.states]

    def label(self, value: str) -> str:
        return str(self._labels.get(value, value))

    def state_constraint(self, field_name: str | None = None) -> models.CheckConstraint:
        """For ``Meta.constraints``: the database refuses a state this workflow does not know."""
        name = field_name or self.field
        return models.CheckConstraint(
            condition=Q(**{f"{name}__in": [s.value for s in self.states]}),
            name=f"%(app_label)s_%(class)s_{name}_valid",
        )

    def on_commit(self, hook: Hook, *, transitions: Iterable[str] | None = None) -> Hook:
        """Run ``hook`` after the transaction of a step commits. A Celery task (or its
        registered name) is enqueued with the StateChange id; a plain callable is called
        with the StateChange. Usable as a decorator. ``transitions`` limits it to those."""
        names = frozenset(transitions) if transitions is not None else None
        if names is not None and names - set(self._by_name):
            raise ImproperlyConfigured(f"workflow {self.name}: hook for unknown transitions {sorted(names)}")
        self._hooks.append(_HookEntry(hook, names))
        return hook

    # -- reading -------------------------------------------------------------------------

    def state_of(self, obj: models.Model) -> str:
        return getattr(obj, self.field)

    def is_terminal(self, obj: models.Model) -> bool:
        return self.state_of(obj) in self.terminal

    def get_transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise LookupError(f"workflow {self.name} has no transition {name}") from None

    def allowed_transitions(self, obj: models.Model, viewer: Any) -> list[Transition]:
        """The steps ``viewer`` may take from the case's current state (for buttons)."""
        current = self.state_of(obj)
        v = access.viewer_for(viewer) if not isinstance(viewer, access.Viewer) else viewer
        return [t for t in self.transitions
                if current in t.source and access.can(v, t.action, obj) and (t.guard is None or t.guard(obj, v))]

    def history(self, obj: models.Model, include_internal: bool = False) -> models.QuerySet[Any]:
        from django.contrib.contenttypes.models import ContentType

        from shanzhi.core.models import StateChange

        qs = StateChange.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
        ).select_related("actor").order_by("at", "id")
        return qs if include_internal else qs.filter(internal=False)

    def history_in_words(self, obj: models.Model, include_internal: bool = False) -> list[Any]:
        """The history for a page (which shows no workflow codes): each row gets
        ``step_label`` (empty for the first row, which only starts the case), ``from_label``
        and ``state_label``."""
        rows = list(self.history(obj, include_internal=include_internal))
        for row in rows:
            try:
                row.step_label = "" if row.transition == "create" else self.get_transition(row.transition).display
            except LookupError:
                row.step_label = row.transition
            row.from_label = self.label(row.from_state) if row.from_state else ""
            row.state_label = self.label(row.to_state)
        return rows

    # -- writing -------------------------------------------------------------------------

    def start(self, obj: models.Model, *, actor: Any, note: str = "", at: Any = None) -> Any:
        """Write the first history row of a case just created (in its service's transaction)."""
        state = self.state_of(obj)
        return self._record(obj, transition="create", from_state="", to_state=state, actor=actor,
                            note=_clean_note(note), internal=False, at=at or timezone.now())

    def transition(self, obj: models.Model, *, to: str | None = None, name: str | None = None, actor: Any,
                   note: str = "", internal: bool = False, at: Any = None, expect: dict[str, Any] | None = None,
                   note_field: str = "note", **field_changes: Any) -> Any:
        """Take one step; returns the StateChange. See the module docstring. ``expect`` adds
        field values the compare-and-set must also find unchanged (for a step that keeps the
        state, e.g. escalated → escalated one level higher: ``expect={"level": "township"}``).
        ``note_field`` is what the caller's form or API calls the note (``reason``), for errors."""
        model = type(obj)
        if obj.pk is None:
            raise ValueError("save the case before moving it")
        self._check_field_changes(model, field_changes)
        note = _clean_note(note, note_field)
        with transaction.atomic():
            current = self.state_of(obj)
            step = self._resolve(obj, current, to=to, name=name, actor=actor)
            if step.note_required and not note:
                raise ValidationError(gettext("Write a note for this step."), field=note_field)
            viewer = None
            if actor is not SYSTEM:
                access.require(actor, step.action, obj, view_action=self.view_action)
                if step.guard is not None:
                    viewer = access.viewer_for(actor)
                    if not step.guard(obj, viewer):
                        raise PermissionDenied()
            now = at or timezone.now()
            updates: dict[str, Any] = {
                f.name: now for f in model._meta.concrete_fields if getattr(f, "auto_now", False)
            }
            if self.stamp_field:
                updates[self.stamp_field] = now
            if step.stamp:
                updates[step.stamp] = now
            updates.update(field_changes)
            updates[self.field] = step.target
            # Compare-and-set: the row moves only if it is still in the state we read. A
            # concurrent step that committed first leaves nothing to update here.
            moved = model._default_manager.filter(pk=obj.pk, **{self.field: current}, **(expect or {})).update(
                **updates)
            if moved != 1:
                raise Conflict(field=self.field)
            refresh = [k for k, v in updates.items() if isinstance(v, Combinable)]
            for key, value in updates.items():
                if key not in refresh:
                    setattr(obj, key, value)
            if refresh:
                obj.refresh_from_db(fields=refresh)
            change = self._record(obj, transition=step.name, from_state=current, to_state=step.target, actor=actor,
                                  note=note, internal=internal or step.internal, at=now)
            detail: dict[str, Any] = {"from": current, "to": step.target}
            if field_changes:
                detail["changes"] = {k: _plain(v) for k, v in field_changes.items()}
            audit.record(actor=None if actor is SYSTEM else actor, action=f"{self.name}.{step.name}", target=obj,
                         detail=detail)
            self._queue_hooks(step, change)
        return change

    def transition_many(self, queryset: models.QuerySet[Any], *, name: str, note: str = "", internal: bool = False,
                        at: Any = None, **field_changes: Any) -> list[Any]:
        """The platform's own step (SYSTEM) on many cases at once, for periodic sweeps over
        thousands of rows: one UPDATE per source state, the history rows in bulk, and one audit
        entry for the batch naming its cases.
        The conditions of ``queryset`` are re-checked by the UPDATE, and on PostgreSQL the
        rows are locked with SKIP LOCKED, so two workers sweeping at once move each case
        once. Returns the StateChanges written (one per case moved). Keep batches to a few
        thousand ids. No permission check and no guard: only for steps nobody takes by hand."""
        from django.contrib.contenttypes.models import ContentType

        from shanzhi.core.models import StateChange

        model = queryset.model
        step = self.get_transition(name)
        self._check_field_changes(model, field_changes)
        note = _clean_note(note)
        if step.note_required and not note:
            raise ValidationError(gettext("Write a note for this step."), field="note")
        with transaction.atomic():
            now = at or timezone.now()
            qs = queryset.filter(**{f"{self.field}__in": step.source}).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            has_path = any(f.name == "region_path" for f in model._meta.concrete_fields)
            fetched = list(qs.values_list("pk", self.field, "region_path" if has_path else self.field))
            if not fetched:
                return []
            rows = [(pk, state) for pk, state, _path in fetched]
            paths = {pk: path for pk, _state, path in fetched} if has_path else None
            updates: dict[str, Any] = {
                f.name: now for f in model._meta.concrete_fields if getattr(f, "auto_now", False)
            }
            if self.stamp_field:
                updates[self.stamp_field] = now
            if step.stamp:
                updates[step.stamp] = now
            updates.update(field_changes)
            updates[self.field] = step.target
            by_state: dict[str, list[int]] = {}
            for pk, state in rows:
                by_state.setdefault(state, []).append(pk)
            for state, ids in by_state.items():
                moved = queryset.filter(pk__in=ids, **{self.field: state}).update(**updates)
                if moved != len(ids):
                    raise Conflict(field=self.field)
            content_type = ContentType.objects.get_for_model(model)
            changes = StateChange.objects.bulk_create([
                StateChange(content_type=content_type, object_id=pk, workflow=self.name, transition=step.name,
                            from_state=state, to_state=step.target, actor=None, actor_name="", note=note,
                            internal=internal or step.internal, at=now)
                for pk, state in rows
            ])
            # One audit entry for the batch (each case's own step is its history row above).
            detail: dict[str, Any] = {"cases": [pk for pk, _state in rows], "from": sorted(by_state),
                                      "to": step.target, "model": model._meta.label_lower}
            changes_plain = {k: _plain(v) for k, v in field_changes.items() if not isinstance(v, Combinable)}
            if changes_plain:
                detail["changes"] = changes_plain
            audit.record(actor=None, action=f"{self.name}.{step.name}", target=None,
                         region_path=_common_path(paths.values()) if paths else "", detail=detail)
            for change in changes:
                self._queue_hooks(step, change)
        return changes

    # -- internals -----------------------------------------------------------------------

    def _resolve(self, obj: models.Model, current: str, *, to: str | None, name: str | None,
                 actor: Any) -> Transition:
        if to is None and name is None:
            raise TypeError("transition() needs to= or name=")
        if name is not None:
            step = self.get_transition(name)
            if to is not None and step.target != to:
                raise TypeError(f"transition {name} goes to {step.target}, not {to}")
            candidates = [step] if current in step.source else []
        else:
            if to not in self._labels:
                raise ValidationError(gettext("Unknown state."), field=self.field)
            candidates = [t for t in self.transitions if t.target == to and current in t.source]
            if len(candidates) > 1:
                raise TypeError(f"several transitions lead from {current} to {to}; pass name=")
        if candidates:
            return candidates[0]
        # Not allowed from here. Someone who may not even see the case learns nothing more.
        if actor is not SYSTEM:
            access.require(actor, self.view_action, obj)
        if current in self.terminal:
            message = gettext("This case is %(state)s and can no longer change.") % {"state": self.label(current)}
        else:
            target = self.label(to if to is not None else self.get_transition(name or "").target)
            message = gettext("A case that is %(state)s cannot become %(target)s.") % {
                "state": self.label(current), "target": target}
        # The case's current state forbids the step: a conflict with the record as it is now,
        # which is also what the slower of two racing workers meets once the faster committed.
        raise Conflict(message, field=self.field)

    def _check_field_changes(self, model: type[models.Model], changes: dict[str, Any]) -> None:
        for key in changes:
            f: Any
            try:
                f = model._meta.get_field(key)
            except FieldDoesNotExist:
                f = next((c for c in model._meta.concrete_fields if c.attname == key), None)
            if f is None or not getattr(f, "concrete", False) or f.primary_key or key == self.field:
                raise TypeError(f"{model.__name__}.{key} cannot be changed by a transition")

    def _record(self, obj: models.Model, *, transition: str, from_state: str, to_state: str, actor: Any,
                note: str, internal: bool, at: Any) -> Any:
        from django.contrib.contenttypes.models import ContentType

        from shanzhi.core.models import StateChange

        user = actor if getattr(actor, "pk", None) else None
        return StateChange.objects.create(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk, workflow=self.name,
            transition=transition, from_state=from_state, to_state=to_state, actor=user,
            actor_name=(user.get_full_name() or user.get_username())[:150] if user else "", note=note,
            internal=internal, at=at,
        )

    def _queue_hooks(self, step: Transition, change: Any) -> None:
        for entry in self._hooks:
            if entry.transitions is not None and step.name not in entry.transitions:
                continue
            hook = entry.hook
            if isinstance(hook, str):
                jobs.enqueue(jobs.task_named(hook), change.pk)
            elif hasattr(hook, "delay"):
                jobs.enqueue(hook, change.pk)
            else:
                # The step is committed whatever the hook does: log its failure, do not
                # turn a done step into an error for the caller.
                transaction.on_commit(_bound(hook, change), robust=True)


def _bound(hook: Callable[[Any], Any], change: Any) -> Callable[[], Any]:
    def call() -> Any:
        return hook(change)

    call.__qualname__ = getattr(hook, "__qualname__", repr(hook))  # Django names it when it fails
    return call


def _common_path(paths: Iterable[str]) -> str:
    """The deepest region path above all of ``paths`` (where a batch's audit entry belongs)."""
    parts: list[str] | None = None
    for path in paths:
        codes = [c for c in path.split("/") if c]
        if parts is None:
            parts = codes
            continue
        n = 0
        while n < min(len(parts), len(codes)) and parts[n] == codes[n]:
            n += 1
        parts = parts[:n]
    return "".join(f"{c}/" for c in parts or [])


def _clean_note(note: str | None, field: str = "note") -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            gettext("A note has at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}, field=field)
    return note


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# -- module-level API: the workflow is the model's ``workflow`` attribute -------------------

def workflow_of(obj: models.Model | type[models.Model]) -> Workflow:
    flow = getattr(obj, "workflow", None)
    if not isinstance(flow, Workflow):
        name = obj.__name__ if isinstance(obj, type) else type(obj).__name__
        raise LookupError(f"{name} declares no workflow (set a `workflow = Workflow(...)` class attribute)")
    return flow


def transition(obj: models.Model, *, to: str | None = None, name: str | None = None, actor: Any, note: str = "",
               internal: bool = False, at: Any = None, expect: dict[str, Any] | None = None,
               **field_changes: Any) -> Any:
    return workflow_of(obj).transition(obj, to=to, name=name, actor=actor, note=note, internal=internal, at=at,
                                       expect=expect, **field_changes)


def start(obj: models.Model, *, actor: Any, note: str = "") -> Any:
    return workflow_of(obj).start(obj, actor=actor, note=note)


def history(obj: models.Model, include_internal: bool = False) -> models.QuerySet[Any]:
    return workflow_of(obj).history(obj, include_internal)


def history_in_words(obj: models.Model, include_internal: bool = False) -> list[Any]:
    return workflow_of(obj).history_in_words(obj, include_internal)


def allowed_transitions(obj: models.Model, viewer: Any) -> list[Transition]:
    return workflow_of(obj).allowed_transitions(obj, viewer)


__all__ = ["ANY", "SYSTEM", "State", "Transition", "Workflow", "allowed_transitions", "history", "history_in_words",
           "start",
           "transition", "workflow_of"]
