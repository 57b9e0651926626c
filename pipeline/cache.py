"""Each file's checked result, kept between runs: a re-run after one unit resubmits reads only
that file.

A result is keyed by the file's sha256 and exact name (its bytes, whatever their encoding), the
definition, the registry and the code that reads and checks (a fingerprint of those sources),
so a change to any of them starts afresh. The cache lives in OUTDIR/.cache, written by the
pipeline only; a damaged entry is ignored. It stores what a worker returns (the Submission),
before anything that depends on the other files (duplicates, roll-up scope) is decided, and the
feedback workbook once made.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from pathlib import Path

from .submission import Submission

CACHE_FOLDER = ".cache"


def fingerprint(definition: bytes) -> str:
    """The definition and registry (as `spec --json` prints them) and the program's code: every
    source file of the package, so that no module that decides a result (a hand-kept list
    missed layout.py) can change without starting afresh."""
    digest = hashlib.sha256(definition)
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


class ResultCache:
    def __init__(self, outdir: Path, fingerprint: str):
        self.outdir = outdir
        self.folder = outdir / CACHE_FOLDER
        self.fingerprint = fingerprint
        self.folder.mkdir(parents=True, exist_ok=True)
        # Listed once: on a first run, a thousand failed opens cost more than the listing.
        with os.scandir(self.folder) as entries:
            self.present = {entry.name for entry in entries}

    def _key(self, source: str | Path, sha256: str) -> str:
        """From the exact bytes of the file's name: a GBK name has no str.encode(), and two
        names shown alike must not share a result."""
        name = os.fsencode(Path(source).name)
        return hashlib.sha256(f"{self.fingerprint}\0{sha256}\0".encode() + name).hexdigest()

    def load(self, source: str | Path, sha256: str, staged_feedback: Path) -> Submission | None:
        """The stored result for the file at `source` (its exact path) with this content."""
        key = self._key(source, sha256)
        path = self.folder / f"{key}.pickle"
        if path.name not in self.present:
            return None
        try:
            sub = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
            return None
        if not isinstance(sub, Submission):
            return None
        feedback = self.folder / f"{key}.xlsx"
        if feedback.name in self.present:
            staged_feedback.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(feedback, staged_feedback)
        return sub

    def store(self, sub: Submission) -> None:
        if not sub.sha256 or not sub.source:
            return
        key = self._key(sub.source, sub.sha256)
        temporary = self.folder / f".{key}.tmp"
        temporary.write_bytes(pickle.dumps(sub, protocol=pickle.HIGHEST_PROTOCOL))
        temporary.replace(self.folder / f"{key}.pickle")

    def store_feedback(self, sub: Submission, staged_feedback: Path) -> None:
        """The feedback workbook is made after the result is stored (it needs the status)."""
        if sub.sha256 and sub.source and staged_feedback.exists():
            shutil.copyfile(
                staged_feedback, self.folder / f"{self._key(sub.source, sub.sha256)}.xlsx"
            )
