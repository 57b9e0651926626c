"""The 自查 sheet of the template: one row per cross-field rule, checked by spreadsheet formulas
while the unit types, so that most rule failures are mended before the return is sent.

Each rule's 结果 is 通过, 未通过, 未填写（暂不检查） (the pipeline skips a rule that needs a blank
indicator) or 由汇总单位审核 (a rule no formula can check exactly). The formulas come from
form/formula.py, which reads the rule's expression tree as the pipeline's evaluator does; the
pipeline itself never reads these cells. The input cells a failing rule names turn light red,
and the cover counts the failing rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.utility import xl_range_abs, xl_rowcol_to_cell

from pipeline.form.expr import Skip, evaluate
from pipeline.form.formula import (
    ColumnRange,
    LedgerRanges,
    NotExpressible,
    indicator_refs,
    rule_formula,
)
from pipeline.form.model import Form, Rule
from pipeline.publish import xlsx_style as styles

SELFCHECK_SHEET = "自查"
PASSED = "通过"
FAILED = "未通过"
SKIPPED = "未填写（暂不检查）"
NOT_A_FORMULA = "由汇总单位审核"
HEADERS = ("规则编号", "说明", "结果")
FIRST_ROW = 4  # 0-based row of the first rule, below the title, the note and the header
RESULT_COLUMN = 2
MESSAGE_WIDTH = 80
NOTE = (
    "本表按审核规则自动检查本报表，随填写即时更新，不需填写。“未通过”的规则涉及的指标单元格"
    "显示为浅红色，请核对后修改；“未填写（暂不检查）”表示规则涉及的指标尚未填写；"
    "“由汇总单位审核”的规则不能在表内检查，报送后由汇总单位审核。"
)
LIGHT_RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}


@dataclass(frozen=True, slots=True)
class CheckedRule:
    """A rule's row on the 自查 sheet: its formula (without '='), or why it has none."""

    rule: Rule
    formula: str = ""
    reason: str = ""


def compile_rules(form: Form, ledger_rows: dict[str, tuple[str, int, int]]) -> list[CheckedRule]:
    """Every cross-field rule with its formula or the reason it has none.

    `ledger_rows`: ledger id -> (sheet, first data row, last data row), 0-based; a ledger's
    columns run from column A in the definition's order. The ranges start at the header row,
    so rows inserted above the first data row are inside them, as they are inside the table.
    """
    names = indicator_refs(form)
    ledgers = {}
    for ledger in form.ledgers:
        if ledger.id not in ledger_rows:
            continue
        sheet, first, last = ledger_rows[ledger.id]
        columns = {
            column.key: ColumnRange(
                f"{_quoted(sheet)}!{xl_range_abs(first - 1, col, last, col)}",
                column.type,
                column.multi,
                column.label,
            )
            for col, column in enumerate(ledger.columns)
        }
        ledgers[ledger.id] = LedgerRanges(columns, header=True)
    checked = []
    for rule in form.rules:
        try:
            checked.append(CheckedRule(rule, formula=rule_formula(rule.expr, names, ledgers)))
        except NotExpressible as exc:
            checked.append(CheckedRule(rule, reason=exc.reason))
    return checked


def write_selfcheck(  # noqa: PLR0913 - the workbook, its sheets and the writer's maps
    workbook,
    ws,
    form: Form,
    places: dict[str, tuple[str, int, int]],
    ledger_rows: dict[str, tuple[str, int, int]],
    cover,
    cover_cell: tuple[int, int],
) -> None:
    """Write the 自查 sheet, colour the cells of failing rules and count them on the cover.

    `places`: indicator code -> (sheet, row, column) of its input cell, 0-based.
    """
    checked = compile_rules(form, ledger_rows)
    fmt = _Formats(workbook)
    ws.write_string(0, 0, SELFCHECK_SHEET, fmt.title)
    ws.merge_range(1, 0, 1, 2, NOTE, fmt.note)
    ws.set_row(1, styles.row_height((NOTE, MESSAGE_WIDTH + 28)))
    ws.write_row(FIRST_ROW - 1, 0, HEADERS, fmt.header)
    failed = 0
    for row, item in enumerate(checked, start=FIRST_ROW):
        ws.write_string(row, 0, item.rule.id, fmt.text)
        ws.write_string(row, 1, item.rule.message, fmt.text)
        # a margin: CJK glyphs render wider in LibreOffice than two width units
        height = styles.row_height((item.rule.message, MESSAGE_WIDTH - 12))
        if height:
            ws.set_row(row, height)
        if item.formula:
            shown = _blank_template_result(item.rule)
            failed += shown == FAILED
            formula = f'=IFERROR(IF({item.formula},"{PASSED}","{FAILED}"),"{SKIPPED}")'
            ws.write_formula(row, RESULT_COLUMN, formula, fmt.text, shown)
        else:
            ws.write_string(row, RESULT_COLUMN, NOT_A_FORMULA, fmt.later)
    last = FIRST_ROW + len(checked) - 1
    results = xl_range_abs(FIRST_ROW, RESULT_COLUMN, last, RESULT_COLUMN)
    ws.conditional_format(
        results, {"type": "cell", "criteria": "==", "value": f'"{FAILED}"', "format": fmt.red}
    )
    _mark_inputs(workbook, checked, places, fmt)
    _count_on_cover(cover, cover_cell, f"{_quoted(SELFCHECK_SHEET)}!{results}", failed, fmt)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, MESSAGE_WIDTH)
    ws.set_column(2, 2, 20)
    ws.freeze_panes(FIRST_ROW, 0)
    ws.protect()


class _Formats:
    def __init__(self, workbook) -> None:
        add = workbook.add_format
        self.title = add(styles.TITLE)
        self.note = add(styles.NOTE | {"text_wrap": True, "valign": "top"})
        self.header = add(styles.HEADER)
        self.text = add({"text_wrap": True, "valign": "top", "border": 1})
        self.later = add({"text_wrap": True, "valign": "top", "border": 1, "font_color": "#7F7F7F"})
        self.red = add(LIGHT_RED)
        self.alert = add({"bold": True, "font_color": "#C00000"})


def _blank_template_result(rule: Rule) -> str:
    """What the formula shows on the blank template, by the pipeline's own evaluator: the
    cached value a viewer that does not recalculate shows."""

    def blank(_code: str) -> object:
        raise Skip

    try:
        return PASSED if evaluate(rule.expr, blank, lambda _ledger: []) else FAILED
    except Skip:
        return SKIPPED


def _mark_inputs(
    workbook, checked: list[CheckedRule], places: dict[str, tuple[str, int, int]], fmt: _Formats
) -> None:
    """Light red on each indicator cell that a failing rule names."""
    rows_of: dict[str, list[int]] = {}
    for row, item in enumerate(checked, start=FIRST_ROW):
        if item.formula:
            for code in item.rule.expr.names:
                rows_of.setdefault(code, []).append(row)
    sheet = _quoted(SELFCHECK_SHEET)
    for code, rows in rows_of.items():
        if code not in places:
            continue
        name, row, col = places[code]
        tests = [
            f'{sheet}!{xl_rowcol_to_cell(r, RESULT_COLUMN, True, True)}="{FAILED}"' for r in rows
        ]
        criteria = tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"
        workbook.get_worksheet_by_name(name).conditional_format(
            row, col, row, col, {"type": "formula", "criteria": f"={criteria}", "format": fmt.red}
        )


def _count_on_cover(cover, cell: tuple[int, int], results: str, failed: int, fmt: _Formats) -> None:
    """自查未通过 N 项 on the cover, in red while N is not 0."""
    count = f'COUNTIF({results},"{FAILED}")'
    row, col = cell
    cover.write_formula(row, col, f'="自查未通过 "&{count}&" 项"', None, f"自查未通过 {failed} 项")
    cover.conditional_format(
        row, col, row, col, {"type": "formula", "criteria": f"={count}>0", "format": fmt.alert}
    )


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"
