"""Resident identity card numbers (GB 11643-1999) and phone numbers, and how they are
masked for display (PIPL: sensitive personal information)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise_id(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_problem(value: str, today: dt.date | None = None) -> str | None:
    """Why ``value`` is not a valid ID number, or None. The reason is translatable text."""
    value = normalise_id(value)
    if not ID_RE.match(value):
        return str(_("An ID number has 18 characters: 17 digits and a digit or X."))
    if check_digit(value[:17]) != value[17]:
        return str(_("The ID number's check digit is wrong."))
    birth = birth_date_of(value)
    if birth is None:
        return str(_("The ID number holds an impossible birth date."))
    if birth > (today or dt.date.today()):
        return str(_("The ID number's birth date is in the future."))
    if birth.year < 1890:
        return str(_("The ID number holds an impossible birth date."))
    return None


def birth_date_of(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def gender_of(value: str) -> str:
    """'M' or 'F' from the 17th digit (odd: male)."""
    return "M" if int(value[16]) % 2 else "F"


def make_id(region6: str, birth: dt.date, sequence: int, male: bool) -> str:
    seq = sequence % 500 * 2 + (1 if male else 0)
    first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def phone_problem(value: str) -> str | None:
    value = (value or "").strip()
    if PHONE_RE.match(value) or LANDLINE_RE.match(value):
        return None
    return str(_("A phone number is 11 digits starting with 1, or a landline such as 0934-1234567."))


def mask_id(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
