"""File names as people see them: one visible line of valid Unicode, whatever the bytes.

Returns unpacked on Linux from a Windows zip or USB stick have GBK names; Python gives them
as str with lone surrogates ('\\udcb3'), which every .encode() (a cache key, a JSON file, an
xlsx cell, print()) refuses. An inbox entry therefore has two names: the exact one on disk,
used only to open the file, and the display name from here, used by every output.

A display name is the name itself when its bytes are UTF-8; the GB18030 reading, marked,
when they are not; otherwise the name with each undecodable byte escaped (\\xb3). In all
three, characters that cannot be seen or that rearrange a line (controls such as newline
and ESC, bidi overrides, other format characters) are escaped too, as \\u001b (a byte is
\\xb3, a character \\u....), so one name is one line in a terminal, a cell, a text file or a
Word document. `name_bytes_hex` maps a display name back to the exact bytes (manifest.json).
"""

from __future__ import annotations

import os
import unicodedata

GBK_MARK = "（文件名为 GBK 编码）"
# Shown as escapes: controls (Cc), format characters such as bidi overrides and zero-width
# marks (Cf), lone surrogates (Cs), and line/paragraph separators (Zl, Zp).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
RESERVED = frozenset('\\/:*?"<>|')  # not allowed in a Windows file name (and "/" nowhere)
MAX_NAME_BYTES = 255  # one file name on Linux file systems (ext4, xfs, btrfs)


def display_name(name: str | os.PathLike[str]) -> str:
    """The name shown to people (screen, workbooks, manifest, texts) for an on-disk name or
    path: valid Unicode, one line, nothing hidden. Names that are not UTF-8 but read as
    GB18030 are given in Chinese and marked `（文件名为 GBK 编码）`."""
    text, gbk = _decoded(raw_bytes(name))
    return visible(text) + (GBK_MARK if gbk else "")


def safe(text: str) -> str:
    """Any text made safe for one terminal line: non-UTF-8 bytes decoded (GB18030) or
    escaped, controls, newlines, ANSI escapes and bidi overrides escaped."""
    return visible(_decoded(raw_bytes(text))[0])


def raw_bytes(name: str | os.PathLike[str]) -> bytes:
    """The exact bytes of a name as the file system has them."""
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate that did not come from the file system
        return os.fspath(name).encode("utf-8", "backslashreplace")


def name_bytes_hex(name: str | os.PathLike[str]) -> str:
    """The exact on-disk bytes of a name as hex (for manifest.json)."""
    return raw_bytes(name).hex()


def is_exact(name: str | os.PathLike[str]) -> bool:
    """True when the display name is the on-disk name itself (same bytes in UTF-8)."""
    return display_name(name).encode("utf-8") == raw_bytes(name)


def output_file_name(stem: str, suffix: str) -> str:
    """A name for a file the pipeline writes, from text that may hold anything (a display
    name, a unit's name): valid UTF-8, legal on Windows too (reserved and hidden characters,
    lone surrogates included, become "_"), and within 255 bytes, cut in `stem` so that
    `suffix` is kept whole."""
    clean = "".join("_" if ch in RESERVED or _hidden(ch) else ch for ch in stem)
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    cut = clean.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut.rstrip(" .") + suffix  # Windows drops trailing dots and spaces


def visible(text: str) -> str:
    """Characters that cannot be seen or that rearrange a line, escaped (\\u000a, \\u001b,
    \\u202e)."""
    return "".join(_escaped(ch) if _hidden(ch) else ch for ch in text)


def _decoded(raw: bytes) -> tuple[str, bool]:
    """The text, and whether a part of it was read as GB18030. Each part of a path is read on
    its own: a GBK file name in a folder with a UTF-8 name is still decoded."""
    parts = [_decoded_part(part) for part in raw.split(b"/")]
    return "/".join(text for text, _ in parts), any(gbk for _, gbk in parts)


def _decoded_part(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in HIDDEN_CATEGORIES or _is_noncharacter(ch)


def _is_noncharacter(ch: str) -> bool:
    """U+FDD0..U+FDEF and U+xFFFE/U+xFFFF: never text, and not allowed in XML (xlsx, docx)."""
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _escaped(ch: str) -> str:
    """A character as \\uXXXX (\\UXXXXXXXX beyond the BMP); \\xNN is kept for bytes that
    decode as nothing, so an escape says which of the two it was."""
    code = ord(ch)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
