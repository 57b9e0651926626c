"""Plain records passed between the stages. No spreadsheet library here."""

from __future__ import annotations

import datetime as dt
import operator
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import overload

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
MAX_LAYOUTS = 64  # layouts kept for sharing (cells, figures), the newest


Row = dict[str, object]  # a ledger row: column key -> value, plus _row_id, _sheet, _row


class RowsView(Sequence[Row]):
    """Rows kept some compact way, read as dicts: a subclass says how many (__len__) and how
    to make the dict of one (_row)."""

    def _row(self, at: int) -> Row:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self._row(at) for at in range(len(self))[index]]
        return self._row(range(len(self))[index])


@dataclass(frozen=True, eq=False)
class LedgerRows(RowsView):
    """A ledger's rows as tuples under one tuple of keys, read as dicts (each made when it
    is read). A run holds every return's rows until it consolidates them, and the 上报
    return's rolled-up rows while it writes: ~230,000 rows at 10,000 units, where a dict
    costs ~500 bytes more than a tuple."""

    keys: tuple[str, ...]
    rows: list[tuple[object, ...]]

    def __len__(self) -> int:
        return len(self.rows)

    def _row(self, at: int) -> Row:
        return dict(zip(self.keys, self.rows[at], strict=True))

    def __iter__(self) -> Iterator[Row]:
        keys = self.keys
        return (dict(zip(keys, row, strict=True)) for row in self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LedgerRows):
            return self.keys == other.keys and self.rows == other.rows
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a list of dicts, as mutable


def row_values(rows: Sequence[Row], keys: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """Each row's values under `keys` (None where it has no such key); LedgerRows' rows are
    picked from their tuples, without making a dict of each (the consolidation reads every
    row of every return: ~0.1 s at 1,000 returns)."""
    if isinstance(rows, LedgerRows) and len(keys) > 1 and set(keys) <= set(rows.keys):
        at = {key: n for n, key in enumerate(rows.keys)}
        return map(operator.itemgetter(*(at[key] for key in keys)), rows.rows)
    return (tuple(row.get(key) for key in keys) for row in rows)


def compact_rows(rows: Sequence[Row], shared: frozenset[str]) -> Sequence[Row]:
    """A return's rows of one ledger as LedgerRows (every row of a ledger has the same keys),
    keys, sheet name and the texts of the `shared` columns interned (sys.intern: one object
    per distinct text, whichever return it came from)."""
    intern = sys.intern
    if not rows:
        return []
    keys = tuple(intern(k) for k in rows[0])
    if any(tuple(row) != keys for row in rows):  # never from our reader; kept as it came
        return list(rows)
    texts = [at for at, key in enumerate(keys) if key in shared or key == "_sheet"]
    table = []
    for row in rows:
        values = list(row.values())
        for at in texts:
            if type(text := values[at]) is str:
                values[at] = intern(text)
        table.append(tuple(values))
    return LedgerRows(keys, table)


_VALUE_LAYOUTS: dict[tuple[str, ...], dict[str, int]] = {}  # shared_values(); never changed


@dataclass(frozen=True, eq=False)
class IndicatorValues(Mapping[str, object]):
    """A return's figures as a tuple, under a code -> position index shared by every return
    that has the same codes (all returns of one template): a dict of ~200 figures costs
    ~6 KB a return more, ~60 MB at 10,000 returns."""

    index: dict[str, int]
    figures: tuple[object, ...]

    def __getitem__(self, code: str) -> object:
        return self.figures[self.index[code]]

    def get(self, code: str, default: object = None) -> object:
        at = self.index.get(code)
        return default if at is None else self.figures[at]

    def __contains__(self, code: object) -> bool:
        return code in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.figures)


def shared_values(values: Mapping[str, object]) -> IndicatorValues:
    """`values` as IndicatorValues, its index shared with every return of the same codes."""
    layout = tuple(values)
    index = _VALUE_LAYOUTS.get(layout)
    if index is None:
        index = {sys.intern(code): at for at, code in enumerate(layout)}
        _keep(_VALUE_LAYOUTS, layout, index)
    return IndicatorValues(index, tuple(values.values()))


def shared_cells(cells: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Every return of one template has the same indicator cells: one shared dict (never
    changed by anyone) for all of them."""
    layout = tuple(cells.items())
    shared = _LAYOUTS.get(layout)
    if shared is None:
        intern = sys.intern
        shared = {intern(k): (intern(s), intern(c)) for k, (s, c) in layout}
        _keep(_LAYOUTS, layout, shared)
    return shared


def share_unpickled(subs: list[Submission]) -> None:
    """Compact submissions that came unpickled together (a worker's batch of stored results,
    each compact in the worker): they share their layouts, keys and texts among themselves
    already (pickle keeps one copy of an object within a batch); each shared object is now
    shared with the whole run, once per object, not once per return (Submission.compact
    makes every row anew: ~0.3 ms a return)."""
    intern = sys.intern
    # id -> (the object, its shared copy): the object is held so that its id stays its own
    cells: dict[int, tuple[object, dict[str, tuple[str, str]]]] = {}
    indexes: dict[int, tuple[object, dict[str, int]]] = {}
    for sub in subs:
        if id(sub.cells) not in cells:
            cells[id(sub.cells)] = (sub.cells, shared_cells(sub.cells))
        sub.cells = cells[id(sub.cells)][1]
        if isinstance(values := sub.values, IndicatorValues):
            if id(values.index) not in indexes:
                indexes[id(values.index)] = (values.index, shared_values(values).index)
            sub.values = IndicatorValues(indexes[id(values.index)][1], values.figures)
        sub.ledgers = {intern(k): rows for k, rows in sub.ledgers.items()}


def _keep(layouts: dict, layout: tuple, shared: dict) -> None:
    """Keep the newest MAX_LAYOUTS layouts: a real inbox has a few, a hostile one could
    bring one per file."""
    if len(layouts) >= MAX_LAYOUTS:
        del layouts[next(iter(layouts))]
    layouts[layout] = shared


@dataclass
class Submission:
    """A validated return: typed values, ledgers, problems and the resulting status."""

    file: str
    sha256: str
    mtime: float
    unit_code: str = ""
    unit_name: str = ""
    submitted: dt.date | None = None
    # code -> int / str / date / None; IndicatorValues once compact
    values: Mapping[str, object] = field(default_factory=dict)
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (sheet, cell)
    ledgers: dict[str, Sequence[Row]] = field(default_factory=dict)  # LedgerRows once compact
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
        ledger texts of the `shared` columns, which come from a code list) and keep figures
        and ledger rows as tuples (shared_values, compact_rows): a run keeps thousands of
        returns, and unpickled copies would each hold their own."""
        intern = sys.intern
        self.values = shared_values(self.values)
        self.cells = shared_cells(self.cells)
        self.ledgers = {intern(k): compact_rows(rows, shared) for k, rows in self.ledgers.items()}
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
