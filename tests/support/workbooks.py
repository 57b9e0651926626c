"""Reading a workbook back in a test: openpyxl without its warnings about our validations,
and the cell a defined name points to."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl


def opened(path: Path, data_only: bool = False) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # data validation extensions openpyxl does not read
        return openpyxl.load_workbook(path, data_only=data_only)


def named_cell(book: openpyxl.Workbook, name: str):
    """The cell the workbook-level name `name` points to."""
    sheet, ref = next(iter(book.defined_names[name].destinations))
    return book[sheet][ref.replace("$", "")]
