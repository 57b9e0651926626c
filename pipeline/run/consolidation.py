"""One consolidation run: inbox -> submissions -> consolidation -> workbook + manifest.

The CLI calls this; tests call it too. Progress is reported through a callback so that this
module does not depend on click.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pipeline.combine.consolidate import consolidate
from pipeline.combine.select import accepted
from pipeline.core.filenames import display_name, safe
from pipeline.core.records import Status, Submission
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.publish.consolidated import consolidated_filename, write_consolidated
from pipeline.publish.consolidated_accounts import RunInfo
from pipeline.publish.outputs import (
    OutputOptions,
    prepare_outputs,
    rollup_order,
    sheet_extras,
    write_outputs,
)
from pipeline.read.inbox import discover
from pipeline.run.archive import Archive, RunRecord, encoded, output_digests, spec_json
from pipeline.run.checking import cache_notices, read_entries, result_cache
from pipeline.run.feedback import finish_feedback, start_feedback, wait_feedback
from pipeline.run.manifest import MANIFEST_NAME, write_manifest
from pipeline.run.pool import Workers
from pipeline.run.progress import Progress
from pipeline.run.resubmissions import Resubmissions, resubmissions
from pipeline.run.result import RunResult
from pipeline.run.safety import encrypt_outputs, guard_outdir

try:
    PROGRAM_VERSION = version("pipeline")
except PackageNotFoundError:  # run from a source tree that was never installed
    PROGRAM_VERSION = "unknown"


def run_consolidation(  # noqa: PLR0913 - an entry point: folders, the definition, four options
    inbox: Path,
    outdir: Path,
    form: Form,
    registry: Registry,
    registry_file: str = "",
    progress: Progress | None = None,
    options: OutputOptions | None = None,
    use_cache: bool = True,
    archive: Archive | None = None,
) -> RunResult:
    started = dt.datetime.now().replace(microsecond=0)
    clock = [time.perf_counter()]
    options = options or OutputOptions()
    notices: list[str] = []
    guard_outdir(outdir, notices)
    cache = result_cache(outdir, form, registry, notices) if use_cache else None
    with Workers(form, registry, options.password, cache) as workers:
        submissions = read_entries(discover(inbox), workers, progress)
        cache_notices(cache, notices)
        history = resubmissions(form, submissions, archive) if archive else Resubmissions()
        # Feedback workbooks are made by the workers while this process encodes and writes.
        pending = start_feedback(workers, submissions, outdir, history.notes)
        # The archive keeps each new return whole: encoded before its ledger rows are dropped.
        kept = _new_contents(archive, submissions)
        clock.append(time.perf_counter())
        chosen = accepted(submissions, registry)
        result = consolidate(chosen, form, registry)
        for sub in submissions:  # the rows live on in result.ledgers: ~20 KB a return freed
            sub.ledgers = {}
        prepared = prepare_outputs(form, registry, result, submissions, options, started.date())
        prepared.changes = history.changes
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
            RunInfo(started, display_name(inbox), display_name(registry_file), history.places),
            extras=sheet_extras(prepared),
        )
        workbook_seconds = time.perf_counter() - clock[2]
        outputs = write_outputs(outdir, prepared, rollup, rollup_written)
        failures = wait_feedback(pending, cache, progress)
    missing = _missing(registry, result.units)
    feedback = finish_feedback(submissions, outdir)
    encrypt_outputs([workbook, outputs["rollup"], *feedback], options.password)
    run = RunResult(submissions, result, workbook, outdir / MANIFEST_NAME, missing, feedback,
                    outputs, prepared, failures, notices, started)  # fmt: skip
    write_manifest(run, form)
    if archive is not None:
        archive.record(run_record(run, form, dt.datetime.now()), submissions, kept)
    clock.append(time.perf_counter())
    if os.environ.get("PIPELINE_TIMINGS"):
        _write_timings(Path(os.environ["PIPELINE_TIMINGS"]), clock, workbook_seconds, submissions)
    return run


def _missing(registry: Registry, consolidated: list[str]) -> list[str]:
    """The registered units without a consolidated return (a set: looking each one up in
    the list took 1 s at 10,000 units)."""
    found = set(consolidated)
    return [u.code for u in registry.units if u.code not in found]


def _new_contents(archive: Archive | None, submissions: list[Submission]) -> dict[str, bytes]:
    """sha256 -> the encoded return, for the returns the archive does not keep yet."""
    if archive is None:
        return {}
    known = archive.known()
    return {s.sha256: encoded(s) for s in submissions
            if s.sha256 and s.sha256 not in known and s.status is not Status.IGNORED}  # fmt: skip


def run_record(run: RunResult, form: Form, finished: dt.datetime) -> RunRecord:
    """What the archive keeps of a run: when, what, the definition, totals and outputs."""
    totals = {code: total.value if isinstance(total.value, int | float) else None
              for code, total in run.consolidation.totals.items()}  # fmt: skip
    outputs = [run.workbook, run.manifest, *run.outputs.values(), *run.feedback]
    return RunRecord(
        started=run.started.isoformat(sep=" "),
        finished=finished.replace(microsecond=0).isoformat(sep=" "),
        command=" ".join(safe(arg) for arg in sys.argv),
        version=PROGRAM_VERSION,
        form_id=form.id,
        form_version=form.version,
        period=form.period.label,
        period_start=form.period.start.isoformat(),
        period_end=form.period.end.isoformat(),
        spec=spec_json(form.consolidated_indicators),
        totals=json.dumps(totals, ensure_ascii=False, sort_keys=True),
        outputs=output_digests(outputs),
    )


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
