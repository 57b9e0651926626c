"""One consolidation run: inbox -> submissions -> consolidation -> workbook + manifest.

The CLI calls this; tests call it too. Progress is reported through a callback so that this
module does not depend on click.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pipeline.cache import CACHE_FOLDER, CacheUnusable, ResultCache, fingerprint
from pipeline.cache_key import KeyUnavailable, cache_key
from pipeline.combine.consolidate import Consolidation, consolidate
from pipeline.combine.select import accepted, settle_duplicates
from pipeline.core.filenames import display_name, is_exact, name_bytes_hex
from pipeline.core.files import atomic_output, close_folder, open_to_others, private_folder
from pipeline.core.problems import make_problem
from pipeline.core.records import Status, Submission
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.form.spec import as_json
from pipeline.publish.consolidated import RunInfo, consolidated_filename, write_consolidated
from pipeline.publish.encrypt import encrypt_workbook
from pipeline.publish.feedback.content import (
    FEEDBACK_FOLDER,
    feedback_path,
    staged_path,
    wants_feedback,
)
from pipeline.publish.outputs import (
    OutputOptions,
    Prepared,
    prepare_outputs,
    rollup_order,
    sheet_extras,
    write_outputs,
)
from pipeline.read.inbox import Entry, discover, file_sha256
from pipeline.workers import FeedbackJob, Workers, failed, unchanged

MANIFEST_NAME = "manifest.json"


class Progress(Protocol):
    """Told how many files a step will handle, then once per file handled."""

    def start(self, total: int, label: str = "读取报表") -> None: ...

    def advance(self, entry: Entry | None = None) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, total: int, label: str = "读取报表") -> None:
        pass

    def advance(self, entry: Entry | None = None) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class RunResult:
    """What a run produced. The submissions keep their figures and problems; their ledger
    rows are in consolidation.ledgers (each row with its unit, file and row number)."""

    submissions: list[Submission]
    consolidation: Consolidation
    workbook: Path
    manifest: Path
    missing: list[str]  # registered unit codes without an accepted return
    feedback: list[Path] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)  # 上报, 催报, share, report files
    prepared: Prepared | None = None  # 核对 checks, 催报 list, period comparison
    feedback_failures: dict[str, str] = field(default_factory=dict)  # file -> reason
    notices: list[str] = field(default_factory=list)  # warnings for the screen (cache, folder)

    @property
    def clean(self) -> bool:
        """True when no file was rejected (exit status 0).

        A superseded file's errors do not count: the unit has sent a newer return."""
        return not any(s.status is Status.REJECTED for s in self.submissions)


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


def check_files(
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
    cache = _cache(outdir, form, registry, []) if use_cache else None
    failures: dict[str, str] = {}
    with Workers(form, registry, password) as workers:
        submissions = read_entries(found, workers, progress, cache)
        if outdir is not None:
            jobs = start_feedback(workers, submissions, outdir)
            failures = wait_feedback(jobs, cache, progress)
    return submissions, failures


def read_entries(
    found: list[Entry],
    workers: Workers,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
) -> list[Submission]:
    """A Submission for every entry, read and checked by the workers (or from the cache).
    Each keeps its entry's exact path as `source`: two names shown alike are never mixed up."""
    progress = progress or NoProgress()
    submissions: list[Submission] = []
    jobs = []
    seen: dict[str, str] = {}  # sha256 -> first file with that content
    for entry in found:
        if not entry.readable:
            submissions.append(_skipped(entry))
            continue
        sha256 = file_sha256(entry.path)
        if sha256 in seen:
            submissions.append(_duplicate(entry, sha256, seen[sha256]))
            continue
        seen[sha256] = entry.name
        jobs.append((entry, sha256))
    if cache is not None:
        remaining = []
        for entry, sha256 in jobs:
            sub = cache.load(entry.path, sha256, staged_path(cache.outdir, sha256))
            if sub is None:
                remaining.append((entry, sha256))
            else:
                sub.mtime, sub.source = entry.mtime, str(entry.path)
                submissions.append(sub.compact())
        jobs = remaining
    progress.start(len(jobs))
    try:
        for entry, sub in workers.check(jobs, progress.advance):
            if not unchanged(entry):
                sub = failed(sub.file, sub.sha256, sub.mtime, STILL_WRITING, transient=True)
            sub.source = str(entry.path)
            if cache is not None and not sub.transient:
                cache.store(sub)
            submissions.append(sub.compact())
    finally:
        progress.finish()
    submissions.sort(key=lambda s: (s.file, s.source))
    settle_duplicates(submissions)
    return submissions


def _cache(
    outdir: Path | None, form: Form, registry: Registry, notices: list[str]
) -> ResultCache | None:
    """The result cache, or None (with a notice why) when it cannot be trusted this run."""
    if outdir is None:
        return None
    try:
        return ResultCache(outdir, _fingerprint(form, registry), cache_key())
    except (KeyUnavailable, CacheUnusable) as exc:
        notices.append(f"{exc}：本次不使用审核结果缓存，全部重新读取")
        return None


TAMPERED = "缓存文件被改动，已忽略并重新读取"
SHARED_OUTDIR = (
    "输出文件夹“{folder}”其他用户也可以写入：放在其中的文件可能被他人替换。"
    "汇总表等含个人信息的文件只有本人可以读取，建议改用只有本人能写入的文件夹"
)


def _guard_outdir(outdir: Path, notices: list[str]) -> None:
    """Warn when others can write to the output folder; close the folders of ours in it."""
    private_folder(outdir)  # made 0700 when it does not exist yet
    if open_to_others(outdir):
        notices.append(SHARED_OUTDIR.format(folder=display_name(outdir)))
    for folder in (outdir / FEEDBACK_FOLDER, outdir / CACHE_FOLDER):
        if folder.is_dir() and not folder.is_symlink():
            close_folder(folder)


def _cache_notices(cache: ResultCache | None, notices: list[str]) -> None:
    if cache is not None and cache.tampered:
        notices.append(f"{TAMPERED}（{len(cache.tampered)} 个缓存文件）")


def encrypt_outputs(paths: list[Path], password: str | None) -> None:
    """Lock the internal workbooks with the password (the 脱敏 copy stays open)."""
    if password:
        for path in paths:
            encrypt_workbook(path, password)


FEEDBACK_STATUSES = (Status.REJECTED, Status.ACCEPTED_WITH_WARNINGS)


def start_feedback(
    workers: Workers, submissions: list[Submission], outdir: Path
) -> list[FeedbackJob]:
    """Start a feedback workbook for each return that counts and has problems (superseded
    and ignored files get none), unless the cache already staged it."""
    private_folder(outdir / FEEDBACK_FOLDER)
    orders = [
        (sub, staged_path(outdir, sub.sha256))
        for sub in submissions
        if sub.status in FEEDBACK_STATUSES and sub.sha256 and sub.source and wants_feedback(sub)
    ]
    return workers.feedback([(sub, staged) for sub, staged in orders if not staged.exists()])


def wait_feedback(
    jobs: list[FeedbackJob], cache: ResultCache | None, progress: Progress | None = None
) -> dict[str, str]:
    """Wait for the feedback workbooks; file name -> reason for each one that failed."""
    progress = progress or NoProgress()
    failures = {}
    if any(not job.future.done() for job in jobs):
        progress.start(len(jobs), "生成反馈表")
    try:
        for job in jobs:
            reason = job.wait()
            progress.advance()
            if reason:
                failures[job.sub.file] = reason
            elif cache is not None:
                cache.store_feedback(job.sub, job.staged)
    finally:
        progress.finish()
    return failures


def _fingerprint(form: Form, registry: Registry) -> str:
    return fingerprint(json.dumps(as_json(form, registry), sort_keys=True, default=str).encode())


STILL_WRITING = "文件在读取期间发生了变化（可能仍在复制或保存），请稍后重新运行汇总"


def _skipped(entry: Entry) -> Submission:
    sub = Submission(file=entry.name, sha256="", mtime=entry.mtime, reason=entry.reason,
                     source=str(entry.path))  # fmt: skip
    code = "FILE_WRONG_FORMAT" if entry.rejected else "FILE_IGNORED"
    sub.problems.append(make_problem(code, reason=entry.reason, file=entry.name))
    sub.status = Status.REJECTED if entry.rejected else Status.IGNORED
    return sub


def _duplicate(entry: Entry, sha256: str, first: str) -> Submission:
    reason = f"与文件“{first}”内容完全相同，只计一次"
    sub = Submission(file=entry.name, sha256=sha256, mtime=entry.mtime, reason=reason,
                     status=Status.IGNORED, source=str(entry.path))  # fmt: skip
    sub.problems.append(make_problem("FILE_DUPLICATE", other=first, file=entry.name))
    return sub


def run_consolidation(
    inbox: Path,
    outdir: Path,
    form: Form,
    registry: Registry,
    registry_file: str = "",
    progress: Progress | None = None,
    options: OutputOptions | None = None,
    use_cache: bool = True,
) -> RunResult:
    started = dt.datetime.now().replace(microsecond=0)
    clock = [time.perf_counter()]
    options = options or OutputOptions()
    notices: list[str] = []
    _guard_outdir(outdir, notices)
    cache = _cache(outdir, form, registry, notices) if use_cache else None
    with Workers(form, registry, options.password) as workers:
        submissions = read_entries(discover(inbox), workers, progress, cache)
        _cache_notices(cache, notices)
        # Feedback workbooks are made by the workers while this process writes.
        pending = start_feedback(workers, submissions, outdir)
        clock.append(time.perf_counter())
        chosen = accepted(submissions, registry)
        result = consolidate(chosen, form, registry)
        for sub in submissions:  # the rows live on in result.ledgers: ~20 KB a return freed
            sub.ledgers = {}
        prepared = prepare_outputs(form, registry, result, submissions, options, started.date())
        # The 上报 return is written by a worker while this process writes the workbook.
        rollup = rollup_order(outdir, prepared)
        rollup_written = workers.rollup(rollup)
        clock.append(time.perf_counter())
        workbook = write_consolidated(
            outdir / consolidated_filename(form),
            form,
            registry,
            result,
            submissions,
            RunInfo(started, inbox=display_name(inbox), registry_file=display_name(registry_file)),
            extras=sheet_extras(prepared),
        )
        workbook_seconds = time.perf_counter() - clock[2]
        outputs = write_outputs(outdir, prepared, rollup, rollup_written)
        failures = wait_feedback(pending, cache, progress)
    missing = [u.code for u in registry.units if u.code not in result.units]
    feedback = finish_feedback(submissions, outdir)
    encrypt_outputs([workbook, outputs["rollup"], *feedback], options.password)
    manifest = write_manifest(
        outdir / MANIFEST_NAME, form, submissions, workbook, missing, started, outputs, feedback
    )
    clock.append(time.perf_counter())
    if os.environ.get("PIPELINE_TIMINGS"):
        _write_timings(Path(os.environ["PIPELINE_TIMINGS"]), clock, workbook_seconds, submissions)
    return RunResult(
        submissions, result, workbook, manifest, missing, feedback, outputs, prepared, failures,
        notices,
    )  # fmt: skip


def _write_timings(
    path: Path, clock: list[float], workbook_seconds: float, submissions: list[Submission]
) -> None:
    """Stage timings for `make bench`; worker time is split between reading and validating.
    `write` is everything after consolidating (workbook, other outputs, waiting for feedback
    workbooks); `workbook` is the consolidated workbook alone (the floor's write)."""
    reading, validating = (sum(s.timing[i] for s in submissions) for i in (0, 1))
    read_wall = clock[1] - clock[0]
    share = reading / (reading + validating) if reading + validating else 1.0
    stages = {
        "read_seconds": read_wall * share,
        "validate_seconds": read_wall * (1 - share),
        "consolidate_seconds": clock[2] - clock[1],
        "write_seconds": clock[3] - clock[2],
        "workbook_seconds": workbook_seconds,
        "parent_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "total_seconds": clock[3] - clock[0],
        "worker_read_cpu_seconds": reading,
        "worker_validate_cpu_seconds": validating,
    }
    path.write_text(json.dumps(stages), encoding="utf-8")


def finish_feedback(submissions: list[Submission], outdir: Path) -> list[Path]:
    """Give the staged feedback workbooks of the returns that count their final names (one
    per unit and file), and drop the rest (superseded, ignored)."""
    wanted = (Status.REJECTED, Status.ACCEPTED_WITH_WARNINGS)
    named: list[Path] = []
    for sub in submissions:
        staged = staged_path(outdir, sub.sha256) if sub.sha256 else None
        if staged is None or not staged.exists():
            continue
        if sub.status in wanted:
            final = _unused(feedback_path(outdir, sub), named)
            os.replace(staged, final)
            named.append(final)
    for leftover in (outdir / FEEDBACK_FOLDER).glob(".*.xlsx"):
        leftover.unlink()
    return sorted(named)


def _unused(path: Path, taken: list[Path]) -> Path:
    """`path`, or `name_2.xlsx`, `name_3.xlsx`... when this run already gave it to another
    file: two unidentified returns named alike (a.xlsx and a.xls, or names shown alike)."""
    candidate, number = path, 2
    while candidate in taken:
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
        number += 1
    return candidate


def manifest_data(
    form: Form,
    submissions: list[Submission],
    workbook: Path,
    missing: list[str],
    started: dt.datetime,
    outputs: dict[str, Path] | None = None,
    feedback: list[Path] = (),
) -> dict:
    return {
        "form": {"id": form.id, "version": form.version, "title": form.title},
        "period": form.period.label,
        "generated_at": started.isoformat(),
        "files": [_manifest_file(s) for s in submissions],
        "missing_units": missing,
        "outputs": {"consolidated": workbook.name, "manifest": MANIFEST_NAME}
        | {key: path.name for key, path in (outputs or {}).items()}
        | {"feedback": [f"{p.parent.name}/{p.name}" for p in feedback]},
    }


def _manifest_file(sub: Submission) -> dict:
    """One file of the manifest. `name` is the display name; when that is not the name on
    disk (not UTF-8, or with characters shown escaped), `name_bytes_hex` gives the exact
    bytes of the name on disk."""
    entry = {
        "name": sub.file,
        "sha256": sub.sha256,
        "unit": sub.unit_code or None,
        "status": sub.status.value,
        "errors": sub.errors,
        "warnings": sub.warnings,
        "reason": sub.reason or None,
    }
    on_disk = Path(sub.source).name if sub.source else ""
    if on_disk and not is_exact(on_disk):
        entry["name_bytes_hex"] = name_bytes_hex(on_disk)
    return entry


def write_manifest(
    path: Path,
    form: Form,
    submissions: list[Submission],
    workbook: Path,
    missing: list[str],
    started: dt.datetime,
    outputs: dict[str, Path] | None = None,
    feedback: list[Path] = (),
) -> Path:
    data = manifest_data(form, submissions, workbook, missing, started, outputs, feedback)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
