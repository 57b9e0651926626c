"""Builders for the files that arrive in real inboxes and the hostile ones that could.

Each builder writes one file into a folder and returns its path; tests/test_guards.py pairs
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
