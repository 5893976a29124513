"""What every page view shares: the viewer, the domain errors as HTTP answers, paging, and
the household counts shown beside the map's regions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from shanzhi.core import access
from shanzhi.core.access import Viewer
from shanzhi.core.errors import DomainError, NotFound, PermissionDenied
from shanzhi.regions import selectors
from shanzhi.regions.models import Region

PER_PAGE = 50


def viewer_of(request: HttpRequest) -> Viewer:
    return access.viewer_for(request.user)


def chosen_tab(request: HttpRequest, tabs: list[tuple[str, Any]], name: str = "queue") -> str:
    """The tab (queue) the page was asked for, if it is one of the viewer's, else their first."""
    keys = [key for key, _label in tabs]
    asked = request.GET.get(name) or ""
    return asked if asked in keys else keys[0]


def page_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A signed-in page showing personal data: never cached (shared phones, the back button
    after logging out), and the services' errors answered the way pages answer them: out of
    scope is the 404 page, in scope but not allowed the 403 page, anything else the error
    page with the service's message."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied:
            raise HttpForbidden from None
        except DomainError as exc:
            return render(request, "web/error.html", {"message": exc.message}, status=exc.status)

    return login_required(never_cache(wrapper))


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int = PER_PAGE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def may(viewer: Viewer, action: str) -> bool:
    """Whether any of the viewer's roles allows ``action`` somewhere (to offer a link)."""
    try:
        access.require_any_role(viewer, action)
    except PermissionDenied:
        return False
    return True


def is_staff(viewer: Viewer) -> bool:
    return viewer.is_admin or any(grant.role != access.RESIDENT for grant in viewer.grants)


def home_regions(viewer: Viewer) -> QuerySet[Region]:
    """The places the viewer works in (their positions'), or, for an administrator without a
    position, the top of the map."""
    visible = selectors.regions(viewer)
    paths = viewer.home_paths()
    if paths:
        return visible.filter(path__in=paths)
    if viewer.is_admin:
        return visible.filter(parent__isnull=True)
    return visible.none()
