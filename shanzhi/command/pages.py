"""The command centre's part on the home page: a card for county and township staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shanzhi.core.access import Viewer
from shanzhi.web import registry
from shanzhi.web.pages import may


def _card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    if not may(viewer, "command.dashboard"):
        return None
    from shanzhi.command import selectors

    return {"open_alerts": selectors.alerts(viewer, state="open").count()}


def register() -> None:
    registry.home_cards.append(registry.HomeCard(key="command", template="command/home_card.html", context=_card,
                                                order=5))
