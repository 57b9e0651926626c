"""I/O out: the shareable copy (脱敏) of the consolidated workbook, for circulation.

What it leaves out or masks, following §5.5 of the indicator reference:
- every personal-data (`pii`) column of the definition shows `***`;
- in ledgers that hold personal data, the other free-text columns (职务, 事由, 主题, 决定机关…)
  are dropped, since they identify people as well as a name does;
- per-unit figures of sanctions (处分, 组织处理, 问责, 四种形态, 八项规定, 线索) of 1 or 2 are shown
  as “<3” (small-cell suppression) in 分单位, subtotals included;
- contact fields (填报人, 联系电话, registry contacts), file names (units name files after
  people) and the 审核问题 sheet (it quotes the values found) are not copied;
- it has no hidden sheets, no comments and no defined names of its own.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from pipeline.combine.consolidate import Consolidation, ledger_records
from pipeline.combine.select import counting
from pipeline.core.files import atomic_output
from pipeline.core.records import STATUS_LABEL, Submission
from pipeline.form.model import AGGREGATION_LABEL, ORIGIN_UNIT_COLUMN, Form, Indicator, Ledger
from pipeline.form.registry import Registry
from pipeline.publish import xlsx_style as styles
from pipeline.publish.consolidated import heading, subtotal_label, tree_label
from pipeline.publish.xlsx_style import (
    FIXED_CREATED,
    WORKBOOK_OPTIONS,
    ValueFormats,
    print_setup,
    write_cell,
)

MASK = "***"
SMALL = "<3"
SMALL_CELLS = (1, 2)
SANCTION_PREFIXES = ("DISC_", "ORGH_", "ACCT_", "FORM_", "EPR_", "CLUE_")


def share_filename(form: Form) -> str:
    return f"{form.period.label}_{form.title}_汇总_脱敏.xlsx"


def is_sanction(ind: Indicator) -> bool:
    return ind.code.startswith(SANCTION_PREFIXES)


def shared_columns(ledger: Ledger) -> list:
    """The ledger columns kept in the shared copy (pii ones are kept, masked)."""
    has_pii = any(c.pii for c in ledger.columns)
    return [
        c
        for c in ledger.columns
        if c.pii or not has_pii or c.type != "text" or c.key == ORIGIN_UNIT_COLUMN
    ]


def suppress(value: object) -> object:
    return SMALL if isinstance(value, int) and value in SMALL_CELLS else value


def write_share(
    path: Path,
    form: Form,
    registry: Registry,
    result: Consolidation,
    submissions: list[Submission],
) -> Path:
    with atomic_output(path, private=False) as tmp:  # shareable: no personal data
        workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        workbook.set_properties(
            {"title": f"{form.title} 汇总（脱敏）", "created": FIXED_CREATED, "author": ""}
        )
        writer = _ShareWriter(workbook, form, registry, result)
        writer.about()
        writer.summary()
        writer.by_unit()
        for ledger in form.ledgers:
            writer.ledger(ledger)
        writer.status(submissions)
        for ws in workbook.worksheets():
            print_setup(ws)
        workbook.close()
    return path


class _ShareWriter:
    def __init__(self, wb, form: Form, registry: Registry, result: Consolidation):
        self.wb, self.form, self.registry, self.result = wb, form, registry, result
        self.title = wb.add_format(styles.TITLE)
        self.note = wb.add_format(styles.NOTE)
        self.header = wb.add_format(styles.HEADER)
        self.total = wb.add_format(styles.TOTAL)
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.right = wb.add_format({"align": "right"})

    def about(self) -> None:
        ws = self.wb.add_worksheet("说明")
        lines = [
            f"{self.form.title}（{self.form.period.label}）汇总 —— 脱敏版，可对外共享",
            f"汇总单位：{self.registry.root.name}；表样 {self.form.id} 版本 {self.form.version}",
            "个人信息（姓名、人员标识、被反映人、列席人姓名、谈话对象姓名）一律以“***”代替；",
            "含个人信息的台账不保留职务、事由、主题等文字栏；",
            f"分单位的处分、组织处理、问责、四种形态、八项规定、问题线索数为 1 或 2 的显示为“{SMALL}”；",
            "不含填报人、联系电话、来源文件名和审核问题明细。内部核对请使用未脱敏的汇总表。",
        ]
        ws.write_string(0, 0, lines[0], self.title)
        for row, line in enumerate(lines[1:], start=2):
            ws.write_string(row, 0, line)
        ws.set_column(0, 0, 100)

    def summary(self) -> None:
        ws = self.wb.add_worksheet("汇总")
        headers = ["指标编码", "指标名称", "计量单位", "合计", "填报单位数", "汇总方式"]
        ws.write_row(0, 0, headers, self.header)
        row = 1
        for section in self.form.consolidated_sections:
            ws.write_string(row, 0, section.title, self.total)
            row += 1
            for ind in section.indicators:
                total = self.result.totals[ind.code]
                for col, value in enumerate([ind.code, ind.label, ind.unit]):
                    ws.write_string(row, col, value)
                self._value(ws, row, 3, total.value)
                ws.write_number(row, 4, total.reporting)
                ws.write_string(row, 5, AGGREGATION_LABEL[ind.aggregation])
                row += 1
        ws.freeze_panes(1, 2)
        for col, width in enumerate([28, 46, 9, 12, 11, 10]):
            ws.set_column(col, col, width)

    def by_unit(self) -> None:
        ws = self.wb.add_worksheet("分单位")
        indicators = self.form.consolidated_indicators
        ws.write_row(0, 0, ["单位编码", "单位名称"], self.header)
        ws.write_row(0, 2, [heading(i) for i in indicators], self.header)
        row = 1
        matrix = self.result.matrix
        for unit, depth in self.registry.tree_order():
            ws.write_string(row, 0, unit.code)
            ws.write_string(row, 1, tree_label(unit.name, depth))
            if unit.code in matrix.index:
                for col, ind in enumerate(indicators, start=2):
                    self._unit_value(ws, row, col, ind, matrix.at[unit.code, ind.code])
            else:
                ws.write_string(row, 2, "未报送")
            row += 1
        root = self.registry.root.code
        for parent, totals in self.result.subtotals.items():
            ws.write_string(row, 0, parent, self.total)
            ws.write_string(row, 1, subtotal_label(self.registry, parent), self.total)
            for col, ind in enumerate(indicators, start=2):
                value = totals[ind.code].value
                if parent == root:  # the system total is published anyway (汇总, report)
                    self._value(ws, row, col, value, self.total)
                else:
                    self._unit_value(ws, row, col, ind, value, self.total)
            row += 1
        ws.freeze_panes(1, 2)
        ws.set_column(0, 0, 10)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 1 + len(indicators), 12)

    def _unit_value(self, ws, row: int, col: int, ind: Indicator, value: object, fmt=None) -> None:
        shown = suppress(value) if is_sanction(ind) else value
        if shown == SMALL:
            ws.write_string(row, col, SMALL, fmt or self.right)
        else:
            self._value(ws, row, col, shown, fmt)

    def ledger(self, ledger: Ledger) -> None:
        ws = self.wb.add_worksheet(ledger.sheet)
        columns = shared_columns(ledger)
        ws.write_row(0, 0, ["单位编码", "单位名称"] + [c.label for c in columns], self.header)
        frame = self.result.ledgers[ledger.id]
        for row, record in enumerate(ledger_records(frame), start=1):
            ws.write_string(row, 0, record["单位编码"])
            ws.write_string(row, 1, record["单位名称"])
            for col, column in enumerate(columns, start=2):
                value = record.get(column.key)
                if column.pii and value not in (None, ""):
                    value = MASK
                self._value(ws, row, col, value)
        ws.freeze_panes(1, 2)
        ws.set_column(0, 0, 10)
        ws.set_column(1, 1, 26)
        ws.set_column(2, 1 + len(columns), 16)

    def status(self, submissions: list[Submission]) -> None:
        ws = self.wb.add_worksheet("报送情况")
        ws.write_row(0, 0, ["单位编码", "单位名称", "上级单位", "报送状态"], self.header)
        status = {code: STATUS_LABEL[s.status] for code, s in counting(submissions).items()}
        for row, (unit, _) in enumerate(self.registry.tree_order(), start=1):
            parent = self.registry.by_code(unit.parent)
            ws.write_row(
                row,
                0,
                [
                    unit.code,
                    unit.name,
                    parent.name if parent else "",
                    status.get(unit.code, "未报送"),
                ],
            )
        for col, width in enumerate([10, 30, 26, 16]):
            ws.set_column(col, col, width)

    def _value(self, ws, row: int, col: int, value: object, fmt=None) -> None:
        write_cell(ws, row, col, value, fmt, ValueFormats(date=self.date, datetime=self.date))
