"""One consolidation run: inbox -> submissions -> consolidation -> workbook + manifest.

The CLI calls this; tests call it too. Progress is reported through a callback so that this
module does not depend on click.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .consolidate import Consolidation, accepted, consolidate, settle_duplicates
from .definition import Form, Registry
from .intake import Entry, discover, file_sha256, read_workbook
from .outfiles import atomic_output
from .outputs import OutputOptions, Prepared, prepare_outputs, sheet_extras, write_outputs
from .problems import make_problem
from .rollup import relax_rollup_returns
from .submission import Status, Submission
from .validate import validate
from .write import RunInfo, consolidated_filename, write_consolidated

MANIFEST_NAME = "manifest.json"

Progress = Callable[[Iterable[Entry]], Iterable[Entry]]


@dataclass
class RunResult:
    submissions: list[Submission]
    consolidation: Consolidation
    workbook: Path
    manifest: Path
    missing: list[str]  # registered unit codes without an accepted return
    outputs: dict[str, Path] = field(default_factory=dict)  # 上报, 催报, share, report files
    prepared: Prepared | None = None  # 核对 checks, 催报 list, period comparison

    @property
    def clean(self) -> bool:
        """True when no file was rejected (exit status 0).

        A superseded file's errors do not count: the unit has sent a newer return."""
        return not any(s.status is Status.REJECTED for s in self.submissions)


def read_inbox(
    inbox: Path, form: Form, registry: Registry, progress: Progress = lambda entries: entries
) -> list[Submission]:
    entries = discover(inbox)
    submissions: list[Submission] = []
    seen: dict[str, str] = {}  # sha256 -> first file with that content
    for entry in progress(entries):
        submissions.append(_read_entry(entry, form, registry, seen))
    settle_duplicates(submissions)
    return submissions


def _read_entry(entry: Entry, form: Form, registry: Registry, seen: dict[str, str]) -> Submission:
    mtime = entry.path.lstat().st_mtime
    if not entry.readable:
        sub = Submission(file=entry.name, sha256="", mtime=mtime, reason=entry.reason)
        code = "FILE_WRONG_FORMAT" if entry.rejected else "FILE_IGNORED"
        sub.problems.append(make_problem(code, reason=entry.reason, file=entry.name))
        sub.status = Status.REJECTED if entry.rejected else Status.IGNORED
        return sub
    sha256 = file_sha256(entry.path)
    if sha256 in seen:
        reason = f"与文件“{seen[sha256]}”内容完全相同，只计一次"
        sub = Submission(
            file=entry.name, sha256=sha256, mtime=mtime, reason=reason, status=Status.IGNORED
        )
        sub.problems.append(make_problem("FILE_DUPLICATE", other=seen[sha256], file=entry.name))
        return sub
    seen[sha256] = entry.name
    return validate(read_workbook(entry.path, form, sha256), form, registry)


def run_consolidation(
    inbox: Path,
    outdir: Path,
    form: Form,
    registry: Registry,
    registry_file: str = "",
    progress: Progress = lambda e: e,
    options: OutputOptions | None = None,
) -> RunResult:
    started = dt.datetime.now().replace(microsecond=0)
    submissions = read_inbox(inbox, form, registry, progress)
    relax_rollup_returns(submissions, form)  # 上报 returns of lower offices (层层汇总)
    chosen = accepted(submissions, registry)
    result = consolidate(chosen, form, registry)
    prepared = prepare_outputs(
        form, registry, result, submissions, options or OutputOptions(), started.date()
    )
    workbook = write_consolidated(
        outdir / consolidated_filename(form),
        form,
        registry,
        result,
        submissions,
        RunInfo(started=started, inbox=str(inbox), registry_file=registry_file),
        extras=sheet_extras(prepared),
    )
    missing = [u.code for u in registry.units if u.code not in result.units]
    outputs = write_outputs(outdir, prepared)
    manifest = write_manifest(
        outdir / MANIFEST_NAME, form, submissions, workbook, missing, started, outputs
    )
    return RunResult(submissions, result, workbook, manifest, missing, outputs, prepared)


def manifest_data(
    form: Form,
    submissions: list[Submission],
    workbook: Path,
    missing: list[str],
    started: dt.datetime,
    outputs: dict[str, Path] | None = None,
) -> dict:
    return {
        "form": {"id": form.id, "version": form.version, "title": form.title},
        "period": form.period.label,
        "generated_at": started.isoformat(),
        "files": [
            {
                "name": s.file,
                "sha256": s.sha256,
                "unit": s.unit_code or None,
                "status": s.status.value,
                "errors": s.errors,
                "warnings": s.warnings,
                "reason": s.reason or None,
            }
            for s in submissions
        ],
        "missing_units": missing,
        "outputs": {"consolidated": workbook.name, "manifest": MANIFEST_NAME}
        | {key: path.name for key, path in (outputs or {}).items()},
    }


def write_manifest(
    path: Path,
    form: Form,
    submissions: list[Submission],
    workbook: Path,
    missing: list[str],
    started: dt.datetime,
    outputs: dict[str, Path] | None = None,
) -> Path:
    data = manifest_data(form, submissions, workbook, missing, started, outputs)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
