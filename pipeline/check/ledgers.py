"""Ledger rows: each cell typed and checked as its column says, then the row rules."""

from __future__ import annotations

import datetime as dt

from pipeline.check.values import EMITS as VALUE_EMITS
from pipeline.check.values import (
    Place,
    bound_problems,
    normalized,
    required_hint,
    shown,
    value_problems,
)
from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.problems import make_problem
from pipeline.core.records import (
    RawLedger,
    Submission,
)
from pipeline.form.expr import Skip, evaluate
from pipeline.form.model import Column, Form, Ledger
from pipeline.form.registry import Registry

# A ledger cell gets every problem an indicator's cell can, and two of its own.
EMITS = (ProblemCode.ROW_RULE_FAILED, ProblemCode.DATE_OUT_OF_PERIOD, *VALUE_EMITS)

_NO_REGISTRY = Registry(())  # ledger choices never come from the registry (see normalized)


def read_ledger(
    ledger: Ledger, raw: RawLedger | None, form: Form, sub: Submission
) -> list[dict[str, object]]:
    if raw is None:
        return []
    rows = []
    for serial, (row_number, cells) in enumerate(raw.rows, start=1):
        row: dict[str, object] = {
            "_row_id": f"{sub.unit_code or 'UNKNOWN'}-{ledger.id}-{serial:04d}",
            "_sheet": raw.sheet,
            "_row": row_number,
        }
        for column in ledger.columns:
            letter = raw.columns.get(column.label, "")
            place = (raw.sheet, f"{letter}{row_number}" if letter else "")
            row[column.key] = _ledger_value(
                column, cells.get(column.label), form, sub, place, ledger
            )
        for rule in ledger.row_rules:
            try:
                passed = evaluate(rule.expr, row.get)
            except Skip:
                continue
            if not passed:
                first = rule.expr.names[0] if rule.expr.names else ""
                letter = raw.columns.get(ledger.column(first).label, "A") if first else "A"
                sub.problems.append(
                    make_problem(
                        ProblemCode.ROW_RULE_FAILED,
                        severity=Severity(rule.severity),
                        message=f"台账“{ledger.title}”第 {row_number} 行：{rule.message}",
                        sheet=raw.sheet,
                        cell=f"{letter}{row_number}",
                        indicator=ledger.id,
                    )
                )
        rows.append(row)
    return rows


def _ledger_value(
    column: Column,
    value: object,
    form: Form,
    sub: Submission,
    place: tuple[str, str],
    ledger: Ledger,
) -> object:
    result = normalized(column.type, value, column.choices, column.multi, form, _NO_REGISTRY)
    quiet = result.ok and not result.coerced and result.value is not None
    if quiet and column.min is None and column.max is None and not column.in_period:
        return result.value  # most cells: nothing to check further, no message to build
    label = f"{ledger.title}·{column.label}"
    where: Place = {"sheet": place[0], "cell": place[1]}
    sub.problems.extend(value_problems(column.type, result, label, value, where))
    if not result.ok:
        return None
    if result.value is None:
        if column.required:
            sub.problems.append(
                make_problem(
                    ProblemCode.VALUE_REQUIRED,
                    label=label,
                    hint=required_hint(column.type),
                    **where,
                )
            )
        return None
    sub.problems.extend(bound_problems(result.value, column.min, column.max, label, where))
    if column.in_period and isinstance(result.value, dt.date):
        start, end = form.period.start, form.period.end
        if not start <= result.value <= end:
            sub.problems.append(
                make_problem(
                    ProblemCode.DATE_OUT_OF_PERIOD,
                    label=label,
                    value=shown(result.value),
                    start=start,
                    end=end,
                    **where,
                )
            )
    return result.value
