"""Each file's checked result, kept between runs: a re-run after one unit resubmits reads only
that file.

A result is keyed by the file's sha256 and exact name (its bytes, whatever their encoding), the
definition, the registry and the program's code (a fingerprint of those sources), so a change
to any of them starts afresh. It stores what a worker returns (the Submission), before
anything that depends on the other files (duplicates, roll-up scope) is decided, and the
feedback workbook once made.

The cache lives in OUTDIR/.cache, and the output folder may be shared: anyone who can write
there knows the key of a unit's return (its name and bytes) and the fingerprint (the code and
definition are the same in every office). So nothing read back can run code or change a
figure unnoticed: an entry is JSON in a strict schema (result_codec.py), sealed with an HMAC
whose key lives outside the output folder (cache_key.py), and the feedback workbook's seal is
in its entry. An entry or workbook that fails the check is ignored, counted in `tampered`
(the run says so once), and the file is read again. A cache folder that is a symlink or not
the clerk's own is not used at all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from pipeline.core.files import atomic_output, private_folder
from pipeline.core.records import Submission
from pipeline.run import codec as result_codec
from pipeline.run import json_bytes

CACHE_FOLDER = ".cache"
ENTRY_SUFFIX = ".json"
HASHES_FILE = "inbox-hashes.memo"  # hash_memo.py; its seal binds it to this name
FEEDBACK_SUFFIX = ".xlsx"
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # a result with thousands of ledger rows is a few MB


def fingerprint(definition: bytes) -> str:
    """The definition and registry (as `spec --json` prints them) and the program's code: every
    source file of the package, so that no module that decides a result (a hand-kept list
    missed layout.py) can change without starting afresh."""
    digest = hashlib.sha256(definition)
    package = Path(__file__).resolve().parents[1]  # pipeline/, every subpackage included
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


class CacheUnusable(Exception):
    """The cache folder cannot be trusted (a symlink, not a folder, another user's)."""


class ResultCache:
    def __init__(
        self, outdir: Path, fingerprint: str, key: bytes, shared: frozenset[str] = frozenset()
    ):
        self.outdir = outdir
        self.shared = shared  # ledger columns whose texts a decoded result shares (codec.py)
        self.folder = outdir / CACHE_FOLDER
        self.fingerprint = fingerprint
        self.key = key
        self.tampered: list[str] = []  # cache files ignored because their seal failed
        _check_folder(self.folder)
        private_folder(self.folder)
        _check_folder(self.folder)
        # Listed once: on a first run, a thousand failed opens cost more than the listing.
        with os.scandir(self.folder) as entries:
            self.present = {entry.name for entry in entries}

    def _key(self, source: str | Path, sha256: str) -> str:
        """From the exact bytes of the file's name: a GBK name has no str.encode(), and two
        names shown alike must not share a result."""
        name = os.fsencode(Path(source).name)
        return hashlib.sha256(f"{self.fingerprint}\0{sha256}\0".encode() + name).hexdigest()

    def _seal(self, key: str, kind: bytes, data: bytes) -> str:
        """The HMAC of `data` bound to its entry and kind: a sealed body cannot be moved to
        another file's entry, nor a workbook passed off as an entry."""
        message = key.encode() + b"\0" + kind + b"\0" + data
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def holds(self, source: str | Path, sha256: str) -> bool:
        """An entry is stored for this file (load() may still find it unusable)."""
        return self._key(source, sha256) + ENTRY_SUFFIX in self.present

    def load(self, source: str | Path, sha256: str, staged_feedback: Path) -> Submission | None:
        """The stored result for the file at `source` (its exact path) with this content."""
        key = self._key(source, sha256)
        name = key + ENTRY_SUFFIX
        if name not in self.present:
            return None
        entry = self._entry(key, _read_private(self.folder / name))
        if entry is None:
            self.tampered.append(name)
            return None
        sub, feedback_seal = entry
        if sub.sha256 != sha256:
            self.tampered.append(name)
            return None
        if feedback_seal:
            workbook = _read_private(self.folder / (key + FEEDBACK_SUFFIX))
            if workbook is not None and hmac.compare_digest(
                feedback_seal, self._seal(key, b"feedback", workbook)
            ):
                with atomic_output(staged_feedback) as tmp:
                    tmp.write_bytes(workbook)
            else:
                self.tampered.append(key + FEEDBACK_SUFFIX)  # made afresh instead
        return sub

    def _entry(self, key: str, data: bytes | None) -> tuple[Submission, str] | None:
        body = self._unsealed(key, b"entry", data)
        if body is None:
            return None
        try:
            record = json_bytes.loads(body)
            feedback_seal = record.get("feedback_seal") or ""
            if not isinstance(feedback_seal, str):
                return None
            return result_codec.decode(record["result"], self.shared), feedback_seal
        except (ValueError, KeyError, TypeError, AttributeError):
            return None  # sealed by us but unreadable: an older schema

    def store(self, sub: Submission) -> None:
        """Keep a worker's result, as it returned it."""
        if sub.sha256 and sub.source:
            key = self._key(sub.source, sub.sha256)
            self._write_entry(key, {"result": result_codec.encode(sub)})

    def store_feedback(self, sub: Submission, staged_feedback: Path) -> None:
        """Keep the feedback workbook, made after the result was stored (it needs the final
        status): its seal joins the stored entry, which is read back and checked first (the
        run has dropped the result's ledger rows by now)."""
        if not (sub.sha256 and sub.source and staged_feedback.exists()):
            return
        key = self._key(sub.source, sub.sha256)
        data = _read_private(self.folder / (key + ENTRY_SUFFIX))
        if data is None or self._entry(key, data) is None:
            return
        record = json_bytes.loads(data.split(b"\n", 1)[1])
        workbook = staged_feedback.read_bytes()
        with atomic_output(self.folder / (key + FEEDBACK_SUFFIX)) as tmp:
            tmp.write_bytes(workbook)
        record["feedback_seal"] = self._seal(key, b"feedback", workbook)
        self._write_entry(key, record)

    def load_hashes(self) -> dict[str, str]:
        """The inbox files' sha256 by identity (hash_memo.py) as the last run kept them; {} if
        none, or if the memo fails its seal (counted in `tampered`)."""
        data = _read_private(self.folder / HASHES_FILE)
        if data is None:
            return {}
        body = self._unsealed(HASHES_FILE, b"hashes", data)
        try:
            if body is None:
                raise ValueError("seal")
            hashes = json_bytes.loads(body)
            if type(hashes) is not dict or not all(
                type(k) is str and type(v) is str for k, v in hashes.items()
            ):
                raise ValueError("shape")
        except ValueError:
            self.tampered.append(HASHES_FILE)
            return {}
        return hashes

    def store_hashes(self, hashes: dict[str, str]) -> None:
        self._write_sealed(HASHES_FILE, HASHES_FILE, b"hashes", hashes)

    def _write_entry(self, key: str, record: dict[str, object]) -> None:
        self._write_sealed(key + ENTRY_SUFFIX, key, b"entry", record)

    def _write_sealed(self, name: str, key: str, kind: bytes, data: object) -> None:
        """A cache file: the seal of its JSON body on the first line, then the body."""
        body = json_bytes.dumps(data)
        with atomic_output(self.folder / name) as tmp:
            tmp.write_bytes(self._seal(key, kind, body).encode() + b"\n" + body)

    def _unsealed(self, key: str, kind: bytes, data: bytes | None) -> bytes | None:
        """The body of a file _write_sealed wrote; None if there is none or its seal fails."""
        if data is None or b"\n" not in data:
            return None
        seal, body = data.split(b"\n", 1)
        return body if hmac.compare_digest(seal, self._seal(key, kind, body).encode()) else None


def _check_folder(folder: Path) -> None:
    """Refuse a cache folder another user could have prepared: a symlink (it would send our
    writes, and the results we trust, elsewhere), a non-folder, another user's folder."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise CacheUnusable(f"缓存文件夹“{CACHE_FOLDER}”是符号链接，可能被他人改动")
    if not stat.S_ISDIR(info.st_mode):
        raise CacheUnusable(f"“{CACHE_FOLDER}”不是文件夹")
    if info.st_uid != os.getuid():
        raise CacheUnusable(f"缓存文件夹“{CACHE_FOLDER}”属于其他用户")


def _read_private(path: Path) -> bytes | None:
    """A cache file's bytes, never through a symlink and never more than the cap."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        return source.read(MAX_ENTRY_BYTES + 1)
