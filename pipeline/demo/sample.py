"""Generate realistic, valid returns from the definition (demo, tests, benchmark).

Ledger rows are drawn first; indicator values are drawn at random and then repaired rule by
rule (a summary count is set to its ledger count, a "rectified" figure is capped by "found",
...) until every rule of the definition holds. Deterministic for a given seed.
"""

from __future__ import annotations

import ast
import datetime as dt
import random
from dataclasses import dataclass, field

from pipeline.core.cells import as_int
from pipeline.form.expr import Expr, Skip, evaluate, evaluate_node
from pipeline.form.model import (
    BOOL_CHOICES,
    ORIGIN_UNIT_COLUMN,
    PRESET_COVER,
    Column,
    Form,
    Indicator,
    choices_for,
)
from pipeline.form.registry import Registry, Unit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"
TEXTS = {
    "DEC_KEY_TASKS": "防汛抗旱、城乡供水一体化改造",
    "INS_XS_BODY": "市委巡察组",
    "INS_XS_PREP_LEADS": "办公室、机关党委",
    "UNIT_DISC_BODY": "市纪委监委驻市水务局纪检监察组",
}
LEDGER_TEXTS = ["专项检查", "专题学习", "廉政教育", "工作部署", "整改落实", "警示教育"]
REPAIR_PASSES = 25
ATTEMPTS = 20

Ledgers = dict[str, list[dict[str, object]]]  # ledger id -> rows by column key


@dataclass
class SampleReturn:
    unit: Unit
    values: dict[str, object]
    ledgers: Ledgers = field(default_factory=dict)


def sample_return(
    form: Form, registry: Registry, unit: Unit, seed: int, max_rows: int = 8
) -> SampleReturn:
    """A return that passes every rule; redraws (deterministically) the rare unrepairable one."""
    for attempt in range(ATTEMPTS):
        sample = _draw(form, registry, unit, random.Random(seed * ATTEMPTS + attempt), max_rows)
        if _repair(form, sample.values, sample.ledgers):
            return sample
    raise ValueError(f"no valid sample for {unit.code} after {ATTEMPTS} draws")


def _draw(
    form: Form, registry: Registry, unit: Unit, rng: random.Random, max_rows: int
) -> SampleReturn:
    period = form.period
    is_root = unit.code == registry.root.code
    ledgers = {
        lg.id: [_row(lg, rng, form, registry) for _ in range(rng.randint(0, max_rows))]
        for lg in form.ledgers
    }
    values: dict[str, object] = {}
    for ind in form.indicators:
        if ind.derived is not None:
            continue
        values[ind.code] = _value(ind, rng, form, registry, is_root)
    values.update(
        {
            "UNIT_CODE": unit.code,
            "UNIT_NAME": unit.name,
            "SCOPE": "本级",
            "FILLER": unit.contact or "王芳",
            "FILLER_PHONE": unit.phone or "13900000000",
            "SUBMIT_DATE": period.end + dt.timedelta(days=rng.randint(1, 10)),
        }
    )
    _link_eight_rules_cases(ledgers)
    for code in PRESET_COVER:
        values.pop(code, None)  # preset in the template
    return SampleReturn(unit, {k: v for k, v in values.items() if form.has_indicator(k)}, ledgers)


def _value(ind: Indicator, rng: random.Random, form: Form, registry: Registry, is_root: bool):
    if ind.aggregation == "self" and not is_root:
        return None
    if ind.type == "int":
        if not ind.required and rng.random() < 0.3:
            return None
        high = ind.max if ind.max is not None else 12
        return rng.randint(ind.min or 0, max(ind.min or 0, min(high, 12)))
    if ind.type == "date":
        span = min(150, (form.period.end - form.period.start).days)  # a month is a period too
        return form.period.start + dt.timedelta(days=rng.randint(0, span))
    if ind.type == "bool":
        return rng.choice(BOOL_CHOICES)
    if ind.type == "choice":
        options = choices_for(form, ind.choices, registry)
        return rng.choice(options) if options else None
    return TEXTS.get(ind.code, f"{ind.label}（示例）")


def _row(ledger, rng: random.Random, form: Form, registry: Registry) -> dict[str, object]:
    for _ in range(200):
        row = {c.key: _cell(c, rng, form, registry) for c in ledger.columns}
        if all(_row_rule_holds(rule, row) for rule in ledger.row_rules):
            return row
    raise ValueError(f"cannot draw a valid row for ledger {ledger.id}")


def _row_rule_holds(rule, row: dict[str, object]) -> bool:
    try:
        return bool(evaluate(rule.expr, row.get))
    except Skip:
        return True


def _cell(column: Column, rng: random.Random, form: Form, registry: Registry) -> object:
    if column.key == ORIGIN_UNIT_COLUMN:
        return None  # units leave it blank; only a 上报 return fills it
    if not column.required and column.type != "choice" and rng.random() < 0.15:
        return None
    if column.type == "int":
        return rng.randint(column.min or 0, max(column.min or 0, 6))
    if column.type == "date":
        span = (form.period.end - form.period.start).days
        return form.period.start + dt.timedelta(days=rng.randint(0, span))
    if column.type == "bool":
        return rng.choice(BOOL_CHOICES)
    if column.type == "choice":
        options = choices_for(form, column.choices, registry)
        if not column.required and rng.random() < 0.3:
            return None
        if column.multi:
            return tuple(rng.sample(options, k=min(len(options), rng.randint(1, 2))))
        return rng.choice(options)
    if column.pii:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
    return f"{rng.choice(LEDGER_TEXTS)}{rng.randint(1, 99)}号"


def _link_eight_rules_cases(ledgers: Ledgers) -> None:
    """Make the 八项规定 cases agree with the sanction cases, as a bureau's ledgers would.

    Rules compare two ledgers here (people sanctioned in EPR_CASES = DISC_CASES rows marked
    as 八项规定 violations), which no change of an indicator can repair.
    """
    cases, people = ledgers.get("EPR_CASES"), ledgers.get("DISC_CASES")
    if cases is None or people is None:
        return
    for person in people:
        person.update(epr_violation="否", epr_category=None)
    for number, case in enumerate(cases):
        sanctioned = 1 if number < len(people) else 0
        case.update(sanctioned=sanctioned, handled=max(as_int(case.get("handled") or 0), 1))
        if sanctioned:
            people[number].update(epr_violation="是", epr_category=case.get("category"))


# Repair


def _repair(form: Form, values: dict[str, object], ledgers: Ledgers) -> bool:
    """Adjust indicator values until every rule holds; False if that cannot be reached."""
    repairer = _Repairer(form, values, ledgers)
    for _ in range(REPAIR_PASSES):
        if not any([repairer.repair(rule) for rule in form.rules]):
            break
    return all(repairer.holds(rule.expr.tree.body) for rule in form.rules)


class _Repairer:
    def __init__(self, form: Form, values: dict[str, object], ledgers: Ledgers):
        self.form, self.values, self.ledgers = form, values, ledgers
        self.derived = {i.code for i in form.indicators if i.derived is not None}
        self.pinned = _pinned_to_ledgers(form)
        self.fixed: set[str] = set()

    def lookup(self, code: str) -> object:
        value: object
        if code in self.derived:
            value = self.form.derived_value(code, self.values)
        else:
            value = self.values.get(code)
        if value is None:
            raise Skip
        return value

    def rows(self, ledger_id: str) -> list[dict[str, object]]:
        if ledger_id not in self.ledgers:
            raise Skip
        return self.ledgers[ledger_id]

    def holds(self, node: ast.expr) -> bool:
        expr = Expr("", ast.Expression(body=node), (), ())
        try:
            return bool(evaluate(expr, self.lookup, self.rows))
        except Skip:
            return True

    def repair(self, rule) -> bool:
        """Change indicators so that `rule` holds; True if something changed."""
        if self.holds(rule.expr.tree.body):
            return False
        # A value a rule ties to a ledger count moves only for that rule.
        self.fixed = {code for code, (by, _) in self.pinned.items() if by != rule.id}
        return self.satisfy(rule.expr.tree.body)

    def satisfy(self, node: ast.expr) -> bool:
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.Or):
                return self.satisfy(node.values[-1])
            return any([self.satisfy(v) for v in node.values if not self.holds(v)])
        if not isinstance(node, ast.Compare):
            return False
        sides = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, sides, sides[1:], strict=False):
            if self.holds(ast.Compare(left=left, ops=[op], comparators=[right])):
                continue
            for target, other, flipped in ((left, right, False), (right, left, True)):
                try:
                    wanted = _fit(op, as_int(evaluate_node(other, self.lookup, self.rows)), flipped)
                    current = as_int(evaluate_node(target, self.lookup, self.rows))
                except (Skip, TypeError, ValueError):
                    continue
                if wanted != current and self.shift(target, wanted - current):
                    return True
        return False

    def shift(self, node: ast.AST, delta: int) -> int:
        """Move names, alone or as terms of a sum, by `delta` in all (none below 0).

        A derived total moves through its parts; ``total(LEDGER, "column")`` through the
        column's cells. Returns how much was moved."""
        moved = 0
        for term in _terms(node):
            if moved == delta:
                break
            if isinstance(term, ast.Call):
                moved += self._shift_column(term, delta - moved)
                continue
            code = term.id
            if code in self.fixed:
                value = self.values.get(code)
                if isinstance(value, int):
                    # Tied to a ledger column total: move the column and the figure with it.
                    step = self._shift_column(self.pinned[code][1], delta - moved)
                    self.values[code] = value + step
                    moved += step
                continue
            derived = self.form.indicator(code).derived if code in self.derived else None
            if derived is not None:
                moved += self.shift(derived.tree.body, delta - moved)
                continue
            value = self.values.get(code)
            if not isinstance(value, int):
                continue
            step = max(delta - moved, -value)
            self.values[code] = value + step
            moved += step
        return moved

    def _shift_column(self, call: ast.Call, delta: int) -> int:
        """Move an unfiltered ``total(LEDGER, "column")`` through the column's cells."""
        match call:
            case ast.Call(
                func=ast.Name(id="total"),
                args=[ast.Name(id=ledger), ast.Constant(value=str(column))],
                keywords=[],
            ):
                return _shift_cells(self.ledgers.get(ledger, []), column, delta)
        return 0


def _shift_cells(rows: list[dict[str, object]], column: str, delta: int) -> int:
    """Move the integer cells of a column by `delta` in all (none below 0); how much moved."""
    moved = 0
    for row in rows:
        value = row.get(column)
        if isinstance(value, int) and moved != delta:
            step = max(delta - moved, -value)
            row[column] = value + step
            moved += step
    return moved


def _terms(node: ast.AST) -> list[ast.Name | ast.Call]:
    """Terms of a sum of names and ledger totals; [] for anything else."""
    if isinstance(node, ast.Name | ast.Call):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _terms(node.left), _terms(node.right)
        return left + right if left and right else []
    return []


def _pinned_to_ledgers(form: Form) -> dict[str, tuple[str, ast.Call]]:
    """Indicators that a rule sets equal to a ledger count: the rule's id and that count."""
    pinned: dict[str, tuple[str, ast.Call]] = {}
    for rule in form.rules:
        body = rule.expr.tree.body
        conjuncts = (
            body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
        )
        for node in conjuncts:
            if not (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], ast.Eq)
            ):
                continue
            sides = (node.left, node.comparators[0])
            for side, other in (sides, sides[::-1]):
                if isinstance(side, ast.Name) and isinstance(other, ast.Call):
                    pinned[side.id] = (rule.id, other)
    return pinned


def _fit(op: ast.cmpop, other: int, flipped: bool) -> int:
    """A value v with `v op other` (or `other op v` when flipped)."""
    if isinstance(op, ast.Eq):
        return other
    wants_greater = isinstance(op, ast.Gt | ast.GtE) != flipped
    strict = isinstance(op, ast.Gt | ast.Lt)
    if wants_greater:
        return other + (1 if strict else 0)
    return max(0, other - (1 if strict else 0))
