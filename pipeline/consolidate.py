"""Accepted returns -> totals, the unit x indicator matrix, subtotals by parent, ledgers.

Pure pandas over plain records. Every figure keeps its provenance: the matrix is indexed by
unit, and each unit's value came from the named cell recorded in its Submission.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .definition import Form, Indicator, Registry
from .submission import Status, Submission

UNIT_COLUMNS = ["单位编码", "单位名称", "行号", "来源文件", "来源位置"]


@dataclass
class Total:
    value: object  # int for numbers, None when not computable
    reporting: int  # units whose value entered the figure
    note: str = ""


@dataclass
class Consolidation:
    units: list[str]  # accepted unit codes in registry order
    matrix: pd.DataFrame  # index unit code, columns indicator codes (object dtype)
    totals: dict[str, Total]
    subtotals: dict[str, dict[str, Total]]  # parent code -> code -> Total (over its subtree)
    ledgers: dict[str, pd.DataFrame] = field(default_factory=dict)


# Which file counts for each unit


def settle_duplicates(submissions: list[Submission]) -> None:
    """Mark all but the latest return of each unit as superseded (by 填报日期, then mtime)."""
    by_unit: dict[str, list[Submission]] = {}
    for sub in submissions:
        if sub.unit_code and sub.status is not Status.IGNORED:
            by_unit.setdefault(sub.unit_code, []).append(sub)
    for subs in by_unit.values():
        if len(subs) < 2:
            continue
        latest = max(subs, key=lambda s: (s.submitted or dt.date.min, s.mtime, s.file))
        for sub in subs:
            if sub is not latest:
                sub.status = Status.SUPERSEDED
                sub.reason = f"本单位另有较新的报表“{latest.file}”，本文件不参与汇总"


def accepted(submissions: list[Submission], registry: Registry) -> list[Submission]:
    """Accepted returns in registry order."""
    order = {u.code: n for n, (u, _) in enumerate(registry.tree_order())}
    chosen = [
        s
        for s in submissions
        if s.status in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS) and s.unit_code in order
    ]
    return sorted(chosen, key=lambda s: order[s.unit_code])


# Consolidate


def consolidate(subs: list[Submission], form: Form, registry: Registry) -> Consolidation:
    """`subs` are the accepted returns, one per unit, in registry order."""
    indicators = form.statistics_indicators
    codes = [s.unit_code for s in subs]
    matrix = pd.DataFrame(
        [[s.values.get(i.code) for i in indicators] for s in subs],
        index=pd.Index(codes, name="unit"),
        columns=[i.code for i in indicators],
        dtype=object,
    )
    registered = [u.code for u, _ in registry.tree_order()]
    totals = _aggregate(matrix, indicators, registry.root.code, registered)
    subtotals = {}
    for unit, _ in registry.tree_order():
        if registry.children(unit.code):
            subtree = registry.descendants(unit.code)
            rows = matrix.loc[[c for c in codes if c in subtree]]
            subtotals[unit.code] = _aggregate(rows, indicators, unit.code, subtree)
    ledgers = {
        lg.id: _ledger_frame(lg.id, [c.key for c in lg.columns], subs) for lg in form.ledgers
    }
    return Consolidation(codes, matrix, totals, subtotals, ledgers)


def aggregate_units(
    result: Consolidation, form: Form, own: str, units: list[str]
) -> dict[str, Total]:
    """Totals over a set of registered units (e.g. one column of 汇总 cut at a level)."""
    rows = result.matrix.loc[[c for c in result.units if c in units]]
    return _aggregate(rows, form.statistics_indicators, own, units)


def _aggregate(
    rows: pd.DataFrame, indicators: tuple[Indicator, ...], own: str, expected: list[str]
) -> dict[str, Total]:
    totals = {}
    for ind in indicators:
        column = rows[ind.code] if len(rows) else pd.Series(dtype=object)
        present = column.dropna()
        totals[ind.code] = _aggregate_one(ind, present, own, len(expected))
    return totals


def _aggregate_one(ind: Indicator, present: pd.Series, own: str, expected_units: int) -> Total:
    numbers = pd.to_numeric(present, errors="coerce").dropna() if ind.type == "int" else present
    match ind.aggregation:
        case "sum":
            return Total(int(numbers.sum()) if len(numbers) else None, len(numbers))
        case "max":
            return Total(int(numbers.max()) if len(numbers) else None, len(numbers))
        case "min":
            if len(numbers) < expected_units:
                missing = expected_units - len(numbers)
                return Total(None, len(numbers), f"有 {missing} 个单位未报或未填，不计算最小值")
            return Total(int(numbers.min()), len(numbers))
        case "self":
            value = present.get(own) if own in present.index else None
            return Total(
                None if value is None else int(value), 0 if value is None else 1, "仅取本级填报值"
            )
    if ind.type == "bool":
        yes = int((present == "是").sum())
        return Total(None, len(present), f"填“是”的单位 {yes} 个")
    return Total(None, len(present))


def _ledger_frame(ledger_id: str, keys: list[str], subs: list[Submission]) -> pd.DataFrame:
    records = []
    for sub in subs:
        for row in sub.ledgers.get(ledger_id, []):
            records.append(
                [
                    sub.unit_code,
                    sub.unit_name,
                    row["_row_id"],
                    sub.file,
                    f"{row['_sheet']}!第{row['_row']}行",
                ]
                + [row.get(k) for k in keys]
            )
    return pd.DataFrame(records, columns=UNIT_COLUMNS + keys, dtype=object)
