"""The request's workflow, declared once: its states, each step, and who may take it.

Who may take a step is two things, both here: the access action (``request.dispatch``,
granted to role groups in ``permissions.py`` and scoped by place, department, household or
named account) and, where the role is not enough, a guard:

- the dispatching steps are for those at or above the level now responsible (a request
  escalated to the township is no longer the grid's to dispatch);
- the handling steps are for the handler the request was dispatched to (its department, the
  named Party member, or the responsible level itself when it kept the matter);
- rating and reopening are for the resident who asked.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shanzhi.core import access, tiers, workflow


class State:
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    RATED = "rated"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"


def is_handler_of(case: Any, viewer: access.Viewer, action: str) -> bool:
    if viewer.is_admin:
        return True
    kind = case.handler_kind
    if kind == "department":
        return case.assignee_department_id in viewer.departments_for(action)
    if kind == "member":
        return viewer.user is not None and case.assignee_user_id == viewer.user.pk
    if kind == "level":
        return tiers.grants_at_or_above(viewer, action, case.handling_path)
    return False


def handler(action: str) -> Any:
    """Guard: the viewer is the one the request was dispatched to."""

    def guard(case: Any, viewer: access.Viewer) -> bool:
        return is_handler_of(case, viewer, action)

    guard.__name__ = f"handler[{action}]"
    return guard


def is_requester(case: Any, viewer: access.Viewer) -> bool:
    """The resident who asked (rating and reopening are theirs alone)."""
    if viewer.resident_id is None:
        return False
    if case.resident_id is not None:
        return bool(case.resident_id == viewer.resident_id)
    return viewer.user is not None and case.filed_by_id == viewer.user.pk


def may_escalate(case: Any, viewer: access.Viewer) -> bool:
    if case.level == "county":
        return False
    return tiers.at_level("request.escalate")(case, viewer) or is_handler_of(case, viewer, "request.escalate")


BEFORE_HANDLING = [State.SUBMITTED, State.RETURNED, State.ESCALATED, State.REOPENED]
OPEN_UNRESOLVED = [State.SUBMITTED, State.DISPATCHED, State.RETURNED, State.ACCEPTED, State.IN_PROGRESS,
                   State.ESCALATED, State.REOPENED]

T = workflow.Transition

REQUEST_FLOW = workflow.Workflow(
    "request",
    states=[
        workflow.State(State.SUBMITTED, _("submitted")),
        workflow.State(State.DISPATCHED, _("dispatched")),
        workflow.State(State.RETURNED, _("returned to the grid")),
        workflow.State(State.ACCEPTED, _("accepted")),
        workflow.State(State.IN_PROGRESS, _("in progress")),
        workflow.State(State.RESOLVED, _("resolved")),
        workflow.State(State.RATED, _("rated")),
        workflow.State(State.REOPENED, _("reopened")),
        workflow.State(State.ESCALATED, _("escalated")),
        workflow.State(State.CLOSED, _("closed")),
        workflow.State(State.REJECTED, _("rejected")),
        workflow.State(State.MERGED, _("merged")),
    ],
    transitions=[
        # 网格派单: to a department, a Party member, or kept by the responsible level.
        T("dispatch", [State.SUBMITTED, State.RETURNED, State.ESCALATED, State.REOPENED], State.DISPATCHED,
          "request.dispatch", _("dispatch"), guard=tiers.at_level("request.dispatch"), stamp="dispatched_at"),
        T("reassign", [State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS], State.DISPATCHED,
          "request.reassign", _("reassign"), note_required=True, guard=tiers.at_level("request.reassign"),
          stamp="dispatched_at"),
        # 部门接单 (or the Party member, or the grid itself).
        T("accept", [State.DISPATCHED, State.ESCALATED, State.REOPENED], State.ACCEPTED, "request.accept",
          _("accept"), guard=handler("request.accept")),
        T("return", [State.DISPATCHED, State.ACCEPTED], State.RETURNED, "request.return", _("return"),
          note_required=True, internal=True, guard=handler("request.return")),
        T("start", [State.ACCEPTED], State.IN_PROGRESS, "request.accept", _("start work"),
          guard=handler("request.accept")),
        T("resolve", [State.ACCEPTED, State.IN_PROGRESS, State.ESCALATED], State.RESOLVED, "request.resolve",
          _("resolve"), note_required=True, guard=handler("request.resolve"), stamp="resolved_at"),
        # 群众评单.
        T("rate", [State.RESOLVED], State.RATED, "request.rate", _("rate"), guard=is_requester),
        T("reopen", [State.RESOLVED, State.RATED], State.REOPENED, "request.reopen", _("reopen"),
          note_required=True, guard=is_requester),
        T("escalate", OPEN_UNRESOLVED, State.ESCALATED, "request.escalate", _("escalate"), note_required=True,
          guard=may_escalate, stamp="escalated_at"),
        T("reject", BEFORE_HANDLING, State.REJECTED, "request.reject", _("reject"), note_required=True,
          guard=tiers.at_level("request.reject"), stamp="closed_at"),
        T("merge", [State.SUBMITTED, State.DISPATCHED, State.RETURNED, State.ESCALATED], State.MERGED,
          "request.merge", _("merge into another request"), guard=tiers.at_level("request.merge"), stamp="closed_at"),
        T("close", [State.RESOLVED, State.RATED], State.CLOSED, "request.close", _("close"),
          guard=tiers.at_level("request.close"), stamp="closed_at"),
    ],
    terminal=[State.CLOSED, State.REJECTED, State.MERGED],
    stamp_field="state_changed_at",
)

STATE_VALUES = [s.value for s in REQUEST_FLOW.states]
OPEN_STATES = [v for v in STATE_VALUES if v not in REQUEST_FLOW.terminal]
