"""One roster row as cells in, one resident's cleaned fields (or the reasons why not) out.

Row-local checks only: everything that needs the database or other rows of the file is
done by the import in ``services``. The resident fields go through the one validation the
platform has, ``regions.services.clean_resident_fields``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from shanzhi.core.errors import ValidationError
from shanzhi.regions.services import clean_resident_fields
from shanzhi.roster import columns

DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
SPACES = re.compile(r"[\s\u3000]+")
MASK = "*"


def text_of(value: Any) -> str:
    """A cell as text, as the person who typed it meant it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return columns.unescape_formula(value.strip().strip("\u3000").strip())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(slots=True)
class Row:
    line: int
    cells: list[Any]
    number: str = ""
    head_name: str = ""
    grid_code: str = ""
    address: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # cleaned resident fields that were given
    id_masked: str = ""  # the masked ID number of an export that did not show it in full
    phone_masked: bool = False
    tags: set[str] | None = None  # None: the file says nothing about tags
    problems: list[str] = field(default_factory=list)
    # Filled in by the import:
    household: Any = None
    match: Any = None  # the stored resident (a dict of its fields), once found
    action: str = ""  # "create", "update", "unchanged"
    changes: dict[str, list[Any]] = field(default_factory=dict)


def parse_birth_date(value: Any) -> tuple[dt.date | None, str | None]:
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    text = text_of(value)
    if not text:
        return None, None
    match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
    if not match:
        return None, _("The date of birth “%(text)s” is not a date such as 1980-01-31.") % {"text": text[:30]}
    try:
        return dt.date(*(int(part) for part in match.groups())), None
    except ValueError:
        return None, _("The date of birth %(text)s does not exist.") % {"text": text[:30]}


def parse_row(line: int, cells: list[Any], index: dict[str, int], today: dt.date) -> Row:
    def cell(key: str) -> Any:
        i = index.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    row = Row(line=line, cells=cells)
    problems = row.problems
    row.number = text_of(cell("household_number"))
    if not row.number:
        problems.append(_("The household number (户编号) is missing."))
    elif len(row.number) > 32:
        problems.append(_("A household number has at most 32 characters."))
    row.head_name = SPACES.sub("", text_of(cell("head_name")))
    row.grid_code = text_of(cell("grid_code"))
    row.address = text_of(cell("address"))
    if len(row.address) > 200:
        problems.append(_("An address has at most 200 characters."))
        row.address = ""

    relation_text = text_of(cell("relation"))
    relation = columns.parse_relation(relation_text) if relation_text else None
    if not relation_text:
        problems.append(_("The relation to the head of household (与户主关系) is missing."))
    elif relation is None:
        problems.append(_("Unknown relation to the head of household: %(text)s") % {"text": relation_text[:20]})

    gender_text = text_of(cell("gender"))
    gender = columns.parse_gender(gender_text) if gender_text else ""
    if gender is None:
        problems.append(_("Gender is 男 or 女, not %(text)s.") % {"text": gender_text[:10]})
        gender = ""

    raw_id = cell("id_number")
    id_number = ""
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        problems.append(_("The ID number was stored as a number, which loses its last digits: format the "
                          "column as text and type the number again."))
    else:
        id_number = SPACES.sub("", text_of(raw_id)).upper()
        if MASK in id_number:
            row.id_masked, id_number = id_number, ""

    birth_date, problem = parse_birth_date(cell("birth_date"))
    if problem:
        problems.append(problem)

    phone = SPACES.sub("", text_of(cell("phone")))
    if MASK in phone:
        row.phone_masked, phone = True, ""

    # The platform's one validation of resident fields, a group at a time so that a row
    # hears about every problem it has, not only the first.
    fields: dict[str, Any] = {}
    groups: list[dict[str, Any]] = [{"name": SPACES.sub("", text_of(cell("name")))}]
    identity: dict[str, Any] = {}
    if id_number:
        identity["id_number"] = id_number
    if birth_date:
        identity["birth_date"] = birth_date
    if gender:
        identity["gender"] = gender
    groups.append(identity)
    if phone:
        groups.append({"phone": phone})
    if relation:
        groups.append({"relation": relation})
    for group in groups:
        try:
            fields.update(clean_resident_fields(group, today=today))
        except ValidationError as exc:
            problems.append(str(exc.message))
    if not fields.get("gender") and not id_number and not raw_id:
        problems.append(_("The gender (性别) is missing and there is no ID number to tell it."))
    row.fields = fields

    if "tags" in index:
        tags_text = text_of(cell("tags"))
        if tags_text:
            tags, unknown = columns.parse_tags(tags_text)
            if unknown:
                problems.append(_("Unknown tag: %(tags)s") % {"tags": "、".join(unknown)[:60]})
            row.tags = tags
    return row
