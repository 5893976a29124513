"""The disputes home card and the household page's disputes tab."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core.access import Viewer
from shanzhi.disputes import selectors
from shanzhi.regions.models import Household
from shanzhi.web import registry
from shanzhi.web.pages import may


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    staff = may(viewer, "dispute.view") and any(g.role != "resident" for g in viewer.grants)
    mine = selectors.disputes(viewer, queue="mine").count() if viewer.resident_id else 0
    assigned = selectors.disputes(viewer, queue="assigned").count() if viewer.user is not None else 0
    if not staff and not mine and not assigned and not may(viewer, "petition.view"):
        return None
    return {"staff": staff, "mine": mine, "assigned": assigned,
            "counts": selectors.queue_counts(viewer) if staff else None,
            "may_screen": may(viewer, "dispute.screen"), "may_spot": may(viewer, "dispute.on_the_spot"),
            "may_stats": may(viewer, "dispute.stats"), "may_petitions": may(viewer, "petition.view")}


def household_tab(request: HttpRequest, viewer: Viewer, household: Household) -> dict[str, Any]:
    rows = list(selectors.disputes(viewer, household_id=household.pk)[:50])
    return {"rows": rows, "household": household}


def tab_visible(viewer: Viewer, household: Any) -> bool:
    return may(viewer, "dispute.view")


def register() -> None:
    registry.home_cards.append(registry.HomeCard(key="disputes", template="disputes/home_card.html",
                                                 context=home_card, order=35))
    registry.household_tabs.append(registry.HouseholdTab(
        key="disputes", label=_("Disputes"), template="disputes/household_tab.html", context=household_tab,
        visible=tab_visible, order=35))
