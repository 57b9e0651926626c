"""Feedback workbooks at the zip/XML level: the workbook feedback.py makes with openpyxl, made by
editing the unit's own file instead of loading and saving it (~9 ms instead of ~150 ms).

Every member of the zip is copied unchanged except the few that must change (styles, the
marked sheets, workbook, rels, content types); the comments, their VML shapes and the 审核意见
sheet are new parts. Only "plain" files take this path: transitional OOXML laid out as our
template, Excel, WPS and LibreOffice write it, with nothing active in it (no macros, external
links, hyperlinks, drawings, comments or embedded objects) and no formula but the template's
own totals. For anything else `write_feedback_xml` writes nothing and returns False, and
feedback.py's openpyxl path, which knows how to clean such files, makes the workbook.
"""

from __future__ import annotations

import bisect
import html
import posixpath
import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.cells import column_letters, column_number
from pipeline.core.files import atomic_output
from pipeline.core.problems import SEVERITY_LABEL, Problem, Severity
from pipeline.core.records import Submission
from pipeline.form.model import Form
from pipeline.publish.feedback.content import (
    COMMENT_AUTHOR,
    COMMENT_SIZE,
    FEEDBACK_SHEET,
    FILL_COLORS,
    HEADERS,
    LINK_COLOR,
    NOTE,
    WIDTHS,
    comment_text,
    feedback_title,
    link_target,
    worst_severity,
)
from pipeline.publish.xlsx_style import row_height
from pipeline.read.package import XmlRefused, refuse_dtd

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_PREFIX = "application/vnd.openxmlformats-officedocument."
WORKBOOK_CT = CT_PREFIX + "spreadsheetml.sheet.main+xml"
WORKSHEET_CT = CT_PREFIX + "spreadsheetml.worksheet+xml"
COMMENTS_CT = CT_PREFIX + "spreadsheetml.comments+xml"
VML_CT = CT_PREFIX + "vmlDrawing"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
COMPRESS_LEVEL = 1  # as fastfill: level 6 costs ~2 ms more per workbook for ~10% smaller files

# Every part a plain workbook may have. Anything else (macros, external links, drawings,
# comments, embedded objects, pivot caches, custom XML...) sends the file to openpyxl.
_PLAIN_PART = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(?:app|core|custom)\.xml"
    r"|xl/(?:workbook|styles|sharedStrings|calcChain)\.xml|xl/_rels/workbook\.xml\.rels"
    r"|xl/theme/theme\d+\.xml|xl/worksheets/[\w.-]+\.xml|xl/worksheets/_rels/[\w.-]+\.xml\.rels"
    r"|xl/tables/[\w.-]+\.xml|xl/printerSettings/printerSettings\d+\.bin|(?:[\w.-]+/)+"
)
_WORKBOOK_RELS = {"worksheet", "theme", "styles", "sharedStrings", "calcChain"}
_SHEET_RELS = {"table", "printerSettings"}
# Things a worksheet may carry that we do not edit around (or that openpyxl would drop).
_SHEET_REFUSED = ("<hyperlink", "<legacyDrawing", "<oleObjects", "<controls", "AlternateContent")
# What follows <legacyDrawing> in CT_Worksheet: it goes before the first of these.
_AFTER_LEGACY = re.compile(
    r"<(?:legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems|tableParts"
    r"|extLst)\b|</worksheet>"
)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ROOT = re.compile(r"\A\ufeff?(?:<\?xml([^>]*)\?>)?\s*<([\w:]+)((?:\s[^>]*)?)>")
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_FORMULA = re.compile(r"<f\b")
_FORMULA_CELL = re.compile(r"<c\s([^>]*)>\s*<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_DEFINED = re.compile(
    r"<definedName\b((?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?:/>|>([^<]*)</definedName>)"
)
_NAME_PLACE = re.compile(r"(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?([1-9]\d*)")
_A1 = re.compile(r"([A-Z]{1,3})([1-9]\d{0,6})")
_CELL_TAG = re.compile(r"<c\s[^>]*>")
_CELL_R = re.compile(r"""<c\s(?:[^>]*?\s)?r=["']([A-Z]+[0-9]+)["'][^>]*>""")
_ROW_TAG = re.compile(r"<row\b[^>]*>")
_COL_TAG = re.compile(r"<col\s[^>]*>")
_MERGE = re.compile(r"<mergeCell\s[^>]*>")
_SHEET_VIEW = re.compile(r"<sheetView\b[^>]*>")
_SHEET_DATA_END = re.compile(r"</sheetData>|<sheetData\s*/>")
_KEPT_BUILTINS = {"_xlnm.Print_Area", "_xlnm.Print_Titles"}
_TRUE = {"1", "true"}


class _NotPlain(Exception):
    """The file is not one this module edits; the openpyxl path makes its feedback."""


def write_feedback_xml(sub: Submission, source: Path, path: Path, form: Form) -> bool:
    """Write the feedback workbook for `sub` by editing `source` (an .xlsx) at the XML level.
    Returns False, writing nothing, when the file is not plain."""
    try:
        package = _Package.read(source)
        changed = _feedback_parts(package, sub, form)
    except (_NotPlain, KeyError, ValueError, IndexError, zipfile.BadZipFile, zlib.error):
        # An unexpected shape is not plain either: openpyxl decides what to do with it.
        return False
    with atomic_output(path) as tmp:
        package.write(tmp, changed)
    return True


@dataclass
class _Package:
    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]

    @classmethod
    def read(cls, source: Path) -> _Package:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            names = {i.filename.lower() for i in infos}
            if len(names) != len(infos):
                raise _NotPlain("duplicate member names")
            for info in infos:
                if not _PLAIN_PART.fullmatch(info.filename) or info.flag_bits & 1:
                    raise _NotPlain(info.filename)
            data = {i.filename: zf.read(i) for i in infos}
        for name, content in data.items():
            if name.endswith((".xml", ".rels")):
                # Parts are copied as they are: none may carry a DTD into our output.
                try:
                    refuse_dtd(content)
                except XmlRefused as exc:
                    raise _NotPlain(name) from exc
        return cls(infos, data)

    def text(self, name: str) -> str:
        text = self.data[name].decode("utf-8")
        if "<!" in text:  # a DTD, entities, CDATA or comments: not what we edit with regexes
            raise _NotPlain(name)
        declaration = _ROOT.match(text)
        encoding = _attrs(declaration[1] or "").get("encoding", "utf-8") if declaration else ""
        if encoding.lower() not in {"utf-8", "utf8"}:
            raise _NotPlain(name)
        return text

    def write(self, path: Path, changed: dict[str, str | bytes]) -> None:
        now = time.localtime()[:6]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
            # Fresh ZipInfos: the source's extra fields (zip64, timestamps) are not copied
            members = [(i.filename, i.date_time, i.external_attr) for i in self.infos]
            new = [(name, now, 0o644 << 16) for name in changed if name not in self.data]
            for name, date_time, mode in members + new:
                info = zipfile.ZipInfo(name, date_time)
                info.external_attr = mode
                data = changed.get(name, self.data.get(name, b""))
                zf.writestr(info, _bytes(data), zipfile.ZIP_DEFLATED, COMPRESS_LEVEL)


@dataclass
class _Sheet:
    name: str
    part: str
    text: str
    original: str
    marks: dict[str, Severity] = field(default_factory=dict)  # A1 -> worst severity there
    found: dict[str, list[Problem]] = field(default_factory=dict)  # A1 -> problems there


def _feedback_parts(package: _Package, sub: Submission, form: Form) -> dict[str, str | bytes]:
    """Every part that changes or is new, by name."""
    types = package.text("[Content_Types].xml")
    overrides = {a.get("PartName", ""): a.get("ContentType") for a in _tags(types, "Override")}
    if overrides.get("/xl/workbook.xml") != WORKBOOK_CT:
        raise _NotPlain("not an .xlsx workbook")  # .xlsm, .xltx, Strict...
    if "xl/workbook.xml" not in package.text("_rels/.rels"):
        raise _NotPlain("workbook part")
    _check_rels(package)
    workbook = package.text("xl/workbook.xml")
    _root(workbook, "workbook")
    sheets = _sheets(package, workbook, overrides)
    for table in (n for n in package.data if n.startswith("xl/tables/")):
        if re.search(r"calculatedColumnFormula|totalsRowFormula", package.text(table)):
            raise _NotPlain(table)
    if any(name.casefold() == FEEDBACK_SHEET.casefold() for name in sheets):
        raise _NotPlain("already has a 审核意见 sheet")  # a feedback workbook sent back as is
    names, defined = _defined_names(workbook, form)
    _check_formulas(sheets, _template_formulas(names, form))

    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for problem in sub.problems:
        if problem.sheet in sheets and problem.cell:
            by_cell.setdefault((problem.sheet, problem.cell), []).append(problem)
    for (sheet, ref), found in by_cell.items():
        sheets[sheet].found[ref] = found
        sheets[sheet].marks[ref] = worst_severity(found)

    changed: dict[str, str | bytes] = {}
    styles = _Styles(package.text("xl/styles.xml"))
    marked = [s for s in sheets.values() if s.marks]
    for sheet in marked:
        _mark_cells(sheet, styles)
    own = styles.add_feedback_styles()
    changed["xl/styles.xml"] = styles.text

    new_types, block = [], 1
    for number, sheet in enumerate(marked, start=1):
        comments, vml = f"xl/comments/comment{number}.xml", f"xl/drawings/vmlDrawing{number}.vml"
        rels_name = posixpath.join(
            posixpath.dirname(sheet.part), "_rels", posixpath.basename(sheet.part) + ".rels"
        )
        rels = package.text(rels_name) if rels_name in package.data else _empty_rels()
        rels, (_, vml_id) = _add_rels(
            rels,
            [
                ("comments", "../comments/" + posixpath.basename(comments)),
                ("vmlDrawing", "../drawings/" + posixpath.basename(vml)),
            ],
        )
        changed[rels_name] = rels
        changed[comments] = _comments_xml(sheet)
        changed[vml], block = _vml_xml(sheet, block)
        sheet.text = _add_legacy_drawing(sheet.text, vml_id)
        new_types.append((comments, COMMENTS_CT))
    for sheet in sheets.values():
        sheet.text = _unselect(sheet.text)
        if sheet.text != sheet.original:
            changed[sheet.part] = sheet.text

    part = _free_name(package, "xl/worksheets/sheet{}.xml", len(sheets) + 1)
    changed[part] = _problem_sheet_xml(sub, set(sheets), own)
    new_types.append((part, WORKSHEET_CT))
    workbook_rels, (sheet_id,) = _add_rels(
        package.text("xl/_rels/workbook.xml.rels"),
        [("worksheet", posixpath.relpath(part, "xl"))],
    )
    changed["xl/_rels/workbook.xml.rels"] = workbook_rels
    changed["xl/workbook.xml"] = _edit_workbook(workbook, sheet_id, defined)
    changed["[Content_Types].xml"] = _add_types(types, new_types, vml=bool(marked))
    return changed


# --- checks -----------------------------------------------------------------------------


def _check_rels(package: _Package) -> None:
    for name in package.data:
        if name.endswith(".rels"):
            for rel in _tags(package.text(name), "Relationship"):
                if rel.get("TargetMode", "Internal") != "Internal":
                    raise _NotPlain("external relationship")
                kind = rel.get("Type", "").rsplit("/", 1)[-1]
                if name.startswith("xl/worksheets/") and kind not in _SHEET_RELS:
                    raise _NotPlain(f"sheet relationship {kind}")
                if name == "xl/_rels/workbook.xml.rels" and kind not in _WORKBOOK_RELS:
                    raise _NotPlain(f"workbook relationship {kind}")


def _sheet_list(workbook: str) -> list[tuple[str, str, str]]:
    """(name, sheetId, r:id) of each sheet, in order."""
    block = re.search(r"<sheets\s*>(.*?)</sheets>", workbook, re.S)
    if not block:
        raise _NotPlain("no <sheets>")
    tags = _tags(block[1], "sheet")
    if len(tags) != len(re.findall(r"<sheet\b", block[1])):
        raise _NotPlain("<sheet> shape")
    return [(html.unescape(t["name"]), t["sheetId"], t["r:id"]) for t in tags]


def _sheets(package: _Package, workbook: str, overrides: dict) -> dict[str, _Sheet]:
    rels = {r["Id"]: r for r in _tags(package.text("xl/_rels/workbook.xml.rels"), "Relationship")}
    sheets = {}
    for name, _, rid in _sheet_list(workbook):
        rel = rels[rid]
        if not rel.get("Type", "").endswith("/worksheet"):
            raise _NotPlain("not a worksheet")
        part = _resolve("xl", rel["Target"])
        if overrides.get("/" + part) != WORKSHEET_CT:
            raise _NotPlain(part)
        text = package.text(part)
        _root(text, "worksheet")
        if any(marker in text for marker in _SHEET_REFUSED):
            raise _NotPlain(f"{part}: hyperlinks, drawings or controls")
        sheets[name] = _Sheet(name, part, text, text)
    return sheets


def _defined_names(workbook: str, form: Form) -> tuple[dict[str, str], str]:
    """The kept global names (name -> reference) and the new <definedNames> block. As the
    openpyxl path: the form's indicator codes and FORM_ID/FORM_VERSION stay, print areas and
    titles stay (their sheet index shifts by one), every other name goes."""
    wanted = {i.code for i in form.indicators} | {"FORM_ID", "FORM_VERSION"}
    block = re.search(r"<definedNames\s*>(.*?)</definedNames>|<definedNames\s*/>", workbook, re.S)
    if not block:
        return {}, ""
    content = block[1] or ""
    matches = list(_DEFINED.finditer(content))
    if len(matches) != len(re.findall(r"<definedName\b", content)):
        raise _NotPlain("<definedName> shape")
    names, kept = {}, []
    for match in matches:
        attrs = _attrs(match[1])
        name, local = html.unescape(attrs.get("name", "")), attrs.get("localSheetId")
        if local is None and name in wanted:
            names[name] = html.unescape(match[2] or "")
            kept.append(match[0])
        elif local is not None and name in _KEPT_BUILTINS:
            attrs["localSheetId"] = str(int(local) + 1)
            kept.append(
                _build_tag("definedName", attrs, False) + (match[2] or "") + "</definedName>"
            )
    return names, "<definedNames>" + "".join(kept) + "</definedNames>" if kept else ""


def _template_formulas(names: dict[str, str], form: Form) -> dict[tuple[str, str], str]:
    """The template's own totals (without '='), at their named cells, as feedback.py's."""
    found = {}
    for ind in form.indicators:
        place = _NAME_PLACE.fullmatch(names.get(ind.code, "")) if ind.derived else None
        if place:
            sheet = place[1].replace("''", "'") if place[1] else place[2]
            found[(sheet, place[3] + place[4])] = "+".join(ind.parts)
    return found


def _check_formulas(sheets: dict[str, _Sheet], ours: dict[tuple[str, str], str]) -> None:
    for sheet in sheets.values():
        count = len(_FORMULA.findall(sheet.text))
        if not count:
            continue
        cells = _FORMULA_CELL.findall(sheet.text)
        if len(cells) != count:
            raise _NotPlain(f"{sheet.part}: formula shape")
        for cell_attrs, formula_attrs, formula in cells:
            attrs = _attrs(formula_attrs)
            if set(attrs) - {"aca", "ca", "t"} or attrs.get("t", "normal") != "normal":
                raise _NotPlain("shared, array or data-table formula")
            ref = _attrs(cell_attrs).get("r")
            if ours.get((sheet.name, ref or "")) != html.unescape(formula):
                raise _NotPlain(f"foreign formula at {sheet.name}!{ref}")


# --- styles -----------------------------------------------------------------------------


class _Styles:
    """styles.xml with fills, fonts and cell formats appended (never changed in place)."""

    def __init__(self, text: str):
        _root(text, "styleSheet")
        self.text = text
        self.counts = {}
        for block, item in (("fonts", "font"), ("fills", "fill"), ("cellXfs", "xf")):
            match = re.search(rf"<{block}\b[^>]*>(.*?)</{block}>", text, re.S)
            if not match:
                raise _NotPlain(f"styles: no <{block}>")
            self.counts[block] = len(re.findall(rf"<{item}\b", match[1]))
        if not re.search(r"<cellStyleXfs\b[^>]*>\s*<xf\b", text):
            raise _NotPlain("styles: no cellStyleXfs")
        xfs = _must(re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", text, re.S), "cellXfs")[1]
        self.xfs = re.findall(r"<xf\b[^>]*?/>|<xf\b[^>]*?[^/]>.*?</xf>", xfs, re.S)
        if len(self.xfs) != self.counts["cellXfs"]:
            raise _NotPlain("styles: <xf> shape")
        self.fills = {
            severity: self._append("fills", "fill", _fill_xml(severity)) for severity in FILL_COLORS
        }
        self.filled: dict[tuple[int, Severity], int] = {}

    def _append(self, block: str, item: str, xml: str) -> int:
        index = self.counts[block]
        self.counts[block] += 1
        start = _must(re.search(rf"<{block}\b[^>]*>", self.text), block)
        tag = _set_attrs(start[0], count=str(self.counts[block]))
        end = self.text.index(f"</{block}>")
        text = self.text
        self.text = text[: start.start()] + tag + text[start.end() : end] + xml + text[end:]
        return index

    def with_fill(self, style: int, severity: Severity) -> int:
        """A copy of cell format `style` with the severity's fill (font, border, number format
        and protection kept), as openpyxl's `cell.fill = ...` makes; one per (style, severity)."""
        if (style, severity) not in self.filled:
            if style >= len(self.xfs):
                raise _NotPlain("cell style out of range")
            xf = self.xfs[style]
            start = _must(re.match(r"<xf\b[^>]*?/?>", xf), "xf")[0]
            tag = _set_attrs(start, fillId=str(self.fills[severity]), applyFill="1")
            self.filled[(style, severity)] = self._append("cellXfs", "xf", tag + xf[len(start) :])
        return self.filled[(style, severity)]

    def add_feedback_styles(self) -> dict[str, int]:
        """The 审核意见 sheet's formats, as feedback.py's openpyxl fonts, fills and alignment."""
        fonts = {
            "title": self._append("fonts", "font", '<font><b/><sz val="14"/></font>'),
            "header": self._append("fonts", "font", "<font><b/></font>"),
            "link": self._append(
                "fonts", "font", f'<font><u/><color rgb="FF{LINK_COLOR}"/></font>'
            ),
        }
        xf = '<xf numFmtId="0" fontId="{}" fillId="{}" borderId="0" xfId="0"{}>{}</xf>'
        own = {
            name: self._append("cellXfs", "xf", xf.format(font, 0, ' applyFont="1"', ""))
            for name, font in fonts.items()
        }
        own["wrap"] = self._append(
            "cellXfs",
            "xf",
            xf.format(0, 0, ' applyAlignment="1"', '<alignment vertical="top" wrapText="1"/>'),
        )
        for severity, fill in self.fills.items():
            own[severity] = self._append("cellXfs", "xf", xf.format(0, fill, ' applyFill="1"', ""))
        return own


def _fill_xml(severity: Severity) -> str:
    rgb = "FF" + FILL_COLORS[severity]
    return f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/></patternFill></fill>'


# --- marked sheets ----------------------------------------------------------------------


def _split(ref: str) -> tuple[int, int]:
    """(row, column) of an A1 reference; a reference openpyxl would not take is not plain."""
    match = _A1.fullmatch(ref)
    if not match:
        raise _NotPlain(f"cell reference {ref!r}")
    col, row = column_number(match[1]), int(match[2])
    if col > 16384 or row > 1048576:
        raise _NotPlain(f"cell reference {ref!r}")
    return row, col


def _mark_cells(sheet: _Sheet, styles: _Styles) -> None:
    """Each problem cell's format becomes a copy with the severity's fill; a cell (and row)
    the file lacks is created in order."""
    places = {ref: _split(ref) for ref in sheet.marks}
    for merge in _MERGE.finditer(sheet.text):
        first, _, last = _attrs(merge[0]).get("ref", "").partition(":")
        if last:
            (top, left), (bottom, right) = _split(first), _split(last)
            for row, col in places.values():
                if top <= row <= bottom and left <= col <= right and (row, col) != (top, left):
                    raise _NotPlain("problem cell inside a merged range")
    seen = set()

    def restyle(cell: re.Match[str]) -> str:
        severity = sheet.marks.get(cell[1])
        if severity is None:
            return cell[0]
        seen.add(cell[1])
        style = int(_attrs(cell[0]).get("s", "0"))
        return _set_attrs(cell[0], s=str(styles.with_fill(style, severity)))

    text = _CELL_R.sub(restyle, sheet.text)  # one pass: a ledger may have thousands marked
    missing = {places[ref]: sheet.marks[ref] for ref in sheet.marks if ref not in seen}
    sheet.text = _insert_cells(text, missing, styles) if missing else text


def _insert_cells(text: str, missing: dict[tuple[int, int], Severity], styles: _Styles) -> str:
    """The cells the file lacks, created with the fill on the format Excel shows for them (the
    row's, else the column's), in row and column order; all edits made in one pass."""
    if re.search(r"<sheetData\s*/>", text):
        text = re.sub(r"<sheetData\s*/>", "<sheetData></sheetData>", text, count=1)
    rows: dict[int, re.Match[str]] = {}
    numbers: list[int] = []
    for tag in _ROW_TAG.finditer(text):
        number = int(_attrs(tag[0]).get("r", "0"))
        if number < 1 or (numbers and number <= numbers[-1]):
            raise _NotPlain("rows without r or out of order")
        rows[number] = tag
        numbers.append(number)
    data_end = _must(re.search(r"</sheetData>", text), "</sheetData>").start()
    column_styles = [
        (int(a["min"]), int(a["max"]), int(a.get("style", "0")))
        for a in (_attrs(m[0]) for m in _COL_TAG.finditer(text))
    ]
    by_row: dict[int, list[tuple[int, Severity]]] = {}
    for (row, col), severity in sorted(missing.items()):
        by_row.setdefault(row, []).append((col, severity))
    edits: list[tuple[int, int, str]] = []  # (start, end, new text); ties keep this order
    for row, cells in by_row.items():
        tag = rows.get(row)
        attrs = _attrs(tag[0]) if tag else {}
        row_style = int(attrs.get("s", "0")) if attrs.get("customFormat") in _TRUE else None

        def cell(col: int, severity: Severity, row: int = row, row_style=row_style) -> str:
            shown = row_style
            if shown is None:
                shown = next((s for low, high, s in column_styles if low <= col <= high), 0)
            style = styles.with_fill(shown, severity)
            return f'<c r="{column_letters(col)}{row}" s="{style}"/>'

        if tag is None:
            after = bisect.bisect(numbers, row)
            at = rows[numbers[after]].start() if after < len(numbers) else data_end
            xml = "".join(cell(col, severity) for col, severity in cells)
            edits.append((at, at, f'<row r="{row}">{xml}</row>'))
            continue
        opened = _set_attrs(tag[0], spans=None)  # spans is only a hint; drop it, not fix it
        if tag[0].endswith("/>"):
            xml = "".join(cell(col, severity) for col, severity in cells)
            edits.append((tag.start(), tag.end(), f"{opened[:-2]}>{xml}</row>"))
            continue
        edits.append((tag.start(), tag.end(), opened))
        end = text.index("</row>", tag.end())
        there = []
        for existing in _CELL_TAG.finditer(text, tag.end(), end):
            ref = _attrs(existing[0]).get("r")
            if ref is None:
                raise _NotPlain("cell without r")
            there.append((_split(ref)[1], existing.start()))
        for col, severity in cells:
            at = next((start for other, start in there if other > col), end)
            edits.append((at, at, cell(col, severity)))
    edits.sort(key=lambda edit: edit[0])  # stable: a new row before the row it precedes
    out, done = [], 0
    for start, end, xml in edits:
        out += [text[done:start], xml]
        done = end
    return "".join([*out, text[done:]])


def _add_legacy_drawing(text: str, rid: str) -> str:
    """<legacyDrawing r:id> at its place in CT_Worksheet; the r: prefix declared if need be."""
    root = _must(_ROOT.match(text), "worksheet root")
    prefix = _attrs(root[3]).get("xmlns:r")
    if prefix is None:
        start = root.start(2) - 1
        tag = _set_attrs(text[start : root.end()], **{"xmlns:r": REL_NS})
        text = text[:start] + tag + text[root.end() :]
    elif prefix != REL_NS:
        raise _NotPlain("worksheet r: prefix")
    data_end = _SHEET_DATA_END.search(text)
    if not data_end:
        raise _NotPlain("no sheetData")
    at = _AFTER_LEGACY.search(text, data_end.end())
    if not at:
        raise _NotPlain("no </worksheet>")
    return text[: at.start()] + f'<legacyDrawing r:id="{rid}"/>' + text[at.start() :]


def _unselect(text: str) -> str:
    """Only the 审核意见 tab is selected (two selected tabs make a group in Excel)."""
    for view in _SHEET_VIEW.finditer(text):
        if _attrs(view[0]).get("tabSelected") in _TRUE:
            tag = _set_attrs(view[0], tabSelected=None)
            return _unselect(text[: view.start()] + tag + text[view.end() :])
    return text


def _comments_xml(sheet: _Sheet) -> str:
    comments = "".join(
        f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">'
        f"{_escape(comment_text(sheet.found[ref]))}</t></text></comment>"
        for ref in sheet.marks
    )
    return (
        f'{DECLARATION}<comments xmlns="{MAIN_NS}"><authors><author>{_escape(COMMENT_AUTHOR)}'
        f"</author></authors><commentList>{comments}</commentList></comments>"
    )


def _vml_xml(sheet: _Sheet, block: int) -> tuple[str, int]:
    """Legacy VML shapes for the comments (Excel and LibreOffice need one per comment), and
    the next free block of 1024 shape ids (each drawing claims its own blocks)."""
    width, height = COMMENT_SIZE
    blocks = range(block, block + len(sheet.marks) // 1024 + 1)
    shapes = []
    for index, ref in enumerate(sheet.marks, start=1):
        row, col = _split(ref)
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + index}" type="#_x0000_t202" '
            f'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:{width}px;'
            f'height:{height}px;z-index:{index};visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" '
            'obscured="t"/><v:path o:connecttype="none"/><v:textbox '
            'style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col - 1}"
            "</x:Column></x:ClientData></v:shape>"
        )
    data = ",".join(str(number) for number in blocks)
    xml = (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:'
        'office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        f'<o:idmap v:ext="edit" data="{data}"/></o:shapelayout><v:shapetype id="_x0000_t202" '
        'coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke '
        'joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )
    return xml, blocks.stop


# --- the 审核意见 sheet and the workbook ------------------------------------------------


def _problem_sheet_xml(sub: Submission, sheet_names: set[str], own: dict) -> str:
    """feedback.py's _problem_sheet for a workbook whose cells are marked (linked)."""
    rows = [
        _row(1, [(feedback_title(sub), own["title"])]),
        _row(2, [(NOTE, None)]),
        _row(4, [(header, own["header"]) for header in HEADERS]),
    ]
    links = []
    for number, problem in enumerate(sub.problems, start=1):
        row = 4 + number
        linked = problem.sheet in sheet_names and bool(problem.cell)
        values = [str(number), SEVERITY_LABEL[problem.severity], problem.sheet, problem.cell,
                  problem.indicator, problem.message, problem.value]  # fmt: skip
        styles = [None, own[problem.severity], None, own["link"] if linked else None, None,
                  own["wrap"], None]  # fmt: skip
        height = row_height((problem.message, WIDTHS[5]))
        rows.append(_row(row, list(zip(values, styles, strict=True)), height))
        if linked:
            links.append(f'<hyperlink ref="D{row}" location="{_escape(link_target(problem))}"/>')
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(WIDTHS, start=1)
    )
    return (
        f'{DECLARATION}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:G{4 + len(sub.problems)}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="4" '
        'topLeftCell="A5" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
        'activeCell="A5" sqref="A5"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f"<sheetData>{''.join(rows)}</sheetData>"
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
        'fitToHeight="0"/></worksheet>'
    )


def _row(number: int, cells: list[tuple[object, int | None]], height: float | None = None) -> str:
    """A row of text cells: inline strings, never formulas, whatever the text starts with."""
    xml = []
    for col, (value, style) in enumerate(cells, start=1):
        ref = f"{chr(64 + col)}{number}"
        s = f' s="{style}"' if style is not None else ""
        text = "" if value is None else str(value)
        if text:
            xml.append(
                f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_escape(text)}'
                "</t></is></c>"
            )
        elif s:
            xml.append(f'<c r="{ref}"{s}/>')
    ht = f' ht="{height}" customHeight="1"' if height else ""
    return f'<row r="{number}"{ht}>{"".join(xml)}</row>'


def _edit_workbook(workbook: str, sheet_rid: str, defined: str) -> str:
    """审核意见 first (a new sheetId) and active; print areas' sheet index shifted; only the
    kept defined names."""
    sheets = _sheet_list(workbook)
    sheet_id = max((int(s) for _, s, _ in sheets), default=0) + 1
    # openpyxl declares the r: prefix on each <sheet>, not on <workbook>
    declared = _attrs(_must(_ROOT.match(workbook), "root")[3]).get("xmlns:r") == REL_NS
    prefix = "" if declared else f' xmlns:r="{REL_NS}"'
    new = (
        f'<sheet{prefix} name="{_escape(FEEDBACK_SHEET)}" sheetId="{sheet_id}" r:id="{sheet_rid}"/>'
    )
    at = _must(re.search(r"<sheets\s*>", workbook), "sheets").end()
    workbook = workbook[:at] + new + workbook[at:]
    workbook = re.sub(
        r"<definedNames\s*>.*?</definedNames>|<definedNames\s*/>",
        lambda _: defined,
        workbook,
        flags=re.S,
    )

    def view(match: re.Match[str]) -> str:
        attrs = _attrs(match[0])
        changes = {"activeTab": "0"}
        if "firstSheet" in attrs:
            changes["firstSheet"] = "0"
        return _set_attrs(match[0], **changes)

    return re.sub(r"<workbookView\b[^>]*>", view, workbook)


def _add_types(types: str, parts: list[tuple[str, str]], vml: bool) -> str:
    xml = [f'<Override PartName="/{part}" ContentType="{kind}"/>' for part, kind in parts]
    defaults = {
        a.get("Extension", "").lower(): a.get("ContentType") for a in _tags(types, "Default")
    }
    if vml and "vml" not in defaults:
        xml.insert(0, f'<Default Extension="vml" ContentType="{VML_CT}"/>')
    elif vml and defaults["vml"] != VML_CT:
        raise _NotPlain("vml content type")
    end = types.index("</Types>")
    return types[:end] + "".join(xml) + types[end:]


def _add_rels(rels: str, new: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """Relationships (type, target) appended with fresh ids; the ids, in order."""
    taken = {r.get("Id", "") for r in _tags(rels, "Relationship")}
    ids, xml, number = [], [], len(taken)
    for kind, target in new:
        number += 1
        while f"rId{number}" in taken:
            number += 1
        ids.append(f"rId{number}")
        xml.append(
            f'<Relationship Id="rId{number}" Type="{REL_NS}/{kind}" Target="{_escape(target)}"/>'
        )
    end = rels.index("</Relationships>")
    return rels[:end] + "".join(xml) + rels[end:], ids


def _empty_rels() -> str:
    return f'{DECLARATION}<Relationships xmlns="{PACKAGE_REL_NS}"></Relationships>'


def _free_name(package: _Package, pattern: str, number: int) -> str:
    taken = {name.lower() for name in package.data}
    while pattern.format(number).lower() in taken:
        number += 1
    return pattern.format(number)


# --- small XML helpers ------------------------------------------------------------------


def _root(text: str, name: str) -> dict[str, str]:
    """The root element's attributes; it must be `name`, unprefixed, in the transitional
    main namespace (Strict and prefixed documents are not plain)."""
    match = _ROOT.match(text)
    if not match or match[2] != name:
        raise _NotPlain(f"root element is not <{name}>")
    attrs = _attrs(match[3])
    if attrs.get("xmlns") != MAIN_NS:
        raise _NotPlain(f"<{name}> is not in the transitional namespace")
    return attrs


def _must(match: re.Match[str] | None, what: str) -> re.Match[str]:
    if match is None:
        raise _NotPlain(f"no {what}")
    return match


def _attrs(tag: str) -> dict[str, str]:
    """Attributes of a start tag, values as written (still escaped)."""
    return {m[1]: m[2] if m[3] is None else m[3] for m in _ATTR.finditer(tag)}


def _tags(text: str, name: str) -> list[dict[str, str]]:
    return [_attrs(m[0]) for m in re.finditer(rf"<{name}\b[^>]*>", text)]


def _set_attrs(tag: str, **changes: str | None) -> str:
    """The start tag with attributes set (None removes one), written with double quotes."""
    name = _must(re.match(r"<([\w:]+)", tag), "tag")[1]
    attrs = _attrs(tag[len(name) + 1 :])
    for key, value in changes.items():
        if value is None:
            attrs.pop(key, None)
        else:
            attrs[key] = value
    return _build_tag(name, attrs, tag.endswith("/>"))


def _build_tag(name: str, attrs: dict[str, str], empty: bool) -> str:
    body = "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in attrs.items())
    return f"<{name}{body}{'/>' if empty else '>'}"


def _resolve(base: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"{base}/{target}")


def _escape(text: str) -> str:
    if _ILLEGAL_XML.search(text):
        raise _NotPlain("a character XML cannot hold")  # openpyxl raises on it, as before
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data
