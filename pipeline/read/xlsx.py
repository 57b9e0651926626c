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
into a value; tests/test_reader_differential.py compares it cell by cell with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO
from xml.etree import ElementTree

from lxml import etree

from pipeline.core import limits
from pipeline.core.cells import (
    CELL_REF,
    area,
    column_letters,
    column_number,
    name_place,
    serial_to_moment,
)
from pipeline.core.records import ErrorValue, NoCachedValue
from pipeline.read.package import inspect_zip, member_xml
from pipeline.read.types import ReadError, WorkbookData

BUILTIN_DATE_FORMATS = (
    set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
)
_DATE_CODE = re.compile(r"[ymdhs]", re.IGNORECASE)
_CODE_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
REL_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class _Parts:
    zf: zipfile.ZipFile
    strings: Sequence[str]
    date_styles: set[int]
    date1904: bool


def read_xlsx(
    path: str | IO[bytes], wanted_names: set[str], wanted_tables: set[str]
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


def _read(zf: zipfile.ZipFile, wanted_names: set[str], wanted_tables: set[str]) -> WorkbookData:
    layout = _layout(zf, frozenset(wanted_names), frozenset(wanted_tables))
    strings = _shared_strings(zf, layout.strings_part)
    parts = _Parts(zf, strings, layout.date_styles, layout.date1904)
    data = WorkbookData(names=dict(layout.names), tables=dict(layout.tables))
    budget = [limits.MAX_CELLS_READ]
    for sheet, part, plan in layout.reads:
        data.cells[sheet] = _sheet_cells(parts, part, plan, budget)
    data.complete = layout.lost
    return data


@dataclass(frozen=True)
class _Layout:
    """What a workbook's structure parts say: its sheets, dates, names, tables and which
    cells to read. Returns of one template share it."""

    strings_part: str | None
    date_styles: set[int]
    date1904: bool
    names: dict[str, tuple[str, int, int]]
    tables: dict[str, tuple[str, int, int, int, int]]
    reads: list[tuple[str, str, _Plan | None]]  # sheet, part, plan (None: every cell)
    lost: bool


# Cell contents: the parts that differ between returns of one template.
_CONTENT_PART = re.compile(r"xl/worksheets/sheet\d+\.xml$|xl/sharedStrings\.xml$|docProps/")
_LAYOUT_CACHE: dict[tuple, _Layout] = {}
LAYOUT_CACHE_SIZE = 8


def _layout(zf: zipfile.ZipFile, wanted_names: frozenset, wanted_tables: frozenset) -> _Layout:
    """The layout, parsed once per worker for all returns whose structure parts are byte for
    byte the same (same names, CRC-32 and sizes in the zip directory): parsing them is a
    third of reading a return, and a file that differs in any of them is parsed afresh."""
    key = (
        tuple(
            (i.filename,) if _CONTENT_PART.match(i.filename) else (i.filename, i.CRC, i.file_size)
            for i in zf.infolist()
        ),
        wanted_names,
        wanted_tables,
    )
    layout = _LAYOUT_CACHE.get(key)
    if layout is None:
        layout = _parse_layout(zf, wanted_names, wanted_tables)
        if len(_LAYOUT_CACHE) >= LAYOUT_CACHE_SIZE:
            _LAYOUT_CACHE.pop(next(iter(_LAYOUT_CACHE)))
        _LAYOUT_CACHE[key] = layout
    return layout


def _parse_layout(
    zf: zipfile.ZipFile, wanted_names: frozenset, wanted_tables: frozenset
) -> _Layout:
    workbook_part = _workbook_part(zf)
    root = _parse(zf, workbook_part)
    rels = _relationships(zf, workbook_part)
    sheets: dict[str, str] = {}
    for el in _children(root, "sheets", "sheet"):
        target = rels.get(el.get(f"{{{REL_OFFICE}}}id") or _attr_by_local(el, "id"), ("", ""))[1]
        sheets[el.get("name", "")] = target
    if len(sheets) > limits.MAX_SHEETS:
        raise ReadError(f"工作表过多（{len(sheets)} 个），不是正常的报表")
    pr = next(_children(root, "workbookPr"), None)
    date1904 = pr is not None and pr.get("date1904", "0") in ("1", "true")
    by_type = {kind: target for kind, target in rels.values()}
    data = WorkbookData()
    for el in _children(root, "definedNames", "definedName"):
        name = el.get("name", "")
        scoped = el.get("localSheetId") is not None
        if name in wanted_names and not (scoped and name in data.names):
            place = name_place(el.text or "", sheets)
            if place:
                data.names[name] = place
    for sheet, part in sheets.items():
        for table_name, corners in _tables(zf, part):
            if table_name in wanted_tables and table_name not in data.tables:
                data.tables[table_name] = (sheet, *corners)
    lost = "FORM_ID" not in data.names or len(data.names) < 2
    # A wanted table is missing (Gnumeric keeps the names but drops the tables): extract.py
    # then finds that ledger by its header row, on its own sheet or, renamed, on any sheet
    # where nothing else is wanted. So those sheets are read whole, rows below any former
    # table end included. A return with all its tables reads no more than before.
    tables_lost = any(table not in data.tables for table in wanted_tables)
    reads = []
    for sheet, part in sheets.items():
        plan = None if lost else _plan(sheet, data)  # None: every cell, bounded
        if (plan is None and not (lost or tables_lost)) or not _has(zf, part):
            continue  # nothing wanted here, or a missing sheet part (its names then count as missing)
        reads.append((sheet, part, plan))
    return _Layout(
        by_type.get("sharedStrings"),
        _date_styles(zf, by_type.get("styles")),
        date1904,
        data.names,
        data.tables,
        reads,
        lost,
    )


def _workbook_part(zf: zipfile.ZipFile) -> str:
    names = set(zf.namelist())
    for kind, target in _relationships(zf, "").values():
        if kind == "officeDocument" and target in names:
            return target
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    raise ReadError("不是 Excel 工作簿（压缩包中没有工作簿内容）")


def _parse(zf: zipfile.ZipFile, part: str):
    return ElementTree.parse(member_xml(zf, part)).getroot()


def _relationships(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """rId -> (relationship type's last word, absolute target part)."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if not _has(zf, rels_part):
        return {}
    found = {}
    for el in _parse(zf, rels_part):
        target = el.get("Target", "")
        if el.get("TargetMode") == "External":
            continue  # external links are never followed
        absolute = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        found[el.get("Id", "")] = (el.get("Type", "").rsplit("/", 1)[-1], absolute)
    return found


def _shared_strings(zf: zipfile.ZipFile, part: str | None) -> list[str]:
    if not part or not _has(zf, part):
        return []
    root = ElementTree.parse(member_xml(zf, part)).getroot()
    return [_text_of(item) for item in root if _local(item.tag) == "si"]


def _text_of(el) -> str:
    """Text of a string item or inline string, without phonetic runs."""
    parts = []
    for child in el:
        tag = _local(child.tag)
        if tag == "t" and child.text:
            parts.append(child.text)
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)[: limits.MAX_TEXT_CHARS]


def _date_styles(zf: zipfile.ZipFile, part: str | None) -> set[int]:
    """Indexes of cell styles whose number format shows a date."""
    if not part or not _has(zf, part):
        return set()
    root = _parse(zf, part)
    custom = {
        int(el.get("numFmtId", "0")): el.get("formatCode", "")
        for el in _children(root, "numFmts", "numFmt")
    }
    dates = set()
    for index, xf in enumerate(_children(root, "cellXfs", "xf")):
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in BUILTIN_DATE_FORMATS or (
            fmt in custom and _DATE_CODE.search(_CODE_NOISE.sub("", custom[fmt]))
        ):
            dates.add(index)
    return dates


def _tables(
    zf: zipfile.ZipFile, sheet_part: str
) -> Iterator[tuple[str, tuple[int, int, int, int]]]:
    for kind, target in _relationships(zf, sheet_part).values():
        if kind == "table" and _has(zf, target):
            root = _parse(zf, target)
            corners = area(root.get("ref", ""))
            if corners:
                # displayName is the name Excel shows and formulas use.
                yield root.get("displayName") or root.get("name", ""), corners


# References


@dataclass
class _Plan:
    """Which cells of a sheet to read: named cells (by their A1 text) and table areas."""

    named: dict[str, tuple[int, int]]
    rows: set[int]
    areas: list[tuple[int, int, int]]  # first row, first column, last column

    def __post_init__(self) -> None:
        self.places = set(self.named.values())

    def row_needed(self, row: int) -> bool:
        return row in self.rows or any(row >= top for top, _, _ in self.areas)

    def in_table(self, row: int, col: int) -> bool:
        # Table areas run on below the table: rows pasted just under it still belong to it.
        if len(self.areas) == 1:  # the usual sheet: one ledger
            top, left, right = self.areas[0]
            return row >= top and left <= col <= right
        return any(row >= top and left <= col <= right for top, left, right in self.areas)


def _plan(sheet: str, data: WorkbookData) -> _Plan | None:
    named = {f"{column_letters(c)}{r}": (r, c) for s, r, c in data.names.values() if s == sheet}
    areas = [(r1, c1, c2) for s, r1, c1, _, c2 in data.tables.values() if s == sheet]
    if not named and not areas:
        return None
    return _Plan(named, {r for r, _ in named.values()}, areas)


# Sheet cells

_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_SHEET_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData>")


# lxml, not ElementTree, for sheets: parsing is as fast, but its tag filter walks only the row
# and cell elements in C, which halves the reading of files re-saved by LibreOffice or
# Gnumeric (they write an empty styled cell across every ledger row of the template).
# Entities are never resolved and no DTD is loaded, and refuse_dtd has refused any DTD first.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _sheet_data(data: bytes) -> etree._Element | tuple:
    """The <sheetData> element, parsing only up to its end when possible: what follows it
    (data validations with their prompts, print settings) is most of a template's sheet."""
    close, root_tag = _SHEET_DATA_END.search(data), _ROOT.search(data)
    root = None
    if close and root_tag:
        head = data[: close.end()] + b"</" + (root_tag.group(1) or b"") + b"worksheet>"
        try:
            root = etree.fromstring(head, _PARSER)
        except etree.XMLSyntaxError:
            root = None  # unusual nesting: parse the whole part instead
    if root is None:
        root = etree.fromstring(data, _PARSER)
    return next(root.iterchildren("{*}sheetData"), ())


def _sheet_cells(
    parts: _Parts, part: str, plan: _Plan | None, budget: list[int]
) -> dict[tuple[int, int], object]:
    data = member_xml(parts.zf, part).getvalue()
    cells: dict[tuple[int, int], object] = {}
    row_number = 0
    for row in _sheet_data(data).iterchildren("{*}row"):
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
            if plan is not None and ref in plan.named:
                place = plan.named[ref]
            else:
                place = (row_number, _column_of(previous) + after)
                if plan is not None and not (place in plan.places or plan.in_table(*place)):
                    continue
            value = _element_value(cell, parts)
            if value is not None:
                cells[place] = value
    return cells


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
    for child in el.iterchildren("{*}v", "{*}f", "{*}is"):
        tag = _local(child.tag)
        if tag == "v":
            value = child.text or ""
        elif tag == "f":
            formula = child.text or ""
        elif tag == "is":
            inline = _text_of(child)
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


def _has(zf: zipfile.ZipFile, part: str) -> bool:
    return part in zf.NameToInfo  # namelist() would build a new list on every call


def _local(tag: object) -> str:
    """A tag's local name; "" for comments and processing instructions (lxml gives them a
    function as their tag)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr_by_local(el, name: str) -> str:
    return next((v for k, v in el.attrib.items() if _local(k) == name), "")


def _children(root, *path: str) -> Iterator:
    """Elements at a path of local names below root (any namespace: Strict OOXML too)."""
    level = [root]
    for step in path:
        level = [child for el in level for child in el if _local(child.tag) == step]
    yield from level
