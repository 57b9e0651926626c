"""Workbooks assembled part by part, in the shapes other producers write: a namespace prefix
(`<x:c>`, as the .NET Open XML SDK writes), UTF-16 parts, inline or shared strings, the 1904
date system. tests/read/test_differential.py reads each with our reader and with openpyxl.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


@dataclass(frozen=True)
class Shape:
    prefix: str = ""  # namespace prefix of SpreadsheetML ("" = default namespace)
    encoding: str = "UTF-8"  # "UTF-8", "UTF-16" (with BOM), "UTF-16BE" (no BOM)
    date1904: bool = False

    @property
    def label(self) -> str:
        prefix = f"prefix-{self.prefix}" if self.prefix else "no-prefix"
        return f"{prefix}/{self.encoding}/{'1904' if self.date1904 else '1900'}"


# Shared strings, by index. CR LF written raw must read as LF (XML line-end normalisation);
# written as character references it stays CR LF.
SHARED_STRINGS = [
    "<t>plain 文本</t>",
    "<t>line one\r\nline two\rline three</t>",
    "<t>kept&#13;&#10;as CR LF</t>",
    '<r><rPr><b/></rPr><t>粗</t></r><r><t xml:space="preserve"> 体 </t></r>',
    '<t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh>',
    '<t xml:space="preserve">  spaced  </t>',
    "<t>&lt;tag&gt; &amp; &quot;q&quot; &apos;a&apos; &#x4E2D;&#25991;</t>",
    "<t/>",
    "<t>=SUM(A1:A2)</t>",
]

# (reference, attributes, body): every shape of cell a producer may write.
CELLS = [
    ("A1", "", "<v>42</v>"),
    ("B1", "", "<v>3.5</v>"),
    ("C1", "", "<v>1E3</v>"),
    ("D1", ' t="n"', "<v>-7</v>"),
    ("A2", ' t="s"', "<v>0</v>"),
    ("B2", ' t="s"', "<v>1</v>"),
    ("C2", ' t="s"', "<v>2</v>"),
    ("D2", ' t="s"', "<v>3</v>"),
    ("E2", ' t="s"', "<v>4</v>"),
    ("F2", ' t="s"', "<v>5</v>"),
    ("G2", ' t="s"', "<v>6</v>"),
    ("H2", ' t="s"', "<v>7</v>"),
    ("I2", ' t="s"', "<v>8</v>"),
    ("A3", ' t="inlineStr"', "<is><t>inline\r\nCR LF</t></is>"),
    ("B3", ' t="inlineStr"', "<is><r><t>rich </t></r><r><rPr><i/></rPr><t>inline</t></r></is>"),
    ("C3", ' t="inlineStr"', "<is><t><![CDATA[1<2 & 3]]></t></is>"),
    ("D3", ' t="inlineStr"', '<is><t xml:space="preserve"> lead and trail </t></is>'),
    ("A4", ' t="str"', '<f>" "</f><v xml:space="preserve"> </v>'),
    ("B4", ' t="str"', '<f>"x"</f><v>x</v>'),
    ("C4", ' t="str"', '<f>"  "</f><v>  </v>'),
    ("A5", ' t="b"', "<v>1</v>"),
    ("B5", ' t="b"', "<v>0</v>"),
    ("A6", ' t="e"', "<v>#REF!</v>"),
    ("B6", ' t="e"', "<f>1/0</f><v>#DIV/0!</v>"),
    ("A7", "", '<f t="shared" ref="A7:A9" si="0">A1*2</f><v>84</v>'),
    ("A8", "", '<f t="shared" si="0"/><v>7</v>'),
    ("A9", "", '<f t="shared" si="0"/><v>2000</v>'),
    ("B7", "", "<f>A1+1</f>"),  # no cached value
    ("A10", ' s="1"', "<v>1</v>"),
    ("B10", ' s="1"', "<v>59</v>"),
    ("C10", ' s="1"', "<v>60</v>"),
    ("D10", ' s="1"', "<v>61</v>"),
    ("E10", ' s="1"', "<v>45366</v>"),
    ("F10", ' s="2"', "<v>45366.5</v>"),
    ("G10", ' s="3"', "<v>44621</v>"),
    ("H10", ' s="1"', "<v>0</v>"),
    ("I10", ' s="1" t="s"', "<v>0</v>"),  # text in a date-styled cell stays text
    ("A11", ' t="d"', "<v>2022-03-05T00:00:00</v>"),
    ("B11", ' s="4"', "<v>0.25</v>"),  # a percentage is not a date
    ("C11", ' s="0"', "<v>12</v>"),
]

# Rows whose cells carry no reference: their place follows from their order.
UNADDRESSED_ROW = '<row><c><v>1</v></c><c t="s"><v>0</v></c><c/><c><v>3</v></c></row>'

STYLES = (
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
    '<xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/>'
    '<xf numFmtId="10" applyNumberFormat="1"/></cellXfs>'
)


def _tag(shape: Shape, local: str) -> str:
    return f"{shape.prefix}:{local}" if shape.prefix else local


def _ns(shape: Shape) -> str:
    return f'xmlns:{shape.prefix}="{MAIN}"' if shape.prefix else f'xmlns="{MAIN}"'


LOCAL_NAMES = (
    "row", "c", "v", "f", "is", "t", "r", "rPr", "b", "i", "rPh", "si", "numFmts", "numFmt",
    "cellXfs", "xf", "sheets", "sheet", "workbookPr", "sheetData",
)  # fmt: skip


def _prefixed(shape: Shape, xml: str) -> str:
    """SpreadsheetML element names in `xml` given the shape's prefix (x:row, x:c, x:t …)."""
    if not shape.prefix:
        return xml
    for local in LOCAL_NAMES:
        tag = _tag(shape, local)
        for before, after in (("<", ">"), ("<", " "), ("<", "/>"), ("</", ">")):
            xml = xml.replace(f"{before}{local}{after}", f"{before}{tag}{after}")
    return xml


def _part(shape: Shape, root: str, body: str, extra_ns: str = "") -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{shape.encoding}" standalone="yes"?>\n'
        f"<{_tag(shape, root)} {_ns(shape)}{extra_ns}>{_prefixed(shape, body)}</{_tag(shape, root)}>"
    )
    codec = {"UTF-8": "utf-8", "UTF-16": "utf-16", "UTF-16BE": "utf-16-be"}[shape.encoding]
    return text.encode(codec)


def _rows(cells: list[tuple[str, str, str]]) -> str:
    by_row: dict[int, list[str]] = {}
    for ref, attrs, body in cells:
        row = int("".join(ch for ch in ref if ch.isdigit()))
        by_row.setdefault(row, []).append(f'<c r="{ref}"{attrs}>{body}</c>')
    return "".join(f'<row r="{row}">{"".join(c)}</row>' for row, c in sorted(by_row.items()))


def build(path: Path, shape: Shape) -> Path:
    """A one-sheet workbook named `数据` holding every cell of CELLS (plus a row of
    unaddressed cells at the end), in the given shape."""
    workbook = _part(
        shape,
        "workbook",
        ('<workbookPr date1904="1"/>' if shape.date1904 else "")
        + '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets>',
        f' xmlns:r="{REL}"',
    )
    sheet = _part(shape, "worksheet", f"<sheetData>{_rows(CELLS)}{UNADDRESSED_ROW}</sheetData>")
    strings = _part(shape, "sst", "".join(f"<si>{item}</si>" for item in SHARED_STRINGS))
    styles = _part(shape, "styleSheet", STYLES)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _content_types())
        zf.writestr("_rels/.rels", _package_rels())
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", _workbook_rels())
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        zf.writestr("xl/sharedStrings.xml", strings)
        zf.writestr("xl/styles.xml", styles)
    return path


def _content_types() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{TYPES}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/>'
        "</Types>"
    )


def _package_rels() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )


def _workbook_rels() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
