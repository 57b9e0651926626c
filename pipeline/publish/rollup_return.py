"""The 上报 return: the real template filled at the XML level (also the benchmark's returns).

fill.py (openpyxl) takes ~100 ms for a small return and seconds for an office's thousands of
ledger rows; this writes the same values into the template's own XML parts (named input
cells, rows under each ledger table) in milliseconds. Text is always written as an inline
string, never as a formula. A test checks that both fillers read back the same.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.core.cells import area, column_letters, moment_to_serial, name_place
from pipeline.core.files import atomic_output
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.publish.template import write_template

_BLANK_CELL = re.compile(r'<c r="([A-Z]+\d+)" s="(\d+)"/>')
ROWS_PER_CHUNK = 2000
_COL_STYLE = re.compile(r'<col min="(\d+)" max="(\d+)"[^>]*?style="(\d+)"')


class FastFiller:
    def __init__(self, template: Path, form: Form):
        with zipfile.ZipFile(template) as zf:
            self.parts = {info.filename: zf.read(info) for info in zf.infolist()}
            self.infos = zf.infolist()
        self.form = form
        workbook = self.parts["xl/workbook.xml"].decode()
        rels = self.parts["xl/_rels/workbook.xml.rels"].decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
        sheets = {
            name: "xl/" + targets[rid]
            for name, rid in re.findall(
                r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', workbook
            )
        }
        self.cells: dict[str, tuple[str, str]] = {}  # code -> (sheet part, A1)
        for name, text in re.findall(
            r'<definedName name="([^"]+)">([^<]+)</definedName>', workbook
        ):
            place = name_place(text.replace("&apos;", "'"), sheets)
            if place:
                sheet, row, col = place
                self.cells[name] = (sheets[sheet], f"{column_letters(col)}{row}")
        self.tables = self._tables(sheets)

    def _tables(
        self, sheets: dict[str, str]
    ) -> dict[str, tuple[str, str, int, list[int], dict[int, str]]]:
        found = {}
        for part in sheets.values():
            rels = self.parts.get(
                part.replace("worksheets/", "worksheets/_rels/") + ".rels", b""
            ).decode()
            for target in re.findall(r'Target="\.\./tables/(table\d+\.xml)"', rels):
                table = "xl/tables/" + target
                text = self.parts[table].decode()
                name = _found(r'displayName="([^"]+)"', text)
                top, left, _, right = _table_area(text)
                styles = {}
                for low, high, style in _COL_STYLE.findall(self.parts[part].decode()):
                    for col in range(int(low), int(high) + 1):
                        styles[col] = style
                found[name] = (part, table, top, list(range(left, right + 1)), styles)
        return found

    def write(
        self, out: Path, values: Mapping[str, object], ledgers: Mapping[str, Sequence[Mapping]]
    ) -> Path:
        by_part: dict[str, dict[str, object]] = {}
        for code, value in values.items():
            if code in self.cells and value is not None:
                part, ref = self.cells[code]
                by_part.setdefault(part, {})[ref] = value
        new = dict(self.parts)
        for part, cells in by_part.items():
            new[part] = _filled(new[part].decode(), cells).encode()
        appended: dict[str, list[tuple]] = {}  # sheet part -> its ledgers' rows
        for ledger in self.form.ledgers:
            rows = ledgers.get(ledger.id) or []
            if rows:
                part, table = self.tables[ledger.id][:2]
                appended.setdefault(part, []).append((ledger, rows))
                new[table] = self._grown_table(ledger, new[table], len(rows))
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for info in self.infos:
                if info.filename in appended:
                    self._stream_rows(zf, info, new[info.filename], appended[info.filename])
                else:
                    zf.writestr(info, new[info.filename])
        return out

    def _stream_rows(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: bytes, ledgers: list[tuple]
    ) -> None:
        """The sheet with the ledger rows under its table, written to the zip in chunks: an
        office's concatenated ledgers are hundreds of thousands of rows, never one string."""
        head, tail = sheet.split(b"</sheetData>", 1)
        member = zipfile.ZipInfo(info.filename, info.date_time)
        member.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(member, "w") as handle:
            handle.write(head)
            for ledger, rows in ledgers:
                for start in range(0, len(rows), ROWS_PER_CHUNK):
                    chunk = rows[start : start + ROWS_PER_CHUNK]
                    handle.write(self._rows_xml(ledger, chunk, start).encode())
            handle.write(b"</sheetData>" + tail)

    def _rows_xml(self, ledger, rows: Sequence[Mapping], offset: int) -> str:
        _, _, top, columns, styles = self.tables[ledger.id]
        places = [
            (column.key, column_letters(col), styles.get(col, "0"))
            for col, column in zip(columns, ledger.columns, strict=False)
        ]
        xml = []
        for number, row in enumerate(rows, start=top + offset + 1):
            cells = "".join(
                [
                    _cell(f"{letters}{number}", style, value)
                    for key, letters, style in places
                    if (value := row.get(key)) is not None
                ]
            )
            xml.append(f'<row r="{number}">{cells}</row>')
        return "".join(xml)

    def _grown_table(self, ledger, table: bytes, count: int) -> bytes:
        """The table part, its area grown to the last row when the rows go past it (as Excel
        grows a table)."""
        top = self.tables[ledger.id][2]
        table_text = table.decode()
        _, left, bottom, right = _table_area(table_text)
        last = top + count
        if last <= bottom:
            return table
        ref = f"{column_letters(left)}{top}:{column_letters(right)}{last}"
        return re.sub(r' ref="[^"]+"', f' ref="{ref}"', table_text).encode()


def _found(pattern: str, text: str) -> str:
    """The first group of `pattern` in a part of our own template, which always has it."""
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"the template part has no {pattern}")
    return match.group(1)


def _table_area(table_text: str) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of a table part of our own template."""
    corners = area(_found(r' ref="([^"]+)"', table_text))
    if corners is None:
        raise ValueError("the template's table has no area")
    return corners


def _filled(sheet: str, cells: Mapping[str, object]) -> str:
    """The sheet part with the blank input cells named in `cells` given their values."""

    def fill(match: re.Match[str]) -> str:
        ref, style = match.group(1), match.group(2)
        return _cell(ref, style, cells[ref]) if ref in cells else match.group(0)

    return _BLANK_CELL.sub(fill, sheet)


def _cell(ref: str, style: str, value: object) -> str:
    if type(value) is str:  # most ledger cells: checked first
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'
    if isinstance(value, dt.date):  # a datetime too
        serial = moment_to_serial(value)
        text = int(serial) if serial.is_integer() else serial
        return f'<c r="{ref}" s="{style}"><v>{text}</v></c>'
    if isinstance(value, tuple | list):
        value = "、".join(str(v) for v in value)
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def fill_rollup(
    path: Path, form: Form, registry: Registry, values: Mapping[str, object], ledgers: Mapping
) -> Path:
    with tempfile.TemporaryDirectory(prefix="rollup-template-") as folder:
        template = write_template(form, registry, Path(folder))
        with atomic_output(path) as tmp:
            # At the XML level: the office's concatenated ledgers are thousands of rows.
            FastFiller(template, form).write(tmp, values, ledgers)
    return path
