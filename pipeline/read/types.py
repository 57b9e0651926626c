"""What a reader hands over (WorkbookData), and how it says a file cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field

Cell = tuple[int, int]  # 1-based (row, column)


class ReadError(Exception):
    """The file cannot be read; the message is the Chinese reason for the clerk and unit."""


@dataclass
class WorkbookData:
    """What a reader found: names, tables and the cells it was asked for."""

    names: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # name -> sheet, row, col
    tables: dict[str, tuple[str, int, int, int, int]] = field(
        default_factory=dict
    )  # id -> sheet, r1, c1, r2, c2
    cells: dict[str, dict[Cell, object]] = field(default_factory=dict)  # sheet -> cell -> value
    complete: bool = False  # every cell of every sheet was read (fallback is possible)
    holds_tables: bool = True  # the format can store Excel tables (a legacy .xls cannot)
