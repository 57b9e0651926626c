"""Refuse DTDs and entities in an XML part, whatever its encoding, at the parser.

A real workbook never declares a DTD or an entity; with neither, no entity can expand and no
external reference can be followed. A byte search for ASCII `<!DOCTYPE` misses a part encoded
in UTF-16 (or any other declared encoding), so the check is made by expat itself, which
decodes the part as the parser that reads it next will. A DTD can only stand in the prolog,
before the root element: parsing stops at the root's start tag, so the check costs the prolog
only (~20 µs whatever the part's size).
"""

from __future__ import annotations

from xml.parsers import expat


class XmlRefused(Exception):
    """The part declares a DTD or an entity, or its prolog is not well-formed XML."""


class _RootReached(Exception):
    pass


def refuse_dtd(data: bytes) -> None:
    """Raise XmlRefused if the part declares a DTD, an entity or a notation."""
    parser = expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise XmlRefused("DTD or entity declaration")

    def root(*_: object) -> None:
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
