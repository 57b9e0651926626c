"""The XML-level feedback workbook: for a plain return it is the workbook the openpyxl path
makes (same sheets, values, marks, comments and links), whatever shape its XML has (a
namespace prefix, attributes in another order or quoting, CDATA and comments, an empty
<sheetData/>, cells without `r`, UTF-16 parts); files that are not plain fall back, and
LibreOffice and our own reader open what it writes."""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl.comments import Comment
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.check.validate import validate
from pipeline.cli import cli
from pipeline.core.catalogue import SEVERITY_LABEL, ProblemCode, Severity
from pipeline.core.problems import Problem
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import sample_return
from pipeline.publish.feedback import openpyxl_copy as feedback
from pipeline.publish.feedback import write as feedback_write
from pipeline.publish.feedback.content import FEEDBACK_SHEET, HEADERS, Resubmitted
from pipeline.publish.feedback.write import write_feedback
from pipeline.publish.feedback.xml_edit import write_feedback_xml
from pipeline.publish.rollup_return import FastFiller
from pipeline.publish.template import template_formulas
from pipeline.read.returns import read_return
from tests.support import badfiles
from tests.support.programs import needs_libreoffice, soffice_convert

FILL = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C"}
RULE = ProblemCode.RULE_FAILED  # the code of the problems put at awkward places


def load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def bad_values(sample) -> tuple[dict, dict]:
    """An error (a mask), a warning ("12人次") and a ledger error (a date that is not one)."""
    values = sample.values | {
        "EDU_CG_STUDY": "*",
        "ORG_HEART_TALK": f"{sample.values['ORG_HEART_TALK']}人次",
    }
    ledgers = {k: [dict(r) for r in rows] for k, rows in sample.ledgers.items()}
    ledgers["STUDY_EVENTS"][0]["event_date"] = "去年"
    return values, ledgers


@pytest.fixture(scope="module")
def unit_sample(form, registry):
    return sample_return(form, registry, registry.by_code("LJ102"), seed=21)


@pytest.fixture(scope="module")
def returns(form, template, unit_sample, tmp_path_factory) -> dict[str, Path]:
    """The same bad return filled by openpyxl (fill.py) and at the XML level (fastfill.py)."""
    folder = tmp_path_factory.mktemp("fbx_returns")
    values, ledgers = bad_values(unit_sample)
    return {
        "fill": fill_return(form, template, folder / "fill.xlsx", values, ledgers),
        "fastfill": FastFiller(template, form).write(folder / "fastfill.xlsx", values, ledgers),
    }


def checked(path: Path, form, registry):
    sub = validate(read_return(path, form, "", 0), form, registry)
    assert {p.severity for p in sub.problems} == {Severity.ERROR, Severity.WARNING}
    return sub


def with_edge_problems(sub):
    """Problems at the awkward places: a cell and a row the file does not have, a second
    problem on a marked cell, a sheet the file does not have, text that looks like a formula
    or markup, or holds a CR LF and a tab."""
    first = next(p for p in sub.problems if p.severity is Severity.ERROR)
    extra = [
        Problem(
            RULE,
            Severity.WARNING,
            "第二个问题 <b>&amp;",
            sheet=first.sheet,
            cell=first.cell,
            value="=1+1",
        ),
        Problem(  # line ends and tabs come back as they were, CR included
            RULE,
            Severity.WARNING,
            "本行没有这一格\r\n第二行\t制表",
            sheet="封面",
            cell="AB5",
        ),
        Problem(RULE, Severity.ERROR, "本行也没有这一格", sheet="封面", cell="Z5"),
        Problem(RULE, Severity.ERROR, "没有这一行", sheet="封面", cell="C900"),
        Problem(RULE, Severity.WARNING, "也没有这一行", sheet="封面", cell="D1000"),
        Problem(RULE, Severity.WARNING, "这一行的另一格", sheet="封面", cell="A900"),
        Problem(
            RULE,
            Severity.ERROR,
            '=HYPERLINK("http://x")',
            sheet="不存在的表",
            cell="A1",
            value="=cmd|'/c calc'!A1",
        ),
    ]
    return replace(sub, problems=[*sub.problems, *extra])


def both_paths(
    sub, source: Path, folder: Path, form, monkeypatch, resubmitted=None
) -> tuple[Path, Path]:
    """(fast path's workbook, openpyxl path's workbook) through write_feedback."""
    fast, slow = folder / "fast.xlsx", folder / "slow.xlsx"
    assert write_feedback_xml(sub, source, fast, form, resubmitted)
    with monkeypatch.context() as patch:
        patch.setattr(feedback_write, "write_feedback_xml", lambda *args: False)
        write_feedback(sub, source, slow, form, resubmitted)
    return fast, slow


def snapshot(path: Path, sub) -> dict:
    """What a unit sees: sheets, every value, the fills of problem cells, every comment, the
    list's links, the active and selected sheets."""
    book = load(path)
    values, comments = {}, {}
    for ws in book.worksheets:
        for cell in ws._cells.values():
            if cell.value not in (None, ""):  # openpyxl writes "" as an empty cell
                values[(ws.title, cell.coordinate)] = cell.value
            if cell.comment is not None:
                comments[(ws.title, cell.coordinate)] = cell.comment.text
    fills = {
        (p.sheet, p.cell): book[p.sheet][p.cell].fill.fgColor.rgb[-6:]
        for p in sub.problems
        if p.sheet in book.sheetnames
    }
    listed = book[FEEDBACK_SHEET]
    return {
        "sheets": book.sheetnames,
        "active": book.active.title,
        "selected": [ws.title for ws in book.worksheets if ws.sheet_view.tabSelected],
        "others selected": [ws.title for ws in book.worksheets[1:] if ws.sheet_view.tabSelected],
        "values": values,
        "fills": fills,
        "comments": comments,
        "links": {
            c.coordinate: (c.hyperlink.location, c.hyperlink.target)
            for row in listed.iter_rows()
            for c in row
            if c.hyperlink
        },
        "list fills": {c.coordinate: c.fill.fgColor.rgb[-6:] for c in listed["B"][4:]},
        "heights": {r: d.height for r, d in listed.row_dimensions.items() if d.height},
        "freeze": listed.freeze_panes,
        "widths": [listed.column_dimensions[c].width for c in "ABCDEFG"],
        "page": (
            listed.page_setup.orientation,
            str(listed.page_setup.paperSize),
            listed.page_setup.fitToWidth,
            listed.page_setup.fitToHeight,
            listed.sheet_properties.pageSetUpPr.fitToPage,
        ),
        "names": sorted(book.defined_names),
    }


@pytest.mark.parametrize("filler", ["fill", "fastfill"])
def test_fast_path_makes_the_openpyxl_paths_workbook(
    filler, returns, form, registry, tmp_path, monkeypatch
) -> None:
    sub = with_edge_problems(checked(returns[filler], form, registry))
    fast, slow = both_paths(sub, returns[filler], tmp_path, form, monkeypatch)
    got, expected = snapshot(fast, sub), snapshot(slow, sub)
    # openpyxl leaves the new sheet's tab unselected; Excel selects the active tab anyway
    assert got.pop("selected") == [FEEDBACK_SHEET] and expected.pop("selected") == []
    assert got == expected
    # and what the two agree on is what feedback.py promises
    assert got["sheets"][0] == got["active"] == FEEDBACK_SHEET
    assert got["others selected"] == []
    marked = {(p.sheet, p.cell) for p in sub.problems if p.sheet in got["sheets"]}
    assert set(got["comments"]) == marked and len(marked) == len(sub.problems) - 2
    for p in sub.problems:
        if p.sheet in got["sheets"] and p.severity is Severity.ERROR:
            assert got["fills"][(p.sheet, p.cell)] == FILL[Severity.ERROR]
    twice = sub.problems[-7]
    assert got["comments"][(twice.sheet, twice.cell)].count("\n") == 1
    assert len(got["links"]) == len(sub.problems) - 1
    assert all(target is None for _, target in got["links"].values())


def test_fast_path_is_taken_for_plain_files(returns, form, registry, tmp_path, monkeypatch):
    sub = checked(returns["fastfill"], form, registry)

    def no_openpyxl(*args):
        raise AssertionError("the openpyxl path was used")

    monkeypatch.setattr(feedback, "_clean_copy", no_openpyxl)
    path = write_feedback(sub, returns["fastfill"], tmp_path / "fb.xlsx", form)
    assert load(path).sheetnames[0] == FEEDBACK_SHEET


def test_text_never_becomes_a_formula(returns, form, registry, tmp_path) -> None:
    sub = with_edge_problems(checked(returns["fill"], form, registry))
    path = tmp_path / "fb.xlsx"
    assert write_feedback_xml(sub, returns["fill"], path, form)
    ws = load(path)[FEEDBACK_SHEET]
    rows = [r for r in ws.iter_rows(min_row=5) if r[0].value]
    assert [r[6].value for r in rows[-7:]] == ["=1+1", *[None] * 5, "=cmd|'/c calc'!A1"]
    assert rows[-1][5].value == '=HYPERLINK("http://x")'
    assert all(c.data_type == "s" for r in rows for c in r if c.value is not None)
    with zipfile.ZipFile(path) as zf:
        sheet_xml = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        new = max(sheet_xml, key=lambda n: int(n.rsplit("sheet", 1)[1].split(".")[0]))
        assert b"<f" not in zf.read(new)


def test_only_the_edited_parts_change(returns, form, registry, tmp_path) -> None:
    sub = checked(returns["fastfill"], form, registry)
    path = tmp_path / "fb.xlsx"
    assert write_feedback_xml(sub, returns["fastfill"], path, form)
    with zipfile.ZipFile(returns["fastfill"]) as before, zipfile.ZipFile(path) as after:
        old = {n: before.read(n) for n in before.namelist()}
        new = {n: after.read(n) for n in after.namelist()}
        assert after.namelist()[: len(old)] == before.namelist()
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in after.infolist())
    changed = {n for n in old if old[n] != new[n]}
    marked = {p.sheet for p in sub.problems}
    assert len(marked) == 3
    # styles, workbook, its rels, content types, the marked sheets, the sheet that was
    # selected, and the rels of the marked sheets that have tables
    assert {"xl/styles.xml", "xl/workbook.xml", "[Content_Types].xml"} < changed
    assert len(changed) <= 4 + len(marked) + 1 + len(marked)
    assert "xl/sharedStrings.xml" not in changed
    added = set(new) - set(old)
    assert len([n for n in added if n.startswith("xl/comments/")]) == len(marked)
    assert len([n for n in added if n.endswith(".vml")]) == len(marked)


# CT_Worksheet's children, in the order the schema requires
WORKSHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
    "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
    "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
    "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst"
]  # fmt: skip
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.mark.parametrize("filler", ["fill", "fastfill"])
def test_sheets_are_in_schema_order_and_comments_have_their_drawing(
    filler, returns, form, registry, tmp_path
) -> None:
    """openpyxl finds comments without <legacyDrawing>; Excel does not show them without it."""
    sub = with_edge_problems(checked(returns[filler], form, registry))
    path = tmp_path / "fb.xlsx"
    assert write_feedback_xml(sub, returns[filler], path, form)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        drawings = 0
        for name in (n for n in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)):
            root = ElementTree.fromstring(zf.read(name))
            children = [child.tag.split("}")[1] for child in root]
            assert children == sorted(children, key=WORKSHEET_ORDER.index), name
            rows = [(int(row.get("r")), row) for row in root.find(f"{{{MAIN}}}sheetData")]
            assert [r for r, _ in rows] == sorted({r for r, _ in rows}), name
            for number, row in rows:
                places = [coordinate_to_tuple(cell.get("r")) for cell in row]
                assert places == sorted(set(places)) and {r for r, _ in places} <= {number}
            legacy = [child for child in root if child.tag.endswith("}legacyDrawing")]
            if not legacy:
                continue
            drawings += 1
            rels_name = name.replace("worksheets/", "worksheets/_rels/") + ".rels"
            rels = {r.get("Id"): r for r in ElementTree.fromstring(zf.read(rels_name))}
            vml = rels[legacy[0].get(REL)]
            assert vml.get("Type").endswith("/vmlDrawing")
            assert "xl/drawings/" + vml.get("Target").rsplit("/", 1)[1] in names
            kinds = [r.get("Type").rsplit("/", 1)[1] for r in rels.values()]
            assert kinds.count("comments") == 1
    assert drawings == len({p.sheet for p in sub.problems if p.sheet != "不存在的表"})


def test_the_pipeline_reads_the_feedback_workbook_as_the_return(
    returns, form, registry, tmp_path
) -> None:
    """A unit that sends the marked copy back unchanged gets the same problems."""
    sub = checked(returns["fastfill"], form, registry)
    path = tmp_path / "fb.xlsx"
    assert write_feedback_xml(sub, returns["fastfill"], path, form)
    again = validate(read_return(path, form, "", 0), form, registry)
    key = [(p.code, p.sheet, p.cell) for p in sub.problems]
    assert [(p.code, p.sheet, p.cell) for p in again.problems] == key
    assert not write_feedback_xml(again, path, tmp_path / "again.xlsx", form)  # has 审核意见


def test_unit_fixes_the_fast_copy_and_the_next_run_accepts_it(
    returns, unit_sample, form, registry, tmp_path
) -> None:
    sub = checked(returns["fastfill"], form, registry)
    path = tmp_path / "fb.xlsx"
    assert write_feedback_xml(sub, returns["fastfill"], path, form)
    book = load(path)
    fixed = {
        "EDU_CG_STUDY": unit_sample.values["EDU_CG_STUDY"],
        "ORG_HEART_TALK": unit_sample.values["ORG_HEART_TALK"],
    }
    for problem in sub.problems:
        cell = book[problem.sheet][problem.cell]
        if problem.indicator in fixed:
            cell.value = fixed[problem.indicator]
        else:  # the ledger's date
            assert problem.sheet == "学习教育活动台账"
            cell.value = unit_sample.ledgers["STUDY_EVENTS"][0]["event_date"]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    book.save(inbox / "城西水厂.xlsx")
    result = CliRunner().invoke(
        cli, ["consolidate", str(inbox), "--out", str(tmp_path / "out"), "-q"]
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [f["status"] for f in manifest["files"]] == ["accepted"], result.output
    assert result.exit_code == 0


def rezip(source: Path, target: Path, edits: dict[str, bytes | None]) -> Path:
    """A copy of the zip with members replaced, added (bytes) or removed (None)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in edits:
                zout.writestr(info, zin.read(info))
        for name, data in edits.items():
            if data is not None:
                zout.writestr(name, data)
    return target


def openpyxl_edit(source: Path, target: Path, edit) -> Path:
    book = load(source)
    edit(book)
    book.save(target)
    return target


def external_link(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(source) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rId999" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>',
    )
    link = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<externalBook r:id="rId1"/></externalLink>'
    )
    link_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/externalLinkPath" Target="file:///C:/other.xlsx" TargetMode="External"/>'
        "</Relationships>"
    )
    parts = {
        "xl/_rels/workbook.xml.rels": rels.encode(),
        "xl/externalLinks/externalLink1.xml": link.encode(),
        "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels.encode(),
    }
    return rezip(source, target, parts)


def total_cell(book, form):
    code = next(i.code for i in form.indicators if i.derived)
    sheet, ref = next(iter(book.defined_names[code].destinations))
    return book[sheet][ref.replace("$", "")]


NOT_PLAIN = {
    "foreign formula": lambda src, dst, form: openpyxl_edit(
        src, dst, lambda b: b["封面"].__setitem__("F1", "=cmd|'/c calc'!A1")
    ),
    "hyperlink": lambda src, dst, form: openpyxl_edit(
        src, dst, lambda b: setattr(b["封面"]["F2"], "hyperlink", "http://example.invalid/x")
    ),
    "link inside the workbook": lambda src, dst, form: openpyxl_edit(
        src,
        dst,
        lambda b: setattr(b["封面"]["F2"], "hyperlink", Hyperlink("F2", location="封面!A1")),
    ),
    "macro part": lambda src, dst, form: rezip(src, dst, {"xl/vbaProject.bin": b"macro"}),
    "external link": lambda src, dst, form: external_link(src, dst),
    "strict namespace": lambda src, dst, form: strict(src, dst),
    "comments": lambda src, dst, form: openpyxl_edit(
        src, dst, lambda b: setattr(b["封面"]["F2"], "comment", Comment("单位自己的批注", "单位"))
    ),
    "drawing": lambda src, dst, form: drawing(src, dst),
    "DTD in a part": lambda src, dst, form: rezip(src, dst, {"xl/styles.xml": with_dtd(src)}),
    # On the first sheet (填报说明: no problem on it, not the selected tab, so no reason to
    # parse it but what it holds), and written as the regex editor did not see them
    "foreign formula, unmarked sheet": lambda src, dst, form: on_first_sheet(src, dst, "formula"),
    "foreign formula, prefixed": lambda src, dst, form: badfiles.namespace_prefixed(
        dst, on_first_sheet(src, dst.with_name("f.xlsx"), "formula"), PREFIXED
    ),
    "foreign formula, UTF-16": lambda src, dst, form: utf16_sheets(
        on_first_sheet(src, dst.with_name("f.xlsx"), "formula"), dst
    ),
    "link, prefixed": lambda src, dst, form: badfiles.namespace_prefixed(
        dst, on_first_sheet(src, dst.with_name("h.xlsx"), "link"), PREFIXED
    ),
}
PREFIXED = ("xl/worksheets/", "xl/styles.xml", "xl/workbook.xml")
# openpyxl cannot read these either (the reader refuses them before feedback is made)
OPENPYXL_REFUSES = {"strict namespace", "DTD in a part"}


def on_first_sheet(source: Path, target: Path, what: str) -> Path:
    def edit(book: openpyxl.Workbook) -> None:
        first = book.worksheets[0]
        assert not first.sheet_view.tabSelected
        if what == "formula":
            first["Z1"] = "=cmd|'/c calc'!A1"
        else:
            first["Z1"].hyperlink = Hyperlink("Z1", location="封面!A1")

    return openpyxl_edit(source, target, edit)


def drawing(source: Path, target: Path) -> Path:
    """A drawing (a picture or a chart's anchor) on the first sheet."""
    with zipfile.ZipFile(source) as zf:
        types = zf.read("[Content_Types].xml").decode()
    types = types.replace(
        "</Types>",
        '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
    )
    rels = (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL_TYPE}/drawing" '
        'Target="../drawings/drawing1.xml"/></Relationships>'
    )
    anchor = (
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing"/>'
    )
    parts = {
        "[Content_Types].xml": types.encode(),
        "xl/worksheets/_rels/sheet1.xml.rels": rels.encode(),
        "xl/drawings/drawing1.xml": anchor.encode(),
    }
    return rezip(source, target, parts)


def with_dtd(source: Path) -> bytes:
    with zipfile.ZipFile(source) as zf:
        styles = zf.read("xl/styles.xml").decode()
    doctype = '<!DOCTYPE styleSheet [<!ENTITY e "x">]>'
    return re.sub(r"(<\?xml[^>]*\?>)?", lambda m: (m[0] or "") + doctype, styles, count=1).encode()


def strict(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(source) as zf:
        styles = zf.read("xl/styles.xml")
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    styles = styles.replace(main, b"http://purl.oclc.org/ooxml/spreadsheetml/main")
    return rezip(source, target, {"xl/styles.xml": styles})


def test_a_copy_of_a_plain_file_is_plain(returns, form, registry, tmp_path) -> None:
    """The control for the next test: its copies are made the same way."""
    sub = checked(returns["fill"], form, registry)
    for source in (
        rezip(returns["fill"], tmp_path / "rezipped.xlsx", {}),
        openpyxl_edit(returns["fill"], tmp_path / "resaved.xlsx", lambda book: None),
    ):
        assert write_feedback_xml(sub, source, tmp_path / f"fb_{source.name}", form)


def test_a_changed_template_formula_comes_back_as_the_templates_own(
    returns, form, registry, tmp_path, monkeypatch
) -> None:
    """A total or a 自查 result the unit overwrote with a formula of its own: both paths put
    the template's formula back (and the fast path need not fall back for it)."""

    def edit(book) -> None:
        total_cell(book, form).value = "=1+1"
        book["自查"]["C5"] = "=1+1"

    source = openpyxl_edit(returns["fill"], tmp_path / "changed.xlsx", edit)
    sub = checked(returns["fill"], form, registry)
    fast, slow = both_paths(sub, source, tmp_path, form, monkeypatch)
    ours = template_formulas(form)
    for path in (fast, slow):
        book = load(path)
        cell = total_cell(book, form)
        assert cell.value == "=" + ours[(cell.parent.title, cell.coordinate)]
        assert book["自查"]["C5"].value == "=" + ours[("自查", "C5")]


@pytest.mark.parametrize("how", sorted(NOT_PLAIN))
def test_files_that_are_not_plain_fall_back(how, returns, form, registry, tmp_path) -> None:
    source = NOT_PLAIN[how](returns["fill"], tmp_path / f"{how}.xlsx", form)
    sub = checked(returns["fill"], form, registry)
    target = tmp_path / "out" / "fb.xlsx"
    assert not write_feedback_xml(sub, source, target, form)
    assert not target.parent.exists() or not list(target.parent.iterdir())  # nothing written
    if how not in OPENPYXL_REFUSES:
        book = load(write_feedback(sub, source, target, form))  # the openpyxl path does it
        assert book.sheetnames[0] == FEEDBACK_SHEET


@needs_libreoffice
def test_a_return_saved_by_libreoffice_takes_the_fast_path(
    returns, form, registry, tmp_path, monkeypatch
) -> None:
    resaved = soffice_convert(returns["fill"], "xlsx", tmp_path / "lo")
    sub = checked(resaved, form, registry)
    fast, slow = both_paths(sub, resaved, tmp_path, form, monkeypatch)
    got, expected = snapshot(fast, sub), snapshot(slow, sub)
    assert got.pop("selected") == [FEEDBACK_SHEET] and expected.pop("selected") == []
    assert got == expected


@needs_libreoffice
def test_libreoffice_opens_the_fast_paths_workbook(returns, form, registry, tmp_path) -> None:
    sub = checked(returns["fastfill"], form, registry)
    source = tmp_path / "反馈.xlsx"
    assert write_feedback_xml(sub, returns["fastfill"], source, form)
    back = load(soffice_convert(source, "xlsx", tmp_path / "lo"))
    assert back.sheetnames[0] == FEEDBACK_SHEET and back.active.title == FEEDBACK_SHEET
    listed = back[FEEDBACK_SHEET]
    assert [c.value for c in listed[4]] == HEADERS
    first = sub.problems[0]
    label = SEVERITY_LABEL[first.severity]
    assert [c.value for c in listed[5]][:4] == ["1", label, first.sheet, first.cell]
    assert listed["D5"].hyperlink.location.endswith(f"!{first.cell}")
    error = next(p for p in sub.problems if p.severity is Severity.ERROR)
    cell = back[error.sheet][error.cell]
    assert cell.fill.fgColor.rgb[-6:] == FILL[Severity.ERROR]
    assert error.message in cell.comment.text
    assert str(cell.value) == error.value


# --- shapes the regex editor could not take: each gives the openpyxl path's workbook --------

XML_NS = "http://www.w3.org/XML/1998/namespace"


def each_part(source: Path, target: Path, edit, names=(".xml", ".rels")) -> Path:
    """A copy with every XML part passed through `edit(name, data)`."""

    def maybe(name: str, data: bytes) -> bytes:
        return edit(name, data) if name.endswith(names) else data

    return badfiles.rewrite_members(target, source, maybe)


def handwritten(data: bytes, quote: str, cdata: bool = False, comments: bool = False) -> bytes:
    """The same document written as no library writes it: every element's attributes (and
    namespace declarations) in reverse order, quoted with `quote`; with `cdata`, text in
    CDATA sections; with `comments`, a comment before the root and before the first child
    of every element that has children."""
    root = etree.fromstring(data)
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>']
    if comments:
        out.append("<!-- 手工写成 <row> & <c> -->")
    _write(root, {}, out, quote, cdata, comments)
    written = "".join(out).encode()
    if not cdata and not comments:  # the same document: same canonical form
        c14n = etree.tostring(etree.fromstring(written), method="c14n")
        assert c14n == etree.tostring(etree.fromstring(data), method="c14n")
    return written


def _write(element, scope: dict, out: list, quote: str, cdata: bool, comments: bool) -> None:
    if not isinstance(element.tag, str):  # a comment or processing instruction
        out.append(etree.tostring(element, encoding=str, with_tail=False))
        return
    declared = {p: u for p, u in element.nsmap.items() if scope.get(p) != u}

    def name(clark: str, prefix: str | None = None) -> str:
        if not clark.startswith("{"):
            return clark
        uri, local = clark[1:].split("}")
        if uri == XML_NS:
            return "xml:" + local
        if prefix is None:
            prefix = next(p for p, u in element.nsmap.items() if u == uri and p)
        return f"{prefix}:{local}" if prefix else local

    def attribute(value: str) -> str:
        value = value.replace("&", "&amp;").replace("<", "&lt;")
        value = value.replace(quote, "&apos;" if quote == "'" else "&quot;")
        return value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")

    attributes = [("xmlns:" + p if p else "xmlns", u) for p, u in declared.items()]
    attributes += [(name(k), v) for k, v in element.attrib.items()]
    tag = name(element.tag, element.prefix or "")
    head = "".join(f" {k}={quote}{attribute(v)}{quote}" for k, v in reversed(attributes))
    if element.text is None and len(element) == 0:
        out.append(f"<{tag}{head}/>")
        return
    out.append(f"<{tag}{head}>")
    if element.text:
        out.append(_text(element.text, cdata))
    if comments and len(element):
        out.append("<!--注释-->")
    for child in element:
        _write(child, element.nsmap, out, quote, cdata, comments)
        if child.tail:
            out.append(_text(child.tail, False))
    out.append(f"</{tag}>")


def _text(text: str, cdata: bool) -> str:
    if cdata and "]]>" not in text and "\r" not in text:
        return f"<![CDATA[{text}]]>"
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def without_r(data: bytes) -> bytes:
    """Rows and cells without the `r` a reader can infer (the row after the one before, the
    column after the one before), as some generators write them."""
    root = etree.fromstring(data)
    last_row = 0
    for row in root.iter(f"{{{MAIN}}}row"):
        number = int(row.get("r"))
        if number == last_row + 1:
            del row.attrib["r"]
        last_row, last_col = number, 0
        for cell in row.iter(f"{{{MAIN}}}c"):
            _, col = coordinate_to_tuple(cell.get("r"))
            if col == last_col + 1:
                del cell.attrib["r"]
            last_col = col
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def utf16_sheets(source: Path, target: Path) -> Path:
    def edit(name: str, data: bytes) -> bytes:
        if not name.startswith("xl/worksheets/sheet"):
            return data
        return etree.tostring(etree.fromstring(data), xml_declaration=True, encoding="UTF-16")

    return each_part(source, target, edit)


def sheet_part(source: Path, sheet: str) -> str:
    book = openpyxl.load_workbook(source, read_only=True)
    try:
        index = book.sheetnames.index(sheet)
    finally:
        book.close()
    with zipfile.ZipFile(source) as zf:
        workbook = etree.fromstring(zf.read("xl/workbook.xml"))
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    rid = workbook.find(f"{{{MAIN}}}sheets")[index].get(REL)
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return "xl/" + target.removeprefix("/xl/")


def empty_sheet_data(source: Path, target: Path) -> Path:
    """The cover with no cells at all: <sheetData/>."""
    part = sheet_part(source, "封面")

    def edit(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        root = etree.fromstring(data)
        root.find(f"{{{MAIN}}}sheetData").clear()
        for merged in root.findall(f"{{{MAIN}}}mergeCells"):
            root.remove(merged)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    return each_part(source, target, edit)


def without_comments(source: Path, target: Path) -> Path:
    parser = etree.XMLParser(remove_comments=True)

    def edit(name: str, data: bytes) -> bytes:
        root = etree.fromstring(data, parser)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    return each_part(source, target, edit)


# openpyxl takes a comment among <sheets>, <cellXfs>... for one of them
OPENPYXL_CANNOT_READ = {"CDATA and comments"}


def r_on_root(data: bytes) -> bytes:
    """The relationships prefix declared once on the root, as Excel writes it (openpyxl
    declares it on each <sheet> and not at all in a sheet without links)."""
    root = etree.fromstring(data)
    if root.tag not in (f"{{{MAIN}}}workbook", f"{{{MAIN}}}worksheet"):
        return data
    new = etree.Element(root.tag, dict(root.attrib), nsmap=root.nsmap | {"r": REL_TYPE})
    new.text = root.text
    new.extend(list(root))
    etree.cleanup_namespaces(new, keep_ns_prefixes=["r"])  # no <sheet xmlns:r> left
    return etree.tostring(new, xml_declaration=True, encoding="UTF-8", standalone=True)


SHAPES = {
    "r: declared on the root": lambda src, dst: each_part(
        src, dst, lambda name, data: r_on_root(data)
    ),
    "prefixed x:": lambda src, dst: badfiles.namespace_prefixed(dst, src, PREFIXED),
    "attributes reversed, single quotes": lambda src, dst: each_part(
        src, dst, lambda name, data: handwritten(data, "'")
    ),
    "attributes reversed, double quotes": lambda src, dst: each_part(
        src, dst, lambda name, data: handwritten(data, '"')
    ),
    "CDATA and comments": lambda src, dst: each_part(
        src, dst, lambda name, data: handwritten(data, '"', cdata=True, comments=True)
    ),
    "empty <sheetData/>": empty_sheet_data,
    "rows and cells without r": lambda src, dst: each_part(
        src, dst, lambda name, data: without_r(data) if "worksheets/sheet" in name else data
    ),
    "UTF-16 sheets": utf16_sheets,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_other_shapes_of_xml_make_the_openpyxl_paths_workbook(
    shape, returns, form, registry, tmp_path, monkeypatch
) -> None:
    """The editor reads parts as XML, not as text: each shape is marked where the plain
    file is, and nothing in it is written back in a form a reader takes differently."""
    sub = with_edge_problems(checked(returns["fill"], form, registry))
    source = SHAPES[shape](returns["fill"], tmp_path / "shaped.xlsx")
    if shape in OPENPYXL_CANNOT_READ:  # compared with the plain file's, comments taken out
        fast, slow = both_paths(sub, returns["fill"], tmp_path, form, monkeypatch)
        assert write_feedback_xml(sub, source, fast, form)
        fast = without_comments(fast, tmp_path / "fast_without_comments.xlsx")
    else:
        fast, slow = both_paths(sub, source, tmp_path, form, monkeypatch)
    got, expected = snapshot(fast, sub), snapshot(slow, sub)
    assert got.pop("selected") == [FEEDBACK_SHEET] and expected.pop("selected") == []
    assert got == expected
    marked = {(p.sheet, p.cell) for p in sub.problems if p.sheet in got["sheets"]}
    assert set(got["comments"]) == marked
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(fast) as after:
        for name in before.namelist():
            old, new = before.read(name), after.read(name)
            if new != old:  # a part we changed: every element where it was
                assert b"ns0:" not in new and b"xmlns:ns0" not in new, name
            if shape == "prefixed x:" and name.startswith("xl/worksheets/sheet"):
                assert b"<x:worksheet" in new and b"<worksheet" not in new, name
            sheet_or_book = re.fullmatch(r"xl/(workbook|worksheets/[^/]+)\.xml", name)
            if shape == "r: declared on the root" and sheet_or_book and new != old:
                assert new.count(b"xmlns:r=") == 1, name  # the root's, used by what we add


@needs_libreoffice
@pytest.mark.parametrize("shape", ["prefixed x:", "rows and cells without r", "CDATA and comments"])
def test_libreoffice_opens_the_fast_paths_workbook_of_other_shapes(
    shape, returns, form, registry, tmp_path
) -> None:
    """A drawing's r: prefix declared on <legacyDrawing> itself, rows given the `r` they
    lacked, comments kept: LibreOffice shows the marks as in the plain file's workbook."""
    sub = checked(returns["fill"], form, registry)
    source = SHAPES[shape](returns["fill"], tmp_path / "shaped.xlsx")
    path = tmp_path / "反馈.xlsx"
    assert write_feedback_xml(sub, source, path, form)
    back = load(soffice_convert(path, "xlsx", tmp_path / "lo"))
    assert back.sheetnames[0] == FEEDBACK_SHEET and back.active.title == FEEDBACK_SHEET
    for problem in sub.problems:
        cell = back[problem.sheet][problem.cell]
        assert cell.fill.fgColor.rgb[-6:] == FILL[problem.severity]
        assert problem.message in cell.comment.text


def test_a_resubmissions_list_says_what_was_fixed_still_open_and_new(
    returns, form, registry, tmp_path, monkeypatch
) -> None:
    """Both ways write the same list: the title's summary, 与上次相比 for every problem, and
    the earlier return's problems this one no longer has, below the table."""
    sub = with_edge_problems(checked(returns["fill"], form, registry))
    old = Problem(RULE, Severity.ERROR, "上次的问题，已改正", sheet="封面", cell="B9")
    kept = sub.problems[0]
    resubmitted = Resubmitted(3, (old,), frozenset({kept.key}))
    fast, slow = both_paths(sub, returns["fill"], tmp_path, form, monkeypatch, resubmitted)
    got, expected = snapshot(fast, sub), snapshot(slow, sub)
    got.pop("selected"), expected.pop("selected")
    assert got == expected
    values = got["values"]
    title = values[(FEEDBACK_SHEET, "A1")]
    new = len(sub.problems) - 1
    assert title.endswith(
        f"（第 3 次报送，与上次相比：已改正 1 处，仍未改正 1 处，新出现 {new} 处）"
    )
    assert values[(FEEDBACK_SHEET, "H4")] == "与上次相比"
    assert values[(FEEDBACK_SHEET, "H5")] == "仍未改正"
    assert {values[(FEEDBACK_SHEET, f"H{5 + n}")] for n in range(1, new + 1)} == {"新出现"}
    below = 4 + len(sub.problems) + 2
    assert values[(FEEDBACK_SHEET, f"A{below}")].startswith("上次报送中的以下问题")
    assert values[(FEEDBACK_SHEET, f"F{below + 1}")] == "上次的问题，已改正"
