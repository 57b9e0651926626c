"""I/O in: read the unit registry from an Excel workbook (.xlsx) or a CSV file.

What the file is comes from its content, not its name: a clerk may save a workbook under
the old .csv name, or an .xls where an .xlsx was meant. Every problem, from a missing file to
a cycle of parents, is raised as one DefinitionError of Chinese sentences that say how to
fix it; no exception text of a library reaches the clerk.
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from pathlib import Path

import openpyxl

from pipeline.core.limits import MAX_FILE_BYTES
from pipeline.form.model import DefinitionError
from pipeline.form.registry import Registry, Row, csv_rows, decode_csv, registry_from_rows
from pipeline.read.sniff import OLE_MAGIC, ZIP_MAGIC, sniff_bytes

SHEET = "报送单位"  # read first; else the workbook's first sheet
SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开，另存为“Excel 工作簿（*.xlsx）”后再运行"


def load_registry(path: str | Path) -> Registry:
    """The checked registry in `path`; DefinitionError lists every problem found."""
    path = Path(path)
    try:
        rows = _rows(path)
    except _Unreadable as exc:
        raise DefinitionError(str(path), [str(exc)]) from None
    registry, problems = registry_from_rows(rows)
    if problems:
        raise DefinitionError(str(path), problems)
    return registry


class _Unreadable(Exception):
    """The file cannot be read as a registry at all; the message says why, in Chinese."""


def _rows(path: Path) -> list[Row]:
    data = _read(path)
    name = path.name
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(data, name)
    if data.startswith(OLE_MAGIC):
        raise _Unreadable(_ole_reason(data, name))
    text = decode_csv(data)
    if text is None:
        raise _Unreadable(
            f"单位名单“{name}”不是 UTF-8 或 GBK（GB18030）编码的 CSV 文件，也不是 Excel 工作簿："
            f"{SAVE_AS_XLSX}（或另存为“CSV UTF-8（逗号分隔）”）。"
        )
    return csv_rows(text)


def _read(path: Path) -> bytes:
    name = path.name
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise _Unreadable(
                f"单位名单“{name}”有 {size // 1024 // 1024} MB，不像单位名单：请检查 --units 指定的文件。"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise _Unreadable(
            f"找不到单位名单“{path}”：请检查文件位置，或用 --units 指定单位名单文件（.xlsx 或 .csv）。"
        ) from None
    except IsADirectoryError:
        raise _Unreadable(
            f"“{path}”是文件夹，不是单位名单：请用 --units 指定单位名单文件（.xlsx 或 .csv）。"
        ) from None
    except PermissionError:
        raise _Unreadable(
            f"没有权限读取单位名单“{name}”：请检查文件权限，或另存一份后用 --units 指定。"
        ) from None
    except OSError:
        raise _Unreadable(
            f"无法读取单位名单“{name}”（文件可能正被其他程序使用）：请关闭其他程序后重试。"
        ) from None
    if not data:
        raise _Unreadable(f"单位名单“{name}”是空文件（0 字节）：请重新保存单位名单后再运行。")
    return data


def _xlsx_rows(data: bytes, name: str) -> list[Row]:
    damaged = f"单位名单“{name}”已损坏，无法作为 Excel 工作簿打开：{SAVE_AS_XLSX}。"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _Unreadable(damaged) from None
    if not any(m.endswith("workbook.xml") for m in members):
        raise _Unreadable(
            f"单位名单“{name}”不是 CSV 文件或 Excel 工作簿（.xlsx）：{SAVE_AS_XLSX}。"
        )
    try:
        with warnings.catch_warnings():  # openpyxl warns about extensions it does not keep
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise _Unreadable(damaged) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()  # do not trust a stored <dimension>
        return list(enumerate(sheet.iter_rows(values_only=True), start=1))
    except Exception:  # noqa: BLE001 - as above: a damaged part shows while reading rows
        raise _Unreadable(damaged) from None
    finally:
        book.close()


def _ole_reason(data: bytes, name: str) -> str:
    kind = sniff_bytes(io.BytesIO(data))
    if kind.encrypted:
        return (
            f"单位名单“{name}”设置了打开密码，程序无法读取：请在 Excel 中打开，在“文件 → 信息 → "
            "保护工作簿 → 用密码进行加密”中清空密码后保存。"
        )
    if kind.format == "xls":
        return f"单位名单“{name}”是 Excel 97-2003 格式（.xls），程序不能读取：{SAVE_AS_XLSX}。"
    return f"单位名单“{name}”不是 CSV 文件或 Excel 工作簿（.xlsx）：{SAVE_AS_XLSX}。"
