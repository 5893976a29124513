"""The village-affairs home card and the household page's virtue tab (德治), registered
with the web registry like any module's parts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access, tree
from shanzhi.core.access import Viewer
from shanzhi.deliberation import disclosure, selectors
from shanzhi.regions.models import Household, Region
from shanzhi.web import registry
from shanzhi.web.pages import may


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    if not may(viewer, "topic.view"):
        return None
    staff = viewer.is_admin or any(g.role != access.RESIDENT for g in viewer.grants)
    village = None
    if viewer.home_path:
        village = Region.objects.filter(level=Region.Level.VILLAGE, path__in=tree.ancestors(viewer.home_path)).first()
    context: dict[str, Any] = {
        "village": village, "staff": staff,
        "open_topics": selectors.topics(viewer, state="open").count(),
        "open_votes": selectors.votes(viewer, status="open").filter(**({"voted": False} if viewer.resident_id
                                                                        else {})).count(),
    }
    if staff:
        context["matters"] = (selectors.matters(viewer).exclude(state__in=["result_disclosed", "ended"]).count()
                              if may(viewer, "matter.view") else None)
        context["to_review"] = (selectors.reviewable_role_models(viewer).count() if may(viewer, "rolemodel.review")
                                else None)
        places = list(selectors.places_for(viewer, "disclosure.manage", {Region.Level.TOWNSHIP})[:3]) or list(
            selectors.places_for(viewer, "notice.post", {Region.Level.VILLAGE})[:3])
        late = []
        for place in places:
            rows = selectors.late_disclosures(viewer, region=place)
            late.append((place, sum(1 for r in rows if r.status == disclosure.MISSING)))
        context["late"] = late
        context["may_rank"] = may(viewer, "ranking.manage")
    return context


def virtue_tab(request: HttpRequest, viewer: Viewer, household: Household) -> dict[str, Any]:
    return {
        "role_models": list(selectors.role_models(viewer, household=household)),
        "admonitions": list(selectors.admonitions(viewer, household=household)),
        "household": household,
        "may_nominate": may(viewer, "rolemodel.nominate"),
    }


def tab_visible(viewer: Viewer, household: Any) -> bool:
    return may(viewer, "rolemodel.view") or may(viewer, "admonition.view")


def register() -> None:
    registry.home_cards.append(registry.HomeCard(key="deliberation", template="deliberation/cards/home_card.html",
                                                 context=home_card, order=50))
    registry.household_tabs.append(registry.HouseholdTab(
        key="virtue", label=_("Virtue"), template="deliberation/cards/household_tab.html", context=virtue_tab,
        visible=tab_visible, order=50))
