"""The consolidated workbook's account of the run: 审核问题 (every problem of every file, where
it is and what to do) and 说明 (the run, the files read with their sha256, and what each
problem code means)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.combine.changes import Place
from pipeline.core.catalogue import CODE_TABLE_HEADERS, SEVERITY_LABEL, code_table
from pipeline.core.problems import Problem
from pipeline.core.records import STATUS_LABEL, Submission
from pipeline.form.model import EXPLANATION_PREFIX, Form
from pipeline.form.registry import Registry
from pipeline.publish.xlsx_style import row_height, set_widths

EXPLANATION_CODE, EXPLANATION_LABEL = "变动说明", "说明"  # 问题代码 and 严重程度 of its row
CODES_TITLE = "问题代码说明（“审核问题”表中各问题代码的含义和处理办法）"
CODES_COLUMN = 5  # F: the code table of 说明, right of the file list
CODES_WIDTHS = (28, 12, 20, 60)


class AccountWriter(Protocol):
    """What these sheets use of the consolidated workbook's writer."""

    wb: Any  # xlsxwriter.Workbook
    header: Any  # its cell formats
    section: Any
    wrap: Any
    form: Form
    registry: Registry
    submissions: list[Submission]


@dataclass(frozen=True)
class RunInfo:
    started: dt.datetime
    inbox: str
    registry_file: str
    places: Mapping[str, Place] = field(default_factory=dict)  # sha256 -> 报送次数, 上次报送时间


def problems_sheet(writer: AccountWriter) -> None:
    ws = writer.wb.add_worksheet("审核问题")
    headers = [
        "单位编码",
        "单位名称",
        "文件名",
        "工作表",
        "单元格",
        "指标",
        "问题代码",
        "严重程度",
        "问题说明",
        "填写值",
    ]
    ws.write_row(0, 0, headers, writer.header)
    row = 1
    labels = {i.code: i.label for i in writer.form.indicators}
    for sub in writer.submissions:
        for problem in sub.problems:
            _problem_row(ws, row, sub, problem)
            row += 1
        for code, text in sub.explanations.items():  # the unit's word on a figure that moved
            _explanation_row(ws, row, sub, code, labels.get(code, code), text)
            row += 1
    ws.autofilter(0, 0, max(row - 1, 1), len(headers) - 1)
    ws.freeze_panes(1, 0)
    set_widths(ws, [10, 26, 30, 18, 8, 24, 22, 8, 70, 16])


def _problem_row(ws, row: int, sub: Submission, problem: Problem) -> None:
    values = [
        problem.unit,
        sub.unit_name,
        problem.file or sub.file,
        problem.sheet,
        problem.cell,
        problem.indicator,
        problem.code.name,
        SEVERITY_LABEL[problem.severity],
        problem.message,
        problem.value,
    ]
    for col, value in enumerate(values):
        ws.write_string(row, col, value)


def _explanation_row(  # noqa: PLR0913 - one row's cells
    ws, row: int, sub: Submission, code: str, label: str, text: str
) -> None:
    """A 变动说明 from a unit's own template: not a problem, listed with them so that who
    reviews a figure that moved against last period finds the unit's reason beside it."""
    sheet, cell = sub.cells.get(EXPLANATION_PREFIX + code, ("", ""))
    values = [sub.unit_code, sub.unit_name, sub.file, sheet, cell, code, EXPLANATION_CODE,
              EXPLANATION_LABEL, f"“{label}”与上期相比变动较大，单位说明：{text}", text]  # fmt: skip
    for col, value in enumerate(values):
        ws.write_string(row, col, value)


def about_sheet(writer: AccountWriter, run: RunInfo) -> None:
    """The run and the files read (columns A-D); at the right (F-I), what each problem
    code of 审核问题 means and how to fix it, from the catalogue. Rows are written in
    order: a large run writes the workbook in constant memory."""
    ws = writer.wb.add_worksheet("说明")
    period = writer.form.period
    lines = [
        ("表样标识", writer.form.id),
        ("表样版本", writer.form.version),
        ("表样名称", writer.form.title),
        ("报告期", f"{period.label}（{period.start} 至 {period.end}）"),
        ("汇总单位", writer.registry.root.name),
        ("收件文件夹", run.inbox),
        ("报送单位名单", run.registry_file),
        ("汇总时间", run.started.strftime("%Y-%m-%d %H:%M:%S")),
    ]
    rows: dict[int, list[tuple[int, Sequence[str], object]]] = defaultdict(list)
    for row, (key, value) in enumerate(lines):
        rows[row] += [(0, [key], writer.header), (1, [value], None)]
    rows[len(lines) + 1].append((0, ["文件名", "SHA-256", "单位编码", "状态"], writer.header))
    files = sorted(writer.submissions, key=lambda s: s.file)
    for row, sub in enumerate(files, start=len(lines) + 2):
        listed = [sub.file, sub.sha256, sub.unit_code, STATUS_LABEL[sub.status]]
        rows[row].append((0, listed, None))
    rows[0].append((CODES_COLUMN, [CODES_TITLE], writer.section))
    rows[1].append((CODES_COLUMN, CODE_TABLE_HEADERS, writer.header))
    heights: dict[int, float | None] = {}
    for row, entry in enumerate(code_table(), start=2):
        rows[row].append((CODES_COLUMN, entry, writer.wrap))
        heights[row] = row_height((entry[-1], CODES_WIDTHS[-1]))
    for row in sorted(rows):
        if heights.get(row):
            ws.set_row(row, heights[row])
        for col, texts, fmt in rows[row]:
            ws.write_row(row, col, texts, fmt)
    set_widths(ws, [16, 66, 12, 16, 2, *CODES_WIDTHS])
