"""Cell references, Excel's date serials and a cell value as a number: one copy of each,
used by readers and writers.

Standard library only.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import SupportsIndex, SupportsInt

CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")  # "E5", "$E$5"
# Serials from 61 on count from 1899-12-30: Excel keeps Lotus 1-2-3's 29 February 1900
# (serial 60), so serials 1-59 count from one day later (1 is 1900-01-01). Serial 60 itself
# reads as 1900-02-28, as openpyxl and pandas read it.
EPOCH_1900 = dt.datetime(1899, 12, 30)
EPOCH_1900_BEFORE_MARCH = dt.datetime(1899, 12, 31)
EPOCH_1904 = dt.datetime(1904, 1, 1)
MS_PER_DAY = 86_400_000


def a1(row: int, col: int) -> str:
    """'E5' for row 5, column 5 (both 1-based)."""
    return column_letters(col) + str(row)


def column_letters(col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """5 for 'E' (the inverse of column_letters; lower case accepted)."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def serial_to_moment(serial: float, date1904: bool = False) -> dt.datetime:
    """The date and time an Excel serial stands for, to the millisecond as Excel keeps it.
    Raises OverflowError for a serial outside Python's dates."""
    if date1904:
        epoch = EPOCH_1904
    else:
        epoch = EPOCH_1900_BEFORE_MARCH if 0 < serial < 60 else EPOCH_1900
    return epoch + dt.timedelta(milliseconds=round(serial * MS_PER_DAY))


def moment_to_serial(moment: dt.date | dt.datetime) -> float:
    """The 1900-system serial of a date or date and time (the inverse of serial_to_moment)."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    serial = (moment - EPOCH_1900).total_seconds() / 86_400
    return serial - 1 if serial < 61 else serial


def as_int(value: object) -> int:
    """int(value) for a value of any type that a cell or a rule gives: a number (numpy's too)
    or numeric text; for anything else (a blank, a date) the TypeError that int() raises."""
    if isinstance(value, int | str | bytes | SupportsInt | SupportsIndex):
        return int(value)
    raise TypeError(f"int() argument must be a string or a number, not {type(value).__name__!r}")


# Defined names and areas


def name_place(text: str, sheets: dict[str, str] | set[str]) -> tuple[str, int, int] | None:
    """(sheet, row, col) of the first cell a defined name's text points at, or None (also
    when the sheet is not one of `sheets`)."""
    # Long texts are not kept in the cache: a hostile file could otherwise fill it.
    place = _name_place(text) if len(text) < 256 else _name_place.__wrapped__(text)
    return place if place is not None and place[0] in sheets else None


@functools.lru_cache(maxsize=4096)
def _name_place(text: str) -> tuple[str, int, int] | None:
    """Every return of a form carries the same name texts: parsed once per process."""
    text = text.strip().lstrip("=")
    if "!" not in text:
        return None
    sheet, ref = text.rsplit("!", 1)
    sheet = sheet.strip()
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    found = area(ref)
    return (sheet, found[0], found[1]) if found else None


def area(ref: str) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of "B2:D9" or "$B$2" (1-based), or None."""
    corners = [c for c in ref.split(":") if c]
    parsed = [CELL_REF.match(c.strip()) for c in corners]
    if not parsed or not all(parsed):
        return None
    cells = [(int(m.group(2)), column_number(m.group(1))) for m in parsed if m]
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
