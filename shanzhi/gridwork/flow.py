"""The workflow of a data update from the field (基础信息采集): reported by the grid team (or a
Party member on a visit), reviewed by the village's staff, who approve it (the change is then
made on the map through the map's own services) or reject it; the reporter may withdraw it
while it waits."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.core import access, workflow


class UpdateState:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


def reporter(case: Any, viewer: access.Viewer) -> bool:
    return viewer.is_admin or (viewer.user is not None and case.reported_by_id == viewer.user.pk)


def not_own(case: Any, viewer: access.Viewer) -> bool:
    """Nobody reviews their own report (a village cadre who reported asks a colleague)."""
    return viewer.is_admin or viewer.user is None or case.reported_by_id != viewer.user.pk


T = workflow.Transition

UPDATE_FLOW = workflow.Workflow(
    "field_update",
    states=[
        workflow.State(UpdateState.PENDING, _("waiting for review")),
        workflow.State(UpdateState.APPROVED, _("approved and applied")),
        workflow.State(UpdateState.REJECTED, pgettext_lazy("data update", "rejected")),
        workflow.State(UpdateState.WITHDRAWN, _("withdrawn")),
    ],
    transitions=[
        T("approve", [UpdateState.PENDING], UpdateState.APPROVED, "fieldupdate.review", _("approve and apply"),
          guard=not_own, stamp="reviewed_at"),
        T("reject", [UpdateState.PENDING], UpdateState.REJECTED, "fieldupdate.review",
          pgettext_lazy("data update", "reject"), note_required=True, guard=not_own, stamp="reviewed_at"),
        T("withdraw", [UpdateState.PENDING], UpdateState.WITHDRAWN, "fieldupdate.report", _("withdraw"),
          guard=reporter),
    ],
    terminal=[UpdateState.APPROVED, UpdateState.REJECTED, UpdateState.WITHDRAWN],
    stamp_field="state_changed_at",
    view_action="fieldupdate.view",
)
