"""The shared strings table read by its items' byte offsets gives, item for item, what parsing
the whole table gives; a table whose markup is not plain is parsed whole."""

from __future__ import annotations

import pytest
from lxml import etree

from pipeline.read.package import XML_PARSER
from pipeline.read.shared_strings import shared_strings, text_of

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def table(items: str, declaration: str = DECLARATION, root: str = f'<sst xmlns="{MAIN}">') -> bytes:
    return (declaration + root + items + "</sst>").encode()


def whole(data: bytes) -> list[str]:
    """Every item as the whole table parsed gives it (the reading before the fast path)."""
    root = etree.fromstring(data, XML_PARSER)
    return [text_of(item) for item in root.iterchildren("{*}si")]


def items(data: bytes) -> list[str]:
    strings = shared_strings(data)
    return [strings[k] for k in range(len(strings))]


PLAIN = {
    "excel": "<si><t>党纪处分</t></si><si><t>警告</t></si>",
    "libreoffice": '<si><t xml:space="preserve"> 前后空格 </t></si><si><t>第二项</t></si>',
    "gnumeric (indented)": "\n  <si>\n    <t>指标编码</t>\n  </si>\n  <si>\n    <t>名称</t>\n  </si>\n",
    "rich text and phonetic runs": (
        '<si><r><rPr><b/><sz val="11"/></rPr><t>粗</t></r><r><t xml:space="preserve"> 体</t></r>'
        '</si><si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si>'
    ),
    "entities and character references": (
        "<si><t>&lt;a&gt; &amp; &quot;q&quot; &#x4E2D;&#25991;&#13;&#10;</t></si>"
    ),
    "empty text": "<si><t/></si><si><t></t></si><si><t>后</t></si>",
    "an extension inside an item": "<si><t>a</t><extLst/></si>",
}


@pytest.mark.parametrize("name", PLAIN)
def test_a_plain_table_is_read_by_offsets_item_for_item(name: str) -> None:
    data = table(PLAIN[name])
    assert not shared_strings(data).parsed_whole
    assert items(data) == whole(data)
    assert len(whole(data)) >= 1


def test_a_table_without_declaration_or_items() -> None:
    for data in (table(PLAIN["excel"], declaration=""), table("")):
        assert not shared_strings(data).parsed_whole
        assert items(data) == whole(data)


NOT_PLAIN = {
    "a comment holding an item": "<si><t>a</t></si><!-- <si><t>x</t></si> --><si><t>b</t></si>",
    "CDATA holding markup": "<si><t><![CDATA[<si>x</si>]]></t></si><si><t>b</t></si>",
    "a processing instruction": "<si><t>a</t></si><?pi <si>?><si><t>b</t></si>",
    "an item inside an item's run": "<si><r><si><t>inner</t></si><t>a</t></r></si><si><t>b</t></si>",
    "an item inside a foreign element": "<si><t>a</t></si><x><si><t>no</t></si></x><si><t>b</t></si>",
    "items after an extension list": "<si><t>a</t></si><extLst><si><t>no</t></si></extLst>",
    "an item with an attribute": '<si a="1"><t>a</t></si><si><t>b</t></si>',
    "an empty item": "<si/><si><t>b</t></si>",
    "an end tag with a space": "<si><t>a</t></si ><si><t>b</t></si>",
    "an element named like si": "<si><t>a</t></si><sig><si><t>no</t></si></sig><si><t>b</t></si>",
}


@pytest.mark.parametrize("name", NOT_PLAIN)
def test_a_table_not_plain_is_parsed_whole(name: str) -> None:
    data = table(NOT_PLAIN[name])
    assert shared_strings(data).parsed_whole
    assert items(data) == whole(data)


def test_prefixes_encodings_and_byte_order_marks_are_parsed_whole() -> None:
    prefixed = table(
        "<x:si><x:t>a</x:t></x:si><x:si><x:t>b</x:t></x:si>",
        root=f'<x:sst xmlns:x="{MAIN}">',
    ).replace(b"</sst>", b"</x:sst>")
    utf16 = table(PLAIN["excel"], DECLARATION.replace("UTF-8", "UTF-16")).decode().encode("utf-16")
    gb18030 = table(PLAIN["excel"], DECLARATION.replace("UTF-8", "GB18030")).decode()
    assert shared_strings(prefixed).parsed_whole
    assert items(prefixed) == whole(prefixed) == ["a", "b"]
    cases = {
        "UTF-16": utf16,
        "GB18030": gb18030.encode("gb18030"),
        "UTF-8 with a byte order mark": b"\xef\xbb\xbf" + table(PLAIN["excel"]),
    }
    for name, data in cases.items():
        assert shared_strings(data).parsed_whole, name
        assert items(data) == whole(data) == ["党纪处分", "警告"], name


def test_a_table_cut_short_is_refused() -> None:
    with pytest.raises(etree.XMLSyntaxError):
        shared_strings(table(PLAIN["excel"])[: -len("</sst>")])


def test_a_malformed_item_a_cell_uses_is_refused() -> None:
    strings = shared_strings(table("<si><t>a</x></si><si><t>b</t></si>"))
    assert strings[1] == "b"
    with pytest.raises(etree.XMLSyntaxError):
        strings[0]
