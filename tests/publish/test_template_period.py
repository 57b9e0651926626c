"""A template for any period (issue 12): the preset period cells, the dates that must lie in the
period validated as they are typed, the file name, and the 法定标识 on every sheet a unit fills."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pipeline.form.load import load_form
from pipeline.publish.template import write_template
from tests.support.paths import FORM_PATH
from tests.support.workbooks import named_cell, opened

PERIOD = "2026年第三季度"


@pytest.fixture(scope="module")
def quarter(registry, tmp_path_factory) -> tuple[object, Path]:
    form = load_form(FORM_PATH, PERIOD)
    return form, write_template(form, registry, tmp_path_factory.mktemp("quarter"))


def named(book, name: str):
    return named_cell(book, name).value


def test_the_period_cells_and_file_name_follow_the_period(quarter) -> None:
    form, path = quarter
    assert PERIOD in path.name
    book = opened(path)
    assert named(book, "PERIOD") == PERIOD and named(book, "PERIOD_TYPE") == "第三季度"
    assert named(book, "PERIOD_START") == dt.datetime(2026, 7, 1)
    assert named(book, "PERIOD_END") == dt.datetime(2026, 9, 30)
    assert "报告期为2026年第三季度（2026-07-01至2026-09-30）" in str(book["填报说明"]["A4"].value)


def test_dates_that_must_lie_in_the_period_are_validated_against_it(quarter) -> None:
    form, path = quarter
    book = opened(path)
    checked = 0
    for ledger in form.ledgers:
        ws = book[ledger.sheet]
        for number, column in enumerate(ledger.columns):
            if not column.in_period:
                continue
            letter = openpyxl.utils.get_column_letter(number + 1)
            rule = next(dv for dv in ws.data_validations.dataValidation
                        if f"{letter}4" in dv.sqref)  # fmt: skip
            assert rule.type == "date" and rule.operator in (None, "between")  # the default
            assert (float(rule.formula1), float(rule.formula2)) == (46204.0, 46295.0)  # 7-1, 9-30
            assert "2026-07-01 至 2026-09-30" in rule.prompt
            checked += 1
    assert checked >= 10


def test_the_legal_marks_head_the_cover_and_every_section_sheet(quarter) -> None:
    form, path = quarter
    book = opened(path)
    assert form.legal is not None
    for section in form.sections:
        ws = book[section.sheet]
        top = " ".join(str(c.value) for row in ws.iter_rows(max_row=3) for c in row if c.value)
        for line in form.legal.lines():
            assert line in top, (section.sheet, line)
