"""The rule evaluator: what it allows, what it refuses, and how it evaluates."""

import pytest

from pipeline.form.expr import ExpressionError, Skip, compile_expr, describe_sides, evaluate

VALUES = {"A": 3, "B": 2, "C": 1, "Z": 0}
LEDGERS = {
    "CASES": [
        {"kind": "警告", "n": 2, "tags": ("政治纪律", "廉洁纪律")},
        {"kind": "严重警告", "n": None, "tags": ("工作纪律",)},
        {"kind": "警告", "n": 5, "tags": ()},
    ]
}


def run(text: str, values: dict | None = None) -> object:
    values = VALUES if values is None else values

    def lookup(name: str) -> object:
        if values.get(name) is None:
            raise Skip
        return values[name]

    return evaluate(compile_expr(text), lookup, LEDGERS.__getitem__)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A == B + C", True),
        ("A >= B >= C", True),
        ("A <= B", False),
        ("Z == 0 or A < B", True),
        ("not (A == 3)", False),
        ("A - B * C == 1", True),
        ("max(A, B) == 3 and min(A, B) == 2", True),
        ("count(CASES) == 3", True),
        ("count(CASES, kind='警告') == 2", True),
        ("count(CASES, kind=['警告', '严重警告']) == 3", True),
        ("count(CASES, kind=('警告', '严重警告')) == 3", True),
        ("count(CASES, tags='廉洁纪律') == 1", True),
        ("total(CASES, 'n') == 7", True),
        ("total(CASES, 'n', kind='严重警告') == 0", True),
        ("-A == -3", True),
        # evaluated no further than needed: Q, a blank, is never looked up
        ("Z == 0 or Q > 1", True),
        ("A < B < Q", False),
        ("A == 1 and Q == 1", False),
    ],
)
def test_evaluates(text: str, expected: bool) -> None:
    assert run(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "A.__class__",
        "[x for x in A]",
        "lambda: 1",
        "A if B else C",
        "A / B",
        "A ** B",
        "open('x')",
        "count(CASES, kind=A)",
        "count('CASES')",
        "total(CASES, n)",
        "A == 1.5",
        "A[0]",
        "A ==",
    ],
)
def test_refuses(text: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expr(text)


def test_names_and_ledgers_are_collected() -> None:
    expr = compile_expr("A + B == count(CASES, kind='警告') + total(CASES, 'n')")
    assert expr.names == ("A", "B")
    assert [(r.ledger, r.columns) for r in expr.ledgers] == [
        ("CASES", ("kind",)),
        ("CASES", ("n",)),
    ]


def test_blank_value_skips_the_rule() -> None:
    with pytest.raises(Skip):
        run("A == B", {"A": 1, "B": None})


def test_describe_sides_gives_both_values() -> None:
    expr = compile_expr("A == B + C + 1")
    assert describe_sides(expr, VALUES.__getitem__) == "左侧为 3，右侧为 4"
    assert describe_sides(compile_expr("A == 1 or B == 1"), VALUES.__getitem__) == ""
