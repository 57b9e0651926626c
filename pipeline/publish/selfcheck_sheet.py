"""The 自查 sheet of the template: one row per cross-field rule, computed by spreadsheet
formulas while the unit types. (Being written: issue 12.)"""

from __future__ import annotations

from pipeline.form.model import Form

SELFCHECK_SHEET = "自查"


def write_selfcheck(  # noqa: PLR0913 - the workbook, its sheets and the writer's maps
    workbook,
    ws,
    form: Form,
    places: dict[str, tuple[str, int, int]],
    ledger_rows: dict[str, tuple[str, int, int]],
    cover,
    cover_cell: tuple[int, int],
) -> None:
    ws.write_string(0, 0, "自查")
