"""Feedback workbooks of a run: started on the workers for the returns that count, waited
for (kept in the cache once made), then given their final names."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

from pipeline.core.files import private_folder
from pipeline.core.records import Status, Submission
from pipeline.publish.feedback.content import (
    FEEDBACK_FOLDER,
    Resubmitted,
    feedback_path,
    staged_path,
    wants_feedback,
)
from pipeline.run.cache import ResultCache
from pipeline.run.pool import FeedbackJob, Workers
from pipeline.run.progress import NoProgress, Progress

FEEDBACK_STATUSES = (Status.REJECTED, Status.ACCEPTED_WITH_WARNINGS)


def start_feedback(
    workers: Workers,
    submissions: list[Submission],
    outdir: Path,
    notes: Mapping[str, Resubmitted] = {},
) -> list[FeedbackJob]:
    """Start a feedback workbook for each return that counts and has problems (superseded
    and ignored files get none), unless the cache already staged it."""
    private_folder(outdir / FEEDBACK_FOLDER)
    orders = [
        (sub, staged_path(outdir, sub.sha256))
        for sub in submissions
        if sub.status in FEEDBACK_STATUSES and sub.sha256 and sub.source and wants_feedback(sub)
    ]
    return workers.feedback([(sub, staged) for sub, staged in orders if not staged.exists()], notes)


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


def finish_feedback(submissions: list[Submission], outdir: Path) -> list[Path]:
    """Give the staged feedback workbooks of the returns that count their final names (one
    per unit and file), and drop the rest (superseded, ignored)."""
    wanted = (Status.REJECTED, Status.ACCEPTED_WITH_WARNINGS)
    named: set[Path] = set()  # a list searched for each name took 0.2 s at 10,000 units
    for sub in submissions:
        staged = staged_path(outdir, sub.sha256) if sub.sha256 else None
        if staged is None or not staged.exists():
            continue
        if sub.status in wanted:
            final = unused_name(feedback_path(outdir, sub), named)
            os.replace(staged, final)
            named.add(final)
    for leftover in (outdir / FEEDBACK_FOLDER).glob(".*.xlsx"):
        leftover.unlink()
    return sorted(named)


def unused_name(path: Path, taken: Collection[Path]) -> Path:
    """`path`, or `name_2.xlsx`, `name_3.xlsx`... when this run already gave it to another
    file: two unidentified returns named alike (a.xlsx and a.xls, or names shown alike)."""
    candidate, number = path, 2
    while candidate in taken:
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
        number += 1
    return candidate
