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

from .definition import BOOL_CHOICES, Column, Form, Indicator, Registry, Unit, choices_for
from .rules import Expr, Skip, evaluate, evaluate_node

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


@dataclass
class SampleReturn:
    unit: Unit
    values: dict[str, object]
    ledgers: dict[str, list[dict[str, object]]] = field(default_factory=dict)


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
    for code in ("PERIOD", "PERIOD_TYPE", "PERIOD_START", "PERIOD_END"):
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
        return form.period.start + dt.timedelta(days=rng.randint(0, 150))
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


# Repair


def _repair(form: Form, values: dict[str, object], ledgers: dict[str, list]) -> bool:
    """Adjust indicator values until every rule holds; False if that cannot be reached."""
    derived = {i.code: i for i in form.indicators if i.derived is not None}
    pinned = _pinned_to_ledgers(form)

    def lookup(code: str) -> object:
        if code in derived:
            parts = [values.get(p) for p in derived[code].parts]
            present = [p for p in parts if isinstance(p, int)]
            if not present:
                raise Skip
            return sum(present)
        value = values.get(code)
        if value is None:
            raise Skip
        return value

    for _ in range(REPAIR_PASSES):
        changed = False
        for rule in form.rules:
            try:
                if evaluate(rule.expr, lookup, ledgers.get):
                    continue
            except Skip:
                continue
            fixed = derived.keys() | {code for code, by in pinned.items() if by != rule.id}
            changed |= _satisfy(rule.expr.tree.body, values, fixed, lookup, ledgers)
        if not changed:
            break
    return all(_holds(rule.expr.tree.body, lookup, ledgers) for rule in form.rules)


def _pinned_to_ledgers(form: Form) -> dict[str, str]:
    """Indicators that a rule sets equal to a ledger count: the repair never moves them."""
    pinned = {}
    for rule in form.rules:
        body = rule.expr.tree.body
        if (
            isinstance(body, ast.Compare)
            and len(body.ops) == 1
            and isinstance(body.ops[0], ast.Eq)
            and rule.expr.ledgers
        ):
            for side in (body.left, body.comparators[0]):
                if isinstance(side, ast.Name):
                    pinned[side.id] = rule.id
    return pinned


def _satisfy(node: ast.AST, values: dict, fixed: set, lookup, ledgers) -> bool:
    """Change one indicator not in `fixed` so that `node` holds; True if something changed."""
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.Or):
            return _satisfy(node.values[-1], values, fixed, lookup, ledgers)
        return any(
            _satisfy(v, values, fixed, lookup, ledgers)
            for v in node.values
            if not _holds(v, lookup, ledgers)
        )
    if not isinstance(node, ast.Compare):
        return False
    sides = [node.left, *node.comparators]
    for op, left, right in zip(node.ops, sides, sides[1:], strict=False):
        if _holds(ast.Compare(left=left, ops=[op], comparators=[right]), lookup, ledgers):
            continue
        for target, other, flipped in ((left, right, False), (right, left, True)):
            try:
                wanted = _fit(op, int(evaluate_node(other, lookup, ledgers.get)), flipped)
                current = int(evaluate_node(target, lookup, ledgers.get))
            except (Skip, TypeError, ValueError):
                continue
            if _shift(target, wanted - current, values, fixed):
                return True
    return False


def _shift(node: ast.AST, delta: int, values: dict, fixed: set) -> bool:
    """Move a plain name, alone or as a term of a sum, by `delta` (never below 0)."""
    terms = _sum_terms(node)
    for term in terms or []:
        if term.id not in fixed and isinstance(values.get(term.id), int):
            if values[term.id] + delta >= 0:
                values[term.id] += delta
                return True
    return False


def _sum_terms(node: ast.AST) -> list[ast.Name] | None:
    if isinstance(node, ast.Name):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sum_terms(node.left), _sum_terms(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _fit(op: ast.cmpop, other: int, flipped: bool) -> int:
    """A value v with `v op other` (or `other op v` when flipped)."""
    if isinstance(op, ast.Eq):
        return other
    wants_greater = isinstance(op, ast.Gt | ast.GtE) != flipped
    strict = isinstance(op, ast.Gt | ast.Lt)
    if wants_greater:
        return other + (1 if strict else 0)
    return max(0, other - (1 if strict else 0))


def _holds(node: ast.AST, lookup, ledgers) -> bool:
    try:
        return bool(evaluate(Expr("", ast.Expression(body=node), (), ()), lookup, ledgers.get))
    except Skip:
        return True
