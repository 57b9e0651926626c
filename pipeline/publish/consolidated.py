"""I/O out: the consolidated workbook. Text from inputs is always written as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import xlsxwriter

from pipeline.combine.changes import Place
from pipeline.combine.consolidate import UNIT_COLUMNS, Consolidation
from pipeline.combine.select import counting
from pipeline.core.files import atomic_output
from pipeline.core.records import STATUS_LABEL, Status, Submission
from pipeline.form.model import AGGREGATION_LABEL, Form, Indicator
from pipeline.form.registry import Registry
from pipeline.publish import xlsx_style as styles
from pipeline.publish.consolidated_accounts import RunInfo, about_sheet, problems_sheet
from pipeline.publish.xlsx_style import (
    FIXED_CREATED,
    WORKBOOK_OPTIONS,
    ValueFormats,
    print_setup,
    set_widths,
    write_cell,
)

MISSING = "未报送"
CONSTANT_MEMORY_FROM = 2000  # returns; below this the default (faster) mode is used


# A sheet (or columns of 汇总) added by another module after 汇总 and 分单位 are written.
SheetExtra = Callable[["_Writer"], None]


def consolidated_filename(form: Form) -> str:
    return f"{form.period.label}_{form.title}_汇总.xlsx"


def write_consolidated(  # noqa: PLR0913 - an entry point: the file, the definition, the run's results, extra sheets
    path: Path,
    form: Form,
    registry: Registry,
    result: Consolidation,
    submissions: list[Submission],
    run: RunInfo,
    extras: Sequence[SheetExtra] = (),
) -> Path:
    with atomic_output(path) as tmp:
        options = dict(WORKBOOK_OPTIONS)
        if len(submissions) > CONSTANT_MEMORY_FROM:
            # Stream rows to disk instead of holding every cell: a 10,000-unit run would
            # otherwise keep millions of cells in memory. Every sheet is written in row order.
            options["constant_memory"] = True
        workbook = xlsxwriter.Workbook(str(tmp), options)
        workbook.set_properties(
            {"title": f"{form.title} 汇总", "created": FIXED_CREATED, "author": ""}
        )
        writer = _Writer(workbook, form, registry, result, submissions)
        writer.places = run.places
        writer.summary()
        writer.by_unit()
        for extra in extras:
            extra(writer)
        for ledger in form.ledgers:
            writer.ledger(ledger)
        writer.status()
        problems_sheet(writer)
        about_sheet(writer, run)
        for name in ("汇总", "报送情况", "审核问题", "说明"):
            print_setup(workbook.get_worksheet_by_name(name))
        workbook.close()
    return path


class _Writer:
    def __init__(
        self,
        wb,
        form: Form,
        registry: Registry,
        result: Consolidation,
        submissions: list[Submission],
    ):
        self.wb, self.form, self.registry, self.result = wb, form, registry, result
        self.submissions = submissions
        self.places: Mapping[str, Place] = {}  # sha256 -> 报送次数, 上次报送时间 (archive)
        add = wb.add_format
        self.title = add(styles.TITLE)
        self.note = add(styles.NOTE)
        self.header = add(styles.HEADER | {"align": "center"})
        self.section = add(styles.SECTION)
        self.number = add({"num_format": "#,##0"})
        self.subtotal = add(styles.TOTAL | {"num_format": "#,##0"})
        self.date = add({"num_format": "yyyy-mm-dd"})
        self.datetime = add({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.formats = ValueFormats(self.number, self.date, self.datetime)
        self.error = add({"font_color": "#C00000"})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.summary_rows: dict[str, int] = {}  # indicator code -> row of 汇总, for extras
        self.summary_next_col = 0  # first free column of 汇总, for extras

    # 汇总

    def summary(self) -> None:
        ws = self.wb.add_worksheet("汇总")
        ws.write_string(0, 0, f"{self.form.title}（{self.form.period.label}）汇总", self.title)
        accepted = len(self.result.units)
        ws.write_string(
            1,
            0,
            f"已接收 {accepted} 个单位的报表，报送单位共 {len(self.registry.units)} 个。"
            "有错误的报表不计入合计。",
            self.note,
        )
        headers = [
            "指标编码",
            "指标名称",
            "计量单位",
            "合计",
            "填报单位数",
            "汇总方式",
            "备注",
            "模板位置",
        ]
        ws.write_row(3, 0, headers, self.header)
        row = 4
        for section in self.form.consolidated_sections:
            ws.merge_range(row, 0, row, len(headers) - 1, section.title, self.section)
            row += 1
            for ind in section.indicators:
                total = self.result.totals[ind.code]
                ws.write_string(row, 0, ind.code)
                ws.write_string(row, 1, ind.label)
                ws.write_string(row, 2, ind.unit)
                self.write_value(ws, row, 3, total.value)
                ws.write_number(row, 4, total.reporting, self.number)
                ws.write_string(row, 5, AGGREGATION_LABEL[ind.aggregation])
                ws.write_string(row, 6, total.note)
                ws.write_string(row, 7, f"{section.sheet}!{self._template_cell(ind.code)}")
                self.summary_rows[ind.code] = row
                row += 1
        ws.autofilter(3, 0, row - 1, len(headers) - 1)
        ws.freeze_panes(4, 2)
        set_widths(ws, [28, 46, 9, 12, 11, 10, 30, 26])
        self.summary_next_col = len(headers)

    def _template_cell(self, code: str) -> str:
        for sub in self.submissions:
            if code in sub.cells:
                return sub.cells[code][1]
        return ""

    # 分单位

    def by_unit(self) -> None:
        ws = self.wb.add_worksheet("分单位")
        indicators = self.form.consolidated_indicators  # the matrix's columns, in order
        first_data_col = 3
        ws.write_string(0, 0, "单位", self.header)
        col = first_data_col
        for section in self.form.consolidated_sections:
            width = len(section.indicators)
            if width > 1:
                ws.merge_range(0, col, 0, col + width - 1, section.title, self.header)
            else:
                ws.write_string(0, col, section.title, self.header)
            col += width
        ws.write_row(1, 0, ["单位编码", "单位名称", "报送状态"], self.header)
        ws.write_row(1, first_data_col, [i.code for i in indicators], self.header)
        ws.write_row(2, 0, ["", "", ""], self.header)
        ws.write_row(
            2,
            first_data_col,
            [heading(i) for i in indicators],
            self.header,
        )
        status = self._unit_status()
        row = 3
        matrix = self.result.matrix
        by_code = dict(zip(matrix.index, matrix.to_numpy().tolist(), strict=True))
        parents_open: list[tuple[str, int]] = []
        tree = self.registry.tree_order()
        for unit, depth in tree:
            while parents_open and parents_open[-1][1] >= depth:
                row = self._subtotal_row(ws, row, parents_open.pop()[0], first_data_col)
            ws.write_string(row, 0, unit.code)
            ws.write_string(row, 1, tree_label(unit.name, depth))
            ws.write_string(row, 2, status.get(unit.code, MISSING))
            for offset, value in enumerate(by_code.get(unit.code, ())):
                if value is not None:
                    self.write_value(ws, row, first_data_col + offset, value)
            row += 1
            if self.registry.children(unit.code):
                parents_open.append((unit.code, depth))
        while parents_open:
            row = self._subtotal_row(ws, row, parents_open.pop()[0], first_data_col)
        ws.freeze_panes(3, 2)
        ws.autofilter(2, 0, row - 1, first_data_col + len(indicators) - 1)
        set_widths(ws, [10, 30, 14] + [12] * len(indicators))

    def _subtotal_row(self, ws, row: int, parent: str, first_col: int) -> int:
        totals = self.result.subtotals[parent]
        ws.write_string(row, 0, parent, self.subtotal)
        ws.write_string(row, 1, subtotal_label(self.registry, parent), self.subtotal)
        ws.write_string(row, 2, "", self.subtotal)
        for offset, ind in enumerate(self.form.consolidated_indicators):
            self.write_value(ws, row, first_col + offset, totals[ind.code].value, self.subtotal)
        return row + 1

    def _unit_status(self) -> dict[str, str]:
        return {code: STATUS_LABEL[s.status] for code, s in counting(self.submissions).items()}

    # Ledgers

    def ledger(self, ledger) -> None:
        ws = self.wb.add_worksheet(ledger.sheet)
        frame = self.result.ledgers[ledger.id]
        headers = UNIT_COLUMNS + [c.label for c in ledger.columns]
        ws.write_row(0, 0, headers, self.header)
        for row, record in enumerate(frame.itertuples(index=False, name=None), start=1):
            for col, value in enumerate(record):
                if value is not None:
                    self.write_value(ws, row, col, value)
        last_row = max(len(frame), 1)
        ws.autofilter(0, 0, last_row, len(headers) - 1)
        ws.freeze_panes(1, 2)
        set_widths(
            ws, [10, 26, 22, 30, 18] + [max(10, min(30, len(h) * 2 + 4)) for h in headers[5:]]
        )

    # 报送情况

    def status(self) -> None:
        ws = self.wb.add_worksheet("报送情况")
        headers = [
            "单位编码",
            "单位名称",
            "上级单位",
            "报送状态",
            "文件名",
            "填报日期",
            "文件修改时间",
            "错误数",
            "警告数",
            "说明",
            "填报人",
            "联系电话",
            "报送次数",
            "上次报送时间",
        ]
        ws.write_row(0, 0, headers, self.header)
        row = 1
        by_unit: dict[str, list[Submission]] = {}
        for sub in self.submissions:
            by_unit.setdefault(sub.unit_code, []).append(sub)
        for unit, _ in self.registry.tree_order():
            parent = self.registry.unit(unit.parent).name if unit.parent else ""
            subs = sorted(by_unit.get(unit.code, []), key=lambda s: s.status is Status.SUPERSEDED)
            if not subs:
                ws.write_row(row, 0, [unit.code, unit.name, parent, MISSING], None)
                ws.write_string(row, 9, "未收到本单位报表，请催报", self.error)
                ws.write_string(row, 10, unit.contact)
                ws.write_string(row, 11, unit.phone)
                row += 1
            for sub in subs:
                row = self._status_row(ws, row, unit.code, unit.name, parent, sub)
        for sub in by_unit.get("", []):
            row = self._status_row(ws, row, "", "（未能识别单位）", "", sub)
        ws.autofilter(0, 0, max(row - 1, 1), len(headers) - 1)
        ws.freeze_panes(1, 2)
        set_widths(ws, [10, 30, 24, 16, 36, 12, 20, 8, 8, 60, 10, 14, 9, 20])

    def _status_row(self, ws, row: int, code: str, name: str, parent: str, sub: Submission) -> int:
        for col, value in enumerate([code, name, parent, STATUS_LABEL[sub.status], sub.file]):
            ws.write_string(row, col, value)
        self.write_value(ws, row, 5, sub.submitted)
        ws.write_datetime(
            row, 6, dt.datetime.fromtimestamp(sub.mtime).replace(microsecond=0), self.datetime
        )
        ws.write_number(row, 7, sub.errors)
        ws.write_number(row, 8, sub.warnings)
        ws.write_string(row, 9, sub.reason, self.error if sub.errors else None)
        for col, code_ in ((10, "FILLER"), (11, "FILLER_PHONE")):
            self.write_value(ws, row, col, sub.values.get(code_))
        place = self.places.get(sub.sha256)
        if place is not None:
            ws.write_number(row, 12, place.ordinal)
            ws.write_string(row, 13, place.previous)
        return row + 1

    # Cells

    def write_value(self, ws, row: int, col: int, value: object, fmt=None) -> None:
        """Write a value of any type as its type (text always as text)."""
        write_cell(ws, row, col, value, fmt, self.formats)


def heading(ind: Indicator) -> str:
    """An indicator's column heading in 分单位: label and unit of measure."""
    return f"{ind.label}（{ind.unit}）" if ind.unit else ind.label


def tree_label(name: str, depth: int) -> str:
    """A unit's name indented (full-width spaces) by its depth in the registry."""
    return "　" * depth + name


def subtotal_label(registry: Registry, parent: str) -> str:
    if parent == registry.root.code:
        return "合计（全系统）"
    return f"小计：{registry.unit(parent).name}（含下属）"
