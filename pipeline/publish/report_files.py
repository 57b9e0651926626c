"""I/O out: the report draft as a Word document (python-docx) and as Markdown.

Both carry the same text: title, a note on how the draft was made, sections 一 … 六 with
their sentences and a table of the section's figures, and a closing table tracing every
number to its indicator code.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pipeline.core.files import atomic_output
from pipeline.form.model import Form
from pipeline.report.facts import ReportDraft

BODY_FONT = "仿宋"  # official documents are set in 仿宋; Writer falls back to any CJK font
HEADING_FONT = "黑体"
TRACE_HEADERS = ("句子", "指标代码", "指标名称", "数值", "汇总方式", "来源")


def report_filename(form: Form, suffix: str = ".docx") -> str:
    return f"{form.period.label}_统计情况{suffix}"


def _shown(value: object) -> str:
    return "—" if value is None or value == "" else str(value)


# Word


def write_docx(path: Path, draft: ReportDraft) -> Path:
    document = Document()
    _set_font(document.styles["Normal"], BODY_FONT, 14)
    for name in ("Title", "Heading 1"):
        _set_font(document.styles[name], HEADING_FONT, 18 if name == "Title" else 15)
        document.styles[name].font.color.rgb = RGBColor(0, 0, 0)  # a draft, not a brochure
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.left_margin = section.right_margin = Cm(2.6)
    title = document.add_paragraph(draft.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = document.add_paragraph(draft.note)
    note.runs[0].italic = True
    note.runs[0].font.size = Pt(11)
    for part in draft.sections:
        document.add_heading(part.title, level=1)
        for sentence in part.sentences:
            paragraph = document.add_paragraph(sentence.text)
            paragraph.paragraph_format.first_line_indent = Pt(28)  # two characters
        if part.table:
            rows = [(label, _shown(value), unit) for _, label, value, unit in part.table]
            _table(document, ("指标", "数值", "计量单位"), rows, (Cm(11), Cm(2.5), Cm(2.2)))
    document.add_heading("附：数字来源", level=1)
    traces = [
        (t.ref, t.code, t.label, _shown(t.value), t.aggregation, t.source) for t in draft.traces
    ]
    _table(
        document,
        TRACE_HEADERS,
        traces,
        (Cm(1.3), Cm(3.6), Cm(4.4), Cm(1.4), Cm(1.6), Cm(3.5)),
        size=8,
    )
    with atomic_output(path) as tmp:
        document.save(str(tmp))
    return path


def _set_font(style, name: str, size: int) -> None:
    style.font.name = name
    style.font.size = Pt(size)
    # Word picks the font of Chinese characters from the East Asian slot, not from `name`.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _table(document, headers, rows, widths, size: int = 10) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # Writer reads the grid, Word the cells: set both
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
        cell.paragraphs[0].runs[0].bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = str(value)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(size)
    document.add_paragraph()


# Markdown


def markdown(draft: ReportDraft) -> str:
    lines = [f"# {draft.title}", "", f"*{draft.note}*", ""]
    for part in draft.sections:
        lines += [f"## {part.title}", ""]
        for sentence in part.sentences:
            lines += [sentence.text, ""]
        if part.table:
            lines += _md_table(
                ("指标", "数值", "计量单位"),
                [(label, _shown(value), unit) for _, label, value, unit in part.table],
            )
    lines += ["## 附：数字来源", ""]
    lines += _md_table(
        TRACE_HEADERS,
        [(t.ref, t.code, t.label, _shown(t.value), t.aggregation, t.source) for t in draft.traces],
    )
    return "\n".join(lines)


def _md_table(headers, rows) -> list[str]:
    def line(cells) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(headers), line(["---"] * len(headers)), *(line(r) for r in rows), ""]


def write_markdown(path: Path, draft: ReportDraft) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(markdown(draft), encoding="utf-8")
    return path
