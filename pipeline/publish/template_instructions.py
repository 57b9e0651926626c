"""The template's 填报说明 sheet: the period, the instructions of the definition, and a row per
indicator (指标说明) and per ledger (台账说明, naming its personal-data columns)."""

from __future__ import annotations

from typing import Protocol

from pipeline.form.model import AGGREGATION_LABEL, Form
from pipeline.publish.xlsx_style import row_height

INSTRUCTION_CHARS_PER_LINE = 80  # Chinese characters across the merged instruction row
NUMBERED = set("一二三四五六七八九十")  # instruction lines that carry their own numbering
TYPE_LABEL = {"int": "整数", "text": "文字", "date": "日期", "bool": "是/否", "choice": "下拉选择"}


class Formats(Protocol):
    """The template writer's cell formats this sheet uses."""

    title: object
    subtitle: object
    header: object
    text: object
    wrapped: object


def write_instructions(ws, form: Form, formats: Formats) -> None:
    """The 填报说明 sheet: the period, the numbered instructions, then 指标说明 and 台账说明."""
    ws.write_string(0, 0, f"{form.title} 填报说明", formats.title)
    period = form.period
    ws.write_string(
        1, 0, f"报告期：{period.label}（{period.start} 至 {period.end}）", formats.subtitle
    )
    row = 3
    for number, line in enumerate(form.instructions, start=1):
        text = line if line[:1] in NUMBERED else f"{number}. {line}"
        ws.merge_range(row, 0, row, 7, text, formats.wrapped)
        fit_row(ws, row, (text, 2 * INSTRUCTION_CHARS_PER_LINE))
        row += 1
    row = _indicator_notes(ws, form, formats, row + 1)
    _ledger_notes(ws, form, formats, row + 2)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 6, 11)
    ws.set_column(7, 7, 60)
    ws.protect()


def _indicator_notes(ws, form: Form, formats: Formats, row: int) -> int:
    """指标说明: one row per indicator from `row`; the last row written."""
    ws.write_string(row, 0, "指标说明", formats.title)
    row += 1
    headers = ["指标编码", "指标名称", "计量单位", "填写类型", "是否必填", "汇总方式",
               "所在工作表", "说明"]  # fmt: skip
    ws.write_row(row, 0, headers, formats.header)
    for ind in form.indicators:
        row += 1
        required = "自动计算" if ind.derived else ("必填" if ind.required else "选填")
        sheet = form.section_of(ind.code).sheet
        values = [ind.code, ind.label, ind.unit, TYPE_LABEL[ind.type], required,
                  AGGREGATION_LABEL[ind.aggregation], sheet, ind.note]  # fmt: skip
        ws.write_row(row, 0, values, formats.text)
        fit_row(ws, row, (ind.label, 40), (ind.note, 60))
    return row


def _ledger_notes(ws, form: Form, formats: Formats, row: int) -> None:
    """台账说明: one row per ledger from `row`, naming its personal-data columns."""
    ws.write_string(row, 0, "台账说明", formats.title)
    for ledger in form.ledgers:
        row += 1
        pii = [c.label for c in ledger.columns if c.pii]
        note = ledger.note + (f"（{'、'.join(pii)}为个人信息，仅用于内部汇总）" if pii else "")
        ws.write_row(
            row, 0, [ledger.id, ledger.title, "", "", "", "", ledger.sheet, note], formats.text
        )
        fit_row(ws, row, (note, 60))


def fit_row(ws, row: int, *texts: tuple[str, int]) -> None:
    height = row_height(*texts)
    if height:
        ws.set_row(row, height)
