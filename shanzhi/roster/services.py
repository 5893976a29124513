"""Roster import and export (基础信息采集): the spreadsheets counties already keep.

Import reads the file once, in batches of rows. Each batch is parsed and validated row by
row (``parsing``), then checked against the database with a handful of set-based queries
(grids, households and residents of the whole batch at once) and against the rows before
it (an in-memory index of the file's ID numbers and households), and written with
``bulk_create``/``bulk_update``. The whole import is one transaction: by default any bad
row rolls everything back; ``skip_invalid`` keeps the good rows; ``dry_run`` writes
nothing. Rows are matched to what is stored on 户编号 (household number) and 身份证号 (ID
number), or on the name within the household where a row has no ID number, so importing
the same file again changes nothing.

A blank cell never erases a stored value (clear it on the resident's page); an import
never deletes or moves anyone out. Created records are covered by the import's summary
audit entry; each updated household or resident gets its own entry saying what changed
(see docs/adr/0005-roster-import.md).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from os.path import commonpath
from typing import IO, Any

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, idnumbers, tree
from shanzhi.core.errors import Conflict, ValidationError
from shanzhi.regions.models import Household, Region, Resident, ResidentTag
from shanzhi.roster import columns, parsing, reading
from shanzhi.roster.writing import XLSX_WIDTHS, TableWriter

ALL_OR_NOTHING, SKIP_INVALID, DRY_RUN = "all", "skip_invalid", "dry_run"
MODES = (ALL_OR_NOTHING, SKIP_INVALID, DRY_RUN)
BATCH_ROWS = 2000
KEEP_PROBLEMS = 1000
HEAD = Resident.Relation.HEAD
ACTIVE = Resident.Status.ACTIVE
RESIDENT_COMPARED = ("name", "gender", "birth_date", "phone", "relation", "id_number")


@dataclass
class Problem:
    line: int
    reasons: list[str]

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


@dataclass
class ImportReport:
    file_name: str
    mode: str
    kind: str = ""
    rows: int = 0
    rejected: int = 0
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    residents_unchanged: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the first KEEP_PROBLEMS
    written: bool = False
    rejects_path: str = ""

    def counts(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in (
            "rows", "rejected", "households_created", "households_updated", "households_unchanged",
            "residents_created", "residents_updated", "residents_unchanged")}

    def summary(self) -> str:
        text = _("Households: %(hc)s created, %(hu)s updated, %(hn)s unchanged. Residents: %(rc)s created, "
                 "%(ru)s updated, %(rn)s unchanged. Rows rejected: %(rej)s.") % {
            "hc": self.households_created, "hu": self.households_updated, "hn": self.households_unchanged,
            "rc": self.residents_created, "ru": self.residents_updated, "rn": self.residents_unchanged,
            "rej": self.rejected}
        if self.mode == DRY_RUN:
            return text + " " + _("Dry run: nothing was written.")
        if not self.written:
            return text + " " + _("Nothing was written: fix the rejected rows and import the file again "
                                  "(or import only the good rows with “skip invalid rows”).")
        return text


@dataclass(slots=True)
class Place:
    """Where a household goes: a grid, a micro-grid, or (without a grid yet) a village."""

    code: str
    village_id: int
    grid_id: int | None
    micro_grid_id: int | None
    path: str
    county_id: int | None
    in_scope: bool


@dataclass(slots=True)
class HouseholdState:
    """What the import knows of one household number of the file."""

    number: str
    first_line: int
    pk: int | None = None
    is_new: bool = True
    blocked: str = ""  # a reason every row of this household is refused
    place: Place | None = None
    place_line: int = 0
    address: str | None = None
    address_line: int = 0
    stored_place_code: str = ""  # as stored (or as last written by this import)
    stored_path: str = ""
    stored_address: str = ""
    county_id: int | None = None
    created: set[int] | None = None  # members this import created
    accepted: int = 0
    changed: bool = False
    head_line: int = 0  # the row of the file that names the head, if any
    head_pk: int | None = None  # the stored head as this import leaves it
    head_name: str = ""
    claimed_head: tuple[int, str] | None = None  # (row, 户主姓名) before the head is known
    demoted: set[int] | None = None  # stored members the file takes off the head
    matched: dict[int, int] | None = None  # stored member -> row
    new_names: dict[str, int] | None = None  # member without ID number, created by the file -> row


def _system_viewer() -> access.Viewer:
    return access.Viewer(is_admin=True)


def roster_import(*, actor: Any, source: str | os.PathLike[str] | IO[bytes], file_name: str = "",
                  mode: str = ALL_OR_NOTHING, viewer: access.Viewer | None = None,
                  rejects_to: str | os.PathLike[str] | None = None,
                  on_problem: Callable[[Problem], None] | None = None,
                  on_progress: Callable[[int, float | None], None] | None = None,
                  batch_rows: int = BATCH_ROWS, today: dt.date | None = None) -> ImportReport:
    """Import a roster file; see the module's docstring. ``actor`` is the user (None for the
    command line's administrator, who passes ``viewer=access.Viewer(is_admin=True)``)."""
    if mode not in MODES:
        raise ValueError(mode)
    viewer = viewer or access.viewer_for(actor)
    access.require_any_role(viewer, "household.change")
    file_name = file_name or (os.path.basename(os.fspath(source)) if isinstance(source, str | os.PathLike) else "")
    sheet = reading.open_sheet(source, file_name)
    try:
        importer = _Importer(actor=actor, viewer=viewer, sheet=sheet, file_name=file_name, mode=mode,
                             rejects_to=rejects_to, on_problem=on_problem, on_progress=on_progress,
                             batch_rows=batch_rows, today=today or timezone.localdate())
    except BaseException:
        sheet.close()
        raise
    try:
        if mode == DRY_RUN:
            importer.run()
        else:
            try:
                with transaction.atomic():
                    importer.run()
                    if importer.failed:
                        transaction.set_rollback(True)
                    else:
                        importer.record_summary()
            except IntegrityError:
                raise Conflict(_("Another import or another person changed some of these households or "
                                 "residents at the same moment, so nothing was written. Import the file "
                                 "again: rows already in place will show as unchanged.")) from None
            except OperationalError as exc:
                if "locked" not in str(exc).lower():
                    raise
                raise Conflict(_("Another import is writing to the database; nothing was written. Try again "
                                 "when it has finished.")) from None
            importer.report.written = not importer.failed
    except BaseException:
        importer.discard_rejects()
        raise
    finally:
        sheet.close()
        importer.close_rejects()
    return importer.report


class _Importer:
    def __init__(self, *, actor: Any, viewer: access.Viewer, sheet: reading.Sheet, file_name: str, mode: str,
                 rejects_to: Any, on_problem: Callable[[Problem], None] | None,
                 on_progress: Callable[[int, float | None], None] | None, batch_rows: int, today: dt.date):
        self.actor, self.viewer, self.sheet, self.mode = actor, viewer, sheet, mode
        self.report = ImportReport(file_name=file_name, mode=mode, kind=sheet.kind)
        self.rejects_to = os.fspath(rejects_to) if rejects_to else ""
        self.rejects: TableWriter | None = None
        self.on_problem, self.on_progress = on_problem, on_progress
        self.batch_rows, self.today = batch_rows, today
        self.language = get_language() or "zh-hans"
        self.index = self._column_index(sheet.header)
        self.households: dict[str, HouseholdState] = {}
        self.id_lines: dict[int, int] = {}  # ID number (as a number: a third of the memory) -> row
        self.places: dict[str, Place | None] = {}
        self.touched_paths: str | None = None  # common prefix of what was written, for the audit entry
        self.failed = False

    # -- header ---------------------------------------------------------------------------------

    def _column_index(self, header: list[Any]) -> dict[str, int]:
        index: dict[str, int] = {}
        unknown: list[str] = []
        for i, cell in enumerate(header):
            text = parsing.text_of(cell)
            if not text:
                continue
            key = columns.HEADER_LOOKUP.get(columns.header_key(text))
            if key is None:
                if columns.header_key(text) not in columns.IGNORED_LOOKUP:
                    unknown.append(text)
            elif key in index:
                raise reading.RosterFileError(_("The column %(name)s appears twice in the header.")
                                              % {"name": text})
            else:
                index[key] = i
        missing = [c.label(self.language) for c in columns.REQUIRED if c.key not in index]
        if missing:
            raise reading.RosterFileError(_("The file lacks required columns: %(names)s. Nothing was imported.")
                                          % {"names": "、".join(missing)})
        self.report.unknown_columns = unknown
        return index

    # -- the pass over the file -----------------------------------------------------------------

    @property
    def writing(self) -> bool:
        return self.mode != DRY_RUN and not self.failed

    def run(self) -> None:
        for batch in self._batches():
            self._batch(batch)
            if self.on_progress:
                self.on_progress(self.report.rows, self.sheet.progress())
        for state in self.households.values():
            if not state.accepted:
                continue
            if state.is_new:
                self.report.households_created += 1
            elif state.changed:
                self.report.households_updated += 1
            else:
                self.report.households_unchanged += 1

    def _batches(self) -> Iterator[list[tuple[int, list[Any]]]]:
        """Rows in batches that end between households where the file keeps them together,
        so a household's rows are checked and written as one."""
        number_at = self.index["household_number"]
        batch: list[tuple[int, list[Any]]] = []
        last = None
        for line, cells in self.sheet.rows:
            if reading.is_blank(cells):
                continue
            number = parsing.text_of(cells[number_at]) if number_at < len(cells) else ""
            if len(batch) >= self.batch_rows and (number != last or len(batch) >= self.batch_rows * 5):
                yield batch
                batch = []
            batch.append((line, cells))
            last = number
        if batch:
            yield batch

    def _batch(self, raw: list[tuple[int, list[Any]]]) -> None:
        rows = [parsing.parse_row(line, cells, self.index, self.today) for line, cells in raw]
        self.report.rows += len(rows)
        self._load_places(rows)
        stored_households = self._stored_households(rows)
        by_id = self._stored_by_id(rows)
        members, tags = self._stored_members(rows, stored_households)
        for row in rows:
            if not row.problems:
                self._check_household(row, stored_households, members)
            if not row.problems:
                self._match(row, by_id, members)
        self._plan_demotions(rows)
        for row in rows:
            if not row.problems:
                self._check_head(row, members)
            if not row.problems:
                self._decide(row, tags)
        self._drop_orphaned_promotions(rows)
        good = []
        for row in rows:
            if row.problems:
                self._reject(row)
            else:
                good.append(row)
                row.household.accepted += 1
        if self.report.rejected and self.mode == ALL_OR_NOTHING:
            self.failed = True
        for row in good:
            self._count(row)
        if self.writing:
            self._write(good)
        else:
            self._pretend(good)

    # -- database look-ups, one query per kind for the whole batch ------------------------------

    def _load_places(self, rows: list[parsing.Row]) -> None:
        codes = {r.grid_code for r in rows if r.grid_code and r.grid_code not in self.places}
        if not codes:
            return
        found = list(Region.objects.filter(code__in=codes, level__in=(
            Region.Level.VILLAGE, Region.Level.GRID, Region.Level.MICRO_GRID)).values(
            "id", "code", "level", "path", "parent_id", "county_id"))
        ancestor_paths = {p for r in found for p in tree.ancestors(r["path"])}
        above = {r["path"]: r for r in Region.objects.filter(path__in=ancestor_paths, level__in=(
            Region.Level.VILLAGE, Region.Level.GRID)).values("id", "path", "level")}
        for code in codes:
            self.places[code] = None
        for region in found:
            chain = [above.get(p) for p in tree.ancestors(region["path"])]
            village = next((r for r in chain if r and r["level"] == Region.Level.VILLAGE), None)
            if village is None:
                continue
            grid_id = micro_id = None
            if region["level"] == Region.Level.GRID:
                grid_id = region["id"]
            elif region["level"] == Region.Level.MICRO_GRID:
                micro_id = region["id"]
                grid_id = next((r["id"] for r in chain if r and r["level"] == Region.Level.GRID), None)
            in_scope = access.can(self.viewer, "household.change", Household(region_path=region["path"]))
            self.places[region["code"]] = Place(code=region["code"], village_id=village["id"], grid_id=grid_id,
                                                micro_grid_id=micro_id, path=region["path"],
                                                county_id=region["county_id"], in_scope=in_scope)

    def _stored_households(self, rows: list[parsing.Row]) -> dict[str, dict[str, Any]]:
        numbers = {r.number for r in rows if r.number and r.number not in self.households}
        if not numbers:
            return {}
        found: Any = Household.objects.filter(number__in=numbers).values(
            "id", "number", "address", "region_path", "county_id", "grid__code", "micro_grid__code",
            "village__code")
        return {h["number"]: h for h in found}

    def _stored_by_id(self, rows: list[parsing.Row]) -> dict[str, dict[str, Any]]:
        ids = {r.fields["id_number"] for r in rows if r.fields.get("id_number")}
        if not ids:
            return {}
        found: Any = Resident.objects.filter(id_number__in=ids).values("id", "id_number", "household_id", "status")
        return {r["id_number"]: r for r in found}

    def _stored_members(self, rows: list[parsing.Row], stored: dict[str, dict[str, Any]]
                        ) -> tuple[dict[int, list[dict[str, Any]]], dict[int, set[str]]]:
        """The active members of the batch's stored households, and their tags."""
        pks = {h["id"] for h in stored.values()}
        for row in rows:
            state = self.households.get(row.number)
            if state is not None and not state.is_new and state.pk:
                pks.add(state.pk)
        members: dict[int, list[dict[str, Any]]] = {pk: [] for pk in pks}
        if not pks:
            return members, {}
        for member in Resident.objects.filter(household_id__in=pks, status=ACTIVE).values(
                "id", "household_id", *RESIDENT_COMPARED).order_by("id"):
            members[member["household_id"]].append(member)
        tags: dict[int, set[str]] = {}
        member_ids = [m["id"] for group in members.values() for m in group]
        for start in range(0, len(member_ids), 5000):
            for resident_id, tag in ResidentTag.objects.filter(
                    resident_id__in=member_ids[start:start + 5000]).values_list("resident_id", "tag"):
                tags.setdefault(resident_id, set()).add(tag)
        return members, tags

    # -- checks against the database and the rows before -----------------------------------------

    def _check_household(self, row: parsing.Row, stored: dict[str, dict[str, Any]],
                         members: dict[int, list[dict[str, Any]]]) -> None:
        state = self.households.get(row.number)
        if state is None:
            state = HouseholdState(number=row.number, first_line=row.line)
            found = stored.get(row.number)
            if found is not None:
                state.pk, state.is_new = found["id"], False
                state.stored_path, state.stored_address = found["region_path"], found["address"]
                state.county_id = found["county_id"]
                state.stored_place_code = found["micro_grid__code"] or found["grid__code"] or found["village__code"]
                if not access.can(self.viewer, "household.change", Household(region_path=found["region_path"])):
                    state.blocked = _("The household number %(number)s belongs to a household outside your "
                                      "area.") % {"number": row.number}
                heads = [m for m in members.get(state.pk, []) if m["relation"] == HEAD]
                if heads:
                    state.head_pk, state.head_name = heads[0]["id"], heads[0]["name"]
            self.households[row.number] = state
        row.household = state
        if state.blocked:
            row.problems.append(state.blocked)
            return
        if row.grid_code:
            place = self.places.get(row.grid_code)
            if place is None:
                row.problems.append(_("No grid has the code %(code)s.") % {"code": row.grid_code[:30]})
            elif not place.in_scope:
                row.problems.append(_("The grid %(code)s is outside your area.") % {"code": row.grid_code})
            elif state.place is not None and state.place.code != place.code:
                row.problems.append(_("The grid code differs from row %(line)s of the same household.")
                                    % {"line": state.place_line})
            elif state.place is None:
                state.place, state.place_line = place, row.line
        elif state.place is None and state.is_new:
            row.problems.append(_("The grid code (网格编码) is missing."))
        if row.address:
            if state.address is not None and state.address != row.address:
                row.problems.append(_("The address differs from row %(line)s of the same household.")
                                    % {"line": state.address_line})
            elif state.address is None:
                state.address, state.address_line = row.address, row.line

    def _match(self, row: parsing.Row, by_id: dict[str, dict[str, Any]],
               members: dict[int, list[dict[str, Any]]]) -> None:
        """Find the stored resident this row is about, if any."""
        state: HouseholdState = row.household
        id_number = row.fields.get("id_number")
        name = row.fields["name"]
        if id_number:
            id_key = int(id_number[:17]) * 11 + idnumbers.CHECK_CHARS.index(id_number[17])
            earlier = self.id_lines.get(id_key)
            if earlier:
                row.problems.append(_("This ID number is already on row %(line)s.") % {"line": earlier})
                return
            self.id_lines[id_key] = row.line
            found = by_id.get(id_number)
            if found is not None:
                if found["status"] != ACTIVE:
                    row.problems.append(_("This ID number belongs to someone recorded as moved out or deceased."))
                    return
                if state.is_new or found["household_id"] != state.pk:
                    row.problems.append(_("This ID number belongs to someone already registered in another "
                                          "household."))
                    return
                row.match = next(m for m in members[state.pk] if m["id"] == found["id"])
        if row.match is None and not id_number and state.new_names and name in state.new_names:
            row.problems.append(_("%(name)s is already on row %(line)s of this household.")
                                % {"name": name, "line": state.new_names[name]})
            return
        if row.match is None and not state.is_new:
            # No ID number (or a masked one, or one new to a person stored without it): the
            # same name in the same household is the same person.
            candidates = [m for m in members.get(state.pk or 0, []) if m["name"] == name
                          and m["id"] not in (state.created or ())]
            if id_number:
                candidates = [m for m in candidates if not m["id_number"]]
            elif row.id_masked:
                candidates = [m for m in candidates if idnumbers.mask_id(m["id_number"]) == row.id_masked]
            if len(candidates) > 1:
                row.problems.append(_("Two members of this household are called %(name)s: give the ID number.")
                                    % {"name": name})
                return
            row.match = candidates[0] if candidates else None
        if row.match is None:
            if row.id_masked:
                row.problems.append(_("The ID number is masked (hidden with *): give the full number."))
                return
            if not id_number:
                state.new_names = state.new_names or {}
                state.new_names[name] = row.line
            return
        state.matched = state.matched or {}
        earlier = state.matched.get(row.match["id"])
        if earlier:
            row.problems.append(_("This person is already on row %(line)s.") % {"line": earlier})
            row.match = None
            return
        state.matched[row.match["id"]] = row.line

    def _plan_demotions(self, rows: list[parsing.Row]) -> None:
        for row in rows:
            state = row.household
            if row.problems or row.match is None or row.match["relation"] != HEAD:
                continue
            if row.fields["relation"] != HEAD:
                state.demoted = state.demoted or set()
                state.demoted.add(row.match["id"])

    def _check_head(self, row: parsing.Row, members: dict[int, list[dict[str, Any]]]) -> None:
        state: HouseholdState = row.household
        name = row.fields["name"]
        if row.fields["relation"] == HEAD:
            person = row.match["id"] if row.match else None
            stored_head = state.head_pk if state.head_pk and state.head_pk not in (state.demoted or ()) else None
            if state.head_line and state.head_line != row.line:
                row.problems.append(_("The household already has a head on row %(line)s.")
                                    % {"line": state.head_line})
                return
            if stored_head and stored_head != person:
                row.problems.append(_("The household already has a head, %(name)s; change that row too.")
                                    % {"name": state.head_name})
                return
            if state.claimed_head and state.claimed_head[1] != name:
                row.problems.append(_("户主姓名 on row %(line)s names %(claimed)s as the head, not %(name)s.")
                                    % {"line": state.claimed_head[0], "claimed": state.claimed_head[1],
                                       "name": name})
                return
            state.head_line, state.head_name = row.line, name
        if row.head_name:
            head_known = state.head_line or (state.head_pk and state.head_pk not in (state.demoted or ()))
            if head_known and state.head_name != row.head_name:
                row.problems.append(_("户主姓名 says %(claimed)s, but the head of the household is %(name)s.")
                                    % {"claimed": row.head_name, "name": state.head_name})
            elif not head_known and state.claimed_head is None:
                state.claimed_head = (row.line, row.head_name)

    def _drop_orphaned_promotions(self, rows: list[parsing.Row]) -> None:
        """A new head stands only if the row that takes the stored head off stands too
        (a household keeps one head, and the database holds it to that)."""
        refused = {r.match["id"] for r in rows if r.problems and r.match}
        for row in rows:
            state = row.household
            if row.problems or row.fields.get("relation") != HEAD or not state or not state.demoted:
                continue
            if state.demoted & refused and (row.match is None or row.match["id"] not in state.demoted):
                row.problems.append(_("The row that changes the current head of household was rejected."))

    def _decide(self, row: parsing.Row, tags: dict[int, set[str]]) -> None:
        """Create, update or leave alone, and what changes."""
        if row.match is None:
            row.action = "create"
            return
        member = row.match
        changes: dict[str, list[Any]] = {}
        for key in RESIDENT_COMPARED:
            if key in row.fields and row.fields[key] not in (None, "") and row.fields[key] != member[key]:
                changes[key] = [member[key], row.fields[key]]
        if row.tags is not None:
            have = tags.get(member["id"], set())
            if row.tags != have:
                changes["tags"] = [sorted(have), sorted(row.tags)]
        row.changes = changes
        row.action = "update" if changes else "unchanged"

    # -- outcome ----------------------------------------------------------------------------------

    def _reject(self, row: parsing.Row) -> None:
        self.report.rejected += 1
        problem = Problem(line=row.line, reasons=row.problems)
        if len(self.report.problems) < KEEP_PROBLEMS:
            self.report.problems.append(problem)
        if self.on_problem:
            self.on_problem(problem)
        if self.rejects_to:
            if self.rejects is None:
                kind = "csv" if self.sheet.kind == "csv" else "xlsx"
                self.rejects = TableWriter(self.rejects_to, kind, encoding=self.sheet.encoding or "utf-8-sig",
                                           delimiter=self.sheet.delimiter)
                reason = columns.REASON_ZH if self.language.startswith("zh") else columns.REASON_EN
                self.rejects.write([*self.sheet.header, reason])
                self.report.rejects_path = self.rejects_to
            width = len(self.sheet.header)
            cells = (list(row.cells) + [None] * width)[:width]
            self.rejects.write([*cells, problem.reason])

    def close_rejects(self) -> None:
        if self.rejects is not None:
            self.rejects.close()

    def discard_rejects(self) -> None:
        if self.rejects is not None:
            self.rejects.close()
            self.rejects = None
            if os.path.exists(self.rejects_to):
                os.unlink(self.rejects_to)
            self.report.rejects_path = ""

    def _count(self, row: parsing.Row) -> None:
        key = {"create": "residents_created", "update": "residents_updated", "unchanged": "residents_unchanged"}
        setattr(self.report, key[row.action], getattr(self.report, key[row.action]) + 1)

    def _household_changes(self, state: HouseholdState) -> dict[str, list[Any]]:
        changes: dict[str, list[Any]] = {}
        if state.place is not None and state.place.code != state.stored_place_code:
            changes["grid"] = [state.stored_place_code, state.place.code]
        if state.address is not None and state.address != state.stored_address:
            changes["address"] = [state.stored_address, state.address]
        return changes

    def _pretend(self, rows: list[parsing.Row]) -> None:
        """What writing would have done to the import's own picture of the households."""
        for state in {id(r.household): r.household for r in rows}.values():
            changes = self._household_changes(state)
            if changes and not state.is_new:
                state.changed = True
            self._remember_written(state)

    def _remember_written(self, state: HouseholdState) -> None:
        if state.place is not None:
            state.stored_place_code, state.stored_path = state.place.code, state.place.path
            state.county_id = state.place.county_id
        if state.address is not None:
            state.stored_address = state.address

    # -- writing ----------------------------------------------------------------------------------

    def _write(self, rows: list[parsing.Row]) -> None:
        now = timezone.now()
        states = list({id(r.household): r.household for r in rows}.values())
        new_households: list[tuple[HouseholdState, Household]] = []
        changed: list[tuple[HouseholdState, dict[str, list[Any]]]] = []
        for state in states:
            if state.pk is None:
                place = state.place
                assert place is not None  # checked: a new household's rows name its grid
                new_households.append((state, Household(
                    number=state.number, address=state.address or "", village_id=place.village_id,
                    grid_id=place.grid_id, micro_grid_id=place.micro_grid_id, region_path=place.path,
                    county_id=place.county_id)))
            else:
                changes = self._household_changes(state)
                if changes:
                    changed.append((state, changes))
        if new_households:
            Household.objects.bulk_create([household for _state, household in new_households])
            for state, household in new_households:
                state.pk = household.pk
                self._remember_written(state)
        readdressed = [Household(pk=state.pk, address=state.address or "", updated_at=now)
                       for state, changes in changed if set(changes) == {"address"}]
        if readdressed:
            Household.objects.bulk_update(readdressed, ["address", "updated_at"], batch_size=500)
        for state, changes in changed:
            if "grid" in changes:
                # Moving a household to another grid is rare: one statement for it and one
                # for all its members, who follow it.
                place = state.place
                assert place is not None
                values: dict[str, Any] = {"village_id": place.village_id, "grid_id": place.grid_id,
                                          "micro_grid_id": place.micro_grid_id, "region_path": place.path,
                                          "county_id": place.county_id, "updated_at": now}
                if "address" in changes:
                    values["address"] = state.address
                assert state.pk is not None
                Household.objects.filter(pk=state.pk).update(**values)
                Resident.objects.filter(household_id=state.pk).update(region_path=place.path,
                                                                      county_id=place.county_id)
            self._remember_written(state)
            if not state.is_new:
                state.changed = True
                audit.record(actor=self.actor, action="household.update",
                             target=Household(pk=state.pk, number=state.number, region_path=state.stored_path),
                             detail={**changes, "import": self.report.file_name})
        for state in states:
            self._touch(state.stored_path)
        self._write_residents(rows, now)

    def _write_residents(self, rows: list[parsing.Row], now: dt.datetime) -> None:
        updates = [r for r in rows if r.action == "update"]
        # The one-head constraint holds after every statement: first the rows that take
        # someone off the head, then the rest, then the new people.
        for part in ([r for r in updates if r.fields["relation"] != HEAD],
                     [r for r in updates if r.fields["relation"] == HEAD]):
            objs = []
            for row in part:
                state: HouseholdState = row.household
                values = {key: row.match[key] for key in RESIDENT_COMPARED}
                values.update({key: new for key, (_old, new) in row.changes.items() if key in RESIDENT_COMPARED})
                objs.append(Resident(pk=row.match["id"], household_id=state.pk, region_path=state.stored_path,
                                     county_id=state.county_id, updated_at=now, **values))
            if objs:
                Resident.objects.bulk_update(objs, [*RESIDENT_COMPARED, "region_path", "county", "updated_at"],
                                             batch_size=500)
        creates = [r for r in rows if r.action == "create"]
        new_residents = [Resident(
            household_id=row.household.pk, region_path=row.household.stored_path, county_id=row.household.county_id,
            name=row.fields["name"], gender=row.fields.get("gender", ""), birth_date=row.fields.get("birth_date"),
            id_number=row.fields.get("id_number") or None, phone=row.fields.get("phone", ""),
            relation=row.fields["relation"], status=ACTIVE) for row in creates]
        if new_residents:
            Resident.objects.bulk_create(new_residents)
        for row, resident in zip(creates, new_residents, strict=True):
            row.match = {"id": resident.pk}
            state = row.household
            if not state.is_new:  # only stored households are matched by name against the database
                state.created = state.created or set()
                state.created.add(resident.pk)
            if row.fields["relation"] == HEAD:
                state.head_pk, state.head_name = resident.pk, resident.name
        self._write_tags(updates, creates)
        for row in updates:
            self._audit_resident(row)

    def _audit_resident(self, row: parsing.Row) -> None:
        state: HouseholdState = row.household
        diff = dict(row.changes)
        # The audit log keeps no full ID or phone numbers: many people read it.
        if "id_number" in diff:
            diff["id_number"] = [idnumbers.mask_id(v) for v in diff["id_number"]]
        if "phone" in diff:
            diff["phone"] = [idnumbers.mask_phone(v) for v in diff["phone"]]
        if "birth_date" in diff:
            diff["birth_date"] = [v.isoformat() if v else v for v in diff["birth_date"]]
        target = Resident(pk=row.match["id"], name=row.fields["name"], region_path=state.stored_path)
        audit.record(actor=self.actor, action="resident.update", target=target,
                     detail={**diff, "household": state.number, "import": self.report.file_name})

    def _write_tags(self, updates: list[parsing.Row], creates: list[parsing.Row]) -> None:
        added: list[ResidentTag] = []
        removed: list[tuple[int, list[str]]] = []
        for row in updates:
            if "tags" in row.changes:
                old, new = (set(v) for v in row.changes["tags"])
                added += [ResidentTag(resident_id=row.match["id"], tag=t) for t in sorted(new - old)]
                if old - new:
                    removed.append((row.match["id"], sorted(old - new)))
        for row in creates:
            added += [ResidentTag(resident_id=row.match["id"], tag=t) for t in sorted(row.tags or ())]
        for resident_id, tags in removed:
            ResidentTag.objects.filter(resident_id=resident_id, tag__in=tags).delete()
        if added:
            ResidentTag.objects.bulk_create(added, batch_size=2000)

    def _touch(self, path: str) -> None:
        if not path:
            return
        if self.touched_paths is None:
            self.touched_paths = path
        elif not path.startswith(self.touched_paths):
            common = commonpath([self.touched_paths, path])
            self.touched_paths = common[:common.rfind(tree.SEP) + 1]

    def record_summary(self) -> None:
        detail: dict[str, Any] = {"file": self.report.file_name, "format": self.sheet.kind, "mode": self.mode,
                                  **self.report.counts()}
        if self.report.unknown_columns:
            detail["unknown_columns"] = self.report.unknown_columns[:20]
        if self.actor is None:
            detail["as"] = "administrator"
        audit.record(actor=self.actor, action="roster.import", region_path=self.touched_paths or "",
                     detail=detail)


# ----------------------------------------------------------------------------------------------
# Export


@dataclass
class ExportResult:
    households: int = 0
    residents: int = 0
    full_ids: int = 0  # rows whose ID number and phone were written in full


def export_header(language: str) -> list[str]:
    return [c.label(language) for c in columns.COLUMNS]


def roster_export(*, actor: Any, target: str | os.PathLike[str] | IO[Any], kind: str,
                  region: Region | None = None, viewer: access.Viewer | None = None,
                  language: str | None = None) -> ExportResult:
    """Write the households (one row per active resident) under ``region`` that the viewer
    may export, in the import's own columns, so that importing the file changes nothing.
    ID and phone numbers are masked where the viewer may not see them in full; the export
    is one audit entry, with its counts."""
    from shanzhi.roster import selectors

    viewer = viewer or access.viewer_for(actor)
    access.require_any_role(viewer, "household.export")
    if region is not None and not access.can(viewer, "region.view", region):
        raise ValidationError(_("No region has this code."), field="region")
    language = language or get_language() or "zh-hans"
    writer = TableWriter(target, kind, widths=[XLSX_WIDTHS[c.key] for c in columns.COLUMNS])
    writer.write(export_header(language))
    result = ExportResult()
    full_id_paths: dict[str, bool] = {}
    last_household = None
    for household, resident, tags in selectors.export_rows(viewer, region=region):
        if household.pk != last_household:
            result.households += 1
            last_household = household.pk
        result.residents += 1
        path = household.region_path
        if path not in full_id_paths:
            full_id_paths[path] = access.can(viewer, "resident.view_id", Resident(region_path=path))
        full = full_id_paths[path]
        result.full_ids += full and bool(resident.id_number or resident.phone)
        place = household.micro_grid or household.grid or household.village
        writer.write([
            household.number, getattr(household, "head_name", ""), resident.name,
            columns.relation_word(resident.relation, language), columns.gender_word(resident.gender, language),
            (resident.id_number or "") if full else idnumbers.mask_id(resident.id_number),
            resident.birth_date, resident.phone if full else idnumbers.mask_phone(resident.phone),
            place.code, household.address, columns.tags_text(tags, language),
        ])
    writer.close()
    audit.record(actor=actor, action="roster.export", region_path=region.path if region else "", detail={
        "region": region.code if region else "", "format": writer.kind, "households": result.households,
        "residents": result.residents, "full_ids": result.full_ids,
        **({"as": "administrator"} if actor is None else {})})
    return result


def template_write(*, target: str | os.PathLike[str] | IO[Any], kind: str, language: str | None = None) -> None:
    """An empty roster with its headers, to fill in."""
    writer = TableWriter(target, kind, widths=[XLSX_WIDTHS[c.key] for c in columns.COLUMNS])
    writer.write(export_header(language or get_language() or "zh-hans"))
    writer.close()


def iter_problems(report: ImportReport) -> Iterable[Problem]:
    return iter(report.problems)
