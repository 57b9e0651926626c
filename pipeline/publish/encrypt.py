"""Password-protected outputs: ECMA-376 Agile encryption, as Excel, WPS and LibreOffice write
and open it, through msoffcrypto-tool (already used to tell an encrypted workbook from a
legacy .xls). Reading them back is read/decrypt.py's."""

from __future__ import annotations

from pathlib import Path

from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.core.files import atomic_output

PASSWORD_ENV = "PIPELINE_PASSWORD"  # named in --help; a password is never a command-line value


def encrypt_workbook(path: Path, password: str) -> None:
    """Replace an .xlsx by its encrypted form (readable by the clerk only, as every private
    output); the plain workbook is replaced in one rename."""
    with open(path, "rb") as plain, atomic_output(path) as tmp, open(tmp, "wb") as out:
        OOXMLFile(plain).encrypt(password, out)
