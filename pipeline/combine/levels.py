"""汇总 cut at a level of the registry tree: one column per unit (alone, or with its subtree),
the columns adding up to the total. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.combine.consolidate import Consolidation, Total, aggregate_units
from pipeline.form.model import Form
from pipeline.form.registry import Registry


@dataclass(frozen=True)
class CutColumn:
    """One column of 汇总 cut at a level: a unit alone (本级) or with everything below it."""

    code: str
    label: str
    units: tuple[str, ...]


def level_cut(registry: Registry, level: int) -> list[CutColumn]:
    """Columns that cover every registered unit exactly once, cut at tree depth `level`.

    A unit at that depth, or a leaf above it, stands for itself and everything below it; a
    parent above it stands for its own 本级 return only (its children get their own columns).
    """
    columns = []
    for unit, depth in registry.tree_order():
        below = registry.descendants(unit.code)
        if depth == level or (depth < level and len(below) == 1):
            label = unit.name if len(below) == 1 else f"{unit.name}（含下属）"
            columns.append(CutColumn(unit.code, label, tuple(below)))
        elif depth < level:
            columns.append(CutColumn(unit.code, f"{unit.name}（本级）", (unit.code,)))
    return columns


def max_level(registry: Registry) -> int:
    return max(depth for _, depth in registry.tree_order())


def cut_totals(
    columns: list[CutColumn], result: Consolidation, form: Form
) -> list[dict[str, Total]]:
    return aggregate_units(result, form, [(c.code, c.units) for c in columns])
