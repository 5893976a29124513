"""Creating the demo county (once) and finding it again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from shanzhi.core import audit
from shanzhi.core.errors import Conflict, ValidationError
from shanzhi.core.models import AuditEvent
from shanzhi.demo import accounts, generator
from shanzhi.people.models import Department, PartyMember, PartyOrganisation, Position, User
from shanzhi.regions.models import Household, Region, Resident

BUILD_ACTION = "demo.build"


@dataclass
class DemoBuild:
    built: bool  # False: the demo was there already and is reused
    scale: int
    size: str
    counts: dict[str, int]
    seconds: float


def demo_last_build() -> DemoBuild | None:
    """The demo this database holds, from the audit entry written when it was built."""
    event = AuditEvent.objects.filter(action=BUILD_ACTION).order_by("-id").first()
    if event is None:
        return None
    detail = event.detail
    return DemoBuild(built=False, scale=detail.get("scale", 1), size=detail.get("size", "full"),
                     counts=detail.get("counts", {}), seconds=detail.get("seconds", 0.0))


def _tops(scale: int) -> set[str]:
    return {generator.PROVINCE[0]} if scale > 1 else {accounts.COUNTY_CODE}


def demo_build(*, scale: int = 1, size: str = "full", seed: int = accounts.DEMO_SEED,
               progress: Callable[[generator.Progress], Any] | None = None) -> DemoBuild:
    """Create the demo county (``scale`` counties shaped like Huachi) unless this database
    holds it already. Refuses a database holding anything else: the demo is for a data
    folder of its own, never for a real county's database."""
    existing = demo_last_build()
    if existing is not None:
        return existing
    if size not in generator.SHAPES:
        raise ValidationError(_("Unknown demo size: %(size)s.") % {"size": size}, field="size")
    if not 1 <= scale <= generator.MAX_COUNTIES:
        raise ValidationError(_("The scale is a number of counties from 1 to %(max)s.")
                              % {"max": generator.MAX_COUNTIES}, field="scale")
    tops = set(Region.objects.filter(parent__isnull=True).values_list("code", flat=True))
    if tops - _tops(scale):
        # Tops of a half-finished demo of the same scale are ours: the build resumes.
        raise Conflict(_("This database already holds places that are not the demo's. Run the demo with a "
                         "data folder of its own (--data-dir) and without DATABASE_URL."))
    if not Region.objects.filter(code=accounts.COUNTY_CODE).exists() and (
            User.objects.filter(username__in=accounts.DEMO_USERNAMES).exists()
            or User.objects.filter(phone=accounts.RESIDENT_PHONE).exists()):
        raise Conflict(_("This database already has accounts with the demo's user names. Run the demo with a "
                         "data folder of its own (--data-dir) and without DATABASE_URL."))
    started = time.monotonic()
    counts = generator.build(scale=scale, seed=seed, shape=generator.SHAPES[size],
                             password_hash=make_password(accounts.DEMO_PASSWORD), progress=progress)
    seconds = round(time.monotonic() - started, 1)
    totals = demo_counts()
    with transaction.atomic():
        top = Region.objects.get(code=_tops(scale).pop())
        audit.record(actor=None, action=BUILD_ACTION, target=top, region_path=top.path,
                     detail={"scale": scale, "size": size, "seed": seed, "seconds": seconds, "counts": totals,
                             "written": counts.as_dict()})
    return DemoBuild(built=True, scale=scale, size=size, counts=totals, seconds=seconds)


def demo_counts() -> dict[str, int]:
    """What the database holds, counted (a resumed build wrote only part of it)."""
    by_kind = dict(Region.objects.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return {
        "counties": by_kind.get(Region.Kind.COUNTY, 0),
        "townships": by_kind.get(Region.Kind.TOWN, 0) + by_kind.get(Region.Kind.TOWNSHIP, 0),
        "villages": by_kind.get(Region.Kind.VILLAGE, 0) + by_kind.get(Region.Kind.COMMUNITY, 0),
        "communities": by_kind.get(Region.Kind.COMMUNITY, 0),
        "groups": by_kind.get(Region.Kind.GROUP, 0),
        "grids": by_kind.get(Region.Kind.GRID, 0),
        "micro_grids": by_kind.get(Region.Kind.MICRO_GRID, 0),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "party_organisations": PartyOrganisation.objects.count(),
        "party_groups": PartyOrganisation.objects.filter(kind=PartyOrganisation.Kind.GROUP).count(),
        "party_members": PartyMember.objects.count(),
        "departments": Department.objects.count(),
        "accounts": User.objects.count(),
        "positions": Position.objects.count(),
    }

