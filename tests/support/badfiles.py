"""Builders for the files that arrive in real inboxes and the hostile ones that could.

Each builder writes one file into a folder and returns its path; tests/read/test_guards.py pairs
each with what the pipeline must say about it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from msoffcrypto.format.ooxml import OOXMLFile

WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def sheet_xml(cells: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1"/><sheetData>{cells}</sheetData></worksheet>'
    ).encode()


def tiny_xlsx(
    path: Path,
    sheet: bytes,
    workbook: bytes = WORKBOOK,
    extra: dict | None = None,
    rels: bytes = WORKBOOK_RELS,
) -> Path:
    """A minimal workbook of one sheet, assembled by hand (as a hostile producer could)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def zip_bomb(path: Path) -> Path:
    """2 MB of zeros squeezed into a few KB: a ratio far beyond any real workbook."""
    return tiny_xlsx(path, sheet_xml(""), extra={"xl/media/padding.bin": b"\0" * (2 * 1024 * 1024)})


def far_cell(path: Path) -> Path:
    """A 1 KB sheet declaring cells A1 and XFD1048576 (python-calamine aborts on this)."""
    cells = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return tiny_xlsx(path, sheet_xml(cells))


def billion_laughs(path: Path) -> Path:
    entities = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">'
            for n in range(1, 10)
        )
        + "]>"
    )
    workbook = WORKBOOK.replace(b"<workbook", (entities + "<workbook").encode(), 1)
    return tiny_xlsx(path, sheet_xml(""), workbook=workbook.replace(b'name="S"', b'name="&lol9;"'))


def external_entity(path: Path) -> Path:
    doctype = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    workbook = WORKBOOK.replace(b"<workbook", (doctype + "<workbook").encode(), 1)
    return tiny_xlsx(path, sheet_xml(""), workbook=workbook.replace(b'name="S"', b'name="&xxe;"'))


def utf16_entity(path: Path, codec: str = "utf-16") -> Path:
    """An internal entity in a UTF-16 workbook.xml, expanded into the sheet name if parsed
    naively (a byte search for ASCII `<!DOCTYPE` does not see it)."""
    text = WORKBOOK.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("<workbook", '<!DOCTYPE x [<!ENTITY e "EXPANDED">]><workbook', 1)
    return tiny_xlsx(
        path, sheet_xml(""), workbook=text.replace('name="S"', 'name="&e;"').encode(codec)
    )


def utf16_external_entity(path: Path) -> Path:
    """An external entity in a UTF-16 (big-endian, no byte order mark) shared strings part."""
    strings = (
        '<?xml version="1.0" encoding="UTF-16BE"?>'
        '<!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si></sst>'
    ).encode("utf-16-be")
    rels = WORKBOOK_RELS.replace(
        b"</Relationships>",
        b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    sheet = sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    return tiny_xlsx(path, sheet, rels=rels, extra={"xl/sharedStrings.xml": strings})


def traversal(path: Path) -> Path:
    return tiny_xlsx(path, sheet_xml(""), extra={"../../evil.txt": b"x"})


def bzip2_member(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("xl/workbook.xml", WORKBOOK)
    return path


def truncated(path: Path, good: Path) -> Path:
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def encrypted(path: Path, good: Path) -> Path:
    with open(good, "rb") as source, open(path, "wb") as target:
        OOXMLFile(source).encrypt("1234", target)
    return path


def docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    return path


def xlsb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.bin", b"\0\1")
    return path


def ods(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return path


def lying_dimension(path: Path, good: Path) -> Path:
    """A real return whose sheets all claim <dimension ref="A1"/> (openpyxl read-only then
    returns 1 value of 2,000 without any error)."""
    import re

    source = zipfile.ZipFile(good)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', data)
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    return path


# Added for the hostile inbox (tests/support/hostile.py): one builder per remaining rule of
# RELIABILITY.md. Those taking `good` rewrite a real filled return.

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def rewrite_members(path: Path, good: Path, edit, extra: dict | None = None) -> Path:
    """A copy of `good` with each member's bytes passed through `edit(name, data)` and the
    `extra` members added; member order, dates and compression kept."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info, edit(info.filename, source.read(info)), info.compress_type)
        for name, data in (extra or {}).items():
            target.writestr(name, data, zipfile.ZIP_DEFLATED)
    path.write_bytes(buffer.getvalue())
    return path


def many_members(path: Path, count: int = 2_001) -> Path:
    """More members than any workbook has (limits.MAX_ZIP_MEMBERS is 2,000)."""
    return tiny_xlsx(path, sheet_xml(""), extra={f"xl/media/m{n}.bin": b"" for n in range(count)})


def absolute_member(path: Path) -> Path:
    return tiny_xlsx(path, sheet_xml(""), extra={"/etc/cron.d/evil": b"x"})


def duplicate_member(path: Path) -> Path:
    """Two members named xl/worksheets/sheet1.xml: which one a reader takes is up to it."""
    import warnings

    tiny_xlsx(path, sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name"
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(
                "xl/worksheets/sheet1.xml", sheet_xml('<row r="1"><c r="A1"><v>2</v></c></row>')
            )
    return path


def zip_encryption_flag(path: Path) -> Path:
    """A member flagged as encrypted (traditional PKWARE encryption, general purpose bit 0),
    as a zip tool writes it when given a password; zipfile then asks for one."""
    tiny_xlsx(path, sheet_xml(""))
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + flag_at] |= 0x01
            start += 4
    path.write_bytes(bytes(data))
    return path


def lying_member_size(path: Path, inflated: int = 4 * 1024 * 1024) -> Path:
    """A sheet part whose headers (local and central) declare 1 KB while its data inflates to
    `inflated` bytes: a reader that trusts declared sizes is walked past its cap."""
    sheet = sheet_xml("").replace(b"<sheetData>", b"<sheetData>" + b" " * inflated)
    tiny_xlsx(path, sheet)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        central = zf.start_dir
    data = bytearray(path.read_bytes())
    declared = (1024).to_bytes(4, "little")
    for info in infos:
        lying = info.filename == "xl/worksheets/sheet1.xml"
        if lying:  # uncompressed size: offset 22 of the local header, 24 of the central one
            data[info.header_offset + 22 : info.header_offset + 26] = declared
            data[central + 24 : central + 28] = declared
        lengths = [
            int.from_bytes(data[central + n : central + n + 2], "little") for n in (28, 30, 32)
        ]
        central += 46 + sum(lengths)
    path.write_bytes(bytes(data))
    return path


def many_sheets(path: Path, count: int = 201) -> Path:
    """More sheets than limits.MAX_SHEETS (200), all pointing at one small part."""
    sheets = "".join(f'<sheet name="S{n}" sheetId="{n}" r:id="rId1"/>' for n in range(1, count + 1))
    workbook = WORKBOOK.replace(b'<sheet name="S" sheetId="1" r:id="rId1"/>', sheets.encode())
    return tiny_xlsx(path, sheet_xml(""), workbook=workbook)


def png(path: Path) -> Path:
    """A 1x1 PNG (a screenshot of the return, as some units send)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
    path.write_bytes(data + chunk(b"IEND", b""))
    return path


def rtf(path: Path) -> Path:
    path.write_bytes(rb"{\rtf1\ansi\ansicpg936 {\fonttbl\f0 SimSun;}\f0 \'b1\'a8\'b1\'ed\par}")
    return path


def excel_2003_xml(path: Path) -> Path:
    """SpreadsheetML 2003 (Excel "XML 表格"), which WPS and Excel still offer in Save As."""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        '<Worksheet ss:Name="封面"><Table><Row><Cell><Data ss:Type="String">LJ000</Data></Cell>'
        "</Row></Table></Worksheet></Workbook>",
        encoding="utf-8",
    )
    return path


def with_macro(path: Path, good: Path) -> Path:
    """A real return with a VBA project (as an .xlsm renamed .xlsx): the part, its
    relationship and the macro-enabled content type."""

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            data = data.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
            return data.replace(
                b"</Types>",
                b'<Override PartName="/xl/vbaProject.bin" '
                b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
            )
        return data

    vba = (
        OLE_HEADER
        + b'Attribute VB_Name = "ThisWorkbook"\r\nSub Auto_Open()\r\n'
        + (b'Shell "calc.exe"\r\nEnd Sub\r\n')
    )
    return rewrite_members(path, good, edit, extra={"xl/vbaProject.bin": vba})


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def with_external_links(path: Path, good: Path) -> Path:
    """A real return linked to another workbook on a share and to a DDE server (cmd): two
    external link parts, their relationships, and a formula cell that uses the first."""
    file_link = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><externalBook r:id="rId1">'
        '<sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet><sheetData sheetId="0">'
        '<row r="1"><cell r="A1"><v>7</v></cell></row></sheetData></sheetDataSet>'
        "</externalBook></externalLink>"
    ).encode()
    file_link_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
        f'xmlns="{PACKAGE_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/externalLinkPath" '
        'Target="file:///\\\\evil-share\\x\\book.xlsx" TargetMode="External"/></Relationships>'
    ).encode()
    dde_link = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<externalLink xmlns="{MAIN_NS}"><ddeLink ddeService="cmd" '
        'ddeTopic="/C calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems>'
        "</ddeLink></externalLink>"
    ).encode()
    link_type = f"{REL_NS}/externalLink"
    link_content = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            overrides = "".join(
                f'<Override PartName="/xl/externalLinks/externalLink{n}.xml" '
                f'ContentType="{link_content}"/>'
                for n in (1, 2)
            )
            return data.replace(b"</Types>", overrides.encode() + b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            links = "".join(
                f'<Relationship Id="rIdLink{n}" Type="{link_type}" '
                f'Target="externalLinks/externalLink{n}.xml"/>'
                for n in (1, 2)
            )
            return data.replace(b"</Relationships>", links.encode() + b"</Relationships>")
        if name == "xl/workbook.xml":
            refs = "".join(
                f'<externalReference xmlns:r="{REL_NS}" r:id="rIdLink{n}"/>' for n in (1, 2)
            )
            refs = f"<externalReferences>{refs}</externalReferences>".encode()
            return data.replace(b"</sheets>", b"</sheets>" + refs, 1)
        return data

    return rewrite_members(
        path,
        good,
        edit,
        extra={
            "xl/externalLinks/externalLink1.xml": file_link,
            "xl/externalLinks/_rels/externalLink1.xml.rels": file_link_rels,
            "xl/externalLinks/externalLink2.xml": dde_link,
        },
    )


def namespace_prefixed(
    path: Path, good: Path, parts=("xl/worksheets/", "xl/sharedStrings.xml")
) -> Path:
    """A real return whose SpreadsheetML parts bind the main namespace to the prefix `x`
    (`<x:worksheet><x:sheetData><x:row><x:c>`, as the .NET Open XML SDK writes): the same
    document to any namespace-aware reader. Parts whose name starts with one of `parts` are
    rewritten; the rest are kept."""

    rewritten = []

    def edit(name: str, data: bytes) -> bytes:
        if name.endswith(".xml") and name.startswith(parts):
            changed = prefixed(data)
            if changed != data:
                rewritten.append(name)
            return changed
        return data

    rewrite_members(path, good, edit)
    assert all(any(n.startswith(p) for n in rewritten) for p in parts), (parts, rewritten)
    return path


def prefixed(data: bytes, prefix: str = "x") -> bytes:
    """The same XML document with the SpreadsheetML main namespace bound to `prefix`
    instead of being the default namespace (lxml: elements are re-created, so every
    element of that namespace is written with the prefix)."""
    from copy import deepcopy

    from lxml import etree

    root = etree.fromstring(data)
    if root.nsmap.get(None) != MAIN_NS:
        return data

    def copy(element, parent=None):
        if not isinstance(element.tag, str):  # a comment or processing instruction: as is
            parent.append(deepcopy(element))
            return None
        if parent is None:
            nsmap = {k: v for k, v in element.nsmap.items() if k is not None} | {prefix: MAIN_NS}
            clone = etree.Element(element.tag, dict(element.attrib), nsmap=nsmap)
        else:  # keep the prefixes a child declares itself (openpyxl: xmlns:r on <sheet>)
            own = {k: v for k, v in element.nsmap.items() if k and parent.nsmap.get(k) != v}
            clone = etree.SubElement(parent, element.tag, dict(element.attrib), nsmap=own)
        clone.text, clone.tail = element.text, element.tail
        for child in element:
            copy(child, clone)
        return clone

    result = copy(root)
    return etree.tostring(result, xml_declaration=True, encoding="UTF-8", standalone=True)


def shared_strings(path: Path, good: Path) -> Path:
    """A real return with its text in a shared strings part, as Excel and WPS write it
    (openpyxl writes every text cell as an inline string): each distinct inline string
    becomes one <si>, and its cells refer to it by index."""
    from copy import deepcopy

    from lxml import etree

    cell_tag, inline_tag = f"{{{MAIN_NS}}}c", f"{{{MAIN_NS}}}is"
    table = etree.Element(f"{{{MAIN_NS}}}sst", nsmap={None: MAIN_NS})
    index: dict[bytes, int] = {}
    uses = 0
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(good) as source:
        infos = source.infolist()
        for info in infos:
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet") and info.filename.endswith(".xml"):
                root = etree.fromstring(data)
                for cell in root.iter(cell_tag):
                    inline = cell.find(inline_tag)
                    if cell.get("t") != "inlineStr" or inline is None:
                        continue
                    key = b"".join(etree.tostring(child) for child in inline)
                    if key not in index:
                        index[key] = len(index)
                        item = etree.SubElement(table, f"{{{MAIN_NS}}}si")
                        item.extend(deepcopy(child) for child in inline)
                    uses += 1
                    cell.remove(inline)
                    cell.set("t", "s")
                    etree.SubElement(cell, f"{{{MAIN_NS}}}v").text = str(index[key])
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdStrings" Type="{REL_NS}/sharedStrings" '
                    f'Target="sharedStrings.xml"/></Relationships>'.encode(),
                )
            parts[info.filename] = data
    table.set("count", str(uses))
    table.set("uniqueCount", str(len(index)))
    strings = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in infos:
            target.writestr(info, parts[info.filename], zipfile.ZIP_DEFLATED)
        target.writestr("xl/sharedStrings.xml", strings)
    return path


def utf16_shared_strings(path: Path, good: Path, codec: str = "utf-16") -> Path:
    """A real return whose shared strings part is UTF-16 (with a byte order mark for
    "utf-16"), declared as such: legal OOXML, read as the UTF-8 original."""

    with zipfile.ZipFile(good) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist(), "make it with shared_strings() first"

    def edit(name: str, data: bytes) -> bytes:
        if name != "xl/sharedStrings.xml":
            return data
        text = data.decode("utf-8")
        if text.startswith("<?xml"):
            declaration_end = text.index("?>") + 2
            text = text[declaration_end:]
        return ('<?xml version="1.0" encoding="UTF-16" standalone="yes"?>' + text).encode(codec)

    return rewrite_members(path, good, edit)


def sparse(path: Path, size: int = 3 * 2**30) -> Path:
    """A file of `size` bytes that costs no disk (a hole): only lstat may look at it."""
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path
