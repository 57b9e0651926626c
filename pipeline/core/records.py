"""Plain records passed between the stages. No spreadsheet library here."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.core.catalogue import Severity
from pipeline.core.problems import Problem


class Status(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"
    IGNORED = "ignored"
    SUPERSEDED = "superseded"


STATUS_LABEL = {
    Status.ACCEPTED: "已接收",
    Status.ACCEPTED_WITH_WARNINGS: "已接收（有警告）",
    Status.REJECTED: "退回",
    Status.IGNORED: "已忽略",
    Status.SUPERSEDED: "已被新版本替代",
}


@dataclass(frozen=True, slots=True)
class ErrorValue:
    """A cell holding an Excel error (#DIV/0!, #REF!, #N/A …)."""

    code: str


@dataclass(frozen=True, slots=True)
class NoCachedValue:
    """A formula cell saved without its result (by a program that does not recalculate)."""

    formula: str


@dataclass(frozen=True, slots=True)
class RawValue:
    """A cell value as the reader returned it, with where it was found."""

    value: object
    sheet: str
    cell: str


@dataclass(frozen=True)
class RawLedger:
    """One ledger table: header labels and the non-blank rows under them."""

    id: str
    sheet: str
    columns: dict[str, str]  # header label -> column letter
    rows: tuple[tuple[int, dict[str, object]], ...]  # (excel row number, label -> value)


@dataclass
class RawSubmission:
    """What the reader found in one file, before any interpretation."""

    file: str
    sha256: str
    mtime: float
    values: dict[str, RawValue] = field(default_factory=dict)  # defined name -> value
    ledgers: dict[str, RawLedger] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # file-level problems found reading


_LAYOUTS: dict[tuple, dict[str, tuple[str, str]]] = {}  # shared_cells(); never changed


def shared_row(row: dict[str, object], shared: frozenset[str]) -> dict[str, object]:
    """A ledger row with its keys, its sheet name and the texts of its `shared` columns
    interned (sys.intern: one object per distinct text, whichever return it came from)."""
    intern = sys.intern
    return {
        intern(k): intern(v) if type(v) is str and (k in shared or k == "_sheet") else v
        for k, v in row.items()
    }


def shared_cells(cells: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Every return of one template has the same indicator cells: one shared dict (never
    changed by anyone) for all of them."""
    layout = tuple(cells.items())
    if layout not in _LAYOUTS:
        intern = sys.intern
        _LAYOUTS[layout] = {intern(k): (intern(s), intern(c)) for k, (s, c) in layout}
    return _LAYOUTS[layout]


@dataclass
class Submission:
    """A validated return: typed values, ledgers, problems and the resulting status."""

    file: str
    sha256: str
    mtime: float
    unit_code: str = ""
    unit_name: str = ""
    submitted: dt.date | None = None
    values: dict[str, object] = field(default_factory=dict)  # code -> int / str / date / None
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (sheet, cell)
    ledgers: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # code -> the unit's reason for a figure that moved against last period (变动说明)
    explanations: dict[str, str] = field(default_factory=dict)
    status: Status = Status.ACCEPTED
    reason: str = ""  # one line, for rejected / ignored / superseded
    source: str = ""  # the file's path, for feedback workbooks (never written to outputs)
    timing: tuple[float, float] = (0.0, 0.0)  # seconds reading, seconds validating (benchmark)
    transient: bool = False  # failed for a reason that may pass (timeout, crash): not cached

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity is Severity.WARNING)

    def compact(self, shared: frozenset[str] = frozenset()) -> Submission:
        """Share the strings every return repeats (codes, column keys, sheet names, and the
        ledger values of the `shared` columns, which come from a code list): a run keeps
        thousands of returns, and unpickled copies would each hold their own."""
        intern = sys.intern
        self.values = {intern(k): v for k, v in self.values.items()}
        self.cells = shared_cells(self.cells)
        for rows in self.ledgers.values():
            rows[:] = [shared_row(row, shared) for row in rows]
        return self

    def settle_status(self) -> None:
        """Set status from the problems found (accepted / with warnings / rejected)."""
        if self.status in (Status.IGNORED, Status.SUPERSEDED):
            return
        if self.errors:
            self.status = Status.REJECTED
            if not self.reason:
                first = next(p for p in self.problems if p.severity is Severity.ERROR)
                where = f"{first.sheet}!{first.cell} " if first.cell else ""
                more = f"等 {self.errors} 处错误" if self.errors > 1 else ""
                self.reason = f"{where}{first.message}{more}"
        elif self.warnings:
            self.status = Status.ACCEPTED_WITH_WARNINGS
        else:
            self.status = Status.ACCEPTED
