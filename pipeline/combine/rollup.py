"""层层汇总: the 上报 return an office sends upward, the cut of 汇总 at a level of the tree,
and how the next level treats such a return. Pure: no files, no Excel.

An office's 上报 return is a return like any other, in the standard template, with the
consolidated figures of its whole system (统计口径 = 全系统):
- `sum`/`max` indicators carry the consolidated figure;
- `min` carries the minimum over the units that reported (a blank required cell would get
  an honest return refused upstream; 汇总's 备注 says when some units did not report);
- `self` and `none` indicators (the bureau 党组's own business, texts, yes/no) carry the
  office's own 本级 value;
- ledgers are the concatenated ledgers, each row keeping its originating unit in the
  definition's `origin_unit` column.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.check.scope import SCOPE_SYSTEM
from pipeline.combine.consolidate import Consolidation
from pipeline.combine.select import accepted
from pipeline.core.records import LedgerRows, Submission
from pipeline.form.model import ORIGIN_UNIT_COLUMN, PRESET_COVER, Form
from pipeline.form.registry import Registry


def rollup_filename(form: Form, registry: Registry) -> str:
    return f"上报_{registry.root.name}_{form.period.label}.xlsx"


def origin_label(code: str, name: str) -> str:
    return f"{name}（{code}）"


# The 上报 return


def rollup_values(
    form: Form,
    registry: Registry,
    result: Consolidation,
    subs: list[Submission],
    today: dt.date,
) -> dict[str, object]:
    """Values by code for the 上报 return (derived totals are left to the template). Only the
    returns that count add to the cover figures, as they do to the totals."""
    root = registry.root
    own = next((s.values for s in accepted(subs, registry) if s.unit_code == root.code), {})
    values: dict[str, object] = {i.code: own.get(i.code) for i in form.cover.indicators}
    # The cover's counts are consolidated like the statistics (only the returns that count).
    values.update({i.code: result.totals[i.code].value for i in form.cover_counts.indicators})
    values.update(
        UNIT_CODE=root.code,
        UNIT_NAME=root.name,
        SCOPE=SCOPE_SYSTEM,
        SUBMIT_DATE=today,
        UNIT_TYPE=own.get("UNIT_TYPE") or "机关",
        FILLER=own.get("FILLER") or root.contact or root.name,
        FILLER_PHONE=own.get("FILLER_PHONE") or root.phone or "-",
    )
    for code in PRESET_COVER:
        values.pop(code, None)  # preset in the template
    for ind in form.statistics_indicators:
        if ind.derived is not None:
            continue
        total = result.totals[ind.code]
        if ind.aggregation in ("sum", "max", "self"):
            values[ind.code] = total.value
        elif ind.aggregation == "min":
            values[ind.code] = (
                total.value if total.value is not None else _min_reported(result, ind.code)
            )
        else:
            values[ind.code] = own.get(ind.code)
    return values


def _min_reported(result: Consolidation, code: str) -> int | None:
    numbers = pd.to_numeric(result.matrix[code].dropna(), errors="coerce").dropna()
    return int(numbers.min()) if len(numbers) else None


def rollup_ledgers(form: Form, result: Consolidation) -> dict[str, LedgerRows]:
    """The consolidated ledgers by column key, each row naming its originating unit."""
    ledgers = {}
    for ledger in form.ledgers:
        keys = tuple(c.key for c in ledger.columns)
        frame = result.ledgers[ledger.id]
        # Column by column (a frame's column is a list of Python objects already), then zipped
        # into rows: a dict lookup per cell was most of the roll-up at 10,000 units.
        columns = [_plain_column(frame, k) for k in keys]
        if ORIGIN_UNIT_COLUMN in keys:
            origins = columns[keys.index(ORIGIN_UNIT_COLUMN)]
            units = zip(frame["单位编码"].tolist(), frame["单位名称"].tolist(), strict=True)
            labels: dict[tuple[object, object], str] = {}  # one text per unit, not per row
            for at, unit in enumerate(units):
                if not origins[at]:
                    # Rows from a lower 上报 return already name their origin: keep them.
                    if unit not in labels:
                        labels[unit] = origin_label(str(unit[0]), str(unit[1]))
                    origins[at] = labels[unit]
        ledgers[ledger.id] = LedgerRows(keys, list(zip(*columns, strict=True)))
    return ledgers


def _plain_column(frame: pd.DataFrame, key: str) -> list[object]:
    if key not in frame.columns:
        return [None] * len(frame)
    return [_plain(value) for value in frame[key].tolist()]


def _plain(value: object) -> object:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


# 汇总 cut at a level
