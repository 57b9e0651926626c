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
from pathlib import Path

from pipeline.combine.consolidate import consolidate
from pipeline.combine.select import accepted
from pipeline.core.filenames import display_name
from pipeline.core.records import Submission
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.publish.consolidated import RunInfo, consolidated_filename, write_consolidated
from pipeline.publish.outputs import (
    OutputOptions,
    prepare_outputs,
    rollup_order,
    sheet_extras,
    write_outputs,
)
from pipeline.read.inbox import discover
from pipeline.run.checking import cache_notices, read_entries, result_cache
from pipeline.run.feedback import finish_feedback, start_feedback, wait_feedback
from pipeline.run.manifest import MANIFEST_NAME, write_manifest
from pipeline.run.pool import Workers
from pipeline.run.progress import Progress
from pipeline.run.result import RunResult
from pipeline.run.safety import encrypt_outputs, guard_outdir


def run_consolidation(  # noqa: PLR0913 - an entry point: folders, the definition, four options
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
    guard_outdir(outdir, notices)
    cache = result_cache(outdir, form, registry, notices) if use_cache else None
    with Workers(form, registry, options.password) as workers:
        submissions = read_entries(discover(inbox), workers, progress, cache)
        cache_notices(cache, notices)
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
    run = RunResult(submissions, result, workbook, outdir / MANIFEST_NAME, missing, feedback,
                    outputs, prepared, failures, notices, started)  # fmt: skip
    write_manifest(run, form)
    clock.append(time.perf_counter())
    if os.environ.get("PIPELINE_TIMINGS"):
        _write_timings(Path(os.environ["PIPELINE_TIMINGS"]), clock, workbook_seconds, submissions)
    return run


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
