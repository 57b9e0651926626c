"""workbook.xml in the XML-level feedback editor: its sheets (each a plain worksheet part),
the defined names the openpyxl path keeps, the template's own total formulas they locate,
and the 审核意见 sheet added first and active."""

from __future__ import annotations

import re

from lxml import etree

from pipeline.form.model import Form
from pipeline.publish.feedback.content import FEEDBACK_SHEET
from pipeline.publish.feedback.xml_parts import (
    R_ID,
    REL_NS,
    WORKSHEET_CT,
    NotPlain,
    Package,
    main,
    relationships,
    resolve,
)
from pipeline.publish.feedback.xml_sheet import Sheet
from pipeline.publish.template import template_formulas as all_template_formulas

_KEPT_BUILTINS = {"_xlnm.Print_Area", "_xlnm.Print_Titles"}
# A defined name's text that is one cell: 'Sheet name'!$A$1 or Sheet!A1 (a formula's text,
# not XML)
_NAME_PLACE = re.compile(r"(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?([1-9]\d*)")


def sheet_list(workbook: etree._Element) -> list[etree._Element]:
    """The <sheet> elements, in order; each has a name, a sheetId and an r:id."""
    block = workbook.find(main("sheets"))
    if block is None:
        raise NotPlain("no <sheets>")
    found = [child for child in block if isinstance(child.tag, str)]
    for sheet in found:
        if sheet.tag != main("sheet") or None in (sheet.get("name"), sheet.get("sheetId")):
            raise NotPlain("<sheet> shape")
        if sheet.get(R_ID) is None:
            raise NotPlain("<sheet> without r:id")
    return found


def read_sheets(
    package: Package, workbook: etree._Element, overrides: dict[str, str | None]
) -> dict[str, Sheet]:
    """Every sheet by name; each must be a worksheet part of its own."""
    rels = {r.get("Id"): r for r in relationships(package, "xl/_rels/workbook.xml.rels")}
    sheets: dict[str, Sheet] = {}
    elements = sheet_list(workbook)
    for element in elements:
        name, relationship = element.get("name", ""), rels[element.get(R_ID)]
        if not relationship.get("Type", "").endswith("/worksheet"):
            raise NotPlain("not a worksheet")
        part = resolve("xl", relationship.get("Target", ""))
        if overrides.get("/" + part) != WORKSHEET_CT or part not in package.data:
            raise NotPlain(part)
        sheets[name] = Sheet(name, part)
    if len({name.casefold() for name in sheets}) != len(elements):
        raise NotPlain("two sheets with one name")
    if len({sheet.part for sheet in sheets.values()}) != len(sheets):
        raise NotPlain("two sheets in one part")
    return sheets


def keep_defined_names(workbook: etree._Element, form: Form) -> dict[str, str]:
    """Leave the names the openpyxl path keeps: the names a return's reader looks for
    (Form.return_names), and the print areas and titles (their sheet index shifted by one for
    审核意见); every other name goes. The kept global names, name -> reference."""
    wanted = form.return_names
    block = workbook.find(main("definedNames"))
    if block is None:
        return {}
    names, kept = {}, 0
    for defined in [child for child in block if isinstance(child.tag, str)]:
        if defined.tag != main("definedName"):
            raise NotPlain("<definedNames> shape")
        name, local = defined.get("name", ""), defined.get("localSheetId")
        if local is None and name in wanted:
            names[name] = defined.text or ""
        elif local is not None and name in _KEPT_BUILTINS:
            defined.set("localSheetId", str(int(local) + 1))
        else:
            block.remove(defined)
            continue
        kept += 1
    if not kept:
        workbook.remove(block)
    return names


def template_formulas(names: dict[str, str], form: Form) -> dict[tuple[str, str], str]:
    """The template's own formulas (without '='): every one a template of the form holds
    (publish/template.py), and its totals at the cells the return's names give them."""
    found = dict(all_template_formulas(form))
    for ind in form.indicators:
        place = _NAME_PLACE.fullmatch(names.get(ind.code, "")) if ind.derived else None
        if place:
            sheet = place[1].replace("''", "'") if place[1] else place[2]
            found[(sheet, place[3] + place[4])] = "+".join(ind.parts)
    return found


def add_feedback_sheet(workbook: etree._Element, rid: str) -> None:
    """审核意见 first (a new sheetId) and the active tab."""
    sheets = sheet_list(workbook)
    sheet_id = max((int(s.get("sheetId", "0")) for s in sheets), default=0) + 1
    block = workbook.find(main("sheets"))
    assert block is not None  # sheet_list has checked
    # The r: prefix the workbook declares, else one on the element (as openpyxl writes it)
    nsmap = {} if REL_NS in block.nsmap.values() else {"r": REL_NS}
    attributes = {"name": FEEDBACK_SHEET, "sheetId": str(sheet_id)}
    new = etree.SubElement(block, main("sheet"), attributes, nsmap=nsmap)  # in scope of root
    new.set(R_ID, rid)
    block.insert(0, new)
    for view in workbook.iterfind(f"{main('bookViews')}/{main('workbookView')}"):
        view.set("activeTab", "0")
        if "firstSheet" in view.attrib:
            view.set("firstSheet", "0")
