"""Password-protected workbooks opened in memory (msoffcrypto-tool): an office's own 上报
return locked with --password is read at the level above with the same password. The
decrypted workbook never touches the disk."""

from __future__ import annotations

import io
from pathlib import Path

import msoffcrypto
from msoffcrypto.exceptions import DecryptionError, FileFormatError, InvalidKeyError, ParseError


class WrongPassword(Exception):
    """The password does not open the file (or the file is not a workbook it can open)."""


def decrypt_workbook(path: Path, password: str) -> io.BytesIO:
    """The decrypted bytes of a password-protected workbook, in memory."""
    with open(path, "rb") as source:
        try:
            office = msoffcrypto.OfficeFile(source)
            office.load_key(password=password)
            plain = io.BytesIO()
            office.decrypt(plain)
        except (InvalidKeyError, DecryptionError, FileFormatError, ParseError, ValueError) as exc:
            raise WrongPassword(str(exc)) from None
    plain.seek(0)
    return plain
