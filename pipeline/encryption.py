"""Password-protected workbooks: ECMA-376 Agile encryption, as Excel, WPS and LibreOffice
write and open it, through msoffcrypto-tool (already used to tell an encrypted workbook from
a legacy .xls). Decryption happens in memory: a decrypted return never touches the disk.
"""

from __future__ import annotations

import io
from pathlib import Path

import msoffcrypto
from msoffcrypto.exceptions import DecryptionError, FileFormatError, InvalidKeyError, ParseError
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.core.files import atomic_output

PASSWORD_ENV = "PIPELINE_PASSWORD"  # named in --help; a password is never a command-line value


class WrongPassword(Exception):
    """The password does not open the file (or the file is not a workbook it can open)."""


def encrypt_workbook(path: Path, password: str) -> None:
    """Replace an .xlsx by its encrypted form (readable by the clerk only, as every private
    output); the plain workbook is replaced in one rename."""
    with open(path, "rb") as plain, atomic_output(path) as tmp, open(tmp, "wb") as out:
        OOXMLFile(plain).encrypt(password, out)


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
