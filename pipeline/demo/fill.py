"""Fill a copy of the generated template as a unit would (openpyxl), for the demo and tests.

Values are placed by defined name and ledger rows into the named tables, exactly where a
person typing into the template would put them.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import get_column_letter

from pipeline.core.cells import area
from pipeline.form.model import Form

Values = Mapping[str, object]
LedgerRows = Mapping[str, Sequence[Mapping[str, object]]]  # ledger id -> rows by column key


def fill_return(
    form: Form,
    template: Path,
    out: Path,
    values: Values,
    ledgers: LedgerRows | None = None,
    literal_text: bool = False,
) -> Path:
    """`literal_text`: store text that starts with “=” as text, not as a formula (outputs
    built from inputs, such as the 上报 return, must never turn a unit's text into a formula).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(template)
    for code, value in values.items():
        defined = workbook.defined_names[code]
        sheet, ref = next(iter(defined.destinations))
        cell = workbook[sheet][ref.replace("$", "")]
        cell.value = _cell_value(value)
        _keep_text(cell, literal_text)
    tables = {t.name: (ws, t) for ws in workbook.worksheets for t in ws.tables.values()}
    for ledger_id, rows in (ledgers or {}).items():
        ws, table = tables[ledger_id]
        labels = {c.key: c.label for c in form.ledger(ledger_id).columns}
        _fill_table(
            ws, table, [{labels[k]: v for k, v in row.items()} for row in rows], literal_text
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out


def _fill_table(
    ws, table, rows: Sequence[Mapping[str, object]], literal_text: bool = False
) -> None:
    corners = area(table.ref)
    if corners is None:
        raise ValueError(f"table {table.name} has no area")
    min_row, min_col, max_row, max_col = corners
    header = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    for offset, row in enumerate(rows, start=1):
        for label, value in row.items():
            cell = ws.cell(min_row + offset, header[label])
            cell.value = _cell_value(value)
            _keep_text(cell, literal_text)
    last = min_row + len(rows)
    if last > max_row:  # a unit typing below the table makes Excel extend it
        table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{last}"
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref


def _keep_text(cell, literal_text: bool) -> None:
    if literal_text and isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"


def _cell_value(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    return value
