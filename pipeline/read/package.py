"""The guards an .xlsx package passes before and while any XML is parsed: the zip inspected
(member count, paths, methods, sizes, compression ratio), members inflated under a cap that
holds whatever the headers claim, and DTDs and entities refused at the parser.

A real workbook never declares a DTD or an entity; with neither, no entity can expand and no
external reference can be followed. A byte search for ASCII `<!DOCTYPE` misses a part encoded
in UTF-16 (or any other declared encoding), so the check is made by expat itself, which
decodes the part as the parser that reads it next will. A DTD can only stand in the prolog,
before the root element: parsing stops at the root's start tag, so the check costs the prolog
only (~20 µs whatever the part's size).
"""

from __future__ import annotations

import io
import zipfile
from typing import IO, NoReturn
from xml.parsers import expat

from lxml import etree

from pipeline.core import limits
from pipeline.read.types import ReadError

# The parser of every part read after member_xml: entities are never resolved and no DTD is
# loaded (refuse_dtd has refused any DTD first).
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class XmlRefused(Exception):
    """The part declares a DTD or an entity, or its prolog is not well-formed XML."""


class _RootReached(Exception):
    pass


def refuse_dtd(data: bytes) -> None:
    """Raise XmlRefused if the part declares a DTD, an entity or a notation."""
    parser = expat.ParserCreate()

    def refuse(*_: object) -> NoReturn:
        raise XmlRefused("DTD or entity declaration")

    def root(*_: object) -> NoReturn:
        raise _RootReached

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _RootReached:
        return
    except expat.ExpatError as exc:
        raise XmlRefused(f"not well-formed: {exc}") from None
    raise XmlRefused("no root element")


def inspect_zip(zf: zipfile.ZipFile) -> None:
    """Refuse hostile or broken archives before any XML parser runs."""
    infos = zf.infolist()
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        raise ReadError(f"压缩包内文件过多（{len(infos)} 个），不是正常的报表")
    seen, total = set(), 0
    for info in infos:
        name = info.filename
        if name.startswith("/") or "\\" in name or ".." in name.split("/") or name in seen:
            raise ReadError("压缩包内有异常的文件路径，不是正常的报表")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise ReadError("文件已加密，请取消密码后重新报送")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ReadError("压缩方式不受支持，请用 Excel 或 WPS 另存为 .xlsx 后报送")
        if info.file_size > limits.MAX_MEMBER_BYTES:
            raise ReadError("文件内容过大，不是正常的报表")
        if (
            info.file_size > limits.RATIO_CHECK_FROM_BYTES
            and info.file_size > limits.MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        ):
            raise ReadError("文件压缩比异常（疑似压缩炸弹），已拒绝读取")
        total += info.file_size
    if total > limits.MAX_TOTAL_BYTES:
        raise ReadError("文件解压后过大，不是正常的报表")


def member_xml(zf: zipfile.ZipFile, part: str) -> io.BytesIO:
    """A part's bytes, inflated under the size cap, refused if it declares a DTD or entities."""
    with CappedReader(zf.open(part), limits.MAX_MEMBER_BYTES) as handle:
        data = b"".join(iter(lambda: handle.read(1 << 16), b""))
    try:
        refuse_dtd(data)
    except XmlRefused as exc:
        raise ReadError(
            "文件包含不允许的 XML 声明（DTD/实体）或格式错误，疑似恶意文件，已拒绝读取"
        ) from exc
    return io.BytesIO(data)


class CappedReader:
    """Declared sizes can lie: stop inflating past the cap, whatever the header said."""

    def __init__(self, raw: IO[bytes], cap: int):
        self.raw, self.left = raw, cap

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size if size and size > 0 else 1 << 16)
        self.left -= len(chunk)
        if self.left < 0:
            raise ReadError("文件内容过大，不是正常的报表")
        return chunk

    def __enter__(self) -> CappedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()
