"""The structure of an .xlsx: its sheets, defined names, tables, date styles and 1904 flag, and
the plan of which cells to read. Parsed once per worker for every return whose structure
parts are byte for byte the same (returns of one template), and cached."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from pipeline.core import limits
from pipeline.core.cells import (
    area,
    column_letters,
    name_place,
)
from pipeline.read.package import member_xml
from pipeline.read.types import ReadError, WorkbookData

BUILTIN_DATE_FORMATS = (
    set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
)


_DATE_CODE = re.compile(r"[ymdhs]", re.IGNORECASE)


_CODE_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


REL_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class Layout:
    """What a workbook's structure parts say: its sheets, dates, names, tables and which
    cells to read. Returns of one template share it."""

    strings_part: str | None
    date_styles: set[int]
    date1904: bool
    names: dict[str, tuple[str, int, int]]
    tables: dict[str, tuple[str, int, int, int, int]]
    reads: list[tuple[str, str, Plan | None]]  # sheet, part, plan (None: every cell)
    lost: bool


# Cell contents: the parts that differ between returns of one template.
_CONTENT_PART = re.compile(r"xl/worksheets/sheet\d+\.xml$|xl/sharedStrings\.xml$|docProps/")


_LAYOUT_CACHE: dict[tuple, Layout] = {}


LAYOUT_CACHE_SIZE = 8


def layout(zf: zipfile.ZipFile, wanted_names: frozenset, wanted_tables: frozenset) -> Layout:
    """The layout, parsed once per worker for all returns whose structure parts are byte for
    byte the same (same names, CRC-32 and sizes in the zip directory): parsing them is a
    third of reading a return, and a file that differs in any of them is parsed afresh."""
    key = (structure_key(zf), wanted_names, wanted_tables)
    layout = _LAYOUT_CACHE.get(key)
    if layout is None:
        layout = parse_layout(zf, wanted_names, wanted_tables)
        if len(_LAYOUT_CACHE) >= LAYOUT_CACHE_SIZE:
            _LAYOUT_CACHE.pop(next(iter(_LAYOUT_CACHE)))
        _LAYOUT_CACHE[key] = layout
    return layout


def structure_key(zf: zipfile.ZipFile) -> tuple:
    """What returns of one structure share: the names of all parts, and the CRC-32 and size
    of every part but the cell contents. The reader opens the same parts in all of them."""
    return tuple(
        (i.filename,) if _CONTENT_PART.match(i.filename) else (i.filename, i.CRC, i.file_size)
        for i in zf.infolist()
    )


def parse_layout(zf: zipfile.ZipFile, wanted_names: frozenset, wanted_tables: frozenset) -> Layout:
    workbook_part = _workbook_part(zf)
    root = parse_part(zf, workbook_part)
    rels = _relationships(zf, workbook_part)
    sheets: dict[str, str] = {}
    for el in children(root, "sheets", "sheet"):
        target = rels.get(el.get(f"{{{REL_OFFICE}}}id") or _attr_by_local(el, "id"), ("", ""))[1]
        sheets[el.get("name", "")] = target
    if len(sheets) > limits.MAX_SHEETS:
        raise ReadError(f"工作表过多（{len(sheets)} 个），不是正常的报表")
    pr = next(children(root, "workbookPr"), None)
    date1904 = pr is not None and pr.get("date1904", "0") in ("1", "true")
    by_type = {kind: target for kind, target in rels.values()}
    data = WorkbookData()
    for el in children(root, "definedNames", "definedName"):
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
        if (plan is None and not (lost or tables_lost)) or not has(zf, part):
            continue  # nothing wanted here, or a missing sheet part (its names then count as missing)
        reads.append((sheet, part, plan))
    return Layout(
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


def parse_part(zf: zipfile.ZipFile, part: str):
    return ElementTree.parse(member_xml(zf, part)).getroot()


def _relationships(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """rId -> (relationship type's last word, absolute target part)."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if not has(zf, rels_part):
        return {}
    found = {}
    for el in parse_part(zf, rels_part):
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


def _date_styles(zf: zipfile.ZipFile, part: str | None) -> set[int]:
    """Indexes of cell styles whose number format shows a date."""
    if not part or not has(zf, part):
        return set()
    root = parse_part(zf, part)
    custom = {
        int(el.get("numFmtId", "0")): el.get("formatCode", "")
        for el in children(root, "numFmts", "numFmt")
    }
    dates = set()
    for index, xf in enumerate(children(root, "cellXfs", "xf")):
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
        if kind == "table" and has(zf, target):
            root = parse_part(zf, target)
            corners = area(root.get("ref", ""))
            if corners:
                # displayName is the name Excel shows and formulas use.
                yield root.get("displayName") or root.get("name", ""), corners


@dataclass
class Plan:
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


def _plan(sheet: str, data: WorkbookData) -> Plan | None:
    named = {f"{column_letters(c)}{r}": (r, c) for s, r, c in data.names.values() if s == sheet}
    areas = [(r1, c1, c2) for s, r1, c1, _, c2 in data.tables.values() if s == sheet]
    if not named and not areas:
        return None
    return Plan(named, {r for r, _ in named.values()}, areas)


def has(zf: zipfile.ZipFile, part: str) -> bool:
    return part in zf.NameToInfo  # namelist() would build a new list on every call


def local_name(tag: object) -> str:
    """A tag's local name; "" for comments and processing instructions (lxml gives them a
    function as their tag)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr_by_local(el, name: str) -> str:
    return next((v for k, v in el.attrib.items() if local_name(k) == name), "")


def children(root, *path: str) -> Iterator:
    """Elements at a path of local names below root (any namespace: Strict OOXML too)."""
    level = [root]
    for step in path:
        level = [child for el in level for child in el if local_name(child.tag) == step]
    yield from level
