"""The shared strings of an .xlsx: each item decoded when a cell the form needs first uses it.

A return's table holds every instruction and every registered unit's name (21,113 items,
679 KB at 10,000 units) while the cells the form needs use a few dozen. Parsing the whole
table into elements was two thirds of reading a return at 10,000 units (~28 ms of 44: the
parse, a proxy per item, freeing them). The items are found instead by the byte offsets of
their tags (numpy over the bytes, ~2.4 ms at 10,000 units) and only the items used are parsed,
each on its own, by the same parser.

That is exact only where every `<` starts a tag and the items stand one after another under
the root: a UTF-8 table without comment, CDATA, processing instruction or namespace prefix,
its items written `<si>…</si>`. Excel, LibreOffice, Gnumeric and our own writers write it so.
Any other table is parsed whole, as it always was. The price of the fast path: an item no cell
uses is never parsed, so a malformed one goes unnoticed (a table Excel would refuse to open);
a malformed item a cell uses, or a table cut short, is refused as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

import numpy as np
from lxml import etree

from pipeline.core import limits
from pipeline.read.package import XML_PARSER


class Strings(Protocol):
    """What a cell's value needs of the shared strings: the count, and one by its index."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> str: ...


def shared_strings(data: bytes) -> Items:
    """The table in a part's bytes (already through the package's guards)."""
    offsets = _item_offsets(data)
    if offsets is None:
        # A list: lxml finds a child by its index by walking the children from the first
        items = list(etree.fromstring(data, XML_PARSER).iterchildren("{*}si"))
        return Items(len(items), items.__getitem__, parsed_whole=True)
    starts, ends = offsets

    def item(index: int) -> etree._Element:
        return etree.fromstring(data[starts[index] : ends[index] + len(b"</si>")], XML_PARSER)

    return Items(len(starts), item, parsed_whole=False)


def text_of(el: etree._Element) -> str:
    """Text of a string item or inline string, without phonetic runs."""
    # string(): the text nodes only, as XML defines a value (comments and PIs left out)
    texts = [str(_string(child)) for child in el.iterchildren("{*}t", "{*}r")]
    return "".join(texts)[: limits.MAX_TEXT_CHARS]


_string = etree.XPath("string()")


class Items:
    """A table's items, each decoded when a cell first uses it: from the whole table parsed
    (parsed_whole), or parsed on its own from its bytes."""

    def __init__(
        self, count: int, item: Callable[[int], etree._Element], parsed_whole: bool
    ) -> None:
        self.count, self.item, self.parsed_whole = count, item, parsed_whole
        self.decoded: dict[int, str] = {}

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int, /) -> str:
        text = self.decoded.get(index)
        if text is None:
            text = self.decoded[index] = text_of(self.item(index))
        return text


_DECLARATION = re.compile(rb"<\?xml\s[^>]*?\?>")
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_ROOT_NAME_ENDS = frozenset(b" \t\r\n>")


def _item_offsets(data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Where each item's `<si>` and `</si>` stand, or None when the table is not plain."""
    body = _after_declaration(data)
    if body is None or b"xmlns:" in data or not data.rstrip().endswith(b"</sst>"):
        return None  # (a table cut short is parsed whole, and refused there)
    # Padded: the bytes after a `<` are read without running off the end
    octets = np.frombuffer(data + b"\0" * 5, np.uint8)
    tags = np.flatnonzero(octets[body:-5] == ord("<")) + body
    if len(tags) < 2 or data[tags[0] : tags[0] + 4] != b"<sst":
        return None
    if octets[tags[0] + 4] not in _ROOT_NAME_ENDS:
        return None
    first, second, third, fourth = (octets[tags + k] for k in (1, 2, 3, 4))
    if np.any((first == ord("!")) | (first == ord("?"))):
        return None  # a comment, CDATA or processing instruction: a `<` in them starts no tag
    opens = (first == ord("s")) & (second == ord("i"))  # <si…
    closes = (first == ord("/")) & (second == ord("s")) & (third == ord("i"))  # </si…
    if np.any(opens & (third != ord(">"))) or np.any(closes & (fourth != ord(">"))):
        return None  # <si> with attributes, <si/>, or an element named si-something
    opening, closing = np.flatnonzero(opens), np.flatnonzero(closes)  # indices among the tags
    if len(opening) != len(closing):
        return None
    if len(opening) and not _one_after_another(opening, closing):
        return None
    return tags[opening], tags[closing]


def _after_declaration(data: bytes) -> int | None:
    """Where the markup after the XML declaration begins; None unless the part is UTF-8
    (a byte order mark or a declared encoding other than UTF-8: parsed whole)."""
    if not data.startswith(b"<?xml"):
        return 0 if data.startswith(b"<") else None
    declaration = _DECLARATION.match(data)
    if declaration is None:
        return None
    if b"encoding" in declaration.group() and not _UTF8.search(declaration.group()):
        return None
    return declaration.end()


def _one_after_another(opening: np.ndarray, closing: np.ndarray) -> bool:
    """Given each item's start and end tag as indices among all the tags: the first item opens
    right after the root's start tag, each closes after it opens, and the next opens with the
    very next tag. Then every item is a child of the root, and no tag stands between two."""
    return bool(
        opening[0] == 1 and np.all(opening < closing) and np.all(closing[:-1] + 1 == opening[1:])
    )
