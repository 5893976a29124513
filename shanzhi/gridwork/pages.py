"""Grid work's parts of the shared pages: a home card (a worker's day, the village's data
updates to review, the assessments) and a tab on the household page (the grid's work for the
household and its data updates)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access
from shanzhi.core.access import Viewer
from shanzhi.gridwork import selectors
from shanzhi.gridwork.models import FieldUpdate, GridTask, LogEntry
from shanzhi.regions.models import Household
from shanzhi.web import registry
from shanzhi.web.pages import may


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    grids = selectors.my_grids(viewer) if may(viewer, "gridwork.log") else []
    reviews = selectors.updates(viewer, queue="review").count() if may(viewer, "fieldupdate.review") else None
    assesses = may(viewer, "gridwork.assess")
    if not grids and reviews is None and not assesses:
        return None
    day = timezone.localdate()
    return {
        "grids": grids,
        "open_tasks": selectors.tasks(viewer, worker=viewer.user, until=day).count() if grids else 0,
        "logged_today": selectors.log(viewer, worker=viewer.user, since=day, until=day).count() if grids else 0,
        "reviews": reviews, "assesses": assesses,
    }


def household_tab(request: HttpRequest, viewer: Viewer, household: Household) -> dict[str, Any]:
    entries = (access.scope(viewer, "gridwork.view", LogEntry.objects.filter(household=household))
               .select_related("worker").order_by("-day", "-id")[:30])
    updates = (access.scope(viewer, "fieldupdate.view", FieldUpdate.objects.filter(household=household))
               .select_related("resident", "reported_by").order_by("-reported_at")[:30])
    probe = FieldUpdate(household=household, region_path=household.region_path)
    return {"household": household, "entries": list(entries), "updates": list(updates),
            "may_report": access.can(viewer, "fieldupdate.report", probe),
            "may_task": access.can(viewer, "gridwork.task", GridTask(region_path=household.region_path))}


def tab_visible(viewer: Viewer, household: Household) -> bool:
    return viewer.is_admin or may(viewer, "gridwork.view")


def register() -> None:
    registry.home_cards.append(registry.HomeCard(key="gridwork", template="gridwork/home_card.html",
                                                 context=home_card, order=22))
    registry.household_tabs.append(registry.HouseholdTab(key="gridwork", label=_("Grid work"),
                                                         template="gridwork/household_tab.html",
                                                         context=household_tab, visible=tab_visible, order=45))
