"""Cell references and Excel date serials (pipeline/core/cells.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.check.normalize import to_date
from pipeline.core.cells import (
    a1,
    column_letters,
    column_number,
    moment_to_serial,
    serial_to_moment,
)


@pytest.mark.parametrize(
    ("number", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (703, "AAA"), (16384, "XFD")]
)
def test_column_letters_and_numbers_are_inverse(number: int, letters: str) -> None:
    assert column_letters(number) == letters
    assert column_number(letters) == column_number(letters.lower()) == number


def test_a1() -> None:
    assert a1(5, 5) == "E5"


@pytest.mark.parametrize(
    ("serial", "moment"),
    [
        (1, dt.datetime(1900, 1, 1)),
        (59, dt.datetime(1900, 2, 28)),
        (61, dt.datetime(1900, 3, 1)),
        (45366, dt.datetime(2024, 3, 15)),
        (45366.5, dt.datetime(2024, 3, 15, 12)),
    ],
)
def test_serials_round_trip_around_the_leap_year_bug(serial: float, moment: dt.datetime) -> None:
    assert serial_to_moment(serial) == moment
    assert moment_to_serial(moment) == serial


def test_serial_60_is_excels_29_february_read_as_the_28th() -> None:
    assert serial_to_moment(60) == dt.datetime(1900, 2, 28)


def test_1904_system() -> None:
    assert serial_to_moment(0, date1904=True) == dt.datetime(1904, 1, 1)


def test_a_number_typed_into_a_date_field_uses_the_same_serials() -> None:
    assert to_date(1).value == dt.date(1900, 1, 1)  # a day late before: one epoch for all
    assert to_date(45366).value == dt.date(2024, 3, 15)
