"""The home cards and household tabs of the foundation itself, registered like any
module's (see ``registry``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access
from shanzhi.core.access import Viewer
from shanzhi.people import selectors as people_selectors
from shanzhi.regions import selectors
from shanzhi.regions.models import Household, Region, ResidentMove
from shanzhi.web import registry
from shanzhi.web.pages import home_regions, is_staff, may

COVERAGE_LEVELS = {Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE}


def places_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    """Where the viewer works: each current position as "place · role"."""
    if not is_staff(viewer):
        return None
    positions = list(people_selectors.positions(viewer).filter(user=viewer.user))
    return {"positions": positions, "is_admin": viewer.is_admin}


def work_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    """What is in the viewer's care, and the ways into it."""
    if not is_staff(viewer):
        return None
    places = list(home_regions(viewer))
    sees_households = may(viewer, "household.view")
    return {
        "places": places,
        "sees_households": sees_households,
        "households": selectors.households(viewer).count() if sees_households else 0,
        "residents": selectors.residents(viewer).count() if sees_households else 0,
        "coverage_places": [p for p in places if p.level in COVERAGE_LEVELS
                            and access.can(viewer, "coverage.view", p)],
    }


def own_household_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    """A resident's own household (一户一档 as the family sees it)."""
    if not viewer.household_id:
        return None
    home = selectors.households(viewer).filter(pk=viewer.household_id).first()
    if home is None:
        return None
    return {"household": home, "members": list(selectors.household_members(viewer, home))}


def members_tab(request: HttpRequest, viewer: Viewer, household: Household) -> dict[str, Any]:
    members = list(selectors.household_members(viewer, household))
    return {
        "members": [(m, bool(m.id_number) and access.can(viewer, "resident.view_id", m)) for m in members],
    }


def moves_tab(request: HttpRequest, viewer: Viewer, household: Household) -> dict[str, Any]:
    # Anchored on a household the viewer may already see (the page fetched it through the
    # scoped selector): its history is part of its file.
    moves = (ResidentMove.objects.filter(Q(from_household=household) | Q(to_household=household))
             .select_related("resident", "from_household", "to_household", "actor")
             .order_by("-moved_at", "-id")[:200])
    return {"moves": list(moves)}


def register() -> None:
    registry.home_cards.extend([
        registry.HomeCard(key="own_household", template="web/cards/own_household.html",
                          context=own_household_card, order=5),
        registry.HomeCard(key="places", template="web/cards/places.html", context=places_card, order=10),
        registry.HomeCard(key="work", template="web/cards/work.html", context=work_card, order=20),
    ])
    registry.household_tabs.extend([
        registry.HouseholdTab(key="members", label=_("Members"), template="web/tabs/members.html",
                              context=members_tab, order=10),
        registry.HouseholdTab(key="history", label=_("Moves in and out"), template="web/tabs/history.html",
                              context=moves_tab, order=90),
    ])
