"""The points system's home card and household tab (the household page's 积分 tab)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access
from shanzhi.core.access import Viewer
from shanzhi.points import selectors
from shanzhi.points.models import Duty
from shanzhi.regions.models import Household
from shanzhi.web import registry
from shanzhi.web.pages import may


def _works_with_points(viewer: Viewer) -> bool:
    """Whether a staff role (not the resident's own) gives points work: a grid worker who
    lives in the county is first of all staff on their home page."""
    return viewer.is_admin or any(
        action in access.ROLE_ACTIONS.get(grant.role, ())
        for grant in viewer.grants if grant.role != access.RESIDENT for action in ("points.view", "shop.view"))


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    if _works_with_points(viewer):
        return {
            "resident": False, "own_household": bool(viewer.household_id),
            "may_propose": may(viewer, "points.propose"), "may_bulk": may(viewer, "points.bulk"),
            "waiting": selectors.review_queue(viewer).count() if may(viewer, "points.review") else None,
            "may_redeem": may(viewer, "shop.redeem"), "may_split": may(viewer, "points.split_view"),
        }
    if viewer.household_id:
        home = Household.objects.filter(pk=viewer.household_id).select_related("village").first()
        if home is not None:
            return {"resident": True, "balance": selectors.balance(home), "village": home.village}
    return None


def household_tab(request: HttpRequest, viewer: Viewer, household: Household) -> dict[str, Any]:
    info = selectors.household_points(viewer, household)
    return {"info": info, "household": household}


def tab_visible(viewer: Viewer, household: Any) -> bool:
    return access.can(viewer, "points.view", household)


def register() -> None:
    registry.role_labels.update(Duty.Kind.choices)
    registry.home_cards.append(registry.HomeCard(key="points", template="points/home_card.html", context=home_card,
                                                 order=40))
    registry.household_tabs.append(registry.HouseholdTab(
        key="points", label=_("Points"), template="points/household_tab.html", context=household_tab,
        visible=tab_visible, order=40))
