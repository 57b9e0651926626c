"""The .xlsx package under the XML-level feedback editor: the zip read and checked, the parts
that change parsed into lxml trees (and only those), every other member copied byte for byte,
the whole written back as a new zip.

Parts are parsed with entities, DTDs and the network off; `refuse_dtd` has already refused
any part that declares a DTD or an entity before a tree is built. Elements are found by
namespace URI, so a part that binds SpreadsheetML to a prefix (`<x:worksheet>`) reads as one
that uses the default namespace, and lxml writes new elements with the prefix in scope.
"""

from __future__ import annotations

import io
import posixpath
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from lxml import etree

from pipeline.read.package import XmlRefused, refuse_dtd

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CT_PREFIX = "application/vnd.openxmlformats-officedocument."
WORKBOOK_CT = CT_PREFIX + "spreadsheetml.sheet.main+xml"
WORKSHEET_CT = CT_PREFIX + "spreadsheetml.worksheet+xml"
COMMENTS_CT = CT_PREFIX + "spreadsheetml.comments+xml"
VML_CT = CT_PREFIX + "vmlDrawing"
COMPRESS_LEVEL = 1  # as rollup_return: level 6 costs ~2 ms more a workbook for ~10% less
TRUE = {"1", "true"}  # xsd:boolean's true

# Every part a plain workbook may have (member names, not XML). Anything else (macros,
# external links, drawings, comments, embedded objects, pivot caches, custom XML...) sends
# the file to openpyxl.
_PLAIN_PART = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(?:app|core|custom)\.xml"
    r"|xl/(?:workbook|styles|sharedStrings|calcChain)\.xml|xl/_rels/workbook\.xml\.rels"
    r"|xl/theme/theme\d+\.xml|xl/worksheets/[\w.-]+\.xml|xl/worksheets/_rels/[\w.-]+\.xml\.rels"
    r"|xl/tables/[\w.-]+\.xml|xl/printerSettings/printerSettings\d+\.bin|(?:[\w.-]+/)+"
)


# Characters no XML document can hold (C0 controls but tab, CR, LF; surrogates; U+FFFE/F)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TO_ESCAPE = re.compile('[&<>"\t\n\r]')
_ESCAPES = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\t", "&#9;"),
            ("\n", "&#10;"), ("\r", "&#13;")]  # fmt: skip


class NotPlain(Exception):
    """The file is not one the XML editor makes feedback from; the openpyxl path does."""


def main(local: str) -> str:
    """A SpreadsheetML element's name in Clark notation: `{namespace}local`."""
    return f"{{{MAIN_NS}}}{local}"


def rel(local: str) -> str:
    return f"{{{PACKAGE_REL_NS}}}{local}"


R_ID = f"{{{REL_NS}}}id"  # the r:id attribute, whatever prefix the part gives it
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass
class Package:
    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]
    roots: dict[str, etree._Element] = field(default_factory=dict)  # parsed parts, by name
    parser: etree.XMLParser = field(
        default_factory=lambda: etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False
        )
    )

    @classmethod
    def read(cls, source: Path) -> Package:
        # Read whole and unzipped in memory, where zipfile's seeks cost nothing (~0.5 ms a
        # workbook less than on the file, with the write below)
        with zipfile.ZipFile(io.BytesIO(source.read_bytes())) as zf:
            infos = zf.infolist()
            if len({i.filename.lower() for i in infos}) != len(infos):
                raise NotPlain("duplicate member names")
            for info in infos:
                if not _PLAIN_PART.fullmatch(info.filename) or info.flag_bits & 1:
                    raise NotPlain(info.filename)
            data = {i.filename: zf.read(i) for i in infos}
        for name, content in data.items():
            if name.endswith((".xml", ".rels")):
                # Parts are copied as they are: none may carry a DTD into our output.
                try:
                    refuse_dtd(content)
                except XmlRefused as exc:
                    raise NotPlain(name) from exc
        return cls(infos, data)

    def root(self, name: str, tag: str) -> etree._Element:
        """The part's root element, parsed once; it must be `tag` (Clark notation), so a
        Strict OOXML part (another namespace) is not plain."""
        if name not in self.roots:
            self.roots[name] = etree.fromstring(self.data[name], self.parser)
        root = self.roots[name]
        if root.tag != tag:
            raise NotPlain(f"{name}: root is {root.tag}, not {tag}")
        return root

    def write(self, path: Path, changed: dict[str, bytes]) -> None:
        now = time.localtime()[:6]
        # Zipped in memory and written at once: zipfile seeks back to each member's header
        # to fill in its sizes, and a seek on a file flushes the file's buffer
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
            # Fresh ZipInfos: the source's extra fields (zip64, timestamps) are not copied
            members = [(i.filename, i.date_time, i.external_attr) for i in self.infos]
            new = [(name, now, 0o644 << 16) for name in changed if name not in self.data]
            for name, date_time, mode in members + new:
                info = zipfile.ZipInfo(name, date_time)
                info.external_attr = mode
                data = changed.get(name, self.data.get(name, b""))
                zf.writestr(info, data, zipfile.ZIP_DEFLATED, COMPRESS_LEVEL)
        path.write_bytes(buffer.getbuffer())

    def free_name(self, pattern: str, number: int) -> str:
        taken = {name.lower() for name in self.data}
        while pattern.format(number).lower() in taken:
            number += 1
        return pattern.format(number)


def escape(text: str) -> str:
    """A text for element content or a quoted attribute of a part written from scratch; its
    tabs and line ends as character references, so that a reader gets them back as they
    are. A character XML cannot hold is not plain (openpyxl raises on it too)."""
    if _NOT_XML.search(text):
        raise NotPlain("a character XML cannot hold")
    if not _TO_ESCAPE.search(text):
        return text
    for character, reference in _ESCAPES:
        text = text.replace(character, reference)
    return text


def serialise(root: etree._Element) -> bytes:
    """The part as UTF-8 with a declaration, comments and processing instructions around the
    root kept (character references come out as characters, CDATA as escaped text)."""
    # The declaration as Excel writes it (lxml's own has single quotes)
    return DECLARATION.encode() + etree.tostring(root.getroottree(), encoding="UTF-8")


class _RootReached(Exception):
    pass


def prolog(data: bytes) -> tuple[str, bool]:
    """The root element's name (Clark notation) and whether the part is UTF-8, read from the
    prolog only (~10 µs): expat stops at the root's start tag, as `refuse_dtd` does, where
    parsing the whole part would cost milliseconds."""
    parser = expat.ParserCreate(namespace_separator="}")
    found = {"encoding": None, "root": ""}

    def declaration(version: str, encoding: str | None, standalone: int) -> None:
        found["encoding"] = encoding

    def start(name: str, attributes: object) -> None:
        found["root"] = "{" + name if "}" in name else name
        raise _RootReached

    parser.XmlDeclHandler = declaration
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except _RootReached:
        pass
    except expat.ExpatError as exc:
        raise NotPlain(f"not well-formed: {exc}") from None
    encoding = (found["encoding"] or "utf-8").lower()
    # Without a declaration a part is UTF-8 unless it starts with a UTF-16/32 byte order
    # mark or NUL bytes (what a parser detects those by).
    utf8 = encoding in {"utf-8", "utf8"} and b"\x00" not in data[:4]
    utf8 = utf8 and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    return str(found["root"]), utf8


# --- relationships and content types ----------------------------------------------------


def relationships(package: Package, name: str) -> list[etree._Element]:
    root = package.root(name, rel("Relationships"))
    found = [child for child in root if isinstance(child.tag, str)]
    if any(child.tag != rel("Relationship") for child in found):
        raise NotPlain(f"{name}: not a relationship")
    return found


def empty_relationships() -> etree._Element:
    return etree.fromstring(f'<Relationships xmlns="{PACKAGE_REL_NS}"/>')


def add_relationships(root: etree._Element, new: list[tuple[str, str]]) -> list[str]:
    """Relationships (type, target) appended with fresh ids; the ids, in order."""
    taken = {r.get("Id", "") for r in root.iterchildren(rel("Relationship"))}
    ids, number = [], len(taken)
    for kind, target in new:
        number += 1
        while f"rId{number}" in taken:
            number += 1
        ids.append(f"rId{number}")
        attributes = {"Id": f"rId{number}", "Type": f"{REL_NS}/{kind}", "Target": target}
        etree.SubElement(root, rel("Relationship"), attributes)
    return ids


def rels_name(part: str) -> str:
    """Where a part's relationships are: xl/worksheets/_rels/sheet1.xml.rels."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve(base: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"{base}/{target}")


def add_types(root: etree._Element, parts: list[tuple[str, str]], vml: bool) -> None:
    """Overrides for new parts, and the .vml default when comments need one."""
    defaults = {
        d.get("Extension", "").lower(): d.get("ContentType")
        for d in root.iterchildren(f"{{{TYPES_NS}}}Default")
    }
    if vml and "vml" not in defaults:
        attributes = {"Extension": "vml", "ContentType": VML_CT}
        etree.SubElement(root, f"{{{TYPES_NS}}}Default", attributes)
    elif vml and defaults["vml"] != VML_CT:
        raise NotPlain("vml content type")
    for part, kind in parts:
        attributes = {"PartName": "/" + part, "ContentType": kind}
        etree.SubElement(root, f"{{{TYPES_NS}}}Override", attributes)
