"""Feedback workbooks: the unit's own workbook (a copy, never the original) with each problem
cell filled red (error) or yellow (warning) and commented, and a first sheet 审核意见 listing
every problem with a link to its cell. The unit fixes it and sends it back.

Nothing active from the input survives into the copy: formulas other than the template's own
totals are replaced by their cached values, hyperlinks, external links and foreign defined
names are dropped, and macros are never kept (the copy is always .xlsx).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.core.catalogue import SEVERITY_LABEL
from pipeline.core.files import atomic_output
from pipeline.core.problems import Problem
from pipeline.core.records import Submission
from pipeline.form.model import Form
from pipeline.publish.feedback.content import (
    COMMENT_AUTHOR,
    COMMENT_SIZE,
    FEEDBACK_SHEET,
    FILL_COLORS,
    FIXED_HEADING,
    LINK_COLOR,
    NOTE,
    WIDTHS,
    Resubmitted,
    comment_text,
    feedback_title,
    link_target,
    list_headers,
    worst_severity,
)
from pipeline.publish.template import template_formulas as all_template_formulas
from pipeline.publish.xlsx_style import row_height

FILL = {severity: PatternFill("solid", fgColor=color) for severity, color in FILL_COLORS.items()}


def write_feedback_copy(  # noqa: PLR0913 - the return, its file, where to, the form, how, and
    sub: Submission,  # what the unit's return before it had (a resubmission)
    source: Path,
    path: Path,
    form: Form,
    copy: bool,
    resubmitted: Resubmitted | None = None,
) -> Path:
    """The feedback workbook made with openpyxl: a cleaned copy of the unit's workbook with its
    problem cells marked (`copy`), or only the 审核意见 sheet when the file cannot be copied."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops
        workbook = _clean_copy(source, form) if copy else openpyxl.Workbook()
    if copy:
        _mark_cells(workbook, sub.problems)
    else:
        workbook.remove(workbook.worksheets[0])  # the empty sheet a new workbook starts with
    _problem_sheet(workbook, sub, copy, resubmitted)
    with atomic_output(path) as tmp:
        workbook.save(tmp)
    return path


def _clean_copy(source: Path, form: Form) -> openpyxl.Workbook:
    formulas = openpyxl.load_workbook(source, keep_vba=False, keep_links=False)
    ours = _template_formulas(formulas, form)
    foreign = any(
        _is_formula(cell) and (ws.title, cell.coordinate) not in ours
        for ws in formulas.worksheets
        for cell in _existing_cells(ws)
    )
    # Cached values are needed only for formulas that are not the template's own totals.
    cached = (
        openpyxl.load_workbook(source, data_only=True, keep_links=False, read_only=True)
        if foreign
        else None
    )
    for ws in formulas.worksheets:
        values = cached[ws.title] if cached is not None and ws.title in cached.sheetnames else None
        for cell in _existing_cells(ws):
            if isinstance(cell, MergedCell):
                continue
            cell.hyperlink = None
            if _is_formula(cell):
                if (ws.title, cell.coordinate) in ours:
                    cell.value = ours[(ws.title, cell.coordinate)]
                else:
                    cell.value = values[cell.coordinate].value if values is not None else None
        ws._hyperlinks = []  # type: ignore[attr-defined]  # the sheet's link list (private to openpyxl, not in its stubs)
    if cached is not None:
        cached.close()
    wanted = form.return_names
    for name in list(formulas.defined_names):
        if name not in wanted:
            del formulas.defined_names[name]
    for ws in formulas.worksheets:
        for name in list(ws.defined_names):
            del ws.defined_names[name]
    formulas._external_links = []  # type: ignore[attr-defined]  # private to openpyxl, not in its stubs
    return formulas


def _existing_cells(ws) -> list:
    """The cells the file has; iter_rows() would create every empty cell of the used
    rectangle (tens of thousands beside the code list), slowing both loading and saving."""
    return list(ws._cells.values())


def _is_formula(cell) -> bool:
    return cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula)


def _template_formulas(workbook: openpyxl.Workbook, form: Form) -> dict[tuple[str, str], str]:
    """The template's own formulas: every one a template of the form holds, and its total
    formulas rebuilt from the definition at the cells the return's names give them."""
    found = {place: "=" + text for place, text in all_template_formulas(form).items()}
    for ind in form.indicators:
        if ind.derived and ind.code in workbook.defined_names:
            for sheet, ref in workbook.defined_names[ind.code].destinations:
                found[(sheet, ref.replace("$", ""))] = "=" + "+".join(ind.parts)
    return found


def _mark_cells(workbook: openpyxl.Workbook, problems: list[Problem]) -> None:
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.sheet in workbook.sheetnames and problem.cell:
            by_cell.setdefault((problem.sheet, problem.cell), []).append(problem)
    for (sheet, ref), found in by_cell.items():
        try:
            cell = workbook[sheet][ref]
        except (ValueError, KeyError):
            continue
        cell.fill = FILL[worst_severity(found)]
        width, height = COMMENT_SIZE
        cell.comment = Comment(comment_text(found), COMMENT_AUTHOR, width=width, height=height)


def _problem_sheet(
    workbook: openpyxl.Workbook, sub: Submission, linked: bool, resubmitted: Resubmitted | None
) -> None:
    ws = workbook.create_sheet(FEEDBACK_SHEET, 0)
    workbook.active = 0
    for ws_other in workbook.worksheets[1:]:
        ws_other.sheet_view.tabSelected = False
    _text(ws.cell(1, 1), feedback_title(sub, resubmitted)).font = Font(bold=True, size=14)
    _text(ws.cell(2, 1), NOTE)
    if not linked:
        _text(
            ws.cell(3, 1), f"原文件：{sub.file}（无法在原文件上标注，请按下列意见修改后重新报送）"
        )
    headers, widths = list_headers(resubmitted)
    for col, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        _text(ws.cell(4, col), header).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for number, problem in enumerate(sub.problems, start=1):
        row = 4 + number
        values = [str(number), SEVERITY_LABEL[problem.severity], problem.sheet, problem.cell,
                  problem.indicator, problem.message, problem.value]  # fmt: skip
        if resubmitted is not None:
            values.append(resubmitted.compared(problem))
        for col, value in enumerate(values, start=1):
            _text(ws.cell(row, col), value)
        ws.cell(row, 6).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = row_height((problem.message, WIDTHS[5]))
        ws.cell(row, 2).fill = FILL[problem.severity]
        if linked and problem.sheet in workbook.sheetnames and problem.cell:
            ws.cell(row, 4).hyperlink = Hyperlink(ref=f"D{row}", location=link_target(problem))
            ws.cell(row, 4).font = Font(color=LINK_COLOR, underline="single")
    if resubmitted is not None and resubmitted.fixed:
        _fixed_list(ws, 4 + len(sub.problems) + 2, resubmitted)
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _fixed_list(ws, row: int, resubmitted: Resubmitted) -> None:
    """Below the table: the earlier return's problems this one no longer has."""
    _text(ws.cell(row, 1), FIXED_HEADING).font = Font(bold=True)
    for number, problem in enumerate(resubmitted.fixed, start=1):
        values = [str(number), SEVERITY_LABEL[problem.severity], problem.sheet, problem.cell,
                  problem.indicator, problem.message, problem.value]  # fmt: skip
        for col, value in enumerate(values, start=1):
            _text(ws.cell(row + number, col), value)


def _text(cell, value: str):
    """Always text: a value from an input that starts with '=' must not become a formula."""
    cell.value = value
    cell.data_type = "s"
    return cell
