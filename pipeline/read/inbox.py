"""I/O in: list the inbox without following or opening anything, then read one return.

Listing uses os.scandir and lstat only: symlinks, folders, FIFOs and devices are reported,
never opened (every reader blocks forever on a FIFO named x.xlsx). What a file is comes from
its content, not its name. Inputs are opened read-only and never modified.

An entry has two names: `path`, exact (whatever its bytes), for the disk only; and `name`,
the display name (filenames.py) that every output shows.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.core import limits
from pipeline.core.filenames import display_name
from pipeline.core.problems import make_problem
from pipeline.core.records import RawSubmission
from pipeline.encryption import WrongPassword, decrypt_workbook
from pipeline.form.model import Form
from pipeline.read.locate import extract
from pipeline.read.sniff import sniff, sniff_bytes
from pipeline.read.xls import read_xls
from pipeline.read.xlsx import ReadError, read_xlsx

SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass(frozen=True)
class Entry:
    """One entry of the inbox: a file to read, or one skipped with a reason."""

    name: str  # shown to people: valid Unicode, one line (filenames.display_name)
    path: Path  # exact, for disk operations only; never written to an output
    readable: bool
    reason: str = ""  # why it is skipped (ignored) or cannot be read (rejected)
    rejected: bool = False
    size: int = 0
    mtime: float = 0.0


def discover(inbox: Path) -> list[Entry]:
    """Every entry of the inbox, sorted by name; nothing is followed or opened."""
    with os.scandir(inbox) as scan:
        entries = [classify(Path(item.path), item.stat(follow_symlinks=False)) for item in scan]
    return sorted(entries, key=lambda e: (e.name, os.fsencode(e.path.name)))


def entries_for(paths: list[Path]) -> list[Entry]:
    """Entries for files and folders named on a command line (folders are listed, not walked)."""
    entries = []
    for path in paths:
        info = path.lstat()
        entries.extend(discover(path) if stat.S_ISDIR(info.st_mode) else [classify(path, info)])
    return entries


def classify(path: Path, info: os.stat_result) -> Entry:
    name = display_name(path.name)
    mode, lower = info.st_mode, path.name.lower()
    facts = {"size": info.st_size, "mtime": info.st_mtime}
    if stat.S_ISLNK(mode):
        return Entry(name, path, False, "快捷方式（符号链接），不读取", **facts)
    if stat.S_ISDIR(mode):
        return Entry(name, path, False, "子文件夹，不读取其中的文件", **facts)
    if not stat.S_ISREG(mode):
        return Entry(name, path, False, "不是普通文件（设备、管道等），不读取", **facts)
    if lower.startswith("~$") or lower.startswith(".~lock."):
        return Entry(name, path, False, "Excel/WPS 打开文件时产生的临时锁定文件", **facts)
    if lower in SYSTEM_FILES or path.name.startswith("."):
        return Entry(name, path, False, "系统或隐藏文件", **facts)
    if info.st_size == 0:
        return Entry(
            name, path, False, "空文件（0 字节），可能没有保存完整，请重新报送", True, **facts
        )
    if info.st_size > limits.MAX_FILE_BYTES:
        megabytes = info.st_size // (1024 * 1024)
        return Entry(
            name, path, False, f"文件过大（{megabytes} MB），不是正常的报表", True, **facts
        )
    return Entry(name, path, True, **facts)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
            raw.problems.append(make_problem("FILE_UNREADABLE", reason=WRONG_PASSWORD))
            return raw
        kind = sniff_bytes(source)
    if not kind.format:
        raw.problems.append(make_problem("FILE_WRONG_FORMAT", reason=kind.reason))
        return raw
    names = {i.code for i in form.indicators} | {"FORM_ID", "FORM_VERSION"}
    tables = {ledger.id for ledger in form.ledgers}
    try:
        if kind.format == "xlsx":
            data = read_xlsx(source, names, tables)
        else:
            data = read_xls(source)
    except ReadError as exc:
        raw.problems.append(make_problem("FILE_UNREADABLE", reason=str(exc)))
        return raw
    extract(data, form, raw)
    return raw


WRONG_PASSWORD = "文件已加密，所给密码无法打开。请核对密码，或请报送单位取消密码后重新报送"
