"""Read the cells a form needs from an .xlsx: a guarded reader of the OOXML parts.

Why not openpyxl here: it does not say when a formula has no cached value (it reads as a
blank), it trusts <dimension>, and it costs 15–20 ms per small workbook. This reader inspects
the zip before any XML is parsed (member count, paths, methods, sizes, compression ratio),
refuses any DTD or entity declaration at the parser (xml_guard.py, in every encoding), reads
each sheet, reads only the named cells and table areas (everything, bounded, when the names
are lost), and enforces the limits of limits.py while inflating.

Every part is parsed by the standard library's C parser (expat), so the reader follows XML
itself: namespaces by URI whatever their prefix (`<x:c>`), line ends normalised, character
references, CDATA, UTF-16 parts. One decoder (`_decode`) turns a cell's type, style and text
into a value; tests/read/test_differential.py compares it cell by cell with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import IO, cast
from xml.etree import ElementTree

from lxml import etree

from pipeline.core import limits
from pipeline.core.cells import (
    CELL_REF,
    column_number,
    serial_to_moment,
)
from pipeline.core.records import ErrorValue, NoCachedValue
from pipeline.read.package import XML_PARSER, inspect_zip, member_xml
from pipeline.read.shared_strings import Strings, shared_strings, text_of
from pipeline.read.types import ReadError, WorkbookData
from pipeline.read.xlsx_layout import Plan, has, layout


@dataclass
class _Parts:
    zf: zipfile.ZipFile
    strings: Strings
    date_styles: set[int]
    date1904: bool


def read_xlsx(
    path: str | IO[bytes], wanted_names: AbstractSet[str], wanted_tables: AbstractSet[str]
) -> WorkbookData:
    """The wanted names, tables and their cells, from a file (or a decrypted one in memory)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(
            "文件已损坏或下载不完整（不是完整的 .xlsx 压缩包），请重新保存后报送"
        ) from exc
    with zf:
        inspect_zip(zf)
        try:
            return _read(zf, wanted_names, wanted_tables)
        except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as exc:
            raise ReadError(
                "文件内容不完整或已损坏（压缩包中的内容读不出来），请重新保存后报送"
            ) from exc
        except (ElementTree.ParseError, etree.XMLSyntaxError) as exc:
            raise ReadError(
                "文件中的表格数据格式错误，请用 Excel 或 WPS 打开后另存为 .xlsx"
            ) from exc


# Parts


def _read(
    zf: zipfile.ZipFile, wanted_names: AbstractSet[str], wanted_tables: AbstractSet[str]
) -> WorkbookData:
    found = layout(zf, frozenset(wanted_names), frozenset(wanted_tables))
    strings = _shared_strings(zf, found.strings_part)
    parts = _Parts(zf, strings, found.date_styles, found.date1904)
    data = WorkbookData(names=dict(found.names), tables=dict(found.tables))
    budget = [limits.MAX_CELLS_READ]
    for sheet, part, plan in found.reads:
        data.cells[sheet] = _sheet_cells(parts, part, plan, budget)
    data.complete = found.lost
    return data


def _shared_strings(zf: zipfile.ZipFile, part: str | None) -> Strings:
    if not part or not has(zf, part):
        return []
    return shared_strings(member_xml(zf, part).getvalue())


# Sheet cells

_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_SHEET_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData>")


# lxml, not ElementTree, for sheets: parsing is as fast, but its tag filter walks only the row
# and cell elements in C, which halves the reading of files re-saved by LibreOffice or
# Gnumeric (they write an empty styled cell across every ledger row of the template).
def parse_sheet_data(data: bytes) -> etree._Element | None:
    """The <sheetData> element (None when the sheet has none), parsing only up to its end when
    possible: what follows it (data validations with their prompts, print settings) is most of
    a template's sheet."""
    close, root_tag = _SHEET_DATA_END.search(data), _ROOT.search(data)
    root = None
    if close and root_tag:
        head = data[: close.end()] + b"</" + (root_tag.group(1) or b"") + b"worksheet>"
        try:
            root = etree.fromstring(head, XML_PARSER)
        except etree.XMLSyntaxError:
            root = None  # unusual nesting: parse the whole part instead
    if root is None:
        root = etree.fromstring(data, XML_PARSER)
    return next(root.iterchildren("{*}sheetData"), None)


# Selections made in C over <sheetData>, whatever the namespace and its prefix. LibreOffice and
# Gnumeric write an empty styled cell across every ledger row of the template: looking at
# each in Python was half the reading of such a return (50 ms of 72).
@dataclass(frozen=True)
class _Selectors:
    row_numbers: etree.XPath
    row_children: etree.XPath  # how many cells (and anything else) the rows hold
    valued: etree.XPath  # the cells holding a value, a formula or text


@functools.lru_cache(maxsize=8)
def _selectors(namespace: str) -> _Selectors:
    """Bound to the sheet's namespace (a third faster than matching local names); by local
    name for a sheet in none."""
    if namespace:
        row, cell, names = "x:row", "x:c", {"x": namespace}
    else:
        row, cell, names = "*[local-name()='row']", "*[local-name()='c']", {}
    return _Selectors(
        etree.XPath(f"{row}/@r", namespaces=names, smart_strings=False),
        etree.XPath(f"count({row}/*)", namespaces=names),
        etree.XPath(f"{row}/{cell}[*]", namespaces=names),
    )


def _sheet_cells(
    parts: _Parts, part: str, plan: Plan | None, budget: list[int]
) -> dict[tuple[int, int], object]:
    data = member_xml(parts.zf, part).getvalue()
    sheet_data = parse_sheet_data(data)
    if sheet_data is None:
        return {}
    tag = sheet_data.tag
    select = _selectors(tag[1 : tag.index("}")] if isinstance(tag, str) and "}" in tag else "")
    numbers = cast(list[str], select.row_numbers(sheet_data))
    if len(numbers) != len(sheet_data):  # a row without a number follows the one before it
        return _sheet_cells_in_order(sheet_data, parts, plan, budget)
    _check_row(max(map(int, numbers), default=0))  # in C: a re-saved return has ~4,000 rows
    counted = int(cast(float, select.row_children(sheet_data)))
    budget[0] -= counted
    if budget[0] < 0:
        raise ReadError("单元格数量过多，不是正常的报表")
    cells: dict[tuple[int, int], object] = {}
    # a statistics sheet: only its named cells are wanted
    named_only = plan.named if plan is not None and not plan.areas else None
    for cell in cast(list[etree._Element], select.valued(sheet_data)):
        ref = cell.get("r")
        if ref is None:  # nor a cell: it follows the one before it in its row
            budget[0] += counted  # counted again there
            return _sheet_cells_in_order(sheet_data, parts, plan, budget)
        if named_only is not None and ref not in named_only:
            continue  # a label, a unit of measure, a note
        row = cell.getparent()
        row_number = int(row.get("r", "0")) if row is not None else 0
        place = _wanted(plan, ref, row_number, _column_of(ref))
        if place is not None:
            _keep(cells, place, cell, parts)
    return cells


def _sheet_cells_in_order(
    sheet_data: etree._Element, parts: _Parts, plan: Plan | None, budget: list[int]
) -> dict[tuple[int, int], object]:
    """The cells of a sheet some of whose rows or valued cells have no reference: a row
    without one follows the row before it, a cell the cell before it."""
    cells: dict[tuple[int, int], object] = {}
    row_number = 0
    for row in sheet_data.iterchildren("{*}row"):
        row_number = int(row.get("r") or row_number + 1)
        _check_row(row_number)
        budget[0] -= len(row)
        if budget[0] < 0:
            raise ReadError("单元格数量过多，不是正常的报表")
        if plan is not None and not plan.row_needed(row_number):
            continue
        # A cell without a reference follows the one before it in the row.
        previous, after = "", 0
        for cell in row.iterchildren("{*}c"):
            ref = cell.get("r")
            if ref is None:
                after += 1
            else:
                previous, after = ref, 0
            if not len(cell):
                continue  # a style without a value
            place = _wanted(plan, ref, row_number, _column_of(previous) + after)
            if place is not None:
                _keep(cells, place, cell, parts)
    return cells


def _wanted(plan: Plan | None, ref: str | None, row: int, column: int) -> tuple[int, int] | None:
    """Where a valued cell goes: its name's place, its own when a table (or, without a
    plan, everything) wants it; None when nothing does."""
    if plan is None:
        return (row, column)
    if ref in plan.named:
        return plan.named[ref]
    place = (row, column)
    return place if place in plan.places or plan.in_table(*place) else None


def _keep(
    cells: dict[tuple[int, int], object], place: tuple[int, int], cell, parts: _Parts
) -> None:
    value = _element_value(cell, parts)
    if value is not None:
        cells[place] = value


@functools.lru_cache(maxsize=65_536)
def _column_of(ref: str) -> int:
    """The column number of a cell reference ("" and unreadable references: 0)."""
    match = CELL_REF.match(ref)
    return column_number(match.group(1)) if match else 0


def _check_row(row: int) -> None:
    if row > limits.MAX_ROWS_READ:
        raise ReadError(f"工作表行数过多（超过 {limits.MAX_ROWS_READ} 行），不是正常的报表")


def _element_value(el, parts: _Parts) -> object:
    value = formula = inline = None
    for child in el:  # usually one <v>: no filter, the local name read here
        tag = child.tag
        if not isinstance(tag, str):
            continue  # a comment or a processing instruction
        tag = tag[tag.rfind("}") + 1 :]
        if tag == "v":
            value = child.text or ""
        elif tag == "f":
            formula = child.text or ""
        elif tag == "is":
            inline = text_of(child)
    return _decode(el.get("t", "n"), int(el.get("s", "0")), value, formula, inline, parts)


def _decode(
    kind: str, style: int, text: str | None, formula: str | None, inline: str | None, parts: _Parts
) -> object:
    """A cell's value from its type, style, cached value, formula and inline string."""
    if inline is not None:
        return inline[: limits.MAX_TEXT_CHARS]
    if not text:  # no <v>, or an empty one (a formula whose text result is "" is blank)
        if kind == "str" and text == "":
            return ""
        return NoCachedValue(formula[:200]) if formula is not None else None
    if kind == "s":
        index = int(text)
        return parts.strings[index] if 0 <= index < len(parts.strings) else None
    if kind in ("str", "inlineStr"):
        return text[: limits.MAX_TEXT_CHARS]
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return ErrorValue(text.strip())
    if kind == "d":
        return _iso_date(text)
    number = float(text) if any(ch in text for ch in ".eE") else int(text)
    return _serial_date(number, parts.date1904) if style in parts.date_styles else number


def _serial_date(serial: int | float, date1904: bool) -> object:
    """A date (or date and time, to the millisecond as Excel keeps it) from a serial."""
    try:
        moment = serial_to_moment(serial, date1904)
    except OverflowError:
        return serial
    return moment.date() if moment.time() == dt.time() else moment


def _iso_date(text: str) -> object:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text


# XML helpers
