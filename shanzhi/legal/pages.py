"""Rule of law's parts of the shared pages: a legal aid card on the home page, and a legal
aid tab on the household page (一户一档)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access
from shanzhi.core.access import Viewer
from shanzhi.legal import selectors
from shanzhi.legal.models import LegalAidApplication
from shanzhi.web import registry
from shanzhi.web.pages import may


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    counts = []
    if viewer.resident_id:
        counts.append((_("My applications"), selectors.applications(viewer, queue="mine").order_by().count()))
    if viewer.user is not None and viewer.user.is_authenticated:
        cases = selectors.applications(viewer, queue="cases").exclude(state__in=["concluded", "rejected",
                                                                                    "withdrawn"])
        n = cases.order_by().count()
        if n:
            counts.append((_("My open cases"), n))
    if viewer.is_admin or viewer.paths_for("legal_aid.accept"):
        counts.append((_("Awaiting a decision"),
                       selectors.applications(viewer, state="submitted").order_by().count()))
    if not counts:
        return None
    return {"counts": counts, "may_apply": viewer.resident_id is not None and may(viewer, "legal_aid.submit")}


def household_tab(request: HttpRequest, viewer: Viewer, household: Any) -> dict[str, Any]:
    cases = access.scope(viewer, "legal_aid.view", LegalAidApplication.objects.filter(household=household))
    return {"cases": list(cases.order_by("-submitted_at")[:50])}


def tab_visible(viewer: Viewer, household: Any) -> bool:
    return viewer.is_admin or may(viewer, "legal_aid.view")


def register() -> None:
    registry.home_cards.append(registry.HomeCard(key="legal", template="legal/home_card.html",
                                                 context=home_card, order=60))
    registry.household_tabs.append(registry.HouseholdTab(key="legal", label=_("Legal aid"),
                                                         template="legal/household_tab.html",
                                                         context=household_tab, visible=tab_visible, order=60))
