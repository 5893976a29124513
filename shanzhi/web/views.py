"""Server-rendered pages. Each view reads through the selectors (which scope to the viewer)
and writes through the services; it holds no permission rules of its own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shanzhi.core import access
from shanzhi.regions import selectors, services
from shanzhi.regions.models import Household, Region
from shanzhi.web import registry
from shanzhi.web.forms import LoginForm
from shanzhi.web.pages import home_regions, page_view, paginate, viewer_of

# Levels whose page lists the households under it (below a village the lists stay short;
# above it they would be whole townships).
HOUSEHOLD_LIST_LEVELS = {Region.Level.VILLAGE, Region.Level.GROUP, Region.Level.GRID, Region.Level.MICRO_GRID}
COVERAGE_LEVELS = {Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE}
SEARCH_LIMIT = 30


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page that was open too long (or after logging out): say what to
    do, in the user's language and the pages' style, instead of Django's technical page."""
    return render(request, "web/csrf_failure.html", status=403)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@page_view
def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    cards = []
    for card in registry.ordered_home_cards():
        context = card.context(request, viewer)
        if context is not None:
            cards.append((card, context))
    return render(request, "web/home.html", {"cards": cards})


@page_view
def map_index(request: HttpRequest) -> HttpResponse:
    places = list(home_regions(viewer_of(request)))
    if len(places) == 1:
        return redirect("web:region", code=places[0].code)
    return render(request, "web/map_index.html", {"places": places})


@page_view
def region(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    place = selectors.region_get(viewer, code=code)
    counts, total = selectors.household_counts(viewer, place)
    children = [(child, counts.get(child.code, 0)) for child in selectors.region_children(viewer, place)]
    households = None
    if place.level in HOUSEHOLD_LIST_LEVELS:
        households = paginate(request, selectors.households(viewer, region=place))
    return render(request, "web/region.html", {
        "region": place,
        "crumbs": selectors.breadcrumbs(place)[:-1],
        "children": children,
        "total": total,
        "households": households,
        "show_grid": place.level < Region.Level.GRID,
        "show_coverage": place.level in COVERAGE_LEVELS and access.can(viewer, "coverage.view", place),
        "show_export": place.level <= Region.Level.GRID and access.can(viewer, "household.export", place),
    })


@page_view
def coverage(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    place = selectors.region_get(viewer, code=code)
    result = selectors.coverage(viewer, region=place)
    return render(request, "web/coverage.html", {
        "region": place,
        "crumbs": selectors.breadcrumbs(place)[:-1],
        "coverage": result,
        "without_grid": paginate(request, result.without_grid),
    })


@page_view
def search(request: HttpRequest) -> HttpResponse:
    # The form posts, so a phone or ID number typed into it stays out of the address bar,
    # the browser's history and the server's access log; a link may still use ?q=.
    data = request.POST if request.method == "POST" else request.GET
    text = data.get("q", "").strip()[:50]
    result = selectors.search(viewer_of(request), text, limit=SEARCH_LIMIT) if text else None
    return render(request, "web/search.html", {
        "q": text,
        "result": result,
        "limit": SEARCH_LIMIT,
        "more": result is not None and SEARCH_LIMIT in (len(result.residents), len(result.households)),
    })


@page_view
def household(request: HttpRequest, pk: int) -> HttpResponse:
    return _household_page(request, pk, tab_key=request.GET.get("tab", ""))


@require_POST
@page_view
def reveal_id(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one member's full ID number on their household page; the service checks the
    right and writes the audit entry."""
    viewer = viewer_of(request)
    resident = selectors.resident_get(viewer, pk=pk)
    if resident.household_id is None:
        # Someone who moved out of the county has no household page to show the number on
        # (and a number that is not shown must not be logged as seen).
        raise Http404
    id_number = services.resident_reveal_id(actor=request.user, resident=resident,
                                            purpose=request.POST.get("purpose", ""))
    return _household_page(request, resident.household_id, tab_key="members",
                           revealed={resident.pk: id_number})


def _household_page(request: HttpRequest, pk: int, *, tab_key: str, revealed: dict[int, str] | None = None
                    ) -> HttpResponse:
    viewer = viewer_of(request)
    home = _household(viewer, pk)
    tabs = [tab for tab in registry.ordered_household_tabs() if tab.visible(viewer, home)]
    if not tabs:
        raise Http404
    active = next((tab for tab in tabs if tab.key == tab_key), tabs[0])
    tab_context = active.context(request, viewer, home)
    if revealed:
        tab_context = {**tab_context, "revealed": revealed}
    place = home.micro_grid or home.grid or home.village
    return render(request, "web/household.html", {
        "household": home,
        "crumbs": selectors.breadcrumbs(place) if access.can(viewer, "region.view", place) else [],
        "tabs": tabs,
        "active_tab": active,
        "tab_context": tab_context,
    })


def _household(viewer: Any, pk: int) -> Household:
    # The list selector: the same scope as household_get, plus the head's name and the
    # member count that the page's facts show.
    found = selectors.households(viewer).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
