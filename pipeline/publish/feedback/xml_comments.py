"""The new parts behind a marked sheet's comments: the comments part (one comment per problem
cell, every problem found there, one a line) and the legacy VML drawing Excel and LibreOffice
need to show them (one hidden note shape per comment). Written from scratch as text: a
ledger may have thousands of problem cells, and lxml makes an element in ~2 µs."""

from __future__ import annotations

from pipeline.publish.feedback.content import COMMENT_AUTHOR, COMMENT_SIZE, comment_text
from pipeline.publish.feedback.xml_parts import DECLARATION, MAIN_NS, escape
from pipeline.publish.feedback.xml_sheet import Sheet, split


def comments_part(sheet: Sheet) -> bytes:
    comments = "".join(
        f'<comment ref="{escape(ref)}" authorId="0"><text><t xml:space="preserve">'
        f"{escape(comment_text(sheet.found[ref]))}</t></text></comment>"
        for ref in sheet.marks
    )
    return (
        f'{DECLARATION}<comments xmlns="{MAIN_NS}"><authors><author>{escape(COMMENT_AUTHOR)}'
        f"</author></authors><commentList>{comments}</commentList></comments>"
    ).encode()


def vml_part(sheet: Sheet, block: int) -> tuple[bytes, int]:
    """The VML shapes, and the next free block of 1024 shape ids (each drawing claims its
    own blocks). Only numbers go into it, never a text from the file or a problem."""
    width, height = COMMENT_SIZE
    blocks = range(block, block + len(sheet.marks) // 1024 + 1)
    shapes = []
    for index, ref in enumerate(sheet.marks, start=1):
        row, col = split(ref)
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + index}" type="#_x0000_t202" '
            f'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:{width}px;'
            f'height:{height}px;z-index:{index};visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" '
            'obscured="t"/><v:path o:connecttype="none"/><v:textbox '
            'style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col - 1}"
            "</x:Column></x:ClientData></v:shape>"
        )
    data = ",".join(str(number) for number in blocks)
    xml = (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:'
        'office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        f'<o:idmap v:ext="edit" data="{data}"/></o:shapelayout><v:shapetype id="_x0000_t202" '
        'coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke '
        'joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )
    return xml.encode(), blocks.stop
