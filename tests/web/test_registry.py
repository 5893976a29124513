"""Other modules add home cards and household tabs through the registry, without editing
the web module."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shanzhi.regions.models import Household
from shanzhi.web import registry


@pytest.fixture
def extra_parts(tmp_path, settings):
    """A card and a tab as a later module would register them (templates in a temporary
    folder, as if in that module's templates/)."""
    folder = tmp_path / "templates" / "extra"
    folder.mkdir(parents=True)
    (folder / "card.html").write_text('<section class="card" id="points-card">{{ balance }} points</section>')
    (folder / "tab.html").write_text('<p id="points-tab">ledger of {{ household.number }}: {{ entries }}</p>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]

    calls = []

    def card_context(request, viewer):
        return {"balance": 42} if viewer.grants else None

    def tab_context(request, viewer, household):
        calls.append(household.pk)
        return {"entries": 7}

    card = registry.HomeCard(key="test_extra", template="extra/card.html", context=card_context, order=15)
    tab = registry.HouseholdTab(key="test_extra", label="Points", template="extra/tab.html", context=tab_context,
                                order=50)
    registry.home_cards.append(card)
    registry.household_tabs.append(tab)
    yield calls
    registry.home_cards.remove(card)
    registry.household_tabs.remove(tab)


def test_a_registered_card_shows_on_home(login, county, extra_parts):
    text = login(county.users["grid_worker"]).get(reverse("web:home")).text
    assert 'id="points-card">42 points' in text
    # Ordered between the places card (10) and the work card (20).
    assert text.index("points-card") < text.index('id="card-work"')
    assert text.index('id="card-places"') < text.index("points-card")


def test_a_registered_tab_runs_only_when_open(login, county, extra_parts):
    home = Household.objects.filter(grid__code="621023100201001").first()
    client = login(county.users["grid_worker"])
    url = reverse("web:household", args=[home.pk])
    members = client.get(url)
    assert "?tab=test_extra" in members.text
    assert "points-tab" not in members.text
    assert extra_parts == []
    opened = client.get(url, {"tab": "test_extra"})
    assert f'id="points-tab">ledger of {home.number}: 7' in opened.text
    assert extra_parts == [home.pk]


def test_an_unknown_tab_falls_back_to_members(login, county):
    home = Household.objects.filter(grid__code="621023100201001").first()
    response = login(county.users["grid_worker"]).get(reverse("web:household", args=[home.pk]), {"tab": "nope"})
    assert response.status_code == 200
    assert response.context["active_tab"].key == "members"


def test_two_parts_may_not_share_a_key():
    duplicate = registry.HomeCard(key="work", template="x.html", context=lambda request, viewer: None)
    registry.home_cards.append(duplicate)
    try:
        with pytest.raises(ValueError, match="work"):
            registry.ordered_home_cards()
    finally:
        registry.home_cards.remove(duplicate)
