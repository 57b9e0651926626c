"""What a file really is, from its content (never its name), before any parser runs."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import msoffcrypto
import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SAVE_AS_XLSX = "请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（.xlsx）再报送"


@dataclass(frozen=True)
class Kind:
    format: str  # "xlsx", "xls", or "" when the file is not read
    reason: str = ""  # why it is not read, in the unit's terms
    encrypted: bool = False  # password-protected (readable with the password)


ENCRYPTED = Kind("", "文件已加密，请取消密码后重新报送", encrypted=True)


def sniff(path: str) -> Kind:
    with open(path, "rb") as handle:
        return sniff_bytes(handle)


def sniff_bytes(source: BinaryIO) -> Kind:
    """What an open file (or a decrypted workbook in memory) is; leaves it at its start."""
    source.seek(0)
    head = source.read(512)
    source.seek(0)
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(source)
    elif head.startswith(OLE_MAGIC):
        kind = _ole_kind(source)
    else:
        kind = Kind("", _other_reason(head))
    source.seek(0)
    return kind


def _zip_kind(path: BinaryIO) -> Kind:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        return Kind("", "文件已损坏或下载不完整，请重新保存后报送")
    if "xl/workbook.xml" in names or any(n.endswith("/workbook.xml") for n in names):
        return Kind("xlsx")
    if "xl/workbook.bin" in names:
        return Kind("", f"这是 Excel 二进制工作簿（.xlsb），{SAVE_AS_XLSX}")
    if b"opendocument.spreadsheet" in mimetype:
        return Kind("", f"这是 OpenDocument 表格（.ods），{SAVE_AS_XLSX}")
    if "word/document.xml" in names or b"opendocument.text" in mimetype:
        return Kind("", "这是 Word 文档，不是统计报表，请使用下发的 .xlsx 模板填报")
    return Kind("", "这是压缩包，不是 Excel 工作簿，请使用下发的 .xlsx 模板填报")


def _ole_kind(path: BinaryIO) -> Kind:
    try:
        with olefile.OleFileIO(path) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except (OSError, ValueError, IndexError, TypeError):
        return Kind("", "文件已损坏，无法打开，请重新保存后报送")
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        return ENCRYPTED
    if "WordDocument" in streams:
        return Kind("", "这是 Word 文档，不是统计报表，请使用下发的 .xlsx 模板填报")
    if "Workbook" in streams or "Book" in streams:
        try:
            path.seek(0)
            if msoffcrypto.OfficeFile(path).is_encrypted():
                return ENCRYPTED
        except Exception:  # noqa: BLE001 - msoffcrypto raises many kinds; xlrd decides next
            pass
        return Kind("xls")
    return Kind("", f"无法识别的 Office 文件（可能是 WPS 的 .et 格式），{SAVE_AS_XLSX}")


def _other_reason(head: bytes) -> str:
    if not head:
        return "空文件（0 字节），可能没有保存完整，请重新报送"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%PDF"):
        return "这是 PDF 文件，不是 Excel 工作簿，请报送填好的 .xlsx 模板"
    if text.startswith((b"<html", b"<!doctype", b"<head", b"<body")):
        return "这是网页文件（可能下载不完整或下载到了错误页面），请重新下载或保存后报送"
    if text.startswith(b"<?xml"):
        return f"这是 XML 格式的表格（如 Excel 2003 XML），{SAVE_AS_XLSX}"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")):
        return "这是图片文件，不是 Excel 工作簿，请报送填好的 .xlsx 模板"
    if head.startswith(b"{\\rtf"):
        return "这是 RTF 文档，不是 Excel 工作簿，请报送填好的 .xlsx 模板"
    if _looks_like_text(head):
        return "这是文本文件（如 CSV），不含模板结构，请使用下发的 .xlsx 模板填报"
    return "不是电子表格文件，请报送填好的 .xlsx 模板"


def _looks_like_text(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\r\n\t" for ch in text[:-4])
    return False
