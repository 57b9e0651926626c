"""Find the form's values in a workbook's cells. Pure: readers hand over plain data.

Values are located by defined name and ledgers by table, which survive inserted rows, moved
blocks and renamed sheets. When a workbook has lost them the template's own layout is the
fallback: the indicator-code column on the statistics sheets, the label column on the cover,
and the ledger header row. Other programs lose them in different ways (Gnumeric keeps the
names but drops the tables when it saves .xlsx; values pasted into a fresh workbook lose
both), so each fallback used adds one warning saying which loss happened, and the values
read are those of the original. A legacy .xls cannot hold tables at all: finding its
ledgers by header row is the normal way to read it, and says nothing.
"""

from __future__ import annotations

from pipeline.core.catalogue import ProblemCode
from pipeline.core.cells import a1, column_letters, column_number
from pipeline.core.problems import make_problem
from pipeline.core.records import RawLedger, RawSubmission, RawValue
from pipeline.form.model import IDENTITY_LABELS, Form, Ledger
from pipeline.read.types import WorkbookData

EMITS = (ProblemCode.NAMES_LOST, ProblemCode.TABLES_LOST)

Area = tuple[str, int, int, int, int]  # sheet, first row, first column, last row, last column

# Rows of a ledger table in the template below its header (template.LEDGER_ROWS; a test
# keeps the two equal). A ledger found by its header row is read as that table would be:
# blank rows inside it are skipped, below it rows continue until the first blank one.
TEMPLATE_LEDGER_ROWS = 500


def extract(data: WorkbookData, form: Form, raw: RawSubmission) -> None:
    """Fill `raw.values` and `raw.ledgers` from the workbook data."""
    for name, (sheet, row, col) in data.names.items():
        value = data.cells.get(sheet, {}).get((row, col))
        raw.values[name] = RawValue(value, sheet, a1(row, col))
    if data.complete and _names_lost(data, form):
        raw.values.update(_values_by_layout(data, form))
        if "FORM_ID" in raw.values:
            raw.problems.append(make_problem(ProblemCode.NAMES_LOST))
    found = _ledgers_by_header(data, form)
    for ledger in form.ledgers:
        where = data.tables.get(ledger.id) or found.get(ledger.id)
        if where is not None:
            raw.ledgers[ledger.id] = _ledger(data, ledger.id, where)
    if found and data.holds_tables and "FORM_ID" in raw.values:  # else: not our form at all
        raw.problems.append(make_problem(ProblemCode.TABLES_LOST))


def _names_lost(data: WorkbookData, form: Form) -> bool:
    return "FORM_ID" not in data.names or not any(i.code in data.names for i in form.indicators)


# Ledgers


def _ledger(data: WorkbookData, ledger_id: str, where: Area) -> RawLedger:
    sheet, top, left, bottom, right = where
    cells = data.cells.get(sheet, {})
    columns: dict[str, str] = {}
    for col in range(left, right + 1):
        label = cells.get((top, col))
        if isinstance(label, str) and label.strip() and label.strip() not in columns:
            columns[label.strip()] = column_letters(col)
    letters = {label: column_number(letter) for label, letter in columns.items()}
    wanted = set(letters.values())
    filled = sorted({row for (row, col) in cells if row > top and col in wanted})
    rows = []
    expected = bottom + 1  # below the table, rows continue only while none is blank
    for row in filled:
        if row > bottom:
            if row != expected:
                break
            expected += 1
        values = {label: cells.get((row, col)) for label, col in letters.items()}
        if all(_blank(v) for v in values.values()):
            if row > bottom:
                break
            continue
        rows.append((row, values))
    return RawLedger(ledger_id, sheet, columns, tuple(rows))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _ledgers_by_header(data: WorkbookData, form: Form) -> dict[str, Area]:
    """Where each ledger without its table is, by its header row: a row holding every label
    of the ledger. Its own sheet (ledger.sheet) is looked at first; a ledger whose sheet was
    renamed is looked for on the sheets that no other ledger owns, in workbook order, so two
    ledgers with the same labels are never read from one sheet. The area found is the
    template's table below that header."""
    missing = [ledger for ledger in form.ledgers if ledger.id not in data.tables]
    if not missing:
        return {}
    headers = _header_rows(data, {c.label for ledger in missing for c in ledger.columns})
    owned = {ledger.sheet for ledger in form.ledgers} | {w[0] for w in data.tables.values()}
    found: dict[str, Area] = {}
    for ledger in missing:
        where = _header_on(headers.get(ledger.sheet, {}), ledger, ledger.sheet)
        if where is not None:
            found[ledger.id] = where
    for ledger in missing:
        if ledger.id in found:
            continue
        taken = owned | {w[0] for w in found.values()}
        for sheet in (s for s in data.cells if s not in taken):
            where = _header_on(headers.get(sheet, {}), ledger, sheet)
            if where is not None:
                found[ledger.id] = where
                break
    return found


def _header_rows(data: WorkbookData, labels: set[str]) -> dict[str, dict[int, dict[str, int]]]:
    """sheet -> row -> {label: column} for every cell whose text is one of the labels (one
    pass over the cells for all the ledgers)."""
    rows: dict[str, dict[int, dict[str, int]]] = {}
    for sheet, cells in data.cells.items():
        for (row, col), value in cells.items():
            if isinstance(value, str) and value.strip() in labels:
                found = rows.setdefault(sheet, {}).setdefault(row, {})
                found.setdefault(value.strip(), col)
    return rows


def _header_on(rows: dict[int, dict[str, int]], ledger: Ledger, sheet: str) -> Area | None:
    wanted = {c.label for c in ledger.columns}
    for row in sorted(rows):
        columns = [col for label, col in rows[row].items() if label in wanted]
        if len(columns) == len(wanted):
            return sheet, row, min(columns), row + TEMPLATE_LEDGER_ROWS, max(columns)
    return None


# Values by the template's layout


def _values_by_layout(data: WorkbookData, form: Form) -> dict[str, RawValue]:
    """Indicator codes in a column, the value under the "填报值" header of that sheet; cover
    labels with the value beside them."""
    codes = {i.code for i in form.indicators}
    labels = {i.label: i.code for i in form.cover.indicators}
    labels.update({label: name for name, label in IDENTITY_LABELS.items()})
    found: dict[str, RawValue] = {}
    for sheet, cells in data.cells.items():
        headers = {v.strip(): c for (_, c), v in cells.items() if isinstance(v, str)}
        value_col = headers.get("填报值")  # statistics sheets: 指标编码 … 填报值
        is_cover = "填写内容" in headers  # the cover: 项目 | 填写内容
        for (row, col), value in cells.items():
            if not isinstance(value, str):
                continue
            text = value.strip().removesuffix("（必填）")
            if text in codes and value_col is not None and text not in found:
                found[text] = RawValue(cells.get((row, value_col)), sheet, a1(row, value_col))
            elif is_cover and text in labels and labels[text] not in found:
                found[labels[text]] = RawValue(cells.get((row, col + 1)), sheet, a1(row, col + 1))
    return found
