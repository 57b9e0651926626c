"""Write the unit template workbook from the form definition and the registry.

Contract kept here (outside tools rely on it): every indicator's input cell carries a
workbook-level defined name equal to its code; FORM_ID and FORM_VERSION are defined names;
each ledger is an Excel table named after its ledger id.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from pipeline.core.filenames import output_file_name
from pipeline.core.files import atomic_output
from pipeline.form.model import (
    BOOL_CHOICES,
    IDENTITY_LABELS,
    PRESET_COVER,
    TEMPLATE_UNIT,
    Column,
    Form,
    Indicator,
    Ledger,
    choices_for,
)
from pipeline.form.registry import Registry, Unit
from pipeline.publish import xlsx_style as styles
from pipeline.publish.selfcheck_sheet import SELFCHECK_SHEET, write_selfcheck
from pipeline.publish.template_inputs import in_period, validation
from pipeline.publish.template_instructions import fit_row, write_instructions
from pipeline.publish.template_unit import (
    PreviousColumns,
    UnitCopy,
    cover_presets,
)
from pipeline.publish.xlsx_style import FIXED_CREATED, WORKBOOK_OPTIONS, print_setup

CODE_LIST_SHEET = "代码表"
INSTRUCTIONS_SHEET = "填报说明"
# Pre-made, unlocked rows per ledger table: a protected sheet cannot grow a table.
LEDGER_ROWS = 500
INPUT_COLUMN = 4  # column E on statistics sheets


def template_filename(form: Form, unit: Unit | None = None) -> str:
    """The generic template's name, or a unit's own: <单位编码>_<单位名称>_<报告期>.xlsx."""
    if unit is not None:
        return output_file_name(f"{unit.code}_{unit.name}_{form.period.label}", ".xlsx")
    return f"{form.title}（{form.period.label}）.xlsx"


def write_template(
    form: Form, registry: Registry, folder: Path, copy: UnitCopy | None = None
) -> Path:
    """The template for every unit, or (`copy`) one unit's own."""
    path = Path(folder) / template_filename(form, copy.unit if copy else None)
    # The generic template holds no personal data; a unit's own holds its contact person.
    with atomic_output(path, private=copy is not None) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        workbook.set_properties({"title": form.title, "created": FIXED_CREATED, "author": ""})
        _TemplateWriter(workbook, form, registry, copy).write()
        workbook.close()
    return path


def template_formulas(form: Form) -> dict[tuple[str, str], str]:
    """Every formula a template of `form` holds, generic or a unit's own, (sheet, cell) ->
    formula text as written (without '='): a feedback copy keeps exactly these and turns any
    other formula into its value. Computed once per form, by the writer itself, in memory."""
    key = id(form)
    if key not in _FORMULAS or _FORMULAS[key][0] is not form:
        found: dict[tuple[str, str], str] = {}
        sample = UnitCopy(Unit("", "", "", "", ""), previous_period="上期")  # with 上期 columns
        for copy in (None, sample):
            # Never closed: nothing is written anywhere; the cells stay in the writer's tables.
            workbook = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
            _TemplateWriter(workbook, form, Registry(()), copy).write()
            for ws in workbook.worksheets():
                for row, cells in ws.table.items():
                    for col, cell in cells.items():
                        if type(cell).__name__ == "Formula":
                            found[(ws.get_name(), xl_rowcol_to_cell(row, col))] = cell.formula
        _FORMULAS[key] = (form, found)
    return _FORMULAS[key][1]


_FORMULAS: dict[int, tuple[Form, dict[tuple[str, str], str]]] = {}


class _TemplateWriter:
    def __init__(
        self, workbook: xlsxwriter.Workbook, form: Form, registry: Registry, copy: UnitCopy | None
    ):
        self.wb, self.form, self.registry, self.copy = workbook, form, registry, copy
        add = workbook.add_format
        self.title = add(styles.TITLE)
        self.subtitle = add(styles.NOTE)
        self.header = add(styles.HEADER)
        self.group = add(styles.SECTION)
        self.text = add({"text_wrap": True, "valign": "top", "border": 1})
        self.wrapped = add({"text_wrap": True, "valign": "top"})
        self.code = add({"font_color": "#7F7F7F", "border": 1, "valign": "top"})
        self.input = add({"locked": False, "bg_color": "#FFF2CC", "border": 1})
        self.input_date = add(
            {"locked": False, "bg_color": "#FFF2CC", "border": 1, "num_format": "yyyy-mm-dd"}
        )
        self.preset = add({"bg_color": "#EDEDED", "border": 1})
        self.preset_date = add({"bg_color": "#EDEDED", "border": 1, "num_format": "yyyy-mm-dd"})
        self.derived = add(styles.TOTAL | {"border": 1})
        self.ledger_cell = add({"locked": False})
        self.ledger_date = add({"locked": False, "num_format": "yyyy-mm-dd"})
        self.legal = add({"font_size": 9, "font_color": "#595959", "align": "right"})
        self.list_ranges: dict[str, str] = {}
        # Where each input went, for the sheets that refer to them (自查):
        # indicator code -> (sheet, row, column); ledger id -> (sheet, first data row, last row)
        self.places: dict[str, tuple[str, int, int]] = {}
        self.ledger_rows: dict[str, tuple[str, int, int]] = {}
        self.previous = (
            PreviousColumns(workbook, copy, form) if copy and copy.previous_period else None
        )

    def write(self) -> None:
        instructions = self.wb.add_worksheet(INSTRUCTIONS_SHEET)
        sheets = [self.wb.add_worksheet(s.sheet) for s in self.form.sections]
        ledgers = [self.wb.add_worksheet(lg.sheet) for lg in self.form.ledgers]
        selfcheck = self.wb.add_worksheet(SELFCHECK_SHEET)
        codes = self.wb.add_worksheet(CODE_LIST_SHEET)
        self._write_code_lists(codes)
        write_instructions(instructions, self.form, self)
        self._write_cover(sheets[0])
        for ws, section in zip(sheets[1:], self.form.statistics_sections, strict=True):
            self._write_section(ws, section)
        for ws, ledger in zip(ledgers, self.form.ledgers, strict=True):
            self._write_ledger(ws, ledger)
        write_selfcheck(self.wb, selfcheck, self.form, self.places, self.ledger_rows,
                        cover=sheets[0], cover_cell=(2, 0))  # fmt: skip
        sheets[0].activate()
        for ws in self.wb.worksheets():
            print_setup(ws)

    # Code lists

    def _write_code_lists(self, ws) -> None:
        lists = dict(self.form.code_lists)
        lists["是否"] = BOOL_CHOICES
        if self.copy is None:  # a unit's own file carries no list of the other units
            for name in ("UNITS", "UNITS_CODE"):
                lists[name] = choices_for(self.form, name, self.registry)
        for col, (name, choices) in enumerate(lists.items()):
            ws.write_string(0, col, name, self.header)
            for row, choice in enumerate(choices, start=1):
                ws.write_string(row, col, choice)
            first = xl_rowcol_to_cell(1, col, row_abs=True, col_abs=True)
            last = xl_rowcol_to_cell(max(len(choices), 1), col, row_abs=True, col_abs=True)
            self.list_ranges[name] = f"={quote_sheetname(CODE_LIST_SHEET)}!{first}:{last}"
            ws.set_column(col, col, 16)
        ws.protect()
        ws.hide()

    def _list_source(self, item: Indicator | Column) -> str:
        """The dropdown's source range, for a choice or yes/no item ("" otherwise)."""
        if item.type not in ("choice", "bool"):
            return ""
        return self.list_ranges["是否" if item.type == "bool" else item.choices]

    # Cover

    def _write_cover(self, ws) -> None:
        section = self.form.cover
        ws.write_string(0, 0, self.form.title, self.title)
        owner = f"本表为“{self.copy.unit.name}”专用。" if self.copy else ""
        ws.write_string(
            1, 0, f"{owner}请填写黄色单元格；灰色单元格为本期统一设置，不需填写。", self.subtitle
        )
        ws.write_row(3, 0, ["项目", "填写内容", "说明"], self.header)
        row = 4
        presets = cover_presets(self.copy, self.form)
        for ind in section.indicators:
            ws.write_string(row, 0, ind.label + ("（必填）" if ind.required else ""), self.text)
            if ind.code in PRESET_COVER:
                self._write_preset(ws, row, 1, ind)
            elif ind.code in presets.fixed:
                ws.write_string(row, 1, presets.fixed[ind.code], self.preset)
            else:
                self._write_input(ws, row, 1, ind, presets.filled.get(ind.code))
            ws.write_string(row, 2, ind.note or "", self.text)
            fit_row(ws, row, (ind.note, 50))
            self.wb.define_name(ind.code, self._ref(ws, row, 1))
            self.places[ind.code] = (ws.get_name(), row, 1)
            row += 1
        row += 1
        marks = [("FORM_ID", self.form.id), ("FORM_VERSION", self.form.version)]
        if self.copy is not None:  # which unit this file was made for (a return says so)
            marks.append((TEMPLATE_UNIT, self.copy.unit.code))
        for name, value in marks:
            ws.write_string(row, 0, IDENTITY_LABELS[name], self.subtitle)
            ws.write_string(row, 1, value, self.subtitle)
            self.wb.define_name(name, self._ref(ws, row, 1))
            row += 1
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 36)
        ws.set_column(2, 2, 50)
        self._write_legal_marks(ws, 2)
        ws.protect()

    def _write_preset(self, ws, row: int, col: int, ind: Indicator) -> None:
        period = self.form.period
        value = {
            "PERIOD": period.label,
            "PERIOD_TYPE": period.type,
            "PERIOD_START": period.start,
            "PERIOD_END": period.end,
        }[ind.code]
        if isinstance(value, dt.date):
            ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), self.preset_date)
        else:
            ws.write_string(row, col, value, self.preset)

    # Statistics sections

    def _write_section(self, ws, section) -> None:
        ws.write_string(0, 0, section.title, self.title)
        ws.write_string(
            1,
            0,
            f"报告期：{self.form.period.label}。黄色单元格填写阿拉伯数字，未发生填 0；"
            "绿色为自动计算的合计，不需填写。",
            self.subtitle,
        )
        ws.write_row(
            3, 0, ["序号", "指标编码", "指标名称", "计量单位", "填报值", "说明"], self.header
        )
        row, group, rows = 4, "", []
        for number, ind in enumerate(section.indicators, start=1):
            if ind.group and ind.group != group:
                group = ind.group
                ws.merge_range(row, 0, row, 5, group, self.group)
                row += 1
            ws.write_number(row, 0, number, self.code)
            ws.write_string(row, 1, ind.code, self.code)
            ws.write_string(row, 2, ind.label, self.text)
            ws.write_string(row, 3, ind.unit, self.text)
            if ind.derived:
                formula = "=" + "+".join(ind.parts)
                ws.write_formula(row, INPUT_COLUMN, formula, self.derived, 0)
            else:
                self._write_input(ws, row, INPUT_COLUMN, ind)
            ws.write_string(row, 5, ind.note, self.text)
            fit_row(ws, row, (ind.label, 46), (ind.note, 50))
            self.wb.define_name(ind.code, self._ref(ws, row, INPUT_COLUMN))
            self.places[ind.code] = (ws.get_name(), row, INPUT_COLUMN)
            rows.append((row, ind))
            row += 1
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 2, 46)
        ws.set_column(3, 3, 9)
        ws.set_column(4, 4, 14)
        ws.set_column(5, 5, 50)
        last = 5
        if self.previous is not None:
            last = self.previous.write(ws, rows)
        self._write_legal_marks(ws, last)
        ws.freeze_panes(4, 0)
        ws.protect()

    def _write_legal_marks(self, ws, col: int) -> None:
        """法定标识 in the top rows of the sheet's last column (as printed forms carry them in
        the upper right corner): 表号 and 制定机关, 批准 (备案) 机关 and 文号, 有效期至."""
        legal = self.form.legal
        if legal is None:
            return
        number, maker, approver, approval, until = legal.lines()
        for row, text in enumerate((f"{number}　{maker}", f"{approver}　{approval}", until)):
            ws.write_string(row, col, text, self.legal)

    def _write_input(self, ws, row: int, col: int, ind: Indicator, value: object = None) -> None:
        fmt = self.input_date if ind.type == "date" else self.input
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, int | float):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
        ws.data_validation(
            row,
            col,
            row,
            col,
            validation(ind.type, ind.label, ind.min, ind.max, ind.note, self._list_source(ind)),
        )

    # Ledgers

    def _write_ledger(self, ws, ledger: Ledger) -> None:
        ws.write_string(0, 0, ledger.title, self.title)
        ws.write_string(1, 0, ledger.note or "每行填写一项，日期格式 2022-03-05。", self.subtitle)
        first, last = 2, 2 + LEDGER_ROWS
        self.ledger_rows[ledger.id] = (ws.get_name(), first + 1, last)
        columns = []
        for col, column in enumerate(ledger.columns):
            fmt = self.ledger_date if column.type == "date" else self.ledger_cell
            columns.append({"header": column.label, "format": fmt})
            ws.set_column(col, col, max(10, min(30, len(column.label) * 2 + 4)), fmt)
        ws.add_table(
            first,
            0,
            last,
            len(ledger.columns) - 1,
            {
                "name": ledger.id,
                "columns": columns,
                "style": "Table Style Light 9",
                "autofilter": True,
            },
        )
        for col, column in enumerate(ledger.columns):
            if column.type == "text" and not column.note:
                continue
            rule = validation(column.type, column.label, column.min, column.max, column.note,
                              self._list_source(column))  # fmt: skip
            if column.in_period:
                rule = in_period(rule, self.form.period)
            if column.multi:
                rule = {
                    "validate": "any",
                    "input_title": column.label[:32],
                    "input_message": (
                        "可填多项，用顿号“、”分隔："
                        + "、".join(self.form.code_lists.get(column.choices, ()))
                    )[:255],
                }
            ws.data_validation(first + 1, col, last, col, rule)
        ws.freeze_panes(first + 1, 0)
        ws.protect("", {"autofilter": True, "sort": True, "format_columns": True})

    @staticmethod
    def _ref(ws, row: int, col: int) -> str:
        return f"={quote_sheetname(ws.get_name())}!{xl_rowcol_to_cell(row, col, True, True)}"
