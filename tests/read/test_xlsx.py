"""The OOXML reader on hand-made workbooks: every cell type, 1904 dates, Strict OOXML,
cells without addresses, formulas with and without cached values."""

from __future__ import annotations

import datetime as dt

from pipeline.core.catalogue import ProblemCode
from pipeline.core.records import ErrorValue, NoCachedValue
from pipeline.read import xlsx_layout
from pipeline.read.xlsx import read_xlsx
from tests.support import badfiles

STYLES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<numFmts count="1"><numFmt numFmtId="170" formatCode="yyyy&quot;\xe5\xb9\xb4&quot;m&quot;\xe6\x9c\x88&quot;"/></numFmts>'
    b'<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="170"/><xf numFmtId="31"/></cellXfs>'
    b"</styleSheet>"
)
STRINGS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>plain</t></si><si><r><t>rich </t></r><r><t>text</t></r><rPh><t>ignored</t></rPh></si></sst>"
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    b'<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    b"</Relationships>"
)
CELLS = (
    '<row r="1">'
    '<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>inline</t></is></c>'
    '<c r="D1" t="b"><v>1</v></c><c r="E1" t="e"><v>#DIV/0!</v></c><c r="F1"><f>1+1</f></c>'
    '<c r="G1"><f>1+1</f><v>2</v></c><c r="H1" t="str"><f>"a"</f><v>a</v></c><c r="I1"><v>2.5</v></c>'
    "</row>"
    '<row r="2"><c r="A2" s="1"><v>0</v></c><c r="B2" s="2"><v>44621</v></c><c r="C2" s="3"><v>44621</v></c></row>'
    "<row><c><v>7</v></c><c><v>8</v></c></row>"  # no addresses: row 3, columns A and B
)
NAMES = "".join(f'<definedName name="N_{c}">S!${c[0]}${c[1:]}</definedName>' for c in
                ["A1", "B1", "C1", "D1", "E1", "F1", "G1", "H1", "I1", "A2", "B2", "C2", "A3", "B3"])  # fmt: skip


def workbook(date1904: bool, strict: bool = False, names: str = NAMES) -> bytes:
    text = badfiles.WORKBOOK.decode()
    pr = f'<workbookPr date1904="{int(date1904)}"/>'
    text = text.replace("<sheets>", pr + "<sheets>").replace(
        "</sheets>",
        f'</sheets><definedNames><definedName name="FORM_ID">S!$A$1</definedName>{names}</definedNames>',
    )
    if strict:
        text = text.replace(
            "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "http://purl.oclc.org/ooxml/spreadsheetml/main",
        )
    return text.encode()


def read(tmp_path, date1904=False, strict=False, cells=CELLS, names=NAMES) -> dict:
    sheet = badfiles.sheet_xml(cells)
    if strict:
        sheet = sheet.replace(
            b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        )
    path = badfiles.tiny_xlsx(tmp_path / "t.xlsx", sheet, workbook=workbook(date1904, strict, names),
                              extra={"xl/styles.xml": STYLES, "xl/sharedStrings.xml": STRINGS}, rels=RELS)  # fmt: skip
    data = read_xlsx(
        str(path),
        {"FORM_ID"}
        | {
            f"N_{c}"
            for c in [
                "A1",
                "B1",
                "C1",
                "D1",
                "E1",
                "F1",
                "G1",
                "H1",
                "I1",
                "A2",
                "B2",
                "C2",
                "A3",
                "B3",
            ]
        },
        set(),
    )
    return {
        name[2:]: data.cells["S"].get((row, col))
        for name, (_, row, col) in data.names.items()
        if name != "FORM_ID"
    }


def test_every_cell_type(tmp_path) -> None:
    cells = read(tmp_path)
    assert cells["A1"] == "plain" and cells["B1"] == "rich text" and cells["C1"] == "inline"
    assert cells["D1"] is True and cells["E1"] == ErrorValue("#DIV/0!")
    assert cells["F1"] == NoCachedValue("1+1")  # a formula saved without its result
    assert cells["G1"] == 2 and cells["H1"] == "a" and cells["I1"] == 2.5
    assert cells["A2"] == dt.date(1899, 12, 30)
    assert cells["B2"] == dt.date(2022, 3, 1) and cells["C2"] == dt.date(
        2022, 3, 1
    )  # custom and Chinese formats
    assert (cells["A3"], cells["B3"]) == (7, 8)


def test_returns_sharing_a_layout_are_each_read_with_their_own_values(
    tmp_path, monkeypatch
) -> None:
    parsed = []
    original = xlsx_layout.parse_layout
    monkeypatch.setattr(xlsx_layout, "_LAYOUT_CACHE", {})
    monkeypatch.setattr(
        xlsx_layout, "parse_layout", lambda *args: parsed.append(1) or original(*args)
    )
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    assert read(tmp_path / "a")["I1"] == 2.5
    other_values = CELLS.replace("<v>2.5</v>", "<v>3.5</v>")
    assert read(tmp_path / "b", cells=other_values)["I1"] == 3.5
    assert len(parsed) == 1  # same structure parts: the layout was parsed once
    moved = NAMES.replace("S!$I$1", "S!$G$1")  # a name that points elsewhere
    assert read(tmp_path / "c", cells=other_values, names=moved)["I1"] == 2
    assert len(parsed) == 2


def test_1904_date_system(tmp_path) -> None:
    assert read(tmp_path, date1904=True)["B2"] == dt.date(2026, 3, 2)


def test_strict_ooxml_namespace(tmp_path) -> None:
    assert read(tmp_path, strict=True)["A1"] == "plain"


def test_a_sheet_without_sheet_data_reads_as_empty(tmp_path) -> None:
    """<sheetData> is required but a hand-made file may leave it out: no cells, not a crash
    (the reader once called a method on the empty tuple that stood for it)."""
    sheet = badfiles.sheet_xml("").replace(b"<sheetData></sheetData>", b"")
    path = badfiles.tiny_xlsx(tmp_path / "t.xlsx", sheet, workbook=workbook(False))
    data = read_xlsx(str(path), {"FORM_ID", "N_A1"}, set())
    assert data.names["N_A1"] == ("S", 1, 1)
    assert data.cells["S"] == {}


def test_lost_names_fall_back_to_the_template_layout(form, registry, template, tmp_path) -> None:
    """Values pasted into a fresh workbook: no defined names, no tables. The return is still
    read, by the code column, the cover labels and the ledger headers, with one warning per
    loss (test_other_programs.py has every program's variant)."""
    import openpyxl

    from pipeline.check.validate import validate
    from pipeline.demo.fill import fill_return
    from pipeline.demo.sample import sample_return
    from pipeline.read.returns import read_return

    s = sample_return(form, registry, registry.by_code("LJ103"), seed=41)
    original = fill_return(form, template, tmp_path / "original.xlsx", s.values, s.ledgers)
    book = openpyxl.load_workbook(original)
    for name in list(book.defined_names):
        del book.defined_names[name]
    for ws in book.worksheets:
        for table in list(ws.tables):
            del ws.tables[table]
    book.save(tmp_path / "pasted.xlsx")
    a = validate(read_return(original, form, "", 0), form, registry)
    b = validate(read_return(tmp_path / "pasted.xlsx", form, "", 0), form, registry)
    assert [p.code for p in b.problems] == [ProblemCode.NAMES_LOST, ProblemCode.TABLES_LOST]
    assert a.values == b.values

    def strip(sub):
        return {
            k: [{c: v for c, v in r.items() if c != "_row"} for r in rows]
            for k, rows in sub.ledgers.items()
        }  # noqa: E731

    assert strip(a) == strip(b)
