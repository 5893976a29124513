from __future__ import annotations

from django.conf import settings
from django.db import models

from shanzhi.core import workflow
from shanzhi.core.workflow import State, Transition

CASE_FLOW = workflow.Workflow(
    "case",
    states=[
        State("submitted", "submitted"),
        State("dispatched", "dispatched"),
        State("accepted", "accepted"),
        State("resolved", "resolved"),
        State("closed", "closed"),
        State("cancelled", "cancelled"),
    ],
    transitions=[
        Transition("dispatch", source=["submitted"], target="dispatched", action="case.dispatch"),
        Transition("return", source=["dispatched"], target="submitted", action="case.handle", note_required=True,
                   internal=True),
        Transition("accept", source=["dispatched"], target="accepted", action="case.handle"),
        Transition("resolve", source=["accepted"], target="resolved", action="case.handle", note_required=True,
                   stamp="resolved_at"),
        Transition("close", source=["resolved"], target="closed", action="case.close"),
        # Only the resident who filed it confirms (the guard), not anyone in the household.
        Transition("confirm", source=["resolved"], target="closed", action="case.confirm",
                   guard=lambda case, viewer: case.filed_by_id is not None and case.filed_by_id == viewer.user.pk),
        Transition("cancel", source=workflow.ANY, target="cancelled", action="case.close", note_required=True),
    ],
    terminal=["closed", "cancelled"],
    stamp_field="state_changed_at",
)


class Case(models.Model):
    workflow = CASE_FLOW

    title = models.CharField(max_length=100)
    state = models.CharField(max_length=32, choices=CASE_FLOW.choices, default=CASE_FLOW.initial)
    region_path = models.CharField(max_length=255, db_index=True)
    household = models.ForeignKey("regions.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    priority = models.PositiveSmallIntegerField(default=0)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [CASE_FLOW.state_constraint()]

    def __str__(self) -> str:
        return self.title
