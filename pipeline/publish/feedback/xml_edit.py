"""Feedback workbooks at the XML level: the workbook openpyxl_copy.py makes, made by editing
the unit's own file on lxml trees instead of loading and saving it with openpyxl (~13 ms a
demo return where openpyxl_copy.py takes ~180-300 ms).

Every member of the zip is copied unchanged except the few that must change (styles, the
marked sheets and the one whose tab was selected, workbook, rels, content types), which are
parsed, edited by namespace and written back; the comments, their VML shapes and the 审核意见
sheet are new parts. Only "plain" files take this path: transitional OOXML with nothing
active in it (no macros, external links, hyperlinks, drawings, comments or embedded objects)
and no formula but the template's own totals. For anything else `write_feedback_xml` writes
nothing and returns False, and openpyxl_copy.py, which knows how to clean such files, makes
the workbook. A shape of XML this module does not expect is not plain either: it never
writes a workbook that reads differently from the openpyxl path's.

xml_parts.py is the package (zip, parser, relationships, content types), xml_workbook.py
workbook.xml, xml_sheet.py a worksheet, xml_styles.py styles.xml, xml_comments.py the
comments' parts, xml_list.py the 审核意见 sheet.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from pipeline.core.files import atomic_output
from pipeline.core.problems import Problem
from pipeline.core.records import Submission
from pipeline.form.model import Form
from pipeline.publish.feedback.content import FEEDBACK_SHEET, Resubmitted, worst_severity
from pipeline.publish.feedback.xml_comments import comments_part, vml_part
from pipeline.publish.feedback.xml_list import problem_sheet
from pipeline.publish.feedback.xml_parts import (
    COMMENTS_CT,
    TYPES_NS,
    WORKBOOK_CT,
    WORKSHEET_CT,
    NotPlain,
    Package,
    add_relationships,
    add_types,
    empty_relationships,
    main,
    rel,
    relationships,
    rels_name,
    resolve,
    serialise,
)
from pipeline.publish.feedback.xml_sheet import Sheet, check_sheet, mark_cells, read_sheet
from pipeline.publish.feedback.xml_styles import Styles
from pipeline.publish.feedback.xml_workbook import (
    add_feedback_sheet,
    keep_defined_names,
    read_sheets,
    template_formulas,
)

_WORKBOOK_RELS = {"worksheet", "theme", "styles", "sharedStrings", "calcChain"}
_SHEET_RELS = {"table", "printerSettings"}
# An unexpected shape is not plain either: openpyxl decides what to do with it.
_NOT_PLAIN = (NotPlain, KeyError, ValueError, IndexError, zipfile.BadZipFile, zlib.error,
              etree.LxmlError)  # fmt: skip


def write_feedback_xml(
    sub: Submission, source: Path, path: Path, form: Form, resubmitted: Resubmitted | None = None
) -> bool:
    """Write the feedback workbook for `sub` by editing `source` (an .xlsx) at the XML level.
    Returns False, writing nothing, when the file is not plain."""
    try:
        package = Package.read(source)
        changed = _feedback_parts(package, sub, form, resubmitted)
    except _NOT_PLAIN:
        return False
    with atomic_output(path) as tmp:
        package.write(tmp, changed)
    return True


def _feedback_parts(
    package: Package, sub: Submission, form: Form, resubmitted: Resubmitted | None
) -> dict[str, bytes]:
    """Every part that changes or is new, by name."""
    types = package.root("[Content_Types].xml", f"{{{TYPES_NS}}}Types")
    overrides = {
        o.get("PartName", ""): o.get("ContentType")
        for o in types.iterchildren(f"{{{TYPES_NS}}}Override")
    }
    workbook = _workbook(package, overrides)
    sheets = read_sheets(package, workbook, overrides)
    if any(name.casefold() == FEEDBACK_SHEET.casefold() for name in sheets):
        raise NotPlain("already has a 审核意见 sheet")  # a feedback workbook sent back as is
    _place_problems(sheets, sub.problems)
    ours = template_formulas(keep_defined_names(workbook, form), form)
    for sheet in sheets.values():
        read_sheet(package, sheet)
        check_sheet(sheet, ours)
    _check_tables(package)

    styles_root = package.root("xl/styles.xml", main("styleSheet"))
    styles = Styles(styles_root)
    changed, new_types = _mark_sheets(package, sheets, styles)
    own = styles.add_feedback_styles()
    changed["xl/styles.xml"] = serialise(styles_root)

    part = package.free_name("xl/worksheets/sheet{}.xml", len(sheets) + 1)
    changed[part] = problem_sheet(sub, set(sheets), own, resubmitted)
    new_types.append((part, WORKSHEET_CT))
    workbook_rels = package.root("xl/_rels/workbook.xml.rels", rel("Relationships"))
    (sheet_rid,) = add_relationships(workbook_rels, [("worksheet", posixpath.relpath(part, "xl"))])
    changed["xl/_rels/workbook.xml.rels"] = serialise(workbook_rels)
    add_feedback_sheet(workbook, sheet_rid)
    changed["xl/workbook.xml"] = serialise(workbook)
    add_types(types, new_types, vml=any(sheet.marks for sheet in sheets.values()))
    changed["[Content_Types].xml"] = serialise(types)
    return changed


def _workbook(package: Package, overrides: dict[str, str | None]) -> etree._Element:
    """workbook.xml, once the package is known to be an .xlsx whose relationships stay
    inside it and lead only to what a plain workbook has."""
    if overrides.get("/xl/workbook.xml") != WORKBOOK_CT:
        raise NotPlain("not an .xlsx workbook")  # .xlsm, .xltx...
    documents = [
        resolve(".", r.get("Target", ""))
        for r in relationships(package, "_rels/.rels")
        if r.get("Type", "").endswith("/officeDocument")
    ]
    if documents != ["xl/workbook.xml"]:
        raise NotPlain("workbook part")
    for name in package.data:
        if name.endswith(".rels"):
            for relationship in relationships(package, name):
                if relationship.get("TargetMode", "Internal") != "Internal":
                    raise NotPlain("external relationship")
                kind = relationship.get("Type", "").rsplit("/", 1)[-1]
                if name.startswith("xl/worksheets/") and kind not in _SHEET_RELS:
                    raise NotPlain(f"sheet relationship {kind}")
                if name == "xl/_rels/workbook.xml.rels" and kind not in _WORKBOOK_RELS:
                    raise NotPlain(f"workbook relationship {kind}")
    return package.root("xl/workbook.xml", main("workbook"))


def _place_problems(sheets: dict[str, Sheet], problems: list[Problem]) -> None:
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.sheet in sheets and problem.cell:
            by_cell.setdefault((problem.sheet, problem.cell), []).append(problem)
    for (sheet, ref), found in by_cell.items():
        sheets[sheet].found[ref] = found
        sheets[sheet].marks[ref] = worst_severity(found)


def _check_tables(package: Package) -> None:
    """A table's column formulas are formulas the template does not have."""
    for name in package.data:
        if name.startswith("xl/tables/") and name.endswith(".xml"):
            table = package.root(name, main("table"))
            for _ in table.iter("{*}calculatedColumnFormula", "{*}totalsRowFormula"):
                raise NotPlain(name)


def _mark_sheets(
    package: Package, sheets: dict[str, Sheet], styles: Styles
) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """The marked sheets (and any whose tab was unselected), each marked sheet's comments,
    drawing and relationships; the new parts' content types."""
    changed: dict[str, bytes] = {}
    new_types, block = [], 1
    marked = [sheet for sheet in sheets.values() if sheet.marks]
    for number, sheet in enumerate(marked, start=1):
        comments, vml = f"xl/comments/comment{number}.xml", f"xl/drawings/vmlDrawing{number}.vml"
        rels_part = rels_name(sheet.part)
        if rels_part in package.data:
            rels = package.root(rels_part, rel("Relationships"))
        else:
            rels = empty_relationships()
        _, vml_id = add_relationships(
            rels,
            [
                ("comments", "../comments/" + posixpath.basename(comments)),
                ("vmlDrawing", "../drawings/" + posixpath.basename(vml)),
            ],
        )
        changed[rels_part] = serialise(rels)
        mark_cells(sheet, styles, vml_id)
        changed[comments] = comments_part(sheet)
        changed[vml], block = vml_part(sheet, block)
        new_types.append((comments, COMMENTS_CT))
    for sheet in sheets.values():
        if sheet.changed and sheet.root is not None:
            changed[sheet.part] = serialise(sheet.root)
    return changed, new_types
