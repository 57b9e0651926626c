"""What a unit's own template adds to the generic one: its code and name preset and locked,
its contact prefilled, the unit it was made for named on the cover, and, when the archive
holds the unit's return for the previous period, that period's figures beside this one's
(上期, grey), a 需说明 mark where a figure moves more than the definition's threshold, and a
变动说明 cell for the reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from pipeline.form.model import EXPLANATION_PREFIX, Form, Indicator
from pipeline.form.registry import Unit

NEEDS_EXPLANATION = "需说明"
INPUT_COLUMN, PREVIOUS_COLUMN, MARK_COLUMN, EXPLAIN_COLUMN = 4, 6, 7, 8


@dataclass(frozen=True)
class UnitCopy:
    """One unit's own template: the unit, and the figures of its counted return for the
    previous period of the same kind when the archive holds one (previous_period "" if not)."""

    unit: Unit
    previous_period: str = ""
    previous: Mapping[str, object] = field(default_factory=dict)  # code -> value


@dataclass(frozen=True)
class CoverPresets:
    fixed: dict[str, str]  # written as preset, locked (单位编码, 单位名称)
    filled: dict[str, object]  # written into the input cell, still editable


def cover_presets(copy: UnitCopy | None, form: Form) -> CoverPresets:
    """The generic template presets nothing; a unit's own its identity, its contact from the
    registry and last period's 基本情况 counts (在职人数…: they rarely change)."""
    if copy is None:
        return CoverPresets({}, {})
    unit = copy.unit
    filled: dict[str, object] = {"FILLER": unit.contact, "FILLER_PHONE": unit.phone}
    for ind in form.cover_counts.indicators:
        if isinstance(copy.previous.get(ind.code), int):
            filled[ind.code] = copy.previous[ind.code]
    return CoverPresets({"UNIT_CODE": unit.code, "UNIT_NAME": unit.name}, filled)


class PreviousColumns:
    """上期, 变动 and 变动说明 beside every whole-number figure of a section sheet."""

    def __init__(self, workbook: xlsxwriter.Workbook, copy: UnitCopy, form: Form) -> None:
        self.wb, self.copy, self.threshold = workbook, copy, form.compare_threshold
        add = workbook.add_format
        self.header = add({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                           "valign": "vcenter", "align": "center"})  # fmt: skip
        self.previous = add({"bg_color": "#EDEDED", "font_color": "#595959", "border": 1})
        self.mark = add({"font_color": "#C00000", "bold": True, "border": 1, "align": "center"})
        self.explain = add({"locked": False, "border": 1, "text_wrap": True, "valign": "top"})
        self.wanted = add({"bg_color": "#F8CBAD"})

    def write(self, ws, rows: list[tuple[int, Indicator]]) -> int:
        """The three columns for `rows` ((row, indicator) of the sheet); the last column."""
        label = f"上期（{self.copy.previous_period}）"
        headers = (label, "变动", f"变动说明（变动超过 ±{self.threshold:.0%} 时填写）")
        ws.write_row(3, PREVIOUS_COLUMN, headers, self.header)
        for row, ind in rows:
            if ind.type != "int":
                continue
            self._figure(ws, row, ind)
        ws.set_column(PREVIOUS_COLUMN, PREVIOUS_COLUMN, 14)
        ws.set_column(MARK_COLUMN, MARK_COLUMN, 8)
        ws.set_column(EXPLAIN_COLUMN, EXPLAIN_COLUMN, 36)
        return EXPLAIN_COLUMN

    def _figure(self, ws, row: int, ind: Indicator) -> None:
        value = self.copy.previous.get(ind.code)
        if isinstance(value, int):
            ws.write_number(row, PREVIOUS_COLUMN, value, self.previous)
        else:
            ws.write_blank(row, PREVIOUS_COLUMN, None, self.previous)
        now, before = (xl_rowcol_to_cell(row, c) for c in (INPUT_COLUMN, PREVIOUS_COLUMN))
        moved = f"IF({before}=0,{now}<>0,ABS({now}-{before})>{self.threshold}*{before})"
        mark = f'=IF(OR({now}="",{before}=""),"",IF({moved},"{NEEDS_EXPLANATION}",""))'
        ws.write_formula(row, MARK_COLUMN, mark, self.mark, "")  # blank now: no mark
        ws.write_blank(row, EXPLAIN_COLUMN, None, self.explain)
        explain = xl_rowcol_to_cell(row, EXPLAIN_COLUMN)
        ws.data_validation(row, EXPLAIN_COLUMN, row, EXPLAIN_COLUMN, {
            "validate": "any", "input_title": "变动说明",
            "input_message": f"“{ind.label}”与上期相比变动超过 ±{self.threshold:.0%} 时，"
                             "请简要说明原因（汇总单位审核时会看到）"[:255],
        })  # fmt: skip
        mark_cell = xl_rowcol_to_cell(row, MARK_COLUMN)
        ws.conditional_format(explain, {
            "type": "formula", "format": self.wanted,
            "criteria": f'=AND({mark_cell}="{NEEDS_EXPLANATION}",{explain}="")',
        })  # fmt: skip
        sheet = ws.get_name().replace("'", "''")
        self.wb.define_name(
            EXPLANATION_PREFIX + ind.code,
            f"='{sheet}'!{xl_rowcol_to_cell(row, EXPLAIN_COLUMN, True, True)}",
        )
