"""Fill copies of a template in LibreOffice through its UNO bridge, as a person would, and read
what its 自查 sheet shows after LibreOffice recalculated.

Run with the system Python that has Debian's python3-uno (not the project's virtualenv):
    /usr/bin/python3 tests/support/uno_fill.py < jobs.json > results.json
One LibreOffice (own profile, headless) does every job. The input is one JSON object:

    {"template": "/abs/template.xlsx",
     "read": {"sheet": "自查", "first_row": 4, "id_column": 0, "result_column": 2,
              "cover": ["封面", "A3"]},
     "jobs": [{"out": "/abs/filled.xlsx" or null,
               "steps": [{"names": {"CODE": 3, "SUBMIT_DATE": {"date": "2022-07-05"},
                                    "OTHER": null}},
                         {"ledger": "DISC_CASES", "at": 0, "rows": [["王芳", null, …], …]},
                         {"insert": "DISC_CASES", "at": 2, "count": 3}]}]}

Each job starts from the template. Steps run in order: `names` types values into the cells of
defined names (null clears), `ledger` types rows into a table from its data row `at` (0 = the
first row under the header; values in column order, null for an empty cell), `insert` inserts
blank rows into a table above its data row `at` (the sheet's protection, which has no password,
is lifted first, as a unit would). Then LibreOffice recalculates, the job's 自查 results and the
cover cell are read, and the workbook is saved as .xlsx to `out`. Prints a JSON list, one entry
per job: {"results": {"V08": "通过", …}, "cover": "自查未通过 0 项",
"tables": {"DISC_CASES": [first row, last row]}} (0-based, header included, after the steps).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import uno
from uno_open import _property, office  # the same directory: run as a script

EXCEL_EPOCH = dt.date(1899, 12, 30)
XLSX_FILTER = "Calc Office Open XML"


def _cell_value(value: object) -> object:
    """What setDataArray takes for a value typed: a number, a text, "" for an empty cell."""
    if value is None:
        return ""  # setDataArray leaves a cell given "" empty, as clearing it does
    if isinstance(value, dict):
        return float((dt.date.fromisoformat(value["date"]) - EXCEL_EPOCH).days)
    if isinstance(value, bool):
        raise ValueError("a truth value: type 是 or 否")
    if isinstance(value, int | float):
        return float(value)
    return str(value)


def _table(document, name: str):
    return document.DatabaseRanges.getByName(name).DataArea


class _Names:
    """Where each defined name's cell is: (sheet, column, row). Every UNO call is a round trip
    to the office (about a millisecond), so the template's places are looked up once and
    reused by every job that has inserted no rows yet."""

    def __init__(self) -> None:
        self.template: dict[str, tuple[int, int, int]] = {}

    def place(self, document, code: str, live: bool) -> tuple[int, int, int]:
        if live or code not in self.template:
            address = document.NamedRanges.getByName(code).getReferredCells().RangeAddress
            found = (address.Sheet, address.StartColumn, address.StartRow)
            if live:
                return found
            self.template[code] = found
        return self.template[code]


def _type_names(document, names: dict, places: _Names, live: bool) -> None:
    """Values into the cells of defined names, one setDataArray per run of adjacent cells."""
    cells = sorted((places.place(document, code, live), value) for code, value in names.items())
    runs: list[list] = []
    for (sheet, col, row), value in cells:
        last = runs[-1] if runs else None
        if last and (last[0], last[1], last[2] + len(last[3])) == (sheet, col, row):
            last[3].append(value)
        else:
            runs.append([sheet, col, row, [value]])
    for sheet, col, row, values in runs:
        target = document.Sheets.getByIndex(sheet)
        block = target.getCellRangeByPosition(col, row, col, row + len(values) - 1)
        block.setDataArray(tuple((_cell_value(v),) for v in values))


def _step(document, step: dict, places: _Names, live: bool) -> None:
    if "names" in step:
        _type_names(document, step["names"], places, live)
    elif "ledger" in step:
        area = _table(document, step["ledger"])
        rows = step["rows"]
        if not rows:
            return
        sheet = document.Sheets.getByIndex(area.Sheet)
        top = area.StartRow + 1 + step["at"]
        width = max(len(row) for row in rows)
        block = sheet.getCellRangeByPosition(
            area.StartColumn, top, area.StartColumn + width - 1, top + len(rows) - 1
        )
        block.setDataArray(
            tuple(
                tuple(_cell_value(v) for v in [*row, *[None] * (width - len(row))]) for row in rows
            )
        )
    elif "insert" in step:
        area = _table(document, step["insert"])
        sheet = document.Sheets.getByIndex(area.Sheet)
        sheet.unprotect("")
        sheet.Rows.insertByIndex(area.StartRow + 1 + step["at"], step["count"])
    else:
        raise ValueError(f"unknown step {sorted(step)}")


def _read(document, read: dict) -> dict:
    sheet = document.Sheets.getByName(read["sheet"])
    first, left, right = read["first_row"], read["id_column"], read["result_column"]
    # One call for the whole block (a round trip per cell would cost a millisecond each).
    block = sheet.getCellRangeByPosition(min(left, right), first, max(left, right), first + 9999)
    results = {}
    for row in block.getDataArray():
        rule = row[left - min(left, right)]
        if not rule:
            break
        results[str(rule)] = str(row[right - min(left, right)])
    cover_sheet, cover_cell = read["cover"]
    cover = document.Sheets.getByName(cover_sheet).getCellRangeByName(cover_cell).getString()
    return {"results": results, "cover": cover}


def _run(desktop, template_url: str, job: dict, read: dict, places: _Names) -> dict:
    document = desktop.loadComponentFromURL(template_url, "_blank", 0, (_property("Hidden", True),))
    try:
        # One recalculation once everything is typed, not one per block typed.
        document.enableAutomaticCalculation(False)
        inserted = False
        for step in job["steps"]:
            _step(document, step, places, inserted)
            inserted = inserted or "insert" in step
        document.calculateAll()
        found = _read(document, read)
        tables = {s["insert"] for s in job["steps"] if "insert" in s}
        found["tables"] = {
            name: [_table(document, name).StartRow, _table(document, name).EndRow]
            for name in tables
        }
        if job.get("out"):
            url = uno.systemPathToFileUrl(os.path.abspath(job["out"]))
            document.storeToURL(url, (_property("FilterName", XLSX_FILTER),))
        return found
    finally:
        document.close(True)


def main() -> None:
    request = json.load(sys.stdin)
    with office("fill") as desktop:
        url = uno.systemPathToFileUrl(os.path.abspath(request["template"]))
        places = _Names()
        answers = [_run(desktop, url, job, request["read"], places) for job in request["jobs"]]
        print(json.dumps(answers, ensure_ascii=False))


if __name__ == "__main__":
    main()
