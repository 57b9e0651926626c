"""One worksheet in the XML-level feedback editor: read (parsed only when it must be checked or
changed), refused when it carries what the editor does not edit around, and marked: each
problem cell's format swapped for a filled copy, cells and rows the file lacks created in
order, the comments' <legacyDrawing> added, the tab unselected.

Cells are placed as openpyxl places them (a row or cell without `r` follows the one before),
so what this module marks is the cell openpyxl's path marks.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from lxml import etree

from pipeline.core.catalogue import Severity
from pipeline.core.cells import column_letters, column_number
from pipeline.core.problems import Problem
from pipeline.publish.feedback.xml_parts import (
    R_ID,
    REL_NS,
    TRUE,
    NotPlain,
    Package,
    main,
    prolog,
)
from pipeline.publish.feedback.xml_styles import Styles

# What a worksheet may carry that the editor does not edit around (or openpyxl would drop),
# in any namespace.
REFUSED = ("hyperlinks", "hyperlink", "legacyDrawing", "legacyDrawingHF", "oleObjects",
           "controls", "AlternateContent")  # fmt: skip
# Whether a part needs a tree at all. A part can hold an element only as `<name` or
# `<prefix:name` followed by a space, `/` or `>`: a UTF-8 part in which these byte searches
# find nothing has no formula, none of REFUSED and no selected tab. They only decide whether
# to parse (~0.1 ms for a sheet where lxml takes ~2 ms); the tree decides the rest.
_FORMULA_TAG = (re.compile(rb"<f[\s/>]"), re.compile(rb":f[\s/>]"))
_MARKERS = (b"hyperlink", b"legacyDrawing", b"oleObjects", b"controls", b"AlternateContent",
            b"tabSelected")  # fmt: skip
# What follows <legacyDrawing> in CT_Worksheet: it goes before the first of these.
_AFTER_LEGACY = {main(name) for name in ("legacyDrawingHF", "drawingHF", "picture",
                 "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")}  # fmt: skip
_A1 = re.compile(r"([A-Z]{1,3})([1-9]\d{0,6})")


@dataclass
class Sheet:
    name: str
    part: str
    root: etree._Element | None = None  # parsed only when it is checked or changed
    changed: bool = False
    marks: dict[str, Severity] = field(default_factory=dict)  # A1 -> worst severity there
    found: dict[str, list[Problem]] = field(default_factory=dict)  # A1 -> problems there


def read_sheet(package: Package, sheet: Sheet) -> None:
    """Parse the sheet if it is to be marked or may hold something to check; otherwise its
    root element alone is checked."""
    data = package.data[sheet.part]
    tag, utf8 = prolog(data)
    if tag != main("worksheet"):
        raise NotPlain(f"{sheet.part}: root is {tag}")  # Strict, a chart sheet...
    if sheet.marks or not utf8 or _may_need_checking(data):
        sheet.root = package.root(sheet.part, main("worksheet"))


def _may_need_checking(data: bytes) -> bool:
    return any(tag.search(data) for tag in _FORMULA_TAG) or any(m in data for m in _MARKERS)


def check_sheet(sheet: Sheet, ours: dict[tuple[str, str], str]) -> None:
    """Refuse what the editor does not edit around and formulas other than the template's
    own (a template formula comes back in the template's own text); unselect the tab (only the 审核意见 tab is selected: two make a group)."""
    root = sheet.root
    if root is None:
        return
    for _ in root.iter(*(f"{{*}}{name}" for name in REFUSED)):
        raise NotPlain(f"{sheet.part}: hyperlinks, drawings or controls")
    for formula in root.iter(main("f")):
        cell = formula.getparent()
        if cell is None or cell.tag != main("c"):
            raise NotPlain(f"{sheet.part}: formula outside a cell")
        if set(formula.attrib) - {"aca", "ca", "t"} or formula.get("t", "normal") != "normal":
            raise NotPlain("shared, array or data-table formula")
        ref = cell.get("r") or _implied_ref(cell)
        own = ours.get((sheet.name, ref))
        if own is None:
            raise NotPlain(f"foreign formula at {sheet.name}!{ref}")
        if formula.text != own:  # another program's spelling of ours (LibreOffice's, say):
            formula.text = own  # ours again, as the openpyxl path writes it
            sheet.changed = True
    for view in root.iterfind(f"{main('sheetViews')}/{main('sheetView')}"):
        if view.get("tabSelected") in TRUE:
            del view.attrib["tabSelected"]
            sheet.changed = True


def _implied_ref(cell: etree._Element) -> str:
    """Where openpyxl puts a cell without `r`: its row's number (a row without `r` follows
    the one before), the column after the cell before it."""
    row = cell.getparent()
    data = row.getparent() if row is not None else None
    if row is None or data is None or row.tag != main("row"):
        raise NotPlain("a cell outside a row")
    number = 0
    for other in data.iterchildren(main("row")):
        given = other.get("r")
        number = int(given) if given is not None else number + 1
        if other is row:
            break
    col = 0
    for other in row.iterchildren(main("c")):
        ref = other.get("r")
        col = split(ref)[1] if ref is not None else col + 1
        if other is cell:
            break
    return column_letters(col) + str(number)


def split(ref: str) -> tuple[int, int]:
    """(row, column) of an A1 reference; a reference openpyxl would not take is not plain."""
    match = _A1.fullmatch(ref)
    if not match:
        raise NotPlain(f"cell reference {ref!r}")
    col, row = column_number(match[1]), int(match[2])
    if col > 16384 or row > 1048576:
        raise NotPlain(f"cell reference {ref!r}")
    return row, col


def mark_cells(sheet: Sheet, styles: Styles, drawing_rid: str) -> None:
    """Each problem cell's format becomes a copy with the severity's fill; a cell (and row)
    the file lacks is created in order; the comments' drawing is referred to."""
    root = sheet.root
    assert root is not None
    places = {ref: split(ref) for ref in sheet.marks}
    _refuse_merged(root, list(places.values()))
    data = root.find(main("sheetData"))
    if data is None:
        raise NotPlain("no sheetData")
    rows = _Rows(data)
    found = rows.find(sheet.marks)
    for ref, cell in found.items():
        style = int(cell.get("s", "0"))
        cell.set("s", str(styles.with_fill(style, sheet.marks[ref])))
    missing: dict[int, list[tuple[int, Severity]]] = {}
    for ref in sorted(set(sheet.marks) - set(found), key=places.__getitem__):
        number, col = places[ref]
        missing.setdefault(number, []).append((col, sheet.marks[ref]))
    columns = _column_styles(root)
    for number, cells in missing.items():
        row = rows.get(number)
        row_style = int(row.get("s", "0")) if row.get("customFormat") in TRUE else None
        styled = []
        for col, severity in cells:
            shown = row_style
            if shown is None:
                shown = next((s for low, high, s in columns if low <= col <= high), 0)
            styled.append((col, styles.with_fill(shown, severity)))
        rows.add_cells(row, number, styled)
    _add_legacy_drawing(root, drawing_rid)
    sheet.changed = True


def _refuse_merged(root: etree._Element, places: list[tuple[int, int]]) -> None:
    for merge in root.iterfind(f"{main('mergeCells')}/{main('mergeCell')}"):
        first, _, last = merge.get("ref", "").partition(":")
        if last:
            (top, left), (bottom, right) = split(first), split(last)
            for row, col in places:
                if top <= row <= bottom and left <= col <= right and (row, col) != (top, left):
                    raise NotPlain("problem cell inside a merged range")


def _column_styles(root: etree._Element) -> list[tuple[int, int, int]]:
    return [
        (int(col.get("min", "0")), int(col.get("max", "0")), int(col.get("style", "0")))
        for col in root.iterfind(f"{main('cols')}/{main('col')}")
    ]


class _Rows:
    """The <row>s of <sheetData>, numbered as openpyxl numbers them (a row without `r`
    follows the one before; the number is then written, so that no row inserted before it
    can move it)."""

    def __init__(self, data: etree._Element):
        self.data = data
        self.numbers: list[int] = []
        self.rows: dict[int, etree._Element] = {}
        number = 0
        for row in data:
            if not isinstance(row.tag, str):
                continue  # a comment or processing instruction
            if row.tag != main("row"):
                raise NotPlain(f"<sheetData> holds {row.tag}")
            given = row.get("r")
            number = int(given) if given is not None else number + 1
            if given is None:
                row.set("r", str(number))
            if number < 1 or (self.numbers and number <= self.numbers[-1]):
                raise NotPlain("rows out of order")
            self.numbers.append(number)
            self.rows[number] = row

    def find(self, marks: dict[str, Severity]) -> dict[str, etree._Element]:
        """The marked cells the sheet has, wherever their <row> is (openpyxl places a cell
        by its own `r`; the last of two with the same place is the one it keeps)."""
        found = {}
        for number in self.numbers:
            col, last = 0, None  # a cell without `r` is in the column after the one before
            for cell in self.rows[number].iterchildren(main("c")):
                ref = cell.get("r")
                if ref is None:
                    col = (split(last)[1] if last is not None else col) + 1
                    ref, last = column_letters(col) + str(number), None
                elif not _A1.fullmatch(ref):
                    raise NotPlain(f"cell reference {ref!r}")
                else:
                    last = ref
                if ref in marks:
                    found[ref] = cell
        return found

    def get(self, number: int) -> etree._Element:
        """The row, created in order if the sheet has none with that number."""
        if number not in self.rows:
            row = etree.SubElement(self.data, main("row"), r=str(number))
            after = bisect.bisect(self.numbers, number)
            if after < len(self.numbers):
                self.rows[self.numbers[after]].addprevious(row)
            self.numbers.insert(after, number)
            self.rows[number] = row
        return self.rows[number]

    def add_cells(self, row: etree._Element, number: int, new: list[tuple[int, int]]) -> None:
        """New empty cells (column, style; in column order), each before the row's first
        cell to the right of it. The row's cells get the `r` they lack written (none may
        shift) and must be in order."""
        existing: list[tuple[int, etree._Element]] = []
        for cell in row.iterchildren(main("c")):
            ref = cell.get("r")
            if ref is None:
                ref = column_letters(existing[-1][0] + 1 if existing else 1) + str(number)
                cell.set("r", ref)
            at, col = split(ref)
            if at != number or (existing and col <= existing[-1][0]):
                raise NotPlain("cells out of order")
            existing.append((col, cell))
        columns = [col for col, _ in existing]
        for col, style in new:
            attributes = {"r": column_letters(col) + str(number), "s": str(style)}
            cell = etree.SubElement(row, main("c"), attributes)
            after = bisect.bisect(columns, col)
            if after and columns[after - 1] == col:
                raise NotPlain("a cell twice")
            if after < len(existing):
                existing[after][1].addprevious(cell)
        if "spans" in row.attrib:
            del row.attrib["spans"]  # only a hint: dropped, not fixed


def _add_legacy_drawing(root: etree._Element, rid: str) -> None:
    """<legacyDrawing r:id> at its place in CT_Worksheet. The r: prefix is the one the sheet
    declares for relationships, else declared on the element itself."""
    after = next((child for child in root if child.tag in _AFTER_LEGACY), None)
    nsmap = {} if REL_NS in root.nsmap.values() else {"r": REL_NS}
    drawing = etree.SubElement(root, main("legacyDrawing"), nsmap=nsmap)  # in scope of root
    drawing.set(R_ID, rid)
    if after is not None:
        after.addprevious(drawing)
