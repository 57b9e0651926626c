"""styles.xml for the XML-level feedback editor: the severities' fills, the 审核意见 sheet's
fonts and cell formats, and filled copies of the formats marked cells had, all appended (no
existing format changes, so no other cell's look does)."""

from __future__ import annotations

import copy

from lxml import etree

from pipeline.core.catalogue import Severity
from pipeline.publish.feedback.content import FILL_COLORS, LINK_COLOR
from pipeline.publish.feedback.xml_parts import NotPlain, main


class Styles:
    """The parsed styles.xml, appended to in place."""

    def __init__(self, root: etree._Element):
        self.lists: dict[str, etree._Element] = {}
        self.counts: dict[str, int] = {}
        for name, item in (("fonts", "font"), ("fills", "fill"), ("cellXfs", "xf")):
            found = root.find(main(name))
            if found is None:
                raise NotPlain(f"styles: no <{name}>")
            children = [child for child in found if isinstance(child.tag, str)]
            if any(child.tag != main(item) for child in children):
                raise NotPlain(f"styles: <{name}> holds more than <{item}>")
            self.lists[name], self.counts[name] = found, len(children)
        if root.find(f"{main('cellStyleXfs')}/{main('xf')}") is None:
            raise NotPlain("styles: no cell style")
        self.xfs = list(self.lists["cellXfs"].iterchildren(main("xf")))
        self.fills = {severity: self._fill(color) for severity, color in FILL_COLORS.items()}
        self.filled: dict[tuple[int, Severity], int] = {}

    def _counted(self, name: str) -> int:
        """One more font, fill or cell format at the end of its list: its index. The list's
        count follows."""
        self.counts[name] += 1
        self.lists[name].set("count", str(self.counts[name]))
        return self.counts[name] - 1

    def _new(self, name: str, local: str, attributes: dict[str, str], *children) -> int:
        """A new element at the end of a list (made there, in the scope of the part's
        prefixes); children are (local name, attributes)."""
        element = etree.SubElement(self.lists[name], main(local), attributes)
        for child, child_attributes in children:
            etree.SubElement(element, main(child), child_attributes)
        return self._counted(name)

    def _fill(self, color: str) -> int:
        index = self._new("fills", "fill", {}, ("patternFill", {"patternType": "solid"}))
        pattern = self.lists["fills"][-1][0]
        etree.SubElement(pattern, main("fgColor"), rgb="FF" + color)
        return index

    def with_fill(self, style: int, severity: Severity) -> int:
        """A copy of cell format `style` with the severity's fill (font, border, number format,
        alignment and protection kept), as openpyxl's `cell.fill = ...` makes; one per
        (style, severity)."""
        if (style, severity) not in self.filled:
            if not 0 <= style < len(self.xfs):
                raise NotPlain("cell style out of range")
            xf = copy.deepcopy(self.xfs[style])
            xf.tail = None
            xf.set("fillId", str(self.fills[severity]))
            xf.set("applyFill", "1")
            self.lists["cellXfs"].append(xf)
            self.filled[(style, severity)] = self._counted("cellXfs")
        return self.filled[(style, severity)]

    def add_feedback_styles(self) -> dict[str | Severity, int]:
        """The 审核意见 sheet's formats, as feedback.py's openpyxl fonts, fills and alignment."""
        fonts = {
            "title": self._new("fonts", "font", {}, ("b", {}), ("sz", {"val": "14"})),
            "header": self._new("fonts", "font", {}, ("b", {})),
            "link": self._new(
                "fonts", "font", {}, ("u", {}), ("color", {"rgb": f"FF{LINK_COLOR}"})
            ),
        }
        own: dict[str | Severity, int] = {
            name: self._format(font, 0, {"applyFont": "1"}) for name, font in fonts.items()
        }
        wrap = ("alignment", {"vertical": "top", "wrapText": "1"})
        own["wrap"] = self._format(0, 0, {"applyAlignment": "1"}, wrap)
        for severity, fill in self.fills.items():
            own[severity] = self._format(0, fill, {"applyFill": "1"})
        return own

    def _format(self, font: int, fill: int, apply: dict[str, str], *children) -> int:
        attributes = {"numFmtId": "0", "fontId": str(font), "fillId": str(fill)}
        attributes |= {"borderId": "0", "xfId": "0"} | apply
        return self._new("cellXfs", "xf", attributes, *children)
