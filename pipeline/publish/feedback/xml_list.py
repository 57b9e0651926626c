"""The 审核意见 sheet the XML-level feedback editor adds: openpyxl_copy's _problem_sheet for a
workbook whose cells are marked (each listed cell linked), written as a new worksheet part.
Every value is an inline string: a text that starts with '=' never becomes a formula.

Written from scratch as text (every value escaped): a list may have thousands of rows of
seven cells, and lxml makes an element in ~2 µs (~90 ms for 2,000 problems, ~5 ms as text).
"""

from __future__ import annotations

from pipeline.core.catalogue import SEVERITY_LABEL, Severity
from pipeline.core.records import Submission
from pipeline.publish.feedback.content import (
    FIXED_HEADING,
    NOTE,
    WIDTHS,
    Resubmitted,
    feedback_title,
    link_target,
    list_headers,
)
from pipeline.publish.feedback.xml_parts import DECLARATION, MAIN_NS, REL_NS, escape
from pipeline.publish.xlsx_style import row_height

_HEAD = (
    '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1:{column}{last}"/>'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="4" '
    'topLeftCell="A5" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
    'activeCell="A5" sqref="A5"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
)
_PAGE = (
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
)


def problem_sheet(
    sub: Submission,
    sheet_names: set[str],
    own: dict[str | Severity, int],
    resubmitted: Resubmitted | None = None,
) -> bytes:
    """The list of problems: title, note, headers, one row a problem, its cell linked when
    the workbook has that sheet; for a resubmission, which are new and, below, what was fixed."""
    headers, widths = list_headers(resubmitted)
    rows = [
        _row(1, [(feedback_title(sub, resubmitted), own["title"])]),
        _row(2, [(NOTE, None)]),
        _row(4, [(header, own["header"]) for header in headers]),
    ]
    links = []
    for number, problem in enumerate(sub.problems, start=1):
        row = 4 + number
        linked = problem.sheet in sheet_names and bool(problem.cell)
        values = [str(number), SEVERITY_LABEL[problem.severity], problem.sheet, problem.cell,
                  problem.indicator, problem.message, problem.value]  # fmt: skip
        styles = [None, own[problem.severity], None, own["link"] if linked else None, None,
                  own["wrap"], None]  # fmt: skip
        if resubmitted is not None:
            values.append(resubmitted.compared(problem))
            styles.append(None)
        height = row_height((problem.message, WIDTHS[5]))
        rows.append(_row(row, list(zip(values, styles, strict=True)), height))
        if linked:
            links.append(f'<hyperlink ref="D{row}" location="{escape(link_target(problem))}"/>')
    last = 4 + len(sub.problems)
    if resubmitted is not None and resubmitted.fixed:
        last += 2
        rows.append(_row(last, [(FIXED_HEADING, own["header"])]))
        for number, problem in enumerate(resubmitted.fixed, start=1):
            values = [str(number), SEVERITY_LABEL[problem.severity], problem.sheet, problem.cell,
                      problem.indicator, problem.message, problem.value]  # fmt: skip
            rows.append(_row(last + number, [(v, None) for v in values]))
        last += len(resubmitted.fixed)
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(widths, start=1)
    )
    return (
        f'{DECLARATION}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        + _HEAD.format(last=last, column=chr(64 + len(headers)))
        + f"<cols>{cols}</cols><sheetData>{''.join(rows)}</sheetData>"
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + f"{_PAGE}</worksheet>"
    ).encode()


def _row(number: int, cells: list[tuple[object, int | None]], height: float | None = None) -> str:
    """A row of text cells: inline strings, never formulas, whatever the text starts with."""
    xml = []
    for col, (value, style) in enumerate(cells, start=1):
        ref = f"{chr(64 + col)}{number}"
        s = f' s="{style}"' if style is not None else ""
        text = "" if value is None else str(value)
        if text:
            xml.append(
                f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(text)}'
                "</t></is></c>"
            )
        elif s:
            xml.append(f'<c r="{ref}"{s}/>')
    ht = f' ht="{height}" customHeight="1"' if height else ""
    return f'<row r="{number}"{ht}>{"".join(xml)}</row>'
