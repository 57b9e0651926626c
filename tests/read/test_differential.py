"""Our reader against openpyxl, cell by cell, on workbooks in every shape producers write.

The shapes (tests/xlsx_shapes.py): SpreadsheetML in the default namespace or bound to a prefix
(`<x:c>`, the .NET Open XML SDK's habit; `<ss:c>`), parts in UTF-8, UTF-16 with a byte order
mark and UTF-16BE without one, the 1900 and 1904 date systems. The cells: numbers, shared and
inline strings (CR LF raw and as character references, rich text, phonetic runs, xml:space,
entities, CDATA), whitespace cached values of formulas, booleans, errors, shared formulas, a
formula without a cached value, dates around the 1900 leap-year bug, ISO dates, unaddressed
cells.

Differences allowed by design (each one a deliberate reading, listed in `by_design`):
- an error value (`#REF!`) is an ErrorValue, reported as a problem at its cell (openpyxl: text);
- a formula without a cached value is NoCachedValue, reported (openpyxl: None, a blank);
- a whole-day date serial is a `date` (openpyxl: a `datetime` at midnight);
- a serial below 1 with a date format is a moment on the epoch day (openpyxl: a time of day);
  a date field never holds a bare time, and validation reports it as a date out of period.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipeline.core.cells import a1
from pipeline.core.records import ErrorValue, NoCachedValue
from pipeline.read.xlsx import read_xlsx
from tests.support.xlsx_shapes import Shape, build

SHAPES = [
    Shape(prefix, encoding, date1904)
    for prefix, encoding, date1904 in itertools.product(
        ("", "x", "ss"), ("UTF-8", "UTF-16", "UTF-16BE"), (False, True)
    )
]


def ours(path: Path) -> dict[str, object]:
    data = read_xlsx(str(path), set(), set())  # no names: every cell is read
    return {a1(row, col): value for (row, col), value in data.cells["数据"].items()}


def theirs(path: Path) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Workbook contains no default style"
        sheet = openpyxl.load_workbook(path, data_only=True)["数据"]
    return {c.coordinate: c.value for row in sheet.iter_rows() for c in row if c.value is not None}


def by_design(mine: object, other: object) -> bool:
    """The differences listed in the module docstring, and nothing else."""
    if isinstance(mine, ErrorValue):
        return other == mine.code
    if isinstance(mine, NoCachedValue):
        return other is None
    if isinstance(other, dt.time) and isinstance(mine, dt.date):  # a serial below 1
        moment = mine if isinstance(mine, dt.datetime) else dt.datetime.combine(mine, dt.time())
        return moment.time() == other and moment.date() in EPOCH_DAYS
    if isinstance(mine, dt.date) and not isinstance(mine, dt.datetime):
        return other == dt.datetime.combine(mine, dt.time())
    return False


EPOCH_DAYS = (dt.date(1899, 12, 30), dt.date(1904, 1, 1))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.label)
def test_every_cell_agrees_with_openpyxl(shape: Shape, tmp_path: Path) -> None:
    path = build(tmp_path / "shape.xlsx", shape)
    mine, other = ours(path), theirs(path)
    assert len(other) == 42  # every non-blank cell of the shape, as openpyxl reads it
    differences = {
        ref: (mine.get(ref), other.get(ref))
        for ref in set(mine) | set(other)
        if mine.get(ref) != other.get(ref)
    }
    assert {ref for ref, (a, b) in differences.items() if not by_design(a, b)} == set()
    # Exactly the listed cells differ: errors, the uncalculated formula, dates.
    assert sorted(differences) == sorted(
        ["A6", "B6", "B7", "A10", "B10", "C10", "D10", "E10", "G10", "H10"]
    )


@pytest.mark.parametrize("shape", [SHAPES[0], Shape("x"), Shape("", "UTF-16")], ids=str)
def test_what_xml_says(shape: Shape, tmp_path: Path) -> None:
    """The readings that were wrong before, stated outright (not only as openpyxl's)."""
    cells = ours(build(tmp_path / "shape.xlsx", shape))
    assert cells["A2"] == "plain 文本"  # a prefixed shared string is not lost
    assert cells["B2"] == "line one\nline two\nline three"  # raw CR LF / CR read as LF
    assert cells["C2"] == "kept\r\nas CR LF"  # character references are kept
    assert cells["D2"] == "粗 体 " and cells["E2"] == "漢字"  # rich text; no phonetic run
    assert cells["G2"] == "<tag> & \"q\" 'a' 中文"
    assert cells["A3"] == "inline\nCR LF" and cells["C3"] == "1<2 & 3"
    assert cells["A4"] == " " and cells["C4"] == "  "  # whitespace results are values
    assert cells["A5"] is True and cells["B5"] is False
    assert cells["B7"] == NoCachedValue("A1+1")
    assert (cells["A12"], cells["B12"], cells["D12"]) == (1, "plain 文本", 3)


@pytest.mark.parametrize(
    ("serial", "date1900", "date1904"),
    [
        (1, dt.date(1900, 1, 1), dt.date(1904, 1, 2)),
        (59, dt.date(1900, 2, 28), dt.date(1904, 2, 29)),
        (60, dt.date(1900, 2, 28), dt.date(1904, 3, 1)),  # Excel's 29 February 1900
        (61, dt.date(1900, 3, 1), dt.date(1904, 3, 2)),
        (45366, dt.date(2024, 3, 15), dt.date(2028, 3, 16)),
    ],
)
def test_serial_dates_around_the_leap_year_bug(serial, date1900, date1904, tmp_path) -> None:
    column = {1: "A10", 59: "B10", 60: "C10", 61: "D10", 45366: "E10"}[serial]
    assert ours(build(tmp_path / "a.xlsx", Shape()))[column] == date1900
    assert ours(build(tmp_path / "b.xlsx", Shape(date1904=True)))[column] == date1904


def test_rows_without_their_number_follow_the_row_before(tmp_path: Path) -> None:
    """A <row> may leave out r (it is then the row after the one before): the reader's
    fast path needs every number and falls back to counting; the cells are the same."""
    path = build(tmp_path / "numbered.xlsx", Shape())
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    text = parts[sheet].decode()
    numbers = {int(n) for n in re.findall(r'<row r="(\d+)"', text)} | {0}

    def unnumbered(match: re.Match) -> str:  # only where counting gives the same number
        return "<row>" if int(match[1]) - 1 in numbers else match[0]

    parts[sheet] = re.sub(r'<row r="(\d+)">', unnumbered, text).encode()
    assert parts[sheet].count(b"<row>") > 5  # most rows lost their number
    changed = tmp_path / "unnumbered.xlsx"
    with zipfile.ZipFile(changed, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert ours(changed) == ours(path)
