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
from typing import TypedDict

from pipeline.core import limits
from pipeline.core.filenames import display_name

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


class _Facts(TypedDict):  # what every entry records of its stat
    size: int
    mtime: float


def classify(path: Path, info: os.stat_result) -> Entry:
    name = display_name(path.name)
    mode, lower = info.st_mode, path.name.lower()
    facts: _Facts = {"size": info.st_size, "mtime": info.st_mtime}
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
