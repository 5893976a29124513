"""The legal aid application's workflow (法律援助), declared once.

submitted → accepted (the justice office assigns a lawyer) → in_progress (the lawyer takes
it up) → concluded (the result, with any money recovered); the office may reject a
submitted application, and the applicant may withdraw one not yet concluded.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shanzhi.core import access, workflow


class State:
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    CONCLUDED = "concluded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


def is_lawyer(case: Any, viewer: access.Viewer) -> bool:
    return viewer.is_admin or (viewer.user is not None and case.lawyer_id == viewer.user.pk)


def is_applicant_household(case: Any, viewer: access.Viewer) -> bool:
    return viewer.is_admin or (viewer.household_id is not None and case.household_id == viewer.household_id)


LEGAL_AID_FLOW = workflow.Workflow(
    "legal_aid",
    states=[
        workflow.State(State.SUBMITTED, _("submitted")),
        workflow.State(State.ACCEPTED, _("accepted")),
        workflow.State(State.IN_PROGRESS, _("in progress")),
        workflow.State(State.CONCLUDED, _("concluded")),
        workflow.State(State.REJECTED, _("rejected")),
        workflow.State(State.WITHDRAWN, _("withdrawn")),
    ],
    transitions=[
        workflow.Transition("accept", source=[State.SUBMITTED], target=State.ACCEPTED,
                            action="legal_aid.accept", label=_("accept and assign a lawyer"), stamp="accepted_at"),
        workflow.Transition("reject", source=[State.SUBMITTED], target=State.REJECTED,
                            action="legal_aid.accept", label=_("reject"), note_required=True,
                            stamp="closed_at"),
        workflow.Transition("start", source=[State.ACCEPTED], target=State.IN_PROGRESS,
                            action="legal_aid.handle", label=_("take up the case"), guard=is_lawyer),
        workflow.Transition("conclude", source=[State.ACCEPTED, State.IN_PROGRESS], target=State.CONCLUDED,
                            action="legal_aid.handle", label=_("record the result"), note_required=True,
                            guard=is_lawyer, stamp="closed_at"),
        workflow.Transition("withdraw", source=[State.SUBMITTED, State.ACCEPTED, State.IN_PROGRESS],
                            target=State.WITHDRAWN, action="legal_aid.withdraw", label=_("withdraw"),
                            guard=is_applicant_household, stamp="closed_at"),
    ],
    terminal=[State.CONCLUDED, State.REJECTED, State.WITHDRAWN],
    stamp_field="state_changed_at",
)
