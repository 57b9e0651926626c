"""Every entry of an inbox (or of a command line) as a Submission: skipped with a reason,
an exact duplicate, found in the result cache, or read and checked by the workers."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path

from pipeline.combine.select import settle_duplicates
from pipeline.core.catalogue import ProblemCode
from pipeline.core.problems import make_problem
from pipeline.core.records import Status, Submission
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.form.spec import as_json
from pipeline.read.inbox import Entry, discover
from pipeline.run.cache import CacheUnusable, ResultCache, fingerprint
from pipeline.run.cache_key import KeyUnavailable, cache_key
from pipeline.run.feedback import start_feedback, wait_feedback
from pipeline.run.hash_memo import HashMemo
from pipeline.run.pool import Job, Workers, failed, unchanged
from pipeline.run.progress import NoProgress, Progress

# Entries never read: skipped, refused by their size, exact copies of another entry.
EMITS = (ProblemCode.FILE_IGNORED, ProblemCode.FILE_WRONG_FORMAT, ProblemCode.FILE_DUPLICATE)


def read_inbox(
    inbox: Path,
    form: Form,
    registry: Registry,
    progress: Progress | None = None,
    outdir: Path | None = None,
    use_cache: bool = False,
) -> list[Submission]:
    """Every entry of the inbox as a Submission, in file-name order."""
    return check_files(discover(inbox), form, registry, progress, outdir, use_cache)[0]


def check_files(  # noqa: PLR0913 - an entry point: the entries, the definition, four options
    found: list[Entry],
    form: Form,
    registry: Registry,
    progress: Progress | None = None,
    outdir: Path | None = None,
    use_cache: bool = False,
    password: str | None = None,
) -> tuple[list[Submission], dict[str, str]]:
    """A Submission for every entry: read and checked, or skipped with a reason; and the
    files whose feedback workbook could not be made (why). With `outdir`, feedback workbooks
    are staged there (see finish_feedback)."""
    cache = result_cache(outdir, form, registry, []) if use_cache else None
    failures: dict[str, str] = {}
    with Workers(form, registry, password, cache) as workers:
        submissions = read_entries(found, workers, progress)
        if outdir is not None:
            jobs = start_feedback(workers, submissions, outdir)
            failures = wait_feedback(jobs, cache, progress)
    return submissions, failures


def read_entries(
    found: list[Entry], workers: Workers, progress: Progress | None = None
) -> list[Submission]:
    """A Submission for every entry, read and checked by the workers (or from the result
    cache they were given). Each keeps its entry's exact path as `source`: two names shown
    alike are never mixed up."""
    progress = progress or NoProgress()
    cache = workers.cache
    submissions: list[Submission] = []
    files = 0  # to read or find in the cache
    readings, loadings = [], []
    if any(entry.readable for entry in found):
        workers.start(len(found))
    # With the cache, a file that has not changed since a run hashed it is not hashed again.
    memo = HashMemo(cache.load_hashes() if cache is not None else {})
    # Each slice of the inbox goes to the workers as soon as it is hashed (they start while
    # the rest is hashed: 1.5 s of a 10,000-file re-run): the files without a stored result
    # to be read, the stored ones to be decoded.
    for never_read, hashed in _sort_out(found, memo.digest):
        submissions.extend(never_read)
        files += len(hashed)
        stored, unread = _by_cache(hashed, cache)
        readings.append(workers.check(unread, progress.advance))
        loadings.append(workers.load_cached(stored))
    if cache is not None:
        cache.store_hashes(memo.seen)
    progress.start(files)
    try:
        unusable = []  # stored results found unusable: their files are read after the others
        for (entry, sha256), (sub, tampered) in chain(*loadings):
            assert cache is not None  # stored results come from it
            cache.tampered.extend(tampered)
            if sub is None:
                unusable.append((entry, sha256))
                continue
            progress.advance(entry)
            sub.mtime, sub.source = entry.mtime, str(entry.path)
            submissions.append(sub)  # compact, shared with the run's (share_unpickled)
        for entry, sub in chain(*readings, workers.check(unusable, progress.advance)):
            if not unchanged(entry):
                sub = failed(sub.file, sub.sha256, sub.mtime, STILL_WRITING, transient=True)
            sub.source = str(entry.path)
            if cache is not None and not sub.transient:
                cache.store(sub)
            submissions.append(sub.compact(workers.form.choice_keys))
    finally:
        progress.finish()
    submissions.sort(key=lambda s: (s.file, s.source))
    settle_duplicates(submissions)
    return submissions


def result_cache(
    outdir: Path | None, form: Form, registry: Registry, notices: list[str]
) -> ResultCache | None:
    """The result cache, or None (with a notice why) when it cannot be trusted this run."""
    if outdir is None:
        return None
    try:
        fingerprint = definition_fingerprint(form, registry)
        return ResultCache(outdir, fingerprint, cache_key(), form.choice_keys)
    except (KeyUnavailable, CacheUnusable) as exc:
        notices.append(f"{exc}：本次不使用审核结果缓存，全部重新读取")
        return None


TAMPERED = "缓存文件被改动，已忽略并重新读取"


def cache_notices(cache: ResultCache | None, notices: list[str]) -> None:
    if cache is not None and cache.tampered:
        notices.append(f"{TAMPERED}（{len(cache.tampered)} 个缓存文件）")


def definition_fingerprint(form: Form, registry: Registry) -> str:
    return fingerprint(json.dumps(as_json(form, registry), sort_keys=True, default=str).encode())


CANNOT_OPEN = "文件无法打开（可能已被移走、改名或仍在复制），请稍后重新运行汇总"
STILL_WRITING = "文件在读取期间发生了变化（可能仍在复制或保存），请稍后重新运行汇总"


HASHED_AT_ONCE = 256  # files hashed before they go to the workers


def _sort_out(
    found: list[Entry], digest: Callable[[Path], str | None]
) -> Iterator[tuple[list[Submission], list[Job]]]:
    """Slice by slice of the inbox, in order: the entries never read (skipped, not openable,
    copies of an earlier entry) as their Submissions, and the files to read (or find in the
    cache) with their sha256 (`digest`: None when the file cannot be opened)."""
    seen: dict[str, str] = {}  # sha256 -> first file with that content
    with ThreadPoolExecutor(os.cpu_count() or 1) as hashing:  # hashlib lets go of the GIL
        for start in range(0, len(found), HASHED_AT_ONCE):
            part = found[start : start + HASHED_AT_ONCE]
            digests = hashing.map(digest, [entry.path for entry in part if entry.readable])
            submissions: list[Submission] = []
            jobs: list[Job] = []
            for entry in part:
                if not entry.readable:
                    submissions.append(_skipped(entry))
                    continue
                sha256 = next(digests)
                if sha256 is None:
                    sub = failed(entry.name, "", entry.mtime, CANNOT_OPEN, transient=True)
                    sub.source = str(entry.path)
                    submissions.append(sub)
                elif sha256 in seen:
                    submissions.append(_duplicate(entry, sha256, seen[sha256]))
                else:
                    seen[sha256] = entry.name
                    jobs.append((entry, sha256))
            yield submissions, jobs


def _by_cache(jobs: list[Job], cache: ResultCache | None) -> tuple[list[Job], list[Job]]:
    """The jobs with a result stored in the cache, and the others."""
    stored: list[Job] = []
    unread: list[Job] = []
    for entry, sha256 in jobs:
        held = cache is not None and cache.holds(entry.path, sha256)
        (stored if held else unread).append((entry, sha256))
    return stored, unread


def _skipped(entry: Entry) -> Submission:
    sub = Submission(file=entry.name, sha256="", mtime=entry.mtime, reason=entry.reason,
                     source=str(entry.path))  # fmt: skip
    code = ProblemCode.FILE_WRONG_FORMAT if entry.rejected else ProblemCode.FILE_IGNORED
    sub.problems.append(make_problem(code, reason=entry.reason, file=entry.name))
    sub.status = Status.REJECTED if entry.rejected else Status.IGNORED
    return sub


def _duplicate(entry: Entry, sha256: str, first: str) -> Submission:
    problem = make_problem(ProblemCode.FILE_DUPLICATE, other=first, file=entry.name)
    sub = Submission(file=entry.name, sha256=sha256, mtime=entry.mtime, reason=problem.message,
                     status=Status.IGNORED, source=str(entry.path))  # fmt: skip
    sub.problems.append(problem)
    return sub
