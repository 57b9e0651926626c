"""The template contract that outside tools rely on, checked on the generated workbook."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest

from pipeline.publish.template import CODE_LIST_SHEET, template_filename, write_template
from tests.support.paths import ROOT


@pytest.fixture(scope="module")
def workbook(template: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(template)


def named_cell(workbook, name: str):
    defined = workbook.defined_names[name]  # workbook scope, not sheet scope
    sheet, ref = next(iter(defined.destinations))
    return workbook[sheet], workbook[sheet][ref.replace("$", "")]


def has_validation(ws, coordinate: str) -> bool:
    return any(coordinate in dv.sqref for dv in ws.data_validations.dataValidation)


def test_every_input_indicator_has_a_named_unlocked_validated_cell(form, workbook) -> None:
    preset = {"PERIOD", "PERIOD_TYPE", "PERIOD_START", "PERIOD_END"}
    for ind in form.indicators:
        if ind.derived or ind.code in preset:
            continue
        ws, cell = named_cell(workbook, ind.code)
        assert cell.protection.locked is False, ind.code
        assert has_validation(ws, cell.coordinate), ind.code
        assert ws.protection.sheet, f"{ws.title} is not protected"


def test_derived_totals_are_locked_formulas_over_their_parts(form, workbook) -> None:
    derived = [i for i in form.indicators if i.derived]
    assert derived
    for ind in derived:
        _, cell = named_cell(workbook, ind.code)
        assert cell.protection.locked is not False
        assert cell.value == "=" + "+".join(ind.parts)


def test_cover_and_form_identity_names(form, workbook) -> None:
    for name in ("UNIT_CODE", "UNIT_NAME", "PERIOD", "FILLER", "FILLER_PHONE", "SUBMIT_DATE"):
        assert name in workbook.defined_names, name
    assert named_cell(workbook, "FORM_ID")[1].value == form.id
    assert named_cell(workbook, "FORM_VERSION")[1].value == form.version
    assert named_cell(workbook, "PERIOD")[1].value == form.period.label


def test_every_ledger_is_a_named_table_with_its_headers(form, workbook) -> None:
    tables = {t.name: (ws, t) for ws in workbook.worksheets for t in ws.tables.values()}
    for ledger in form.ledgers:
        ws, table = tables[ledger.id]
        first = ws[table.ref.split(":")[0]]
        headers = [ws.cell(first.row, first.column + n).value for n in range(len(ledger.columns))]
        assert headers == [c.label for c in ledger.columns]
        # Rows below the header are empty in the file: Excel, WPS and LibreOffice give empty
        # cells their column's format, which must be unlocked.
        for n in range(len(ledger.columns)):
            index = first.column + n
            dim = next(d for d in ws.column_dimensions.values() if d.min <= index <= d.max)
            assert workbook._protections[dim._style.protectionId].locked is False, (ledger.id, n)


def test_unit_dropdown_lists_the_registry(registry, workbook) -> None:
    ws, cell = named_cell(workbook, "UNIT_NAME")
    rule = next(dv for dv in ws.data_validations.dataValidation if cell.coordinate in dv.sqref)
    assert rule.type == "list" and CODE_LIST_SHEET in rule.formula1
    codes = workbook[CODE_LIST_SHEET]
    column = next(col for col in codes.iter_cols() if col[0].value == "UNITS")
    listed = [c.value for c in column[1:] if c.value is not None]
    assert listed == [u.name for u in registry.units]
    assert codes.sheet_state == "hidden"


def test_instructions_state_the_counting_rules(form, workbook) -> None:
    """The 填报说明 sheet carries every counting rule of the definition, word for word (who
    counts a meeting, 本级 only, 0 versus blank, no * masks...), each once."""
    cells = [str(c.value) for row in workbook["填报说明"].iter_rows() for c in row if c.value]
    for rule in form.instructions:
        assert sum(rule in cell for cell in cells) == 1, rule[:20]
    text = "\n".join(cells)
    for phrase in ("参加上级或其他单位组织的会议、活动不计数", "一律按“本级”口径填报",
                   "本期未发生的填“0”", "不得填写 * 号"):  # fmt: skip
        assert phrase in text


def test_committed_template_is_up_to_date(form, registry, tmp_path) -> None:
    committed = ROOT / "input_templates" / template_filename(form)
    fresh = write_template(form, registry, tmp_path)
    assert committed.read_bytes() == fresh.read_bytes(), "run `make template` and commit"
