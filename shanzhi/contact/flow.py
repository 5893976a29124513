"""The two workflows of household contact, declared once: a member's monthly report (周走访、
月汇报: submitted by the member, reviewed by the branch) and a micro-wish (微心愿: posted,
claimed by one member or unit, fulfilled, thanked).

Who may take a step is the access action (``permissions.py``) plus, where the role is not
enough, a guard: only the member who wrote a report submits it; only whoever claimed a wish
fulfils or releases it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.core import access, workflow


class ReportState:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class WishState:
    OPEN = "open"
    CLAIMED = "claimed"
    FULFILLED = "fulfilled"
    THANKED = "thanked"
    WITHDRAWN = "withdrawn"


def is_member_self(member: Any, viewer: access.Viewer) -> bool:
    """The viewer is this Party member: through the member's own account, or the resident
    account of the resident the member is."""
    if member is None or viewer.user is None:
        return False
    if member.user_id is not None and member.user_id == viewer.user.pk:
        return True
    return member.resident_id is not None and member.resident_id == viewer.resident_id


def report_author(case: Any, viewer: access.Viewer) -> bool:
    return viewer.is_admin or is_member_self(case.member, viewer)


def wish_claimer(case: Any, viewer: access.Viewer) -> bool:
    """Whoever claimed the wish, or the unit's current liaison when a unit claimed it."""
    if viewer.is_admin:
        return True
    if viewer.user is None:
        return False
    if case.claimed_by_id == viewer.user.pk:
        return True
    return case.claimed_unit_id is not None and case.claimed_unit.liaison_id == viewer.user.pk


T = workflow.Transition

REPORT_FLOW = workflow.Workflow(
    "contact_report",
    states=[
        workflow.State(ReportState.DRAFT, _("draft")),
        workflow.State(ReportState.SUBMITTED, _("submitted")),
        workflow.State(ReportState.RETURNED, _("returned for changes")),
        workflow.State(ReportState.APPROVED, _("approved")),
    ],
    transitions=[
        T("submit", [ReportState.DRAFT, ReportState.RETURNED], ReportState.SUBMITTED, "contact.report",
          _("submit"), guard=report_author, stamp="submitted_at"),
        T("approve", [ReportState.SUBMITTED], ReportState.APPROVED, "contact.review", _("approve"),
          stamp="reviewed_at"),
        T("return", [ReportState.SUBMITTED], ReportState.RETURNED, "contact.review", _("return for changes"),
          note_required=True, stamp="reviewed_at"),
    ],
    terminal=[ReportState.APPROVED],
    stamp_field="state_changed_at",
    view_action="contact.view",
)

WISH_FLOW = workflow.Workflow(
    "wish",
    states=[
        workflow.State(WishState.OPEN, pgettext_lazy("wish", "open")),
        workflow.State(WishState.CLAIMED, _("claimed")),
        workflow.State(WishState.FULFILLED, _("fulfilled")),
        workflow.State(WishState.THANKED, _("thanked")),
        workflow.State(WishState.WITHDRAWN, _("withdrawn")),
    ],
    transitions=[
        T("claim", [WishState.OPEN], WishState.CLAIMED, "wish.claim", _("claim"), stamp="claimed_at"),
        T("release", [WishState.CLAIMED], WishState.OPEN, "wish.fulfil", _("give back"), note_required=True,
          guard=wish_claimer),
        T("fulfil", [WishState.CLAIMED], WishState.FULFILLED, "wish.fulfil", _("fulfil"), guard=wish_claimer,
          stamp="fulfilled_at"),
        T("thank", [WishState.FULFILLED], WishState.THANKED, "wish.thank", _("thank"), stamp="thanked_at"),
        T("withdraw", [WishState.OPEN], WishState.WITHDRAWN, "wish.withdraw", _("withdraw"), note_required=True),
    ],
    terminal=[WishState.THANKED, WishState.WITHDRAWN],
    stamp_field="state_changed_at",
)

CLAIMED_STATES = [WishState.CLAIMED, WishState.FULFILLED, WishState.THANKED]
