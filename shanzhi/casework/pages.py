"""The request loop's parts of the shared pages: a home card for every role that works with
requests, and a requests tab on the household page (一户一档)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.casework import selectors
from shanzhi.casework.models import ServiceRequest
from shanzhi.core import access
from shanzhi.core.access import Viewer
from shanzhi.web import registry
from shanzhi.web.pages import is_staff, may

QUEUE_LABELS = {"dispatch": _("To dispatch"), "incoming": _("Incoming"), "escalated": _("Escalated"),
                "overdue": _("Overdue")}


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    staff = is_staff(viewer)
    # A Party member given requests, without any position, still sees their queue.
    if not staff and viewer.resident_id is None and (
            viewer.user is None or not selectors.requests(viewer, queue="incoming").exists()):
        return None
    counts = []
    if staff or viewer.resident_id is None:
        wanted = []
        if may(viewer, "request.dispatch"):
            wanted.append("dispatch")
        if may(viewer, "request.accept") or viewer.resident_id is None:
            wanted.append("incoming")
        if may(viewer, "request.reassign"):
            wanted.append("escalated")
        wanted.append("overdue")
        counts = [(key, QUEUE_LABELS[key], selectors.requests(viewer, queue=key).order_by().count())
                  for key in wanted]
    mine = list(selectors.requests(viewer, queue="mine")[:5]) if viewer.resident_id and not staff else None
    return {"counts": counts, "mine": mine, "may_file": may(viewer, "request.submit"), "staff": staff}


def household_tab(request: HttpRequest, viewer: Viewer, household: Any) -> dict[str, Any]:
    requests = (access.scope(viewer, "request.view", ServiceRequest.objects.filter(household=household))
                .select_related("category", "region", "assignee_department", "assignee_member")
                .order_by("-submitted_at", "-id")[:50])
    return {"requests": list(requests), "household": household,
            "may_file": is_staff(viewer) and may(viewer, "request.submit")}


def tab_visible(viewer: Viewer, household: Any) -> bool:
    return viewer.is_admin or may(viewer, "request.view")


def register() -> None:
    registry.home_cards.append(registry.HomeCard(key="requests", template="casework/home_card.html",
                                                 context=home_card, order=30))
    registry.household_tabs.append(registry.HouseholdTab(key="requests", label=_("Requests"),
                                                         template="casework/household_tab.html",
                                                         context=household_tab, visible=tab_visible, order=30))
