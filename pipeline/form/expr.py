"""A small safe evaluator for rule expressions: an allow-list over Python's `ast`, never `eval`.
Each expression is compiled once, when the definition is loaded, into nested closures (one per
node of its tree), so a return's rules run without walking or matching the tree again.

Expressions use Python syntax over names (indicator codes, or ledger column keys in row rules),
integer and string literals, + - *, comparisons, and/or/not, and four functions:

- ``count(LEDGER, key="v", key2=["a", "b"])``: rows of a ledger matching every filter;
- ``total(LEDGER, "column", key="v")``: sum of an integer column over matching rows;
- ``min(...)``, ``max(...)``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.cells import as_int

LEDGER_FUNCTIONS = {"count", "total"}
PLAIN_FUNCTIONS: dict[str, Callable[..., object]] = {"min": min, "max": max}

# The language has Python's operators over whatever a return holds (int, str, date, a tuple of
# choices, None for a blank), so their operands are Any: the TypeError of a blank or of a text
# where a number is wanted is how `evaluate` skips a rule.
_UNARY: dict[type[ast.unaryop], Callable[[Any], object]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    *_UNARY,
    ast.BinOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.keyword,
    ast.List,
    ast.Tuple,
    *_BINARY,
    *_COMPARE,
)


class ExpressionError(ValueError):
    """The expression text is not allowed; raised when a definition is loaded."""


class Skip(Exception):
    """The expression cannot be evaluated for this return (a blank it depends on)."""


@dataclass(frozen=True, slots=True)
class LedgerRef:
    ledger: str
    columns: tuple[str, ...]


Row = Mapping[str, object]
NameLookup = Callable[[str], object]
LedgerLookup = Callable[[str], Sequence[Row]]
# A compiled node: its value for a return's names and ledgers
Evaluator = Callable[[NameLookup, LedgerLookup | None], object]


@dataclass(frozen=True)
class Expr:
    text: str
    tree: ast.Expression
    names: tuple[str, ...]
    ledgers: tuple[LedgerRef, ...]
    run: Evaluator = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "run", _compiled(self.tree.body))


def compile_expr(text: str) -> Expr:
    """Parse and check an expression; raise ExpressionError with a readable reason."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in {text!r}: {exc.msg}") from None
    names: list[str] = []
    ledgers: list[LedgerRef] = []
    ledger_name_nodes: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"{type(node).__name__} is not allowed in {text!r}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | str):
            raise ExpressionError(f"constant {node.value!r} is not allowed in {text!r}")
        if isinstance(node, ast.Call):
            ledgers.extend(_check_call(node, text))
            if isinstance(node.func, ast.Name) and node.func.id in LEDGER_FUNCTIONS:
                ledger_name_nodes.add(id(node.args[0]))
            ledger_name_nodes.add(id(node.func))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and id(node) not in ledger_name_nodes
            and node.id not in names
        ):
            names.append(node.id)
    return Expr(text, tree, tuple(names), tuple(ledgers))


def _check_call(node: ast.Call, text: str) -> list[LedgerRef]:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"only plain function calls are allowed in {text!r}")
    name = node.func.id
    if name in PLAIN_FUNCTIONS:
        if node.keywords or not node.args:
            raise ExpressionError(f"{name}() takes positional arguments only in {text!r}")
        return []
    if name not in LEDGER_FUNCTIONS:
        raise ExpressionError(f"unknown function {name}() in {text!r}")
    wanted = 1 if name == "count" else 2
    if len(node.args) != wanted or not isinstance(node.args[0], ast.Name):
        raise ExpressionError(f"{name}() needs {wanted} positional argument(s) in {text!r}")
    columns = [kw.arg for kw in node.keywords if kw.arg]
    if name == "total":
        column = node.args[1]
        if not (isinstance(column, ast.Constant) and isinstance(column.value, str)):
            raise ExpressionError(f"total() needs a quoted column name in {text!r}")
        columns.append(column.value)
    for kw in node.keywords:
        if not _is_literal_filter(kw.value):
            raise ExpressionError(f"filter {kw.arg}= needs a string or list in {text!r}")
    return [LedgerRef(node.args[0].id, tuple(columns))]


def _is_literal_filter(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.List | ast.Tuple) and all(
        isinstance(e, ast.Constant) for e in node.elts
    )


# Evaluate


def evaluate(expr: Expr, lookup: NameLookup, ledgers: LedgerLookup | None = None) -> object:
    """Evaluate a compiled expression. Raises Skip when a needed value is missing."""
    try:
        return expr.run(lookup, ledgers)
    except TypeError:
        # Comparing or adding a blank: the rule does not apply to this return.
        raise Skip from None


def describe_sides(expr: Expr, lookup: NameLookup, ledgers: LedgerLookup | None = None) -> str:
    """Values of both sides of a simple comparison, for a message; '' otherwise."""
    body = expr.tree.body
    if not (isinstance(body, ast.Compare) and len(body.ops) == 1):
        return ""
    try:
        left = evaluate_node(body.left, lookup, ledgers)
        right = evaluate_node(body.comparators[0], lookup, ledgers)
    except (Skip, TypeError):
        return ""
    return f"左侧为 {left}，右侧为 {right}"


def evaluate_node(node: ast.AST, lookup: NameLookup, ledgers: LedgerLookup | None) -> object:
    """Evaluate one node of a compiled expression (a message's sides, a sum over ledgers,
    repairing generated samples: compiled when asked, not kept)."""
    return _compiled(node)(lookup, ledgers)


def _compiled(node: ast.AST) -> Evaluator:
    """The node as a closure over its compiled children (checked by compile_expr first)."""
    match node:
        case ast.Constant(value=value):
            return lambda lookup, ledgers: value
        case ast.Name(id=name):
            return lambda lookup, ledgers: lookup(name)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            items = [_compiled(e) for e in elts]
            return lambda lookup, ledgers: [item(lookup, ledgers) for item in items]
        case ast.UnaryOp(op=unary, operand=operand):
            return _applied(_UNARY[type(unary)], [operand])
        case ast.BinOp(left=left, op=binary, right=right):
            return _applied(_BINARY[type(binary)], [left, right])
        case ast.BoolOp(op=ast.And(), values=values):
            both = [_compiled(v) for v in values]
            return lambda lookup, ledgers: all(v(lookup, ledgers) for v in both)
        case ast.BoolOp(op=ast.Or(), values=values):
            either = [_compiled(v) for v in values]
            return lambda lookup, ledgers: any(v(lookup, ledgers) for v in either)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            return _compiled_compare(left, ops, comparators)
        case ast.Call(func=ast.Name(id=name), args=args) if name in PLAIN_FUNCTIONS:
            return _applied(PLAIN_FUNCTIONS[name], args)
        case ast.Call(func=ast.Name(id="count"), args=[ast.Name(id=ledger)], keywords=keywords):
            matching = _compiled_matching(ledger, keywords)
            return lambda lookup, ledgers: len(matching(ledgers))
        case ast.Call(
            func=ast.Name(id="total"),
            args=[ast.Name(id=ledger), ast.Constant(value=str(column))],
            keywords=keywords,
        ):
            matching = _compiled_matching(ledger, keywords)
            return lambda lookup, ledgers: sum(
                as_int(row.get(column) or 0) for row in matching(ledgers)
            )
    raise ExpressionError(f"cannot evaluate {ast.dump(node)}")  # checked at compile time


def _applied(function: Callable[..., object], operands: list[ast.expr]) -> Evaluator:
    """A function of its operands' values, the operands evaluated left to right."""
    compiled = [_compiled(operand) for operand in operands]
    return lambda lookup, ledgers: function(*[c(lookup, ledgers) for c in compiled])


def _compiled_compare(
    left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr]
) -> Evaluator:
    """A comparison, chained as Python chains it: each value evaluated once, and no further
    than the first comparison that fails."""
    first = _compiled(left)
    steps = [(_COMPARE[type(op)], _compiled(c)) for op, c in zip(ops, comparators, strict=True)]

    def compare(lookup: NameLookup, ledgers: LedgerLookup | None) -> bool:
        current = first(lookup, ledgers)
        for holds, comparator in steps:
            following = comparator(lookup, ledgers)
            if not holds(current, following):
                return False
            current = following
        return True

    return compare


def _compiled_matching(
    ledger: str, keywords: list[ast.keyword]
) -> Callable[[LedgerLookup | None], list[Row]]:
    """The rows of a ledger that match the filters of count() or total(). The filters are
    literals (compile_expr checks it): their accepted values are made once, here."""
    filters = {kw.arg or "": _accepted(ast.literal_eval(kw.value)) for kw in keywords}

    def matching(ledgers: LedgerLookup | None) -> list[Row]:
        if ledgers is None:
            raise Skip
        return [row for row in ledgers(ledger) if _matches(row, filters)]

    return matching


def _accepted(wanted: object) -> set:
    """A filter's accepted values (a list or a tuple: any of them)."""
    return set(wanted) if isinstance(wanted, list | tuple) else {wanted}


def _matches(row: Row, filters: Mapping[str, set]) -> bool:
    for key, accepted in filters.items():
        value = row.get(key)
        if isinstance(value, list | tuple):
            if accepted.isdisjoint(value):
                return False
        elif value not in accepted:
            return False
    return True


def sum_terms(node: ast.AST) -> list[ast.Name] | None:
    """The names of `a + b + c`, or None when the node is not a plain sum of names."""
    if isinstance(node, ast.Name):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = sum_terms(node.left), sum_terms(node.right)
        if left is not None and right is not None:
            return left + right
    return None
