"""Where other modules plug into the pages without editing them.

The home page is a column of cards and the household page (一户一档) a row of tabs. Each
module appends its own in its ``AppConfig.ready()``::

    from shanzhi.web import registry

    registry.home_cards.append(registry.HomeCard(
        key="requests", template="requests/home_card.html", context=requests_card, order=30))
    registry.household_tabs.append(registry.HouseholdTab(
        key="requests", label=_("Requests"), template="requests/household_tab.html",
        context=household_requests, order=30))

A card's ``context(request, viewer)`` returns the template's variables, or None to leave
the card out for this viewer. A tab's ``context(request, viewer, household)`` is called
only when the tab is open, so a tab costs its queries only when someone looks at it; its
``visible(viewer, household)`` decides whether the tab is offered at all. Both read
through the module's selectors, which scope to the viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from shanzhi.core.access import Viewer


def _always(viewer: Viewer, household: Any) -> bool:
    return True


@dataclass(frozen=True)
class HomeCard:
    key: str
    template: str
    context: Callable[[HttpRequest, Viewer], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class HouseholdTab:
    key: str
    label: Any  # a lazy translation
    template: str
    context: Callable[[HttpRequest, Viewer, Any], dict[str, Any]]
    visible: Callable[[Viewer, Any], bool] = _always
    order: int = 100


home_cards: list[HomeCard] = []
household_tabs: list[HouseholdTab] = []
# Labels of roles that come from a module's own roster (``access.GRANT_SOURCES``) rather
# than from people.Role, for the header: ``role_labels["points_reviewer"] = _("...")``.
role_labels: dict[str, Any] = {}


def _ordered(items: list[Any]) -> list[Any]:
    # AppConfig.ready() can run again when the app registry is re-populated (tests that
    # install an extra app do), appending the same part twice: keep one. Two different
    # parts under one key are a programming error.
    by_key: dict[str, Any] = {}
    for item in items:
        if item.key in by_key and by_key[item.key] != item:
            raise ValueError(f"two page parts share the key {item.key!r}")
        by_key[item.key] = item
    return sorted(by_key.values(), key=lambda item: (item.order, item.key))


def ordered_home_cards() -> list[HomeCard]:
    return _ordered(home_cards)


def ordered_household_tabs() -> list[HouseholdTab]:
    return _ordered(household_tabs)
