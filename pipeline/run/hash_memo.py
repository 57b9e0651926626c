"""The sha256 of each inbox file as an earlier run found it, by the file's identity: a re-run
hashes only the files that changed (at 10,000 returns, hashing all 2.9 GB of them was 4 s of
a 48 s re-run on a local disk; on a shared drive it is all the bytes over the network).

A file's identity is its exact path, device, inode, size, and its modification and change
times in nanoseconds. The change time (st_ctime on POSIX) is set by the kernel whenever the
file's content or metadata change, and no program can set it back (os.utime sets the other
two), so a file whose identity is unchanged still has the content that was hashed: what git
and rsync rely on. Two guards:
- the memo is used only where st_ctime is the change time (POSIX; on Windows it is the time
  the file was made, which a rewrite keeps);
- a file changed less than RECENT_SECONDS before it was hashed is not remembered: a second
  change within the same timestamp tick (2 s on FAT) would leave every time as it was.
The memo is kept in the result cache, sealed like its entries (cache.py): a memo someone
else wrote or altered is ignored, and every file is hashed.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from pipeline.read.inbox import file_sha256

TRUSTS_CHANGE_TIME = os.name == "posix"
RECENT_SECONDS = 10


def identity(path: Path, info: os.stat_result) -> str:
    """What a file must keep for its content to be the same (see the module's docstring)."""
    exact = os.fsencode(os.path.abspath(path)).hex()  # a GBK name has no str.encode()
    times = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return ":".join([exact, *map(str, times)])


class HashMemo:
    """identity -> sha256: `known` from an earlier run, `seen` this run (what the cache keeps
    next, so that files gone from the inbox are forgotten)."""

    def __init__(self, known: dict[str, str]):
        self.known = known if TRUSTS_CHANGE_TIME else {}
        self.seen: dict[str, str] = {}

    def digest(self, path: Path) -> str | None:
        """The file's sha256; None when it cannot be opened now (moved away since the inbox
        was listed: one file, not the run). Safe to call from several threads."""
        started = time.time_ns()
        try:
            before = os.lstat(path)
            key = identity(path, before)
            if key in self.known:
                self.seen[key] = self.known[key]
                return self.known[key]
            sha256 = file_sha256(path)
            after = os.lstat(path)
        except OSError:
            return None
        if TRUSTS_CHANGE_TIME and _settled(before, started) and identity(path, after) == key:
            self.seen[key] = sha256
        return sha256


def _settled(info: os.stat_result, started: int) -> bool:
    """A regular file last changed at least RECENT_SECONDS before it was hashed."""
    recent = started - RECENT_SECONDS * 1_000_000_000
    return stat.S_ISREG(info.st_mode) and max(info.st_mtime_ns, info.st_ctime_ns) < recent
