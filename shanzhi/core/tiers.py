"""Tiered handling (分级处置, 三级治理、分级诊疗): small matters stay in the village, big ones go
to the township, hard ones to the county.

A case handled in tiers carries its ``level`` and its ``handling_path``, the region
responsible at that level (its own place at village level, its township, or its county).
Who may act for the level is whoever holds the right at or above that region; a department's
seat is no place of responsibility (departments act through what is given to them).

Shared by the modules that escalate cases level by level (resident requests, disputes).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.core import access, tree


class Level(models.TextChoices):
    VILLAGE = "village", _("village")
    TOWNSHIP = "township", _("township")
    COUNTY = "county", _("county")


LEVEL_ORDER = [Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY]


def next_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


def township_path_length(county_path: str) -> int:
    # Township division codes are 12 digits: the township's path is the county's plus one
    # code and its separator (the same for every case of a county, so one UPDATE can set it).
    return len(county_path) + 12 + len(tree.SEP)


def handling_path(level: str, region_path: str, county_path: str) -> str:
    """The region responsible for a case at ``level``: its own place at village level, its
    township, or its county."""
    if level == Level.COUNTY:
        return county_path
    if level == Level.TOWNSHIP:
        path = region_path[:township_path_length(county_path)]
        return path if path.endswith(tree.SEP) and tree.is_under(region_path, path) else county_path
    return region_path


def grants_at_or_above(viewer: access.Viewer, action: str, path: str) -> bool:
    """The viewer holds ``action`` through a position at ``path`` or above it (not through a
    department's seat)."""
    allowed = access.ROLE_ACTIONS
    return any(g.region_path and not g.department_id and path.startswith(g.region_path)
               and action in allowed.get(g.role, ()) for g in viewer.grants)


def at_level(action: str, path_field: str = "handling_path") -> Any:
    """A workflow guard: the viewer works at or above the region now responsible."""

    def guard(case: Any, viewer: access.Viewer) -> bool:
        return viewer.is_admin or grants_at_or_above(viewer, action, getattr(case, path_field))

    guard.__name__ = f"at_level[{action}]"
    return guard


__all__ = ["LEVEL_ORDER", "Level", "at_level", "grants_at_or_above", "handling_path", "next_level",
           "township_path_length"]
