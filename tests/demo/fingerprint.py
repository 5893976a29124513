"""A digest of the generated data, to compare two builds."""

from __future__ import annotations

import hashlib

from shanzhi.people.models import PartyMember, Position
from shanzhi.regions.models import Household, Region, Resident, ResidentTag


def fingerprint() -> str:
    """A digest of everything the generator decides (no primary keys or timestamps)."""
    digest = hashlib.sha256()
    rows = [
        Region.objects.order_by("code").values_list("code", "name", "kind", "path", "is_urban", "latitude",
                                                     "longitude", "household_count"),
        Household.objects.order_by("number").values_list("number", "address", "region_path", "grid__code"),
        Resident.objects.order_by("id_number").values_list("id_number", "name", "gender", "birth_date", "phone",
                                                           "relation", "household__number"),
        ResidentTag.objects.order_by("resident__id_number", "tag").values_list("resident__id_number", "tag"),
        PartyMember.objects.order_by("resident__id_number").values_list("resident__id_number",
                                                                        "organisation__name", "joined_on"),
        Position.objects.order_by("user__username", "role", "region__code").values_list(
            "user__username", "user__full_name", "role", "region__code", "department__name"),
    ]
    for qs in rows:
        for row in qs.iterator():
            digest.update(repr(row).encode())
    return digest.hexdigest()
