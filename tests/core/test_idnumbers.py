"""GB 11643 ID numbers, phone numbers and how they are masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from shanzhi.core import idnumbers

# The standard's own example (GB 11643-1999, annex), and one worked by hand:
# 5·7+1·9+0·10+1·5+0·8+4·4+1·2+9·1+9·6+0·3+0·7+1·9+0·10+1·5+0·8+0·4+1·2 = 146, 146 mod 11 = 3 -> "9"
VALID = ["11010519491231002X", "510104199001010019"]


@pytest.mark.parametrize("value", VALID)
def test_valid_numbers_pass(value):
    assert idnumbers.check_digit(value[:17]) == value[17]
    assert idnumbers.id_problem(value) is None


def test_lowercase_x_and_spaces_are_normalised():
    assert idnumbers.normalise_id(" 11010519491231002x ") == "11010519491231002X"
    assert idnumbers.id_problem("110105 19491231 002x") is None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("11010519491231002", "18"),  # 17 characters
        ("1101051949123100XX", "18"),  # X only at the end
        ("110105194912310021", "check digit"),
        ("110105194902300025", "impossible"),  # 30 February (check digit right for the 17 digits)
        ("110105185001010018", "impossible"),  # before 1890
    ],
)
def test_invalid_numbers_say_why(value, why):
    if why == "impossible":
        value = value[:17] + idnumbers.check_digit(value[:17])
    with translation.override("en"):
        assert why in idnumbers.id_problem(value)
    with translation.override("zh-hans"):
        assert idnumbers.id_problem(value)  # and in Chinese for the default language


def test_a_birth_date_in_the_future_is_refused():
    value = idnumbers.make_id("621023", dt.date(2030, 1, 1), 7, male=True)
    assert idnumbers.id_problem(value, today=dt.date(2026, 1, 1)) is not None
    assert idnumbers.id_problem(value, today=dt.date(2031, 1, 1)) is None


def test_make_id_round_trips_birth_date_and_gender():
    male = idnumbers.make_id("621023", dt.date(1975, 6, 30), 12, male=True)
    female = idnumbers.make_id("621023", dt.date(1975, 6, 30), 12, male=False)
    assert idnumbers.id_problem(male) is None
    assert idnumbers.id_problem(female) is None
    assert idnumbers.birth_date_of(male) == dt.date(1975, 6, 30)
    assert idnumbers.gender_of(male) == "M"
    assert idnumbers.gender_of(female) == "F"


def test_masking_keeps_only_the_ends():
    assert idnumbers.mask_id("11010519491231002X") == "1101**********002X"
    assert idnumbers.mask_id("1234567") == "*******"
    assert idnumbers.mask_id(None) == ""
    assert idnumbers.mask_phone("13912345678") == "139****5678"
    assert idnumbers.mask_phone("0934-1234567") == "093*****4567"
    assert idnumbers.mask_phone("") == ""


@pytest.mark.parametrize("value", ["13912345678", "0934-1234567", "09341234567"])
def test_phone_numbers_accepted(value):
    assert idnumbers.phone_problem(value) is None


@pytest.mark.parametrize("value", ["12912345678", "1391234567", "phone", ""])
def test_phone_numbers_refused(value):
    assert idnumbers.phone_problem(value) is not None
