"""节点检查 (the 核对 sheet): does every parent total equal the sum of its parts, and does
every summary figure tied to a ledger equal the ledger's rows? Pure: no files, no Excel.

Both are recomputed independently of `consolidate`'s totals: a difference here means a bug
or an input the validator let through, and the clerk sees it before the figures go upward.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np
import pandas as pd

from pipeline.check.scope import may_be_blank
from pipeline.combine.consolidate import Consolidation, ledger_records
from pipeline.core.cells import as_int
from pipeline.form.expr import LEDGER_FUNCTIONS, Skip, evaluate_node
from pipeline.form.model import Form, Rule
from pipeline.form.registry import Registry

LEVEL_CHECK = "层级合计"
LEDGER_CHECK = "台账核对"


@dataclass(frozen=True)
class Check:
    kind: str  # LEVEL_CHECK or LEDGER_CHECK
    scope: str  # the parent unit, or the units whose figure is compared with their ledger
    code: str
    label: str
    figure: int  # the parent total, or the summary figure
    parts: int  # Σ own + children, or the ledger count
    how: str  # what `parts` is, in Chinese

    @property
    def difference(self) -> int:
        return self.figure - self.parts


def reconcile(
    result: Consolidation,
    form: Form,
    registry: Registry,
    system_units: frozenset[str] = frozenset(),
) -> list[Check]:
    """Every check, differences first (then in registry and definition order).

    `system_units`: units whose return is a 上报 (全系统) return. Their figures that some of
    their own units may leave blank cannot be compared with their concatenated ledgers.
    """
    checks = list(_level_checks(result, form, registry)) + list(
        _ledger_checks(result, form, registry, system_units)
    )
    return sorted(checks, key=lambda c: c.difference == 0)


def _number(value: object) -> int:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return 0
    return as_int(value)


# Parent = Σ children


def _level_checks(result: Consolidation, form: Form, registry: Registry) -> Iterator[Check]:
    sums = [i for i in form.statistics_indicators if i.aggregation == "sum"]
    block = result.matrix[[i.code for i in sums]].to_numpy().ravel()
    # Every unit's own figures as integers at once (most are int already: no call for those).
    figures = np.array(
        [v if type(v) is int else _number(v) for v in block], dtype=np.int64
    ).reshape(len(result.matrix.index), len(sums))
    row_of = {code: n for n, code in enumerate(result.matrix.index)}
    zero = np.zeros(len(sums), dtype=np.int64)

    def own(unit: str) -> np.ndarray:
        return figures[row_of[unit]] if unit in row_of else zero

    subtree: dict[str, np.ndarray] = {}
    for unit, _ in reversed(registry.tree_order()):  # children before their parents
        subtree[unit.code] = own(unit.code) + sum(
            (subtree[c.code] for c in registry.children(unit.code)), zero
        )
    for unit, _ in registry.tree_order():
        children = registry.children(unit.code)
        if not children:
            continue
        # One text for all the unit's checks: at 10,000 units a copy per check held 35 MB.
        source = "本级 + 下属单位（" + "、".join(c.name for c in children) + "）"
        parts = subtree[unit.code]  # own figures plus the children's subtrees
        for k, ind in enumerate(sums):
            yield Check(
                LEVEL_CHECK,
                unit.name,
                ind.code,
                ind.label,
                _number(result.subtotals[unit.code][ind.code].value),
                int(parts[k]),
                source,
            )


# Summary figure = ledger rows


def _ledger_checks(
    result: Consolidation, form: Form, registry: Registry, system_units: frozenset[str]
) -> Iterator[Check]:
    rows = _LedgerRecords(result)
    for rule in form.rules:
        for code, call in ledger_ties(rule):
            if not form.has_indicator(code):
                continue
            ind = form.indicator(code)
            if ind.aggregation == "self":
                units = [registry.root.code] if registry.root.code in result.units else []
            else:
                units = list(result.units)
            # Blank = not applicable: a unit that left the figure blank is not compared.
            column = dict(zip(result.matrix.index, result.matrix[code], strict=True))
            units = [u for u in units if column[u] is not None]
            if may_be_blank(form, code):
                units = [u for u in units if u not in system_units]
            if not units:
                continue
            figure = sum(_number(column[u]) for u in units)
            counted = _count(call, rows, units)
            scope = registry.root.name + "（本级）" if ind.aggregation == "self" else "全系统"
            yield Check(
                LEDGER_CHECK,
                f"{scope}，{len(units)} 个单位",
                code,
                ind.label,
                figure,
                counted,
                f"[{rule.id}] {ast.unparse(call)}",
            )


def ledger_ties(rule: Rule) -> list[tuple[str, ast.Call]]:
    """(indicator, ledger call) for each `CODE == count(...)` / `total(...)` in a rule."""
    body = rule.expr.tree.body
    conjuncts = (
        body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
    )
    ties = []
    for node in conjuncts:
        if not (
            isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)
        ):
            continue
        sides = (node.left, node.comparators[0])
        for side, other in (sides, sides[::-1]):
            if isinstance(side, ast.Name) and _is_ledger_call(other):
                ties.append((side.id, other))
    return ties


def _is_ledger_call(node: ast.expr) -> TypeGuard[ast.Call]:
    """A call of count() or total()."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in LEDGER_FUNCTIONS
    )


class _LedgerRecords:
    """The consolidated ledgers' rows as dicts, each ledger's made once, when a check first
    needs it (made per unit for every ledger, they cost more than the checks)."""

    def __init__(self, result: Consolidation):
        self.result = result
        self.everyone = set(result.units)
        self.made: dict[str, list[dict]] = {}

    def of(self, ledger_id: str, units: list[str]) -> list[dict]:
        if ledger_id not in self.made:
            frame = self.result.ledgers.get(ledger_id)
            self.made[ledger_id] = [] if frame is None else ledger_records(frame)
        every = self.made[ledger_id]
        wanted = set(units)
        if wanted >= self.everyone:
            return every
        return [row for row in every if str(row["单位编码"]) in wanted]


def _count(call: ast.Call, rows: _LedgerRecords, units: list[str]) -> int:
    """count() or total() over the units' rows together: both add up over rows, and one
    evaluation over them all costs a tenth of one per unit."""

    def no_names(name: str) -> object:
        raise Skip

    return as_int(evaluate_node(call, no_names, lambda ledger_id: rows.of(ledger_id, units)))
