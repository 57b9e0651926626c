"""The consolidated workbook's 说明 sheet: the run, the files read and, generated from the
problem catalogue, what each code of 审核问题 means, in both of the writer's memory modes."""

from __future__ import annotations

import datetime as dt
import warnings

import openpyxl
import pytest

from pipeline.check.validate import validate
from pipeline.combine.consolidate import consolidate
from pipeline.core.catalogue import CODE_TABLE_HEADERS, ProblemCode, code_table
from pipeline.core.records import RawValue
from pipeline.publish import consolidated
from pipeline.publish.consolidated import write_consolidated
from pipeline.publish.consolidated_accounts import RunInfo
from tests.support.builders import raw_from_sample


@pytest.mark.parametrize("constant_memory", [False, True])
def test_about_sheet_explains_every_problem_code(
    form, registry, sample, tmp_path, monkeypatch, constant_memory
) -> None:
    if constant_memory:  # rows must then be written in order, or they are lost
        monkeypatch.setattr(consolidated, "CONSTANT_MEMORY_FROM", 0)
    subs = []
    for n, unit in enumerate(["LJ000", "LJ100", "LJ101"]):
        raw = raw_from_sample(form, sample(unit, n))
        raw.file = f"{unit}.xlsx"
        subs.append(validate(raw, form, registry))
    old = raw.values["EDU_CG_STUDY"]
    raw.values["EDU_CG_STUDY"] = RawValue("若干", old.sheet, old.cell)
    raw.file = "LJ101_错.xlsx"
    subs.append(validate(raw, form, registry))
    run = RunInfo(dt.datetime(2022, 7, 20, 9, 30), "收件箱", "units.xlsx")
    path = write_consolidated(
        tmp_path / "汇总.xlsx", form, registry, consolidate(subs, form, registry), subs, run
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path)
    rows = list(book["说明"].iter_rows(values_only=True))
    codes = [row[5:9] for row in rows if row[5] is not None]
    assert codes[0][0].startswith("问题代码说明")
    assert codes[1] == CODE_TABLE_HEADERS
    assert codes[2:] == code_table()
    files = [row[:4] for row in rows[9:] if row[0]]
    assert files[0] == ("文件名", "SHA-256", "单位编码", "状态")
    assert [row[0] for row in files[1:]] == [
        "LJ000.xlsx",
        "LJ100.xlsx",
        "LJ101.xlsx",
        "LJ101_错.xlsx",
    ]
    assert rows[0][:2] == ("表样标识", form.id)
    problems = list(book["审核问题"].iter_rows(min_row=2, values_only=True))
    assert [row[6] for row in problems] == [ProblemCode.VALUE_NOT_INTEGER.name]
