"""Outputs are written to a temporary name beside the target and renamed when complete,
so a crash never leaves a half-written workbook under the real name.

Most outputs carry personal data (names of disciplined persons, of persons reported, contact
details) and the output folder is often shared: they are created readable by the clerk only
(0600, and 0700 for the folders the pipeline makes). Only the shareable ones (the 脱敏 copy,
the template, the registry workbook) are written with the usual mode.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

PRIVATE_FOLDER_MODE = 0o700


@contextlib.contextmanager
def atomic_output(path: Path, private: bool = True) -> Iterator[Path]:
    """A temporary file beside `path`, renamed to it when the block ends without error.
    `private` (the default): mode 0600; otherwise what the umask gives."""
    path = Path(path)
    if private:
        private_folder(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )  # mkstemp makes the file 0600
    os.close(handle)
    tmp = Path(tmp_name)
    if not private:
        os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def private_folder(folder: Path) -> None:
    """A folder for personal data, made 0700 if it does not exist (an existing one keeps its
    mode: see close_folder and open_to_others)."""
    folder = Path(folder)
    folder.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)


def close_folder(folder: Path) -> None:
    """A folder the pipeline made in an earlier run (反馈, .cache), closed to others now."""
    info = folder.lstat()
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and info.st_mode & 0o077:
        os.chmod(folder, PRIVATE_FOLDER_MODE)


def open_to_others(folder: Path) -> bool:
    """True when another user could change what is in the folder: it is writable by group or
    others (without the sticky bit's protection), or it belongs to someone else."""
    try:
        info = folder.stat()
    except OSError:
        return False
    writable = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return bool(writable and not info.st_mode & stat.S_ISVTX) or info.st_uid != os.getuid()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
