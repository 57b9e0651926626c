"""I/O out: the sheets and 汇总 columns this round adds to the consolidated workbook.

Each function returns a `SheetExtra`: a callable that `write.write_consolidated` runs after
汇总 and 分单位 are written, with the writer (its workbook, formats and row map).
"""

from __future__ import annotations

from pipeline.combine.changes import UNASKED, Change
from pipeline.combine.compare import NEEDS_EXPLANATION, Comparison
from pipeline.combine.consolidate import Total
from pipeline.combine.levels import CutColumn
from pipeline.combine.reconcile import Check
from pipeline.combine.remind import Reminder
from pipeline.publish.consolidated import SheetExtra
from pipeline.publish.xlsx_style import print_setup, row_height

HEADER_ROW = 3  # 汇总's header row
REDEFINED = "口径变化（名称、计量单位或汇总方式与上期不同），不比较"
MESSAGE_WIDTH = 80  # the 催报 message column


def comparison_columns(comparison: Comparison) -> SheetExtra:
    """汇总 gains 上期, 增减, 增减% and 说明要求; indicators of one period only are listed."""

    def extra(writer) -> None:
        ws = writer.wb.get_worksheet_by_name("汇总")
        col = writer.summary_next_col
        percent = writer.wb.add_format({"num_format": "+0.0%;-0.0%;0.0%"})
        flag = writer.wb.add_format({"font_color": "#C00000", "bold": True})
        previous = comparison.previous
        headers = [f"上期（{previous.period}）", "增减", "增减%", "说明要求"]
        ws.write_row(HEADER_ROW, col, headers, writer.header)
        for code, row in writer.summary_rows.items():
            change = comparison.changes.get(code)
            if change is None:
                if code in comparison.new:
                    ws.write_string(row, col + 3, "上期无此指标")
                continue
            writer.write_value(ws, row, col, change.previous)
            writer.write_value(ws, row, col + 1, change.difference)
            if change.ratio is not None:
                ws.write_number(row, col + 2, change.ratio, percent)
            if change.flagged:
                ws.write_string(row, col + 3, NEEDS_EXPLANATION, flag)
            elif change.redefined:
                ws.write_string(row, col + 3, REDEFINED, flag)
        ws.write_string(
            1,
            col,
            f"与上期“{previous.file}”（表样版本 {previous.version}）比较："
            f"变化超过 ±{comparison.threshold:.0%} 的 {len(comparison.flagged)} 项指标需说明原因"
            + (
                f"；{len(comparison.redefined)} 项指标口径变化，不计算增减。"
                if comparison.redefined
                else "。"
            ),
            writer.note,
        )
        below = max(writer.summary_rows.values(), default=HEADER_ROW) + 2
        if comparison.dropped:
            ws.write_string(below, 1, "上期有、本期表样已取消的指标（未比较）：", writer.section)
            for offset, (code, label) in enumerate(comparison.dropped, start=1):
                ws.write_string(below + offset, 1, f"{code} {label}")
        for width, offset in ((16, 0), (10, 1), (10, 2), (10, 3)):
            ws.set_column(col + offset, col + offset, width)
        writer.summary_next_col = col + len(headers)

    return extra


def level_columns(
    columns: list[CutColumn], totals: list[dict[str, Total]], level: int
) -> SheetExtra:
    """汇总 cut at a level of the tree: one column per unit (alone, or with its subtree)."""

    def extra(writer) -> None:
        ws = writer.wb.get_worksheet_by_name("汇总")
        col = writer.summary_next_col
        ws.write_string(2, col, f"按第 {level} 级单位分列（各列之和等于合计）：", writer.note)
        for offset, (column, figures) in enumerate(zip(columns, totals, strict=True)):
            ws.write_string(HEADER_ROW, col + offset, column.label, writer.header)
            for code, row in writer.summary_rows.items():
                writer.write_value(ws, row, col + offset, figures[code].value)
            ws.set_column(col + offset, col + offset, 14)
        writer.summary_next_col = col + len(columns)

    return extra


def reconcile_sheet(checks: list[Check]) -> SheetExtra:
    def extra(writer) -> None:
        ws = writer.wb.add_worksheet("核对")
        differences = [c for c in checks if c.difference]
        ws.write_string(
            0, 0, "节点检查：上级合计 = 本级 + 下属单位之和；汇总数 = 台账行数", writer.title
        )
        verdict = (
            f"共核对 {len(checks)} 项，全部一致。"
            if not differences
            else f"共核对 {len(checks)} 项，其中 {len(differences)} 项不一致（列在最前，请核查）。"
        )
        ws.write_string(1, 0, verdict, writer.error if differences else writer.note)
        headers = [
            "检查类型",
            "范围",
            "指标编码",
            "指标名称",
            "汇总数",
            "明细合计",
            "差额",
            "明细合计口径",
            "结论",
        ]
        ws.write_row(3, 0, headers, writer.header)
        for row, check in enumerate(checks, start=4):
            ws.write_string(row, 0, check.kind)
            ws.write_string(row, 1, check.scope)
            ws.write_string(row, 2, check.code)
            ws.write_string(row, 3, check.label)
            ws.write_number(row, 4, check.figure)
            ws.write_number(row, 5, check.parts)
            ws.write_number(row, 6, check.difference, writer.error if check.difference else None)
            ws.write_string(row, 7, check.how)
            ws.write_string(
                row,
                8,
                "不一致" if check.difference else "一致",
                writer.error if check.difference else None,
            )
        ws.autofilter(3, 0, max(3 + len(checks), 4), len(headers) - 1)
        ws.freeze_panes(4, 0)
        for col, width in enumerate([10, 30, 26, 40, 10, 10, 8, 50, 8]):
            ws.set_column(col, col, width)
        print_setup(ws)

    return extra


def remind_sheet(found: list[Reminder]) -> SheetExtra:
    def extra(writer) -> None:
        ws = writer.wb.add_worksheet("催报")
        wrap = writer.wb.add_format({"text_wrap": True, "valign": "top"})
        top = writer.wb.add_format({"valign": "top"})
        ws.write_string(0, 0, "催报清单（未报送、退回修改、警告需说明的单位）", writer.title)
        ws.write_string(
            1,
            0,
            f"共 {len(found)} 个单位；“催报消息”可直接复制发送。同样内容另存为 催报清单.txt。",
            writer.note,
        )
        headers = [
            "单位编码",
            "单位名称",
            "上级单位",
            "情况",
            "文件名",
            "问题数",
            "联系人",
            "联系电话",
            "催报消息",
        ]
        ws.write_row(3, 0, headers, writer.header)
        for row, item in enumerate(found, start=4):
            values = [item.unit.code, item.unit.name, item.parent, item.situation, item.file]
            for col, value in enumerate(values):
                ws.write_string(row, col, value, top)
            ws.write_number(row, 5, len(item.problems), top)
            ws.write_string(row, 6, item.unit.contact, top)
            ws.write_string(row, 7, item.unit.phone, top)
            ws.write_string(row, 8, item.message, wrap)
            height = row_height((item.message, MESSAGE_WIDTH))
            if height:
                ws.set_row(row, height)
        ws.freeze_panes(4, 2)
        for col, width in enumerate([10, 28, 22, 12, 28, 8, 10, 14, MESSAGE_WIDTH]):
            ws.set_column(col, col, width)
        print_setup(ws)

    return extra


CHANGE_HEADERS = ["单位编码", "单位名称", "报送次数", "工作表", "单元格", "指标编码", "指标名称",
                  "原值", "新值", "类型"]  # fmt: skip
CHANGE_WIDTHS = [10, 26, 8, 20, 10, 24, 40, 24, 24, 14]


def changes_sheet(found: list[Change]) -> SheetExtra:
    """修改情况: one row per figure or ledger row a resubmission changed, typed by whether the
    clerk asked for it (未经要求的修改 first: those are the figures to ask the unit about)."""

    def extra(writer) -> None:
        ws = writer.wb.add_worksheet("修改情况")
        unasked = sum(1 for c in found if c.kind == UNASKED)
        units = len({c.unit_code for c in found})
        ws.write_string(0, 0, "重报修改情况（与该单位上次计入汇总的报表相比）", writer.title)
        ws.write_string(
            1, 0,
            f"{units} 个单位重报，共修改 {len(found)} 处，其中未经要求的修改 {unasked} 处"
            "（原来没有问题却改了的数字，请向该单位核实原因）。",
            writer.note,
        )  # fmt: skip
        ws.write_row(3, 0, CHANGE_HEADERS, writer.header)
        for row, change in enumerate(found, start=4):
            texts = [change.unit_code, change.unit_name]
            for col, value in enumerate(texts):
                ws.write_string(row, col, value)
            ws.write_number(row, 2, change.ordinal)
            rest = [change.sheet, change.cell, change.code, change.name, change.old, change.new]
            for col, value in enumerate(rest, start=3):
                ws.write_string(row, col, value)
            ws.write_string(row, 9, change.kind, writer.error if change.kind == UNASKED else None)
        ws.autofilter(3, 0, max(3 + len(found), 4), len(CHANGE_HEADERS) - 1)
        ws.freeze_panes(4, 2)
        for col, width in enumerate(CHANGE_WIDTHS):
            ws.set_column(col, col, width)
        print_setup(ws)

    return extra
