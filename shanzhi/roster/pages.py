"""The roster's place on the home page, through the pages' registry of cards."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shanzhi.core import access
from shanzhi.core.errors import PermissionDenied


def may(viewer: access.Viewer, action: str) -> bool:
    try:
        access.require_any_role(viewer, action)
    except PermissionDenied:
        return False
    return True


def roster_card(request: HttpRequest, viewer: access.Viewer) -> dict[str, Any] | None:
    imports, exports = may(viewer, "household.change"), may(viewer, "household.export")
    if not (imports or exports):
        return None
    return {"imports": imports, "exports": exports}


def register() -> None:
    from shanzhi.web import registry

    registry.home_cards.append(registry.HomeCard(key="roster", template="roster/home_card.html",
                                                 context=roster_card, order=40))
