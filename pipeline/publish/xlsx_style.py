"""What every workbook the pipeline writes shares: xlsxwriter options that keep text as text,
a pinned creation date, cell formats, print setup, and row heights for wrapped text
(spreadsheet programs do not grow row heights when they open a file)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

FIXED_CREATED = dt.datetime(2022, 1, 1)  # pinned so the same definition gives the same file
# Nothing from an input may become a formula, a link or a number in our outputs.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


TITLE = {"bold": True, "font_size": 14}
NOTE = {"italic": True, "font_color": "#595959"}
HEADER = {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"}
SECTION = {"bold": True, "bg_color": "#F2F2F2"}
TOTAL = {"bold": True, "bg_color": "#E2EFDA"}


def print_setup(ws) -> None:
    """A4 landscape, one page wide: the sheets are printed and signed in offices."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


LINE_HEIGHT = 15  # points per wrapped line


def display_width(text: str) -> int:
    """Width in column units: a Chinese character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def row_height(*texts: tuple[str, int]) -> float | None:
    """Height for a row whose (text, column width) pairs wrap; None when one line fits."""
    lines = max(display_width(text) // max(width - 2, 1) + 1 for text, width in texts)
    return LINE_HEIGHT * lines if lines > 1 else None


EXCEL_MAX_TEXT = 32767  # characters per cell


@dataclass(frozen=True)
class ValueFormats:
    """The formats a value gets by its type when the caller gives none (xlsxwriter formats)."""

    number: object = None
    date: object = None
    datetime: object = None


def write_cell(
    ws, row: int, col: int, value: object, fmt=None, formats: ValueFormats = ValueFormats()
) -> None:
    """One value as its own type: numbers as numbers, dates as dates, everything else as text
    (never a formula). `formats` are used when `fmt` is None."""
    number, date, datetime = formats.number, formats.date, formats.datetime
    kind = type(value)
    if kind is int or kind is float:  # most cells: checked first
        ws.write_number(row, col, value, fmt or number)
    elif type(value) is str:
        ws.write_string(row, col, value[:EXCEL_MAX_TEXT], fmt)
    elif value is None:
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt or number)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value, fmt or datetime)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt or date)
    elif isinstance(value, tuple | list):
        ws.write_string(row, col, "、".join(str(v) for v in value)[:EXCEL_MAX_TEXT], fmt)
    else:
        ws.write_string(row, col, str(value)[:EXCEL_MAX_TEXT], fmt)


def set_widths(ws, widths: Sequence[int]) -> None:
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
