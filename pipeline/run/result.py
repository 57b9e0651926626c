"""What a run produced: the record the CLI prints from and manifest.json is written from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.combine.consolidate import Consolidation
from pipeline.core.records import Status, Submission
from pipeline.publish.outputs import Prepared


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
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def clean(self) -> bool:
        """True when no file was rejected (exit status 0).

        A superseded file's errors do not count: the unit has sent a newer return."""
        return not any(s.status is Status.REJECTED for s in self.submissions)
