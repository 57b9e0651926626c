"""I/O in: find the files in the inbox and read each workbook into a RawSubmission.

Values are located by defined name and ledgers by table name, so inserted rows, moved
blocks and renamed sheets do not matter. Inputs are opened read-only and never modified.
"""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from .definition import Form
from .problems import make_problem
from .submission import RawLedger, RawSubmission, RawValue

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}
OTHER_FORMATS = {
    ".xls": "Excel 97-2003 格式（.xls），请用 Excel 或 WPS 另存为 .xlsx 后重新报送",
    ".xlsb": "Excel 二进制格式（.xlsb），请另存为 .xlsx 后重新报送",
    ".et": "WPS 表格格式（.et），请在 WPS 中另存为 .xlsx 后重新报送",
    ".ods": "OpenDocument 格式（.ods），请另存为 .xlsx 后重新报送",
    ".csv": "CSV 文本不含模板结构，请使用下发的 .xlsx 模板填报",
}
MAX_LEDGER_ROWS = 100_000  # a runaway sheet must not be read forever


@dataclass(frozen=True)
class Entry:
    """One entry of the inbox: a file to read, or one skipped with a reason."""

    name: str
    path: Path
    readable: bool
    reason: str = ""  # why it is skipped (ignored) or cannot be read (rejected)
    rejected: bool = False


def discover(inbox: Path) -> list[Entry]:
    """Every entry of the inbox, sorted by name; nothing is followed or opened."""
    entries = []
    with os.scandir(inbox) as scan:
        for item in scan:
            entries.append(_classify(item))
    return sorted(entries, key=lambda e: e.name)


def _classify(item: os.DirEntry) -> Entry:
    name, path = item.name, Path(item.path)
    lower = name.lower()
    mode = item.stat(follow_symlinks=False).st_mode
    if stat.S_ISLNK(mode):
        return Entry(name, path, False, "快捷方式（符号链接），不读取")
    if stat.S_ISDIR(mode):
        return Entry(name, path, False, "子文件夹，不读取其中的文件")
    if not stat.S_ISREG(mode):
        return Entry(name, path, False, "不是普通文件，不读取")
    if lower.startswith("~$") or lower.startswith(".~lock."):
        return Entry(name, path, False, "Excel/WPS 打开文件时产生的临时锁定文件")
    if lower in SYSTEM_FILES or name.startswith("."):
        return Entry(name, path, False, "系统或隐藏文件")
    suffix = Path(lower).suffix
    if suffix in OTHER_FORMATS:
        return Entry(name, path, False, OTHER_FORMATS[suffix], rejected=True)
    if suffix not in WORKBOOK_SUFFIXES:
        return Entry(name, path, False, "不是 Excel 工作簿（.xlsx），不读取")
    if item.stat(follow_symlinks=False).st_size == 0:
        return Entry(
            name, path, False, "空文件（0 字节），可能未保存完整，请重新报送", rejected=True
        )
    return Entry(name, path, True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_workbook(path: Path, form: Form, sha256: str = "") -> RawSubmission:
    """Read every defined name and ledger table the form asks for."""
    raw = RawSubmission(
        file=path.name, sha256=sha256 or file_sha256(path), mtime=path.stat().st_mtime
    )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about data validation extensions it does not keep; we only read.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, data_only=True, keep_links=False)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        IndexError,
        AttributeError,
        EOFError,
    ) as exc:
        raw.problems.append(make_problem("FILE_UNREADABLE", reason=_reason(exc), file=path.name))
        return raw
    try:
        raw.values = _read_names(workbook)
        raw.ledgers = _read_tables(workbook, form)
    finally:
        workbook.close()
    return raw


def _reason(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "文件已损坏或不是有效的 .xlsx 文件（可能下载不完整），请重新保存后报送"
    return f"不是有效的 Excel 工作簿（{type(exc).__name__}），请用 Excel 或 WPS 打开后另存为 .xlsx"


def _read_names(workbook: openpyxl.Workbook) -> dict[str, RawValue]:
    values: dict[str, RawValue] = {}
    scoped = [(ws.title, ws.defined_names) for ws in workbook.worksheets]
    for names in [workbook.defined_names] + [n for _, n in scoped]:
        for name, defined in names.items():
            if name in values:
                continue
            for sheet_title, ref in _destinations(defined):
                if sheet_title not in workbook.sheetnames:
                    continue
                cell_ref = ref.replace("$", "").split(":")[0]
                try:
                    cell = workbook[sheet_title][cell_ref]
                except (ValueError, KeyError, IndexError):
                    continue
                values[name] = RawValue(cell.value, sheet_title, cell_ref)
                break
    return values


def _destinations(defined: object) -> list[tuple[str, str]]:
    try:
        return list(defined.destinations)  # type: ignore[attr-defined]
    except (AttributeError, ValueError, TypeError):
        return []


def _read_tables(workbook: openpyxl.Workbook, form: Form) -> dict[str, RawLedger]:
    wanted = {ledger.id for ledger in form.ledgers}
    found: dict[str, RawLedger] = {}
    for ws in workbook.worksheets:
        for table in ws.tables.values():
            if table.name not in wanted or table.name in found:
                continue
            found[table.name] = _read_table(ws, table.name, table.ref)
    return found


def _read_table(ws, table_name: str, ref: str) -> RawLedger:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    header_cells = next(
        ws.iter_rows(min_row=min_row, max_row=min_row, min_col=min_col, max_col=max_col)
    )
    columns = {}
    for cell in header_cells:
        label = str(cell.value).strip() if cell.value is not None else ""
        if label and label not in columns:
            columns[label] = cell.column_letter
    rows = []
    # Rows pasted just below the table (outside its range) still belong to it.
    last = min(ws.max_row, min_row + MAX_LEDGER_ROWS)
    for row_number, cells in enumerate(
        ws.iter_rows(
            min_row=min_row + 1, max_row=last, min_col=min_col, max_col=max_col, values_only=True
        ),
        start=min_row + 1,
    ):
        values = {
            str(h.value).strip(): v
            for h, v in zip(header_cells, cells, strict=False)
            if h.value is not None
        }
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            if row_number > max_row:
                break  # below the table, the first blank row ends it
            continue
        rows.append((row_number, values))
    return RawLedger(table_name, ws.title, columns, tuple(rows))
