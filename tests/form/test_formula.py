"""Rule expressions as spreadsheet formulas (form/formula.py).

The formula text is checked for what it must do (lazy and/or and chains as nested IF, a blank
as #N/A, a truth value as 0/1 in arithmetic, filtered counts and totals), and the rules of
the real definition that get no formula are listed with their reasons. One LibreOffice test
computes many expressions over many values and compares every result with the evaluator's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from pipeline.form.expr import Skip, compile_expr, evaluate
from pipeline.form.formula import (
    ColumnRange,
    LedgerRanges,
    NameRef,
    NotExpressible,
    indicator_refs,
    rule_formula,
)
from pipeline.form.model import Form
from pipeline.publish.selfcheck_sheet import compile_rules
from pipeline.publish.template import LEDGER_ROWS
from tests.support.programs import needs_libreoffice, needs_uno, uno_fill

NAMES = {code: NameRef(code, f"COUNT({code})=0") for code in ("X_A", "X_B", "X_C")}
NAMES["X_S"] = NameRef("SUM(X_A,X_B)", "COUNT(X_A,X_B)=0")  # a derived total of X_A and X_B
LEDGER = LedgerRanges(
    {
        "kind": ColumnRange("'台账'!$A$1:$A$21", "choice", False, "种类"),
        "tags": ColumnRange("'台账'!$B$1:$B$21", "choice", True, "标签"),
        "n": ColumnRange("'台账'!$C$1:$C$21", "int", False, "数量"),
        "day": ColumnRange("'台账'!$D$1:$D$21", "date", False, "日期"),
    },
    header=True,
)
LEDGERS = {"L": LEDGER}
# Expressions no formula can say exactly -> (part of) the reason NotExpressible gives
NOT_EXPRESSIBLE = {
    "X_A == 'x'": "a text constant",
    "X_T > 0": "X_T is not a number cell",
    "X_A == count(M)": "ledger M is not in the template",
    "X_A == count(L, colour='red')": "column L.colour is not in the template",
    "X_A == total(L, 'kind')": "not a number column",
    "X_A == count(L, day='2022-01-01')": "a filter on the date column",
    "X_A == count(L, kind=1)": "filter 1 on the choice column",
    "X_A == count(L, n='1')": "filter '1' on the int column",
    "X_A == count(L, kind='种类')": "equals the header",
    "X_A == count(L, kind=[])": "an empty list",
    "min(X_A) > 0": "fewer than two values",
}


def formula(text: str) -> str:
    return rule_formula(compile_expr(text), NAMES, LEDGERS)


def test_a_blank_indicator_is_an_error_value() -> None:
    assert formula("X_A >= 0") == "(IF(COUNT(X_A)=0,NA(),X_A)>=0)"
    # A derived total is the sum of the parts that hold a number, blank when none does.
    assert formula("X_S > 0") == "(IF(COUNT(X_A,X_B)=0,NA(),SUM(X_A,X_B))>0)"


def test_and_or_stop_at_the_first_deciding_operand() -> None:
    a, b, c = (f"IF(COUNT({x})=0,NA(),{x})" for x in ("X_A", "X_B", "X_C"))
    assert formula("X_A > 0 and X_B > 0") == f"IF(({a}>0),AND(({b}>0)),FALSE)"
    assert formula("X_A > 0 or X_B > 0 or X_C > 0") == (
        f"IF(({a}>0),TRUE,IF(({b}>0),TRUE,AND(({c}>0))))"
    )
    assert formula("not X_A > 0") == f"NOT(({a}>0))"


def test_a_chain_compares_each_link_only_when_the_ones_before_held() -> None:
    a, b, c = (f"IF(COUNT({x})=0,NA(),{x})" for x in ("X_A", "X_B", "X_C"))
    assert formula("X_A < X_B <= X_C") == f"IF(({a}<{b}),({b}<={c}),FALSE)"


def test_a_truth_value_is_1_or_0_in_arithmetic_and_comparison() -> None:
    a, b = (f"IF(COUNT({x})=0,NA(),{x})" for x in ("X_A", "X_B"))
    assert formula("(X_A > 0) + (X_B > 0) == 1") == f"(((--({a}>0))+(--({b}>0)))=1)"
    assert formula("(X_A > 0) == 1") == f"((--({a}>0))=1)"
    assert formula("-X_A < max(X_B, 1)") == f"((-{a})<MAX({b},1))"


def test_count_and_total_over_the_rows_with_filters() -> None:
    kind, tags, n = "'台账'!$A$1:$A$21", "'台账'!$B$1:$B$21", "'台账'!$C$1:$C$21"
    day = "'台账'!$D$1:$D$21"
    rows = f"LEN(TRIM({kind}))+LEN(TRIM({tags}))+LEN(TRIM({n}))+LEN(TRIM({day}))"
    # The header row is in the ranges (rows inserted above the first row stay in them).
    assert formula("count(L) == 0") == f"((SUMPRODUCT(--(({rows})>0))-1)=0)"
    assert formula("count(L, kind='甲') > 0") == f'(SUMPRODUCT(--(({kind}="甲")))>0)'
    assert formula("count(L, kind=['甲', '乙']) > 0") == (
        f'(SUMPRODUCT(--((({kind}="甲")+({kind}="乙"))>0))>0)'
    )
    assert formula("total(L, 'n') > 0") == f"(SUM({n})>0)"
    assert formula("total(L, 'n', kind='甲') > 0") == f'(SUMPRODUCT(--(({kind}="甲")),{n})>0)'


def test_a_multi_choice_filter_matches_a_whole_element() -> None:
    text = formula("count(L, tags='红') > 0")
    assert 'FIND("、红、","、"&' in text
    # every separator the reader splits on becomes 、 first
    for separator in ('"，"', '","', '"；"', '";"', '"／"', '"/"', '" "', '"　"', "CHAR(10)"):
        assert f"{separator}," in text


@pytest.mark.parametrize("text", NOT_EXPRESSIBLE)
def test_what_no_formula_can_say(text: str) -> None:
    with pytest.raises(NotExpressible) as raised:
        formula(text)
    assert NOT_EXPRESSIBLE[text] in raised.value.reason


def test_a_formula_beyond_excels_limits_is_refused() -> None:
    long = " + ".join(f"count(L, kind='{'甲' * 40}{i}')" for i in range(150))
    with pytest.raises(NotExpressible, match="characters long"):
        formula(f"X_A == {long}")
    with pytest.raises(NotExpressible, match="nest"):
        formula(" and ".join(["X_A > 0"] * 70))


def test_which_rules_of_the_definition_have_a_formula(form: Form) -> None:
    """A change of the definition or of the compiler that loses a formula shows here."""
    rows = {lg.id: (lg.sheet, 3, 2 + LEDGER_ROWS) for lg in form.ledgers}
    checked = compile_rules(form, rows)
    assert [c.rule.id for c in checked] == [r.id for r in form.rules]
    not_expressible = {c.rule.id: c.reason for c in checked if not c.formula}
    assert not_expressible == {}
    assert len(checked) == 110
    refs = indicator_refs(form)
    assert all(ind.code in refs for ind in form.indicators if ind.type == "int")


# The same expressions in LibreOffice


SEMANTICS = (
    "X_A < X_B <= X_C",
    "X_A == 0 or X_B > X_A",
    "X_A > 0 and X_B > 0",
    "not X_A > X_B",
    "(X_A > X_B) + (X_B > X_C) == 1",
    "(X_A > 0) == 1",
    "X_A + X_B * 2 - X_C >= 3",
    "min(X_A, X_B) <= max(X_B, X_C)",
    "-X_A < X_B",
    "X_S == X_C",
    "X_S > 0 or X_C > 0",
    "X_A == count(L)",
    "X_A == count(L, kind='甲')",
    "X_B == count(L, kind=['甲', '乙'])",
    "X_C == count(L, tags='红')",
    "X_C == count(L, tags=['蓝', '绿'], kind='乙')",
    "X_A <= total(L, 'n')",
    "X_B == total(L, 'n', kind='乙', tags=['红', '绿'])",
    "count(L) >= 0 and X_A >= 0",
)
ROWS = [  # kind, tags (as typed; as read), n
    ("甲", "红、绿", ("红", "绿"), 2),
    ("乙", "绿", ("绿",), 3),
    ("乙", "红，蓝", ("红", "蓝"), 1),
    ("甲", "蓝 红", ("蓝", "红"), None),
]
VALUES = [(1, 2, 3), (0, None, 5), (3, 2, 1), (None, 1, 1), (2, 2, 2), (0, 0, 0),
          (None, None, None), (1, 1, None), (2, 6, 2), (4, 4, 3)]  # fmt: skip


def _workbook(path: Path) -> None:
    """Three named input cells, a table L (header on row 1) and one formula per expression."""
    wb = xlsxwriter.Workbook(str(path))
    data, ledger, sheet = (wb.add_worksheet(n) for n in ("数据", "台账", "自查"))
    for row, code in enumerate(("X_A", "X_B", "X_C")):
        wb.define_name(code, f"='数据'!$B${row + 1}")
    ledger.add_table(0, 0, 20, 3, {"name": "L", "columns": [
        {"header": h} for h in ("种类", "标签", "数量", "日期")]})  # fmt: skip
    for row, text in enumerate(SEMANTICS, start=4):
        sheet.write_string(row, 0, f"E{row}")
        f = formula(text)
        sheet.write_formula(row, 2, f'=IFERROR(IF({f},"通过","未通过"),"未填写（暂不检查）")')
    wb.close()


def _expected(text: str, values: tuple, rows: list) -> str:
    names = dict(zip(("X_A", "X_B", "X_C"), values, strict=True))
    parts = [v for v in values[:2] if v is not None]
    names["X_S"] = sum(parts) if parts else None
    ledger = [{"kind": k, "tags": t, "n": n, "day": None} for k, _, t, n in rows]

    def lookup(code: str) -> object:
        if names[code] is None:
            raise Skip
        return names[code]

    try:
        return "通过" if evaluate(compile_expr(text), lookup, lambda _: ledger) else "未通过"
    except Skip:
        return "未填写（暂不检查）"


@needs_libreoffice
@needs_uno
def test_libreoffice_computes_what_the_evaluator_does(tmp_path: Path) -> None:
    book = tmp_path / "semantics.xlsx"
    _workbook(book)
    cases = [(values, rows) for values in VALUES for rows in (ROWS, ROWS[1:2], [])]
    jobs = []
    for values, rows in cases:
        steps: list[dict] = [{"names": dict(zip(("X_A", "X_B", "X_C"), values, strict=True))}]
        if rows:
            steps.append({"ledger": "L", "at": 0, "rows": [[k, t, n] for k, t, _, n in rows]})
        jobs.append({"out": None, "steps": steps})
    request = {"template": str(book), "jobs": jobs, "read": {
        "sheet": "自查", "first_row": 4, "id_column": 0, "result_column": 2,
        "cover": ["数据", "D1"]}}  # fmt: skip
    for (values, rows), answer in zip(cases, uno_fill(request), strict=True):
        shown = list(answer["results"].values())
        expected = [_expected(text, values, rows) for text in SEMANTICS]
        wrong = [(t, s, e) for t, s, e in zip(SEMANTICS, shown, expected, strict=True) if s != e]
        assert not wrong, (values, len(rows), wrong)
