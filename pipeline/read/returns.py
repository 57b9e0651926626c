"""One return → RawSubmission: what the file is (sniffed), read by the reader for its format,
the form's values and ledgers located in it. A file that cannot be read becomes a file-level
problem saying why."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from pipeline.core.catalogue import ProblemCode
from pipeline.core.filenames import display_name
from pipeline.core.problems import make_problem
from pipeline.core.records import RawSubmission
from pipeline.form.model import Form
from pipeline.read.decrypt import WrongPassword, decrypt_workbook
from pipeline.read.locate import EMITS as LOCATE_EMITS
from pipeline.read.locate import extract
from pipeline.read.sniff import sniff, sniff_bytes
from pipeline.read.types import ReadError
from pipeline.read.xls import read_xls
from pipeline.read.xlsx import read_xlsx

EMITS = (ProblemCode.FILE_UNREADABLE, ProblemCode.FILE_WRONG_FORMAT, *LOCATE_EMITS)


def read_return(
    path: Path, form: Form, sha256: str, mtime: float, password: str | None = None
) -> RawSubmission:
    """Everything the form needs from one file, or a file-level problem saying why not.
    The submission names the file by its display name (as its inbox entry does). With a
    password, a password-protected workbook (an office's own encrypted 上报 return) is
    decrypted in memory and read."""
    raw = RawSubmission(file=display_name(path.name), sha256=sha256, mtime=mtime)
    kind = sniff(str(path))
    source: str | BinaryIO = str(path)
    if kind.encrypted and password:
        try:
            source = decrypt_workbook(path, password)
        except WrongPassword:
            raw.problems.append(make_problem(ProblemCode.FILE_UNREADABLE, reason=WRONG_PASSWORD))
            return raw
        kind = sniff_bytes(source)
    if not kind.format:
        raw.problems.append(make_problem(ProblemCode.FILE_WRONG_FORMAT, reason=kind.reason))
        return raw
    names = form.return_names
    tables = {ledger.id for ledger in form.ledgers}
    try:
        if kind.format == "xlsx":
            data = read_xlsx(source, names, tables)
        else:
            data = read_xls(source)
    except ReadError as exc:
        raw.problems.append(make_problem(ProblemCode.FILE_UNREADABLE, reason=str(exc)))
        return raw
    extract(data, form, raw)
    return raw


WRONG_PASSWORD = "文件已加密，所给密码无法打开。请核对密码，或请报送单位取消密码后重新报送"
