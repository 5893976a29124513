"""Writes to the governance map. Every function: keyword-only arguments, an explicit
actor, one transaction, the permission check, the audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, idnumbers, tree
from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError
from shanzhi.regions.models import Household, Region, Resident, ResidentMove, ResidentTag, Tag

CHILD_LEVELS = {
    Region.Level.PROVINCE: {Region.Level.CITY, Region.Level.COUNTY},
    Region.Level.CITY: {Region.Level.COUNTY},
    Region.Level.COUNTY: {Region.Level.TOWNSHIP},
    Region.Level.TOWNSHIP: {Region.Level.VILLAGE},
    Region.Level.VILLAGE: {Region.Level.GROUP, Region.Level.GRID},
    Region.Level.GROUP: {Region.Level.GRID},
    Region.Level.GRID: {Region.Level.MICRO_GRID},
    Region.Level.MICRO_GRID: set(),
}
DIVISION_CODE_LEVELS = {Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP,
                        Region.Level.VILLAGE}


def division_code_problem(code: str, level: int, parent: Region | None) -> str | None:
    """Codes at county level and above are the 12-digit national division codes; grids and
    micro-grids extend their village's (or grid's) code."""
    if not code.isdigit():
        return _("A region code has digits only.")
    if level in DIVISION_CODE_LEVELS:
        if len(code) != 12:
            return _("A division code has 12 digits.")
        keep = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}[level]
        if parent is not None and parent.level in DIVISION_CODE_LEVELS:
            parent_keep = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}[parent.level]
            if code[:parent_keep] != parent.code[:parent_keep]:
                return _("The code does not start with its parent's code.")
        if level < Region.Level.VILLAGE and code[keep:].strip("0"):
            return _("The code has digits beyond its level.")
        return None
    village_code = _village_code(parent)
    if village_code and not code.startswith(village_code):
        return _("A grid's code extends its village's code.")
    if parent is not None and parent.level == Region.Level.GRID and not code.startswith(parent.code):
        return _("A micro-grid's code extends its grid's code.")
    return None


def _village_code(parent: Region | None) -> str | None:
    while parent is not None and parent.level > Region.Level.VILLAGE:
        parent = parent.parent
    return parent.code if parent is not None and parent.level == Region.Level.VILLAGE else None


def build_region(*, parent: Region | None, code: str, name: str, kind: str, is_urban: bool | None = None,
                 latitude: Any = None, longitude: Any = None) -> Region:
    """An unsaved region with its derived fields (level, path, county); for bulk loads."""
    level = Region.LEVEL_OF_KIND[Region.Kind(kind)]
    if parent is not None and level not in CHILD_LEVELS[Region.Level(parent.level)]:
        raise ValidationError(_("A %(kind)s cannot sit under a %(parent)s.")
                              % {"kind": Region.Kind(kind).label, "parent": parent.get_kind_display()}, field="kind")
    problem = division_code_problem(code, level, parent)
    if problem:
        raise ValidationError(problem, field="code")
    path = (parent.path if parent else "") + code + tree.SEP
    county = None
    if level == Region.Level.COUNTY:
        county = None  # set to itself after save
    elif parent is not None:
        county = parent if parent.level == Region.Level.COUNTY else parent.county
    urban = is_urban if is_urban is not None else (
        kind == Region.Kind.COMMUNITY or kind == Region.Kind.SUBDISTRICT
        or bool(parent is not None and parent.is_urban and level > Region.Level.VILLAGE)
    )
    return Region(code=code, name=name, kind=kind, level=level, parent=parent, path=path, county=county,
                  is_urban=urban, latitude=latitude, longitude=longitude)


@transaction.atomic
def region_create(*, actor: Any, parent: Region | None, code: str, name: str, kind: str,
                  is_urban: bool | None = None, latitude: Any = None, longitude: Any = None) -> Region:
    if parent is None:
        if not access.viewer_for(actor).is_admin:
            raise PermissionDenied()
    else:
        access.require(actor, "region.change", parent)
    region = build_region(parent=parent, code=code.strip(), name=name.strip(), kind=kind, is_urban=is_urban,
                          latitude=latitude, longitude=longitude)
    if not region.name:
        raise ValidationError(_("A name is required."), field="name")
    try:
        with transaction.atomic():
            region.save()
    except IntegrityError:
        raise ValidationError(_("This code is already in use."), field="code") from None
    if region.level == Region.Level.COUNTY:
        region.county = region
        region.save(update_fields=["county"])
    audit.record(actor=actor, action="region.create", target=region, region_path=region.path)
    return region


def _county_id(region: Region) -> int:
    if region.county_id is None:
        raise ValidationError(_("This place is not inside a county."), field="village")
    return region.county_id


def _place_of(*, village: Region | None, grid: Region | None, micro_grid: Region | None) -> tuple[Region, str]:
    if micro_grid is not None:
        if micro_grid.level != Region.Level.MICRO_GRID:
            raise ValidationError(_("Not a micro-grid."), field="micro_grid")
        if grid is None:
            grid = micro_grid.parent
        elif micro_grid.parent_id != grid.pk:
            raise ValidationError(_("The micro-grid is not in this grid."), field="micro_grid")
    if grid is not None:
        if grid.level != Region.Level.GRID:
            raise ValidationError(_("Not a grid."), field="grid")
        grid_village = Region.objects.filter(path__in=tree.ancestors(grid.path), level=Region.Level.VILLAGE).first()
        if village is None:
            village = grid_village
        elif grid_village is None or grid_village.pk != village.pk:
            raise ValidationError(_("The grid is not in this village."), field="grid")
    if village is None or village.level != Region.Level.VILLAGE:
        raise ValidationError(_("A household belongs to a village."), field="village")
    deepest = micro_grid or grid or village
    return village, deepest.path


@transaction.atomic
def household_create(*, actor: Any, number: str, village: Region | None = None, grid: Region | None = None,
                     micro_grid: Region | None = None, address: str = "") -> Household:
    number = (number or "").strip()
    if not number:
        raise ValidationError(_("A household number is required."), field="number")
    village, path = _place_of(village=village, grid=grid, micro_grid=micro_grid)
    household = Household(number=number, address=address.strip(), village=village, grid=grid or (
        micro_grid.parent if micro_grid else None), micro_grid=micro_grid, region_path=path,
        county_id=_county_id(village))
    if not access.can(actor, "household.change", household):
        # A place the actor can see but not add households to is forbidden, not unknown.
        access.require(actor, "region.view", micro_grid or grid or village)
        raise PermissionDenied()
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError:
        raise ValidationError(_("This household number is already in use."), field="number") from None
    audit.record(actor=actor, action="household.create", target=household)
    return household


@transaction.atomic
def household_place(*, actor: Any, household: Household, grid: Region | None,
                    micro_grid: Region | None = None) -> Household:
    """Put a household in a grid (or another grid); its residents follow."""
    access.require(actor, "household.change", household)
    village, path = _place_of(village=household.village if grid is None else None, grid=grid, micro_grid=micro_grid)
    probe = Household(region_path=path)
    access.require(actor, "household.change", probe)
    before = {"grid": household.grid_id, "micro_grid": household.micro_grid_id, "path": household.region_path}
    household.village, household.grid, household.micro_grid, household.region_path = (
        village, grid or (micro_grid.parent if micro_grid else None), micro_grid, path)
    household.county_id = _county_id(village)
    household.save(update_fields=["village", "grid", "micro_grid", "region_path", "county", "updated_at"])
    Resident.objects.filter(household=household).update(region_path=path, county_id=village.county_id)
    after = {"grid": household.grid_id, "micro_grid": household.micro_grid_id, "path": household.region_path}
    audit.record(actor=actor, action="household.place", target=household, detail=audit.changes(before, after))
    return household


RESIDENT_FIELDS = ("name", "gender", "birth_date", "id_number", "phone", "relation")


def clean_resident_fields(fields: dict[str, Any], *, today: dt.date | None = None) -> dict[str, Any]:
    """Validate and normalise resident fields; raise ValidationError naming the field."""
    out = dict(fields)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise ValidationError(_("A name is required."), field="name")
        if len(out["name"]) > 50:
            raise ValidationError(_("A name has at most 50 characters."), field="name")
    if out.get("id_number"):
        out["id_number"] = idnumbers.normalise_id(out["id_number"])
        problem = idnumbers.id_problem(out["id_number"], today)
        if problem:
            raise ValidationError(problem, field="id_number")
        born = idnumbers.birth_date_of(out["id_number"])
        if out.get("birth_date") and out["birth_date"] != born:
            raise ValidationError(_("The date of birth does not match the ID number."), field="birth_date")
        out.setdefault("birth_date", born)
        if not out.get("birth_date"):
            out["birth_date"] = born
        if not out.get("gender"):
            out["gender"] = idnumbers.gender_of(out["id_number"])
        elif out["gender"] != idnumbers.gender_of(out["id_number"]):
            raise ValidationError(_("The gender does not match the ID number."), field="gender")
    elif "id_number" in out:
        out["id_number"] = None
    if out.get("birth_date") and out["birth_date"] > (today or dt.date.today()):
        raise ValidationError(_("The date of birth is in the future."), field="birth_date")
    if "phone" in out:
        out["phone"] = (out["phone"] or "").strip()  # the column holds "" for no phone, never NULL
    if out.get("phone"):
        problem = idnumbers.phone_problem(out["phone"])
        if problem:
            raise ValidationError(problem, field="phone")
    if "gender" in out and out["gender"] not in Resident.Gender.values:
        raise ValidationError(_("Gender is male or female."), field="gender")
    if "relation" in out and out["relation"] not in Resident.Relation.values:
        raise ValidationError(_("Unknown relation to the head of household."), field="relation")
    return out


def _check_head(household: Household, relation: str, exclude: int | None = None) -> None:
    if relation != Resident.Relation.HEAD:
        return
    heads = Resident.objects.filter(household=household, relation=Resident.Relation.HEAD,
                                    status=Resident.Status.ACTIVE)
    if exclude:
        heads = heads.exclude(pk=exclude)
    if heads.exists():
        raise ValidationError(_("This household already has a head."), field="relation")


def _check_id_free(id_number: str | None, exclude: int | None = None) -> None:
    if not id_number:
        return
    others = Resident.objects.filter(id_number=id_number)
    if exclude:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise ValidationError(_("This ID number belongs to someone already registered."), field="id_number")


def set_tags(resident: Resident, tags: Iterable[str]) -> tuple[list[str], list[str]]:
    wanted = {str(t) for t in tags}
    unknown = wanted - set(Tag.values)
    if unknown:
        raise ValidationError(_("Unknown tag: %(tag)s") % {"tag": "、".join(sorted(unknown))}, field="tags")
    have = set(resident.tag_rows.values_list("tag", flat=True)) if resident.pk else set()
    added, removed = sorted(wanted - have), sorted(have - wanted)
    if removed:
        ResidentTag.objects.filter(resident=resident, tag__in=removed).delete()
    ResidentTag.objects.bulk_create([ResidentTag(resident=resident, tag=t) for t in added])
    return added, removed


@transaction.atomic
def resident_create(*, actor: Any, household: Household, name: str, relation: str, gender: str = "",
                    birth_date: dt.date | None = None, id_number: str | None = None, phone: str = "",
                    tags: Iterable[str] = ()) -> Resident:
    access.require(actor, "resident.change", Resident(household=household, region_path=household.region_path),
                   view_action="household.view")
    fields = clean_resident_fields({"name": name, "relation": relation, "gender": gender, "birth_date": birth_date,
                                    "id_number": id_number, "phone": phone or ""})
    if not fields.get("gender"):
        raise ValidationError(_("Gender is male or female."), field="gender")
    _check_head(household, fields["relation"])
    _check_id_free(fields.get("id_number"))
    resident = Resident(household=household, region_path=household.region_path, county_id=household.county_id,
                        **fields)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:
        raise Conflict(_("Someone else registered this person first.")) from None
    set_tags(resident, tags)
    audit.record(actor=actor, action="resident.create", target=resident, detail={"household": household.number})
    return resident


@transaction.atomic
def resident_update(*, actor: Any, resident: Resident, tags: Iterable[str] | None = None,
                    expected_updated_at: dt.datetime | None = None, **changes: Any) -> Resident:
    """``expected_updated_at``: the version the editor read; if the record has changed
    since, nothing is written and Conflict (409) says to reload."""
    access.require(actor, "resident.change", resident)
    if expected_updated_at is not None:
        current = Resident.objects.select_for_update().filter(pk=resident.pk).values_list("updated_at", flat=True)
        if current.first() != expected_updated_at:
            raise Conflict()
    unknown = set(changes) - set(RESIDENT_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown field."), field=sorted(unknown)[0])
    fields = clean_resident_fields(changes)
    if "relation" in fields and resident.household is not None:
        _check_head(resident.household, fields["relation"], exclude=resident.pk)
    if "id_number" in fields:
        _check_id_free(fields["id_number"], exclude=resident.pk)
    before = {f: _plain(getattr(resident, f)) for f in fields}
    for key, value in fields.items():
        setattr(resident, key, value)
    resident.save()
    diff = audit.changes(before, {f: _plain(getattr(resident, f)) for f in fields})
    if tags is not None:
        added, removed = set_tags(resident, tags)
        if added or removed:
            diff["tags"] = [removed, added]
    if diff:
        # The audit log keeps no full ID numbers: it is itself read by many people.
        if "id_number" in diff:
            diff["id_number"] = [idnumbers.mask_id(v) for v in diff["id_number"]]
        if "phone" in diff:
            diff["phone"] = [idnumbers.mask_phone(v) for v in diff["phone"]]
        audit.record(actor=actor, action="resident.update", target=resident, detail=diff)
    return resident


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def resident_move(*, actor: Any, resident: Resident, to_household: Household | None, relation: str = "",
                  reason: str = "") -> Resident:
    """Move a resident to another household (or out of the county when ``to_household``
    is None). Both households must be in the actor's scope."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    access.require(actor, "resident.change", resident)
    if to_household is not None:
        access.require(actor, "household.change", to_household)
        if to_household.pk == resident.household_id:
            raise ValidationError(_("The resident already lives in this household."), field="to_household")
        relation = relation or Resident.Relation.OTHER
        if relation not in Resident.Relation.values:
            raise ValidationError(_("Unknown relation to the head of household."), field="relation")
        _check_head(to_household, relation)
    from_household = resident.household
    ResidentMove.objects.create(resident=resident, from_household=from_household, to_household=to_household,
                                relation=relation, reason=reason[:200], actor=actor if actor else None)
    if to_household is None:
        resident.status = Resident.Status.MOVED_OUT
        resident.household = None
    else:
        resident.household = to_household
        resident.relation = relation
        resident.region_path = to_household.region_path
        resident.county_id = to_household.county_id
    resident.save()
    audit.record(actor=actor, action="resident.move", target=resident, detail={
        "from": from_household.number if from_household else None,
        "to": to_household.number if to_household else None, "reason": reason[:200]})
    return resident


@transaction.atomic
def resident_record_death(*, actor: Any, resident: Resident, died_on: dt.date, note: str = "") -> Resident:
    """A resident has died: kept on the roster (their history stays), no longer living here."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    access.require(actor, "resident.change", resident)
    if resident.status != Resident.Status.ACTIVE:
        raise ValidationError(_("This resident is no longer living here."), field="resident_id")
    if died_on > dt.date.today():
        raise ValidationError(_("The date is in the future."), field="died_on")
    if resident.birth_date and died_on < resident.birth_date:
        raise ValidationError(_("The date is before the date of birth."), field="died_on")
    resident.status = Resident.Status.DECEASED
    resident.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="resident.death", target=resident,
                 detail={"died_on": died_on.isoformat(), "note": note[:200],
                         "household": resident.household.number if resident.household else None})
    return resident


def resident_reveal_id(*, actor: Any, resident: Resident, purpose: str = "") -> str:
    """The full ID number, for those whose scope covers the person; every reveal is
    written to the audit log (PIPL)."""
    access.require(actor, "resident.view_id", resident, view_action="resident.view")
    audit.record(actor=actor, action="resident.view_id", target=resident, detail={"purpose": purpose[:200]})
    return resident.id_number or ""


def grid_counts_refresh() -> int:
    """Recompute the cached household count of every grid and village (periodic rollup)."""
    changed = 0
    for field in ("grid", "village"):
        counts = dict(Household.objects.exclude(**{f"{field}__isnull": True}).values_list(field)
                      .annotate(n=Count("id")).values_list(field, "n"))
        level = Region.Level.GRID if field == "grid" else Region.Level.VILLAGE
        stale = [r for r in Region.objects.filter(level=level).only("id", "household_count")
                 if r.household_count != counts.get(r.pk, 0)]
        for region in stale:
            region.household_count = counts.get(region.pk, 0)
        Region.objects.bulk_update(stale, ["household_count"], batch_size=500)
        changed += len(stale)
    return changed
