"""What the deliberation services share: places, text, who is acting as what."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, roles, tree
from shanzhi.core.errors import NotFound, PermissionDenied, ValidationError
from shanzhi.deliberation.models import RaisedAs, VillageRules
from shanzhi.regions.models import Region

MAX_NAMES = 500


def placed(region: Region) -> dict[str, Any]:
    if region.county_id is None:
        raise ValidationError(_("This place is not inside a county."), field="village")
    return {"region_path": region.path, "county_id": region.county_id}


def village_of(region: Region | None, field: str = "village") -> Region:
    if region is None:
        raise ValidationError(_("Choose a village."), field=field)
    if region.level != Region.Level.VILLAGE:
        raise ValidationError(_("This is not a village or community."), field=field)
    return region


def text(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise ValidationError(_("This field is required."), field=field)
    if len(value) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return value


def names(value: Any, *, field: str = "attendee_names") -> list[str]:
    """A list of people's names (a sign-in sheet): trimmed, no empties, each short."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for line in value.splitlines()
                 for part in line.replace("，", ",").replace("、", ",").split(",")]
    if not isinstance(value, (list, tuple)):
        raise ValidationError(_("Enter a list of names."), field=field)
    cleaned = [str(v).strip() for v in value if str(v).strip()]
    if len(cleaned) > MAX_NAMES:
        raise ValidationError(_("At most %(n)d names.") % {"n": MAX_NAMES}, field=field)
    if any(len(n) > 50 for n in cleaned):
        raise ValidationError(_("A person's name has at most 50 characters."), field=field)
    return cleaned


def not_future(day: dt.date | None, *, field: str) -> dt.date:
    if day is None:
        raise ValidationError(_("Enter a date."), field=field)
    if day > timezone.localdate():
        raise ValidationError(_("This date is in the future."), field=field)
    return day


def whole(value: Any, *, field: str, minimum: int = 0, maximum: int = 10_000_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("Enter a whole number."), field=field)
    if value < minimum:
        raise ValidationError(_("At least %(n)d.") % {"n": minimum}, field=field)
    if value > maximum:
        raise ValidationError(_("At most %(n)d.") % {"n": maximum}, field=field)
    return value


def as_viewer(who: Any) -> access.Viewer:
    return who if isinstance(who, access.Viewer) else access.viewer_for(who)


def acting_as(actor: Any, place_path: str) -> str:
    """What someone raising or commenting speaks as in a village: the village committee
    (cadres, township), a grid worker (the grid team), or a resident."""
    viewer = as_viewer(actor)
    grants = [g for g in viewer.grants if g.region_path and (
        tree.is_under(place_path, g.region_path) or tree.is_under(g.region_path, place_path))]
    held = {g.role for g in grants}
    if held & (roles.VILLAGE_CADRES | roles.GOVERNMENT) or viewer.is_admin:
        return RaisedAs.VILLAGE_COMMITTEE
    if held & (roles.GRID_TEAM | roles.GRID_SUPERVISORS):
        return RaisedAs.GRID_WORKER
    return RaisedAs.RESIDENT


def require_place(actor: Any, action: str, region: Region) -> None:
    """For work on a whole place (a township's late list): the place must lie under one of
    the viewer's places for ``action``."""
    viewer = as_viewer(actor)
    if viewer.is_admin or any(tree.is_under(region.path, p) for p in viewer.paths_for(action)):
        return
    # The grid team works below its village and may look at the village as a whole.
    if region.level == Region.Level.VILLAGE and any(tree.is_under(p, region.path) for p in viewer.paths_for(action)):
        return
    if any(tree.is_under(region.path, p) for p in viewer.home_paths()):
        raise PermissionDenied()
    raise NotFound()


def village_rules(village: Region) -> VillageRules:
    """The village's rules, or the defaults (unsaved) when it has set none."""
    found = VillageRules.objects.filter(village=village).first()
    return found or VillageRules(village=village, **placed(village))


def adult_cutoff(on: dt.date) -> dt.date:
    """Born on or before this day: eighteen or over on ``on``."""
    try:
        return on.replace(year=on.year - 18)
    except ValueError:  # 29 February
        return on.replace(year=on.year - 18, day=28)
