"""Accepted returns -> totals, the unit x indicator matrix, subtotals by parent, ledgers.

Pure pandas over plain records. Every figure keeps its provenance: the matrix is indexed by
unit, and each unit's value came from the named cell recorded in its Submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.core.records import Submission, row_values
from pipeline.form.model import Form, Indicator
from pipeline.form.registry import Registry

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

    def number(self, code: str) -> int | None:
        """An indicator's total as a whole number, None when it has no numeric total."""
        total = self.totals.get(code)
        if total is None or not isinstance(total.value, int | float):
            return None
        return int(total.value)


# Which file counts for each unit


# Consolidate


def consolidate(subs: list[Submission], form: Form, registry: Registry) -> Consolidation:
    """`subs` are the accepted returns, one per unit, in registry order."""
    indicators = form.consolidated_indicators
    codes = [s.unit_code for s in subs]
    matrix = pd.DataFrame(
        [[s.values.get(i.code) for i in indicators] for s in subs],
        index=pd.Index(codes, name="unit"),
        columns=[i.code for i in indicators],
        dtype=object,
    )
    numbers = _numbers(matrix, indicators)
    position = {code: n for n, code in enumerate(codes)}
    registered = [u.code for u, _ in registry.tree_order()]
    totals = _aggregate(
        matrix, numbers, list(range(len(codes))), indicators, registry.root.code, len(registered)
    )
    subtotals = {}
    for unit, _ in registry.tree_order():
        if registry.children(unit.code):
            subtree = registry.descendants(unit.code)
            rows = [position[c] for c in subtree if c in position]
            subtotals[unit.code] = _aggregate(
                matrix, numbers, sorted(rows), indicators, unit.code, len(subtree)
            )
    ledgers = {
        lg.id: _ledger_frame(lg.id, [c.key for c in lg.columns], subs) for lg in form.ledgers
    }
    return Consolidation(codes, matrix, totals, subtotals, ledgers)


def _numbers(matrix: pd.DataFrame, indicators: tuple[Indicator, ...]) -> np.ndarray:
    """Integer indicators as floats, NaN where blank (or not a number): one array for all sums."""
    values = matrix.to_numpy()
    numeric = np.full(values.shape, np.nan)
    for col, ind in enumerate(indicators):
        if ind.type == "int":
            numeric[:, col] = [v if type(v) is int else np.nan for v in values[:, col]]
    return numeric


def aggregate_units(
    result: Consolidation, form: Form, groups: list[tuple[str, tuple[str, ...]]]
) -> list[dict[str, Total]]:
    """Totals over each group of registered units, as (own unit, units) (e.g. the columns of
    汇总 cut at a level). The figures are converted to numbers once for all groups."""
    indicators = form.consolidated_indicators
    position = {code: n for n, code in enumerate(result.units)}
    numbers = _numbers(result.matrix, indicators)
    return [
        _aggregate(
            result.matrix,
            numbers,
            sorted(position[c] for c in units if c in position),
            indicators,
            own,
            len(units),
        )
        for own, units in groups
    ]


def _aggregate(
    matrix: pd.DataFrame,
    numbers: np.ndarray,
    rows: list[int],
    indicators: tuple[Indicator, ...],
    own: str,
    expected_units: int,
) -> dict[str, Total]:
    """Totals over the given rows (units), every aggregation computed column-wise at once."""
    block = numbers[rows] if rows else np.full((1, len(indicators)), np.nan)
    present = ~np.isnan(block)
    counts = present.sum(axis=0)
    with np.errstate(all="ignore"):
        sums = np.nansum(block, axis=0)
        mins = np.where(counts > 0, np.nanmin(np.where(present, block, np.inf), axis=0), np.nan)
        maxs = np.where(counts > 0, np.nanmax(np.where(present, block, -np.inf), axis=0), np.nan)
    own_row = matrix.index.get_loc(own) if own in matrix.index else None
    values = matrix.to_numpy()
    totals = {}
    for col, ind in enumerate(indicators):
        count = int(counts[col])
        match ind.aggregation:
            case "sum":
                totals[ind.code] = Total(int(sums[col]) if count else None, count)
            case "max":
                totals[ind.code] = Total(int(maxs[col]) if count else None, count)
            case "min":
                if count < expected_units:
                    note = f"有 {expected_units - count} 个单位未报或未填，不计算最小值"
                    totals[ind.code] = Total(None, count, note)
                else:
                    totals[ind.code] = Total(int(mins[col]), count)
            case "self":
                value = values[own_row, col] if own_row is not None else None
                known = isinstance(value, int)
                totals[ind.code] = Total(value if known else None, int(known), "仅取本级填报值")
            case _:
                totals[ind.code] = _listed(ind, [values[r, col] for r in rows])
    return totals


def _listed(ind: Indicator, column: list[object]) -> Total:
    """Indicators that are not added up: how many units filled them in."""
    present = [v for v in column if v is not None]
    if ind.type == "bool":
        yes = sum(1 for v in present if v == "是")
        return Total(None, len(present), f"填“是”的单位 {yes} 个")
    return Total(None, len(present))


def ledger_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A ledger frame's rows as dicts; to_dict("records") boxes every value (4x slower) and
    the frames hold Python objects already."""
    columns = list(frame.columns)
    return [dict(zip(columns, row, strict=True)) for row in frame.itertuples(False, None)]


def _ledger_frame(ledger_id: str, keys: list[str], subs: list[Submission]) -> pd.DataFrame:
    records = []
    wanted = ["_row_id", "_sheet", "_row", *keys]
    for sub in subs:
        for row_id, sheet, line, *values in row_values(sub.ledgers.get(ledger_id, []), wanted):
            records.append(
                [sub.unit_code, sub.unit_name, row_id, sub.file, f"{sheet}!第{line}行", *values]
            )
    return pd.DataFrame(records, columns=UNIT_COLUMNS + keys, dtype=object)
