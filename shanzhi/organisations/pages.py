"""The organisations' home card: for the village and those above, the register in figures."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shanzhi.core.access import Viewer
from shanzhi.organisations import selectors
from shanzhi.web import registry
from shanzhi.web.pages import may


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    if not may(viewer, "organisation.manage"):
        return None
    return {"figures": selectors.figures(viewer)}


def register() -> None:
    registry.home_cards.append(registry.HomeCard(key="organisations", template="organisations/home_card.html",
                                                 context=home_card, order=60))
