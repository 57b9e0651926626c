"""What a resubmission changed: cell by cell against the return that counted before, each change
typed by whether the clerk asked for it. Pure.

按要求修改: the cell had a problem in the earlier return (the unit fixed what it was told to);
新增问题: the cell has a problem now and had none before; 未经要求的修改: the cell had no problem
and changed anyway (the figures the clerk should ask about). Computed totals are left out: they
follow from their parts. Ledger rows are matched by content, not position: a row added above
another does not make every row below it "changed".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.core.cells import CELL_REF
from pipeline.core.problems import Problem
from pipeline.core.records import Submission
from pipeline.form.model import PRESET_COVER, Form, Ledger

REQUESTED = "按要求修改"
NEW_PROBLEM = "新增问题"
UNASKED = "未经要求的修改"
ROW_KEYS = ("_row_id", "_sheet", "_row")  # where a ledger row was, not what it says


@dataclass(frozen=True)
class PriorReturn:
    """A return received before, from the archive or the same inbox."""

    sha256: str
    file: str
    received: str  # when it was first seen (ISO date and time)
    submission: Submission


@dataclass(frozen=True)
class Place:
    """A return's place in its unit's history for the period: 报送次数, 上次报送时间."""

    ordinal: int
    previous: str  # when the unit's return before this one was received ("" for the first)


@dataclass(frozen=True)
class Change:
    """One row of 修改情况."""

    unit_code: str
    unit_name: str
    ordinal: int  # 报送次数 of the later return
    sheet: str
    cell: str  # "E12", or "第 5 行" for a ledger row
    code: str  # indicator code, or ledger id
    name: str  # indicator label, or ledger title (· column)
    old: str
    new: str
    kind: str


def changes(form: Form, earlier: Submission, later: Submission, ordinal: int) -> list[Change]:
    """Every figure and ledger row that differs between two returns of one unit."""
    found = [
        _cell_change(form, earlier, later, ordinal, code)
        for code in _typed_codes(form)
        if _shown(earlier.values.get(code)) != _shown(later.values.get(code))
    ]
    for ledger in form.ledgers:
        found.extend(_ledger_changes(ledger, earlier, later, ordinal))
    return found


# Not what a return says but when and for which round: a resubmission changes its 填报日期.
NOT_CONTENT = PRESET_COVER | {"SUBMIT_DATE"}


def _typed_codes(form: Form) -> list[str]:
    """Indicators a unit types (computed totals, the preset period fields and the date of
    filling are left out)."""
    return [i.code for i in form.indicators if i.derived is None and i.code not in NOT_CONTENT]


def _cell_change(
    form: Form, earlier: Submission, later: Submission, ordinal: int, code: str
) -> Change:
    sheet, cell = later.cells.get(code) or earlier.cells.get(code) or ("", "")
    kind = _kind(
        _has_problem(earlier.problems, code, sheet, cell),
        _has_problem(later.problems, code, sheet, cell),
    )
    label = form.indicator(code).label
    old, new = _shown(earlier.values.get(code)), _shown(later.values.get(code))
    return Change(later.unit_code, later.unit_name, ordinal, sheet, cell, code, label, old, new,
                  kind)  # fmt: skip


def _kind(had_problem: bool, has_problem: bool) -> str:
    if had_problem:
        return REQUESTED
    return NEW_PROBLEM if has_problem else UNASKED


def _has_problem(problems: list[Problem], code: str, sheet: str, cell: str) -> bool:
    return any(p.indicator == code or (cell and p.sheet == sheet and p.cell == cell)
               for p in problems)  # fmt: skip


# Ledgers


def _ledger_changes(
    ledger: Ledger, earlier: Submission, later: Submission, ordinal: int
) -> list[Change]:
    old_rows = earlier.ledgers.get(ledger.id, [])
    new_rows = later.ledgers.get(ledger.id, [])
    keys = [c.key for c in ledger.columns]
    removed = _minus(old_rows, new_rows, keys)
    added = _minus(new_rows, old_rows, keys)
    found: list[Change] = []
    for old in removed:
        match = _closest(old, added, keys)
        if match is not None:
            added.remove(match)
            found.extend(_row_change(ledger, earlier, later, ordinal, old, match))
        else:
            kind = _kind(_row_has_problem(earlier, old), False)
            found.append(_row_event(ledger, later, ordinal, old, kind, removed=True))
    for new in added:
        kind = _kind(False, _row_has_problem(later, new))
        found.append(_row_event(ledger, later, ordinal, new, kind, removed=False))
    return found


def _content(row: dict[str, object], keys: list[str]) -> tuple[str, ...]:
    return tuple(_shown(row.get(key)) for key in keys)


def _minus(rows: Sequence[dict], others: Sequence[dict], keys: list[str]) -> list[dict]:
    """Rows of `rows` not in `others`, matched by content (as multisets: a row typed twice
    and kept once was removed once)."""
    left = Counter(_content(row, keys) for row in others)
    kept = []
    for row in rows:
        content = _content(row, keys)
        if left[content]:
            left[content] -= 1
        else:
            kept.append(row)
    return kept


def _closest(old: dict, candidates: list[dict], keys: list[str]) -> dict | None:
    """The added row that is the removed one edited: at least half its columns unchanged."""
    best, best_same = None, 0
    for new in candidates:
        same = sum(_shown(old.get(k)) == _shown(new.get(k)) for k in keys)
        if same > best_same:
            best, best_same = new, same
    return best if best_same * 2 >= len(keys) and best_same > 0 else None


def _row_change(
    ledger: Ledger, earlier: Submission, later: Submission, ordinal: int, old: dict, new: dict
) -> list[Change]:
    kind = _kind(_row_has_problem(earlier, old), _row_has_problem(later, new))
    return [
        Change(
            later.unit_code,
            later.unit_name,
            ordinal,
            str(new.get("_sheet", ledger.sheet)),
            f"第 {new.get('_row', '')} 行",
            ledger.id,
            f"{ledger.title}·{column.label}",
            _shown(old.get(column.key)),
            _shown(new.get(column.key)),
            kind,
        )  # fmt: skip
        for column in ledger.columns
        if _shown(old.get(column.key)) != _shown(new.get(column.key))
    ]


def _row_event(
    ledger: Ledger, later: Submission, ordinal: int, row: dict, kind: str, removed: bool
) -> Change:
    """A row added (new value is the row) or removed (old value is the row)."""
    text = "；".join(f"{c.label}={_shown(row.get(c.key))}" for c in ledger.columns
                    if _shown(row.get(c.key)))  # fmt: skip
    what = "删除一行" if removed else "新增一行"
    old, new = (text, "") if removed else ("", text)
    return Change(later.unit_code, later.unit_name, ordinal, str(row.get("_sheet", ledger.sheet)),
                  f"第 {row.get('_row', '')} 行", ledger.id, f"{ledger.title}（{what}）", old, new,
                  kind)  # fmt: skip


def _row_has_problem(sub: Submission, row: dict) -> bool:
    """A problem at a cell of the row (a ledger row's problems carry its sheet and cell)."""
    sheet, number = row.get("_sheet"), str(row.get("_row"))
    for p in sub.problems:
        match = CELL_REF.match(p.cell) if p.sheet == sheet else None
        if match is not None and match.group(2) == number:
            return True
    return False


# Problems


@dataclass(frozen=True)
class Progress:
    """What a resubmission did to the problems of the return before it."""

    fixed: list[Problem]
    still_open: list[Problem]
    new: list[Problem]


def progress(earlier: Submission, later: Submission) -> Progress:
    before, after = {p.key for p in earlier.problems}, {p.key for p in later.problems}
    return Progress(
        fixed=[p for p in earlier.problems if p.key not in after],
        still_open=[p for p in later.problems if p.key in before],
        new=[p for p in later.problems if p.key not in before],
    )


def _shown(value: object) -> str:
    """A value as the unit sees it, for comparing and showing (None and "" are both blank)."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)
