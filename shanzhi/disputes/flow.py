"""The workflows of disputes and petitions, declared once: states, steps, and who may take them.

The dispute loop (四单: 排查、研判、调解、回访; the one-stop centre's 线索收集—分类受理—联合调处—
结果反馈):

    clue ─accept→ accepted ─assess→ assessed ─assign→ assigned ─start→ mediating
      │                                                                │
      ├─settle_on_spot→ agreed ←─────────── agree (agreement signed) ──┤
      │                   │ follow-ups at 7 and 30 days                ├─escalate→ escalated (one level up:
      │                   ├─close→ closed        (all hold)            │           assess / assign again)
      │                   └─reopen→ mediating    (it is alive again)   ├─refer→ referred (court, arbitration)
      └─dismiss→ dismissed                                             └─withdraw→ withdrawn

Who may take a step is the access action (granted in ``permissions.py``, scoped by place and by
the people a dispute names) and, where the role is not enough, a guard: the level steps are
for those at or above the level now responsible; the mediation steps for the mediators
assigned now (or the level itself).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.core import access, tiers, workflow


class State:
    CLUE = "clue"
    ACCEPTED = "accepted"
    ASSESSED = "assessed"
    ASSIGNED = "assigned"
    MEDIATING = "mediating"
    ESCALATED = "escalated"
    AGREED = "agreed"
    CLOSED = "closed"
    REFERRED = "referred"
    WITHDRAWN = "withdrawn"
    DISMISSED = "dismissed"


def is_active_mediator(case: Any, viewer: access.Viewer) -> bool:
    if viewer.user is None or case.pk is None:
        return False
    from shanzhi.disputes.models import DisputeMediator

    return DisputeMediator.objects.filter(dispute_id=case.pk, user_id=viewer.user.pk, active=True).exists()


def mediator_or_level(action: str) -> Any:
    """Guard: a mediator assigned now, or someone at or above the level responsible."""

    def guard(case: Any, viewer: access.Viewer) -> bool:
        return (viewer.is_admin or tiers.grants_at_or_above(viewer, action, case.handling_path)
                or is_active_mediator(case, viewer))

    guard.__name__ = f"mediator_or_level[{action}]"
    return guard


def follow_up_guard(case: Any, viewer: access.Viewer) -> bool:
    """A follow-up visit is made by the grid of the place, the level, or the mediators."""
    return (viewer.is_admin or tiers.grants_at_or_above(viewer, "dispute.follow_up", case.region_path)
            or tiers.grants_at_or_above(viewer, "dispute.follow_up", case.handling_path)
            or is_active_mediator(case, viewer))


def may_escalate(case: Any, viewer: access.Viewer) -> bool:
    return case.level != tiers.Level.COUNTY and mediator_or_level("dispute.escalate")(case, viewer)


OPEN_BEFORE_AGREEMENT = [State.CLUE, State.ACCEPTED, State.ASSESSED, State.ASSIGNED, State.MEDIATING,
                         State.ESCALATED]
IN_HAND = [State.ACCEPTED, State.ASSESSED, State.ASSIGNED, State.MEDIATING, State.ESCALATED]
SETTLED = [State.AGREED, State.CLOSED]

T = workflow.Transition

DISPUTE_FLOW = workflow.Workflow(
    "dispute",
    states=[
        workflow.State(State.CLUE, _("clue")),
        workflow.State(State.ACCEPTED, pgettext_lazy("dispute", "accepted")),
        workflow.State(State.ASSESSED, _("assessed")),
        workflow.State(State.ASSIGNED, _("assigned")),
        workflow.State(State.MEDIATING, _("mediating")),
        workflow.State(State.ESCALATED, _("escalated")),
        workflow.State(State.AGREED, _("agreement reached")),
        workflow.State(State.CLOSED, pgettext_lazy("dispute", "closed")),
        workflow.State(State.REFERRED, _("referred to court or arbitration")),
        workflow.State(State.WITHDRAWN, _("withdrawn")),
        workflow.State(State.DISMISSED, _("not a dispute")),
    ],
    transitions=[
        T("accept", [State.CLUE], State.ACCEPTED, "dispute.accept", pgettext_lazy("dispute", "accept"),
          guard=tiers.at_level("dispute.accept"), stamp="accepted_at"),
        T("dismiss", [State.CLUE], State.DISMISSED, "dispute.accept", _("dismiss"), note_required=True,
          guard=tiers.at_level("dispute.accept"), stamp="closed_at"),
        # A clue nobody accepted in time goes to the level above, still a clue.
        T("escalate_clue", [State.CLUE], State.CLUE, "dispute.escalate", _("escalate"), note_required=True,
          guard=may_escalate, stamp="escalated_at"),
        T("assess", [State.ACCEPTED, State.ESCALATED], State.ASSESSED, "dispute.assess", _("assess"),
          guard=tiers.at_level("dispute.assess"), stamp="assessed_at"),
        T("assign", [State.ASSESSED, State.ESCALATED], State.ASSIGNED, "dispute.assign", _("assign"),
          guard=tiers.at_level("dispute.assign"), stamp="assigned_at"),
        T("start", [State.ASSIGNED], State.MEDIATING, "dispute.mediate", _("start mediating"),
          guard=mediator_or_level("dispute.mediate")),
        T("agree", [State.MEDIATING], State.AGREED, "dispute.mediate", _("agreement reached"),
          guard=mediator_or_level("dispute.mediate"), stamp="settled_at"),
        T("settle_on_spot", [State.CLUE], State.AGREED, "dispute.on_the_spot", _("settled on the spot"),
          guard=tiers.at_level("dispute.on_the_spot"), stamp="settled_at"),
        T("escalate", IN_HAND, State.ESCALATED, "dispute.escalate", _("escalate"), note_required=True,
          guard=may_escalate, stamp="escalated_at"),
        T("refer", [State.ASSIGNED, State.MEDIATING, State.ESCALATED], State.REFERRED, "dispute.mediate",
          _("refer to court or arbitration"), note_required=True, guard=mediator_or_level("dispute.mediate"),
          stamp="closed_at"),
        T("withdraw", OPEN_BEFORE_AGREEMENT, State.WITHDRAWN, "dispute.mediate", _("withdrawn"),
          note_required=True, guard=mediator_or_level("dispute.mediate"), stamp="closed_at"),
        T("reopen", [State.AGREED], State.MEDIATING, "dispute.follow_up", pgettext_lazy("dispute", "reopen"),
          note_required=True, guard=follow_up_guard),
        T("close", [State.AGREED], State.CLOSED, "dispute.follow_up", pgettext_lazy("dispute", "close"),
          guard=follow_up_guard, stamp="closed_at"),
    ],
    terminal=[State.CLOSED, State.REFERRED, State.WITHDRAWN, State.DISMISSED],
    stamp_field="state_changed_at",
)

DISPUTE_STATES = [s.value for s in DISPUTE_FLOW.states]
DISPUTE_OPEN = [v for v in DISPUTE_STATES if v not in DISPUTE_FLOW.terminal]


class PetitionState:
    RECEIVED = "received"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    CLOSED = "closed"
    NOT_ACCEPTED = "not_accepted"


def is_petitioner(case: Any, viewer: access.Viewer) -> bool:
    return bool(viewer.resident_id and case.petitioner_id == viewer.resident_id)


def petition_handler(case: Any, viewer: access.Viewer) -> bool:
    """The case leader, a responsible unit, or the government of the place."""
    if viewer.is_admin or tiers.grants_at_or_above(viewer, "petition.resolve", case.region_path):
        return True
    if viewer.user is not None and case.case_leader_id == viewer.user.pk:
        return True
    departments = viewer.departments_for("petition.resolve")
    return bool(departments) and case.units.filter(department_id__in=departments).exists()


def feedback_guard(case: Any, viewer: access.Viewer) -> bool:
    return (viewer.is_admin or is_petitioner(case, viewer)
            or tiers.grants_at_or_above(viewer, "petition.accept", case.region_path))


PETITION_FLOW = workflow.Workflow(
    "petition",
    states=[
        workflow.State(PetitionState.RECEIVED, pgettext_lazy("petition", "received")),
        workflow.State(PetitionState.ACCEPTED, pgettext_lazy("petition", "accepted")),
        workflow.State(PetitionState.RESOLVED, _("resolved")),
        workflow.State(PetitionState.CLOSED, pgettext_lazy("petition", "closed")),
        workflow.State(PetitionState.NOT_ACCEPTED, _("not accepted")),
    ],
    transitions=[
        T("accept", [PetitionState.RECEIVED], PetitionState.ACCEPTED, "petition.accept",
          pgettext_lazy("petition", "accept"), guard=tiers.at_level("petition.accept", "region_path"),
          stamp="accepted_at"),
        T("decline", [PetitionState.RECEIVED], PetitionState.NOT_ACCEPTED, "petition.accept", _("do not accept"),
          note_required=True, guard=tiers.at_level("petition.accept", "region_path"), stamp="closed_at"),
        T("resolve", [PetitionState.ACCEPTED], PetitionState.RESOLVED, "petition.resolve",
          pgettext_lazy("petition", "resolve"), note_required=True, guard=petition_handler, stamp="resolved_at"),
        T("feedback", [PetitionState.RESOLVED], PetitionState.CLOSED, "petition.feedback",
          _("record the petitioner's feedback"), guard=feedback_guard, stamp="closed_at"),
    ],
    terminal=[PetitionState.CLOSED, PetitionState.NOT_ACCEPTED],
    stamp_field="state_changed_at",
)

PETITION_OPEN = [PetitionState.RECEIVED, PetitionState.ACCEPTED, PetitionState.RESOLVED]
