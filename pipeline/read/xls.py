"""Read a legacy .xls (BIFF8) return: our template saved by WPS or Excel 2003.

xlrd reads the whole workbook; defined names survive the BIFF format but tables do not, so
extract.py finds each ledger by its header row. That is how an .xls is read, not a loss to
warn about (holds_tables=False): .xls is an accepted format.
"""

from __future__ import annotations

from typing import BinaryIO, Literal

import xlrd
from xlrd.biffh import XLRDError  # the stubs leave out xlrd's own re-export of it
from xlrd.sheet import Cell

from pipeline.core import limits
from pipeline.core.records import ErrorValue
from pipeline.read.types import ReadError, WorkbookData


def read_xls(path: str | BinaryIO) -> WorkbookData:
    try:
        if isinstance(path, str):
            book = xlrd.open_workbook(path, on_demand=True)
        else:  # a decrypted workbook, in memory
            book = xlrd.open_workbook(file_contents=path.read(), on_demand=True)
    except (XLRDError, ValueError, IndexError, KeyError, AssertionError, EOFError) as exc:
        raise ReadError(
            "无法识别的 Excel 97-2003 文件，请用 Excel 或 WPS 另存为 .xlsx 后报送"
        ) from exc
    try:
        return _read(book)
    finally:
        book.release_resources()


def _read(book: xlrd.Book) -> WorkbookData:
    if book.nsheets > limits.MAX_SHEETS:
        raise ReadError(f"工作表过多（{book.nsheets} 个），不是正常的报表")
    data = WorkbookData(complete=True, holds_tables=False)
    budget = limits.MAX_CELLS_READ
    for index in range(book.nsheets):
        sheet = book.get_sheet(index)
        if sheet.nrows > limits.MAX_ROWS_READ:
            raise ReadError(f"工作表行数过多（超过 {limits.MAX_ROWS_READ} 行），不是正常的报表")
        budget -= sheet.nrows * sheet.ncols
        if budget < 0:
            raise ReadError("单元格数量过多，不是正常的报表")
        cells = {}
        for row in range(sheet.nrows):
            for col in range(sheet.ncols):
                value = _value(sheet.cell(row, col), book.datemode)
                if value is not None:
                    cells[(row + 1, col + 1)] = value
        data.cells[sheet.name] = cells
    names = [sheet.name for sheet in (book.get_sheet(i) for i in range(book.nsheets))]
    for name in book.name_obj_list:
        if name.builtin or name.name in data.names and name.scope != -1:
            continue
        try:
            sheet, row_low, _, col_low, _ = name.area2d(clipped=False)
        except (XLRDError, AttributeError, IndexError, TypeError, ValueError):
            continue  # a name that is not a cell reference (a constant, or #REF!)
        data.names[name.name] = (names[sheet.number], row_low + 1, col_low + 1)
    return data


def _value(cell: Cell, datemode: Literal[0, 1]) -> object:
    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if isinstance(value, str):  # a text cell: every other kind holds a number
        return value[: limits.MAX_TEXT_CHARS]
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if float(value).is_integer() else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate.xldate_as_datetime(value, datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return value
        return moment.date() if moment.hour == moment.minute == moment.second == 0 else moment
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return ErrorValue(xlrd.error_text_from_code.get(int(value), "#错误"))
    return None
