"""Rule expressions as spreadsheet formulas, with the meaning the evaluator (expr.py) gives them.

The compiler walks the same tree (`Expr.tree`) as the evaluator, so one rule text has one
meaning in both. What the evaluator does, the formula does too:

- a blank indicator makes the rule skip (`Skip`): here its reference yields #N/A, which every
  operator and comparison passes on, so a skipped rule ends in an error value;
- `and`, `or` and chained comparisons stop at the first deciding operand: here nested IF,
  which evaluates only the branch it takes (Excel and LibreOffice alike);
- `count()` counts the table rows holding anything, or matching every filter; `total()` sums
  an integer column over the matching rows (text and blanks count as 0).

What cannot be written exactly raises NotExpressible with the reason. Pure: the caller says
how to refer to an indicator (`NameRef`) and to a ledger column (`ColumnRange`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.form.expr import Expr
from pipeline.form.model import Form

# Excel's limits on one formula: its length and how deeply functions may nest.
MAX_FORMULA_CHARS = 8192
MAX_NESTING = 64
# What the reader splits a multi-choice cell on (check/normalize.py MULTI_SEPARATORS), as
# formula text; all become 、 before an element is looked for between two 、.
MULTI_SEPARATORS = ('"，"', '","', '"；"', '";"', '"／"', '"/"', '" "', '"　"', "CHAR(10)")

_COMPARE = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


class NotExpressible(Exception):
    """The rule cannot be written as a formula that agrees with the evaluator; why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class NameRef:
    """How a formula reads an indicator: its value, and a test that is TRUE when the
    evaluator would see it as blank (and skip the rule)."""

    value: str
    blank: str


@dataclass(frozen=True, slots=True)
class ColumnRange:
    """One ledger column: an absolute range over its rows, what the column holds, and its
    header text (the first row of the range when the ledger's ranges start at the header)."""

    range: str
    type: str = "text"
    multi: bool = False
    label: str = ""


@dataclass(frozen=True, slots=True)
class LedgerRanges:
    """Every column of a ledger (key -> range), in the ledger's order. With `header`, each
    range starts at the table's header row, so that rows inserted above the first data row
    stay inside it; the header is then left out of every count."""

    columns: Mapping[str, ColumnRange]
    header: bool = False


def indicator_refs(form: Form) -> dict[str, NameRef]:
    """How to read each integer indicator through its defined name.

    A number cell holding anything but a number is not a value the evaluator compares (a
    blank is skipped; text is refused by the reader), so "blank" is "not a number". A derived
    total is what `Form.derived_value` makes of its parts: the sum of the parts that hold a
    number, blank when none does; its own cell is not used.
    """
    refs = {}
    for ind in form.indicators:
        if ind.type != "int":
            continue
        if ind.derived is None:
            refs[ind.code] = NameRef(ind.code, f"COUNT({ind.code})=0")
        else:
            leaves = ",".join(_leaves(form, ind.code))
            refs[ind.code] = NameRef(f"SUM({leaves})", f"COUNT({leaves})=0")
    return refs


def _leaves(form: Form, code: str) -> list[str]:
    ind = form.indicator(code)
    if ind.derived is None:
        return [code]
    return [leaf for part in ind.parts for leaf in _leaves(form, part)]


def rule_formula(
    expr: Expr, names: Mapping[str, NameRef], ledgers: Mapping[str, LedgerRanges]
) -> str:
    """The formula (without '=') that is truthy when the rule passes, falsy when it fails and
    an error value when the evaluator would skip it. Raises NotExpressible."""
    text = _Compiler(names, ledgers).node(expr.tree.body)
    if len(text) + 1 > MAX_FORMULA_CHARS:
        raise NotExpressible(f"the formula would be {len(text)} characters long")
    if _nesting(text) > MAX_NESTING:
        raise NotExpressible("the formula would nest functions too deeply")
    return text


def _nesting(text: str) -> int:
    depth = deepest = 0
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            deepest = max(deepest, depth)
    return deepest


class _Compiler:
    def __init__(self, names: Mapping[str, NameRef], ledgers: Mapping[str, LedgerRanges]):
        self.names, self.ledgers = names, ledgers

    def node(self, node: ast.AST) -> str:  # noqa: C901, PLR0911, PLR0912 - one case per node type
        match node:
            case ast.Constant(value=bool(value)):
                return "TRUE" if value else "FALSE"
            case ast.Constant(value=int(value)):
                return str(value)
            case ast.Constant(value=str()):
                # Python compares a text with a number as never equal, or refuses to order
                # them; a spreadsheet orders them. No rule needs it.
                raise NotExpressible("a text constant outside a ledger filter")
            case ast.Name(id=code):
                return self.name(code)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return f"NOT({self.node(operand)})"
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return f"(-{self.number(operand)})"
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
                return f"({self.number(left)}{_BINARY[type(op)]}{self.number(right)})"
            case ast.BoolOp(op=ast.And(), values=values):
                return self.lazy(values, decided="FALSE", when_true=False)
            case ast.BoolOp(op=ast.Or(), values=values):
                return self.lazy(values, decided="TRUE", when_true=True)
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self.compare(left, ops, comparators)
            case ast.Call(func=ast.Name(id="min" | "max" as function), args=args):
                return self.extreme(function, args)
            case ast.Call(func=ast.Name(id="count"), args=[ast.Name(id=ledger)], keywords=kws):
                return self.count(ledger, kws)
            case ast.Call(
                func=ast.Name(id="total"),
                args=[ast.Name(id=ledger), ast.Constant(value=str(column))],
                keywords=kws,
            ):
                return self.total(ledger, column, kws)
        raise NotExpressible(f"{type(node).__name__} has no formula")

    def name(self, code: str) -> str:
        ref = self.names.get(code)
        if ref is None:
            raise NotExpressible(f"{code} is not a number cell of the template")
        return f"IF({ref.blank},NA(),{ref.value})"

    def number(self, node: ast.AST) -> str:
        """An operand where Python takes True as 1: a spreadsheet compares TRUE with a number
        as a different type (never equal, always greater), so a truth value becomes 0/1."""
        text = self.node(node)
        boolean = isinstance(node, ast.Compare | ast.BoolOp) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        )
        return f"(--{text})" if boolean or text in ("TRUE", "FALSE") else text

    def lazy(self, values: list[ast.expr], decided: str, when_true: bool) -> str:
        """all()/any() over the operands: the first one that decides stops the evaluation."""
        *first, last = values
        text = f"AND({self.node(last)})"  # AND(x): the truth value of x, as all() returns
        for value in reversed(first):
            condition = self.node(value)
            if when_true:
                text = f"IF({condition},{decided},{text})"
            else:
                text = f"IF({condition},{text},{decided})"
        return text

    def compare(self, left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr]) -> str:
        """`a < b <= c`: each link is evaluated only when the ones before it held."""
        operands = [self.number(left), *(self.number(c) for c in comparators)]
        links = [
            f"({operands[i]}{_COMPARE[type(op)]}{operands[i + 1]})" for i, op in enumerate(ops)
        ]
        text = links[-1]
        for link in reversed(links[:-1]):
            text = f"IF({link},{text},FALSE)"
        return text

    def extreme(self, function: str, args: list[ast.expr]) -> str:
        if len(args) < 2:  # noqa: PLR2004 - min(x) of one number is a TypeError in Python
            raise NotExpressible(f"{function}() of fewer than two values")
        return f"{function.upper()}({','.join(self.number(a) for a in args)})"

    # Ledgers

    def ledger(self, ledger_id: str) -> LedgerRanges:
        ranges = self.ledgers.get(ledger_id)
        if ranges is None:
            raise NotExpressible(f"ledger {ledger_id} is not in the template")
        return ranges

    def column(self, ledger_id: str, key: str) -> ColumnRange:
        column = self.ledger(ledger_id).columns.get(key)
        if column is None:  # e.g. a column the pipeline derives: the unit's sheet lacks it
            raise NotExpressible(f"column {ledger_id}.{key} is not in the template")
        return column

    def count(self, ledger_id: str, keywords: list[ast.keyword]) -> str:
        ranges = self.ledger(ledger_id)
        if keywords:
            return f"SUMPRODUCT({self.masks(ledger_id, keywords)})"
        # A row counts when any of its cells holds more than blanks (read/locate.py).
        lengths = "+".join(f"LEN(TRIM({c.range}))" for c in ranges.columns.values())
        header = "-1" if ranges.header else ""
        return f"(SUMPRODUCT(--(({lengths})>0)){header})"

    def total(self, ledger_id: str, key: str, keywords: list[ast.keyword]) -> str:
        column = self.column(ledger_id, key)
        if column.type != "int":
            raise NotExpressible(f"total() of {ledger_id}.{key}, which is not a number column")
        if not keywords:
            return f"SUM({column.range})"  # text (the header too) and blanks are left out
        # SUMPRODUCT takes a text entry of its arrays as 0.
        return f"SUMPRODUCT({self.masks(ledger_id, keywords)},{column.range})"

    def masks(self, ledger_id: str, keywords: list[ast.keyword]) -> str:
        """One 0/1 array per filter, as SUMPRODUCT arguments: a row matches them all."""
        return ",".join(f"--({self.mask(ledger_id, kw)})" for kw in keywords)

    def mask(self, ledger_id: str, keyword: ast.keyword) -> str:
        column = self.column(ledger_id, keyword.arg or "")
        wanted = _literals(keyword.value)
        if not wanted:
            raise NotExpressible(f"an empty list of values for {keyword.arg}")
        for value in wanted:
            self.check_filter(ledger_id, column, value)
        if column.multi:
            # The cell with each separator made 、 and a 、 at both ends: an element is
            # matched whole, between two 、.
            cell = column.range
            for separator in MULTI_SEPARATORS:
                cell = f'SUBSTITUTE({cell},{separator},"、")'
            tests = [
                f'ISNUMBER(FIND({_text("、" + str(v) + "、")},"、"&{cell}&"、"))' for v in wanted
            ]
        else:
            tests = [f"({column.range}={_literal(v)})" for v in wanted]
        return tests[0] if len(tests) == 1 else f"({'+'.join(tests)})>0"

    def check_filter(self, ledger_id: str, column: ColumnRange, value: int | str) -> None:
        """A filter value the spreadsheet compares as the evaluator does: text with a text
        column, a number with a number column; never the header text, which the range holds."""
        if isinstance(value, bool) or isinstance(value, int) != (column.type == "int"):
            raise NotExpressible(f"filter {value!r} on the {column.type} column {column.label}")
        if column.type == "date":
            raise NotExpressible(f"a filter on the date column {column.label}")
        if self.ledger(ledger_id).header and str(value) == column.label:
            raise NotExpressible(f"filter {value!r} equals the header of its column")
        if column.multi and not isinstance(value, str):
            raise NotExpressible(f"filter {value!r} on the multi-choice column {column.label}")


def _literals(node: ast.AST) -> list[int | str]:
    """The values of a filter (a constant or a list of constants: checked at compile time)."""
    elements = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
    values = []
    for element in elements:
        if not isinstance(element, ast.Constant) or not isinstance(element.value, int | str):
            raise NotExpressible("a filter value that is not a text or a number")
        values.append(element.value)
    return values


def _literal(value: int | str) -> str:
    return _text(value) if isinstance(value, str) else str(value)


def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'
