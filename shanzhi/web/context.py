"""What every page's header needs: who is signed in and in which roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access
from shanzhi.people.models import Role
from shanzhi.web import registry
from shanzhi.web.pages import is_staff

RESIDENT_LABEL = _("resident")

# Which item of the main navigation a page belongs to (marked as the current one).
SECTIONS = {"home": "home", "map": "map", "region": "map", "coverage": "map", "household": "map",
            "reveal_id": "map", "search": "search"}


def role_label(role: str) -> Any:
    if role == access.RESIDENT:
        return RESIDENT_LABEL
    try:
        return Role(role).label
    except ValueError:
        return registry.role_labels.get(role, role)


def viewer(request: HttpRequest) -> dict[str, Any]:
    current = access.viewer_for(getattr(request, "user", None))
    roles = list(dict.fromkeys(role_label(grant.role) for grant in current.grants))
    if current.is_admin and Role.ADMIN.label not in roles:
        roles.append(Role.ADMIN.label)
    match = getattr(request, "resolver_match", None)
    section = SECTIONS.get(match.url_name, "") if match is not None and match.namespace == "web" else ""
    return {"viewer": current, "viewer_roles": roles, "viewer_is_staff": is_staff(current), "section": section}
