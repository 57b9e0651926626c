"""The DTD/entity refusal holds in every encoding, at the parser (pipeline/xml_guard.py)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from defusedxml import EntitiesForbidden
from openpyxl.xml.functions import fromstring

from pipeline.read.package import XmlRefused, refuse_dtd
from pipeline.read.types import ReadError
from pipeline.read.xlsx import read_xlsx
from tests.support import badfiles

DTD = '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'
EXTERNAL = (
    '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE a SYSTEM "http://example.org/a.dtd"><a/>'
)
PARAMETER = '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE a [<!ENTITY % p "x">]><a/>'
NOTATION = '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE a [<!NOTATION n SYSTEM "n">]><a/>'
CLEAN = '<?xml version="1.0" encoding="{enc}"?><a xmlns="urn:x"><b>中文 &amp; &#13;</b></a>'

# (declared encoding, Python codec): with and without byte order marks, both byte orders.
ENCODINGS = [
    ("UTF-8", "utf-8"),
    ("UTF-8", "utf-8-sig"),
    ("UTF-16", "utf-16"),  # byte order mark, little-endian here
    ("UTF-16", "utf-16-be"),  # no byte order mark, big-endian
    ("UTF-16LE", "utf-16-le"),
    ("UTF-16BE", "utf-16-be"),
    ("ISO-8859-1", "latin-1"),
]


@pytest.mark.parametrize(("declared", "codec"), ENCODINGS)
@pytest.mark.parametrize(
    "document",
    [DTD, EXTERNAL, PARAMETER, NOTATION],
    ids=["entity", "external", "parameter", "notation"],
)
def test_any_dtd_is_refused_in_any_encoding(document: str, declared: str, codec: str) -> None:
    text = document.format(enc=declared)
    if codec == "latin-1":
        text = text.replace("中文", "")
    with pytest.raises(XmlRefused):
        refuse_dtd(text.encode(codec))


@pytest.mark.parametrize(("declared", "codec"), ENCODINGS)
def test_a_part_without_dtd_passes_in_any_encoding(declared: str, codec: str) -> None:
    text = CLEAN.format(enc=declared)
    refuse_dtd((text.replace("中文", "") if codec == "latin-1" else text).encode(codec))


def test_broken_prolog_is_refused() -> None:
    with pytest.raises(XmlRefused):
        refuse_dtd(b"\x00\x01garbage")
    with pytest.raises(XmlRefused):
        refuse_dtd(b'<?xml version="1.0"?>')  # no root element


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_entity_in_workbook_is_rejected_and_never_expanded(
    codec: str, tmp_path: Path
) -> None:
    path = badfiles.utf16_entity(tmp_path / "utf16.xlsx", codec)
    with pytest.raises(ReadError, match="DTD"):
        read_xlsx(str(path), {"FORM_ID"}, set())


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_openpyxls_parser_never_expands_utf16_entities(codec: str) -> None:
    """The feedback workbook's openpyxl path parses the unit's parts without expanding any
    entity (defusedxml installed; with lxml present openpyxl sets resolve_entities=False)."""
    assert openpyxl.DEFUSEDXML is True
    try:
        root = fromstring(DTD.format(enc="UTF-16").encode(codec))
    except EntitiesForbidden:
        return
    assert root.text is None


def test_utf16_external_entity_in_shared_strings_is_rejected(tmp_path: Path) -> None:
    path = badfiles.utf16_external_entity(tmp_path / "xxe16.xlsx")
    with pytest.raises(ReadError, match="DTD"):
        read_xlsx(str(path), set(), set())


def test_a_malformed_sheet_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    sheet = badfiles.sheet_xml('<row r="1"><c r="A1"><v>1</v></c>').replace(b"</sheetData>", b"")
    path = badfiles.tiny_xlsx(tmp_path / "broken.xlsx", sheet)
    with pytest.raises(ReadError, match="表格数据格式错误"):
        read_xlsx(str(path), set(), set())
