"""The 自查 sheet of the template agrees with the pipeline, rule by rule.

A fast test reads the sheet as written (openpyxl). The LibreOffice test fills the real template
as a unit would (tests/support/uno_fill.py: one office for every job): a valid return; for
every rule with a formula a variant that fails it, found by the pipeline's own evaluator; a
return with blanks; rows inserted into a ledger table above its first row and in its middle.
Each workbook LibreOffice recalculated and saved is read back by the pipeline's reader and
validation, and every rule's 结果 must be the pipeline's verdict; the cover must count the
failures.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from pipeline.check.validate import validate
from pipeline.core.catalogue import ProblemCode
from pipeline.core.records import Submission
from pipeline.demo.sample import sample_return
from pipeline.form.expr import Skip, evaluate
from pipeline.form.model import Form, Rule
from pipeline.form.registry import Registry
from pipeline.publish.selfcheck_sheet import (
    FAILED,
    FIRST_ROW,
    NOT_A_FORMULA,
    PASSED,
    RESULT_COLUMN,
    SELFCHECK_SHEET,
    SKIPPED,
)
from pipeline.publish.template import LEDGER_ROWS
from pipeline.read.returns import read_return
from tests.support.programs import needs_libreoffice, needs_uno, uno_fill

COVER = ("封面", "A3")  # the template's cover cell (2, 0)
READ = {"sheet": SELFCHECK_SHEET, "first_row": FIRST_ROW, "id_column": 0,
        "result_column": RESULT_COLUMN, "cover": list(COVER)}  # fmt: skip
SHIFTS = (1, -1, 2, -2, 3, -3, 5, 10, 30, 100)
INSERTED = "DISC_CASES"  # the ledger rows are inserted into
RULE_CODES = (ProblemCode.RULE_FAILED, ProblemCode.RULE_SCOPE_NOTE)

Values = dict[str, object]
Ledgers = dict[str, list[dict[str, object]]]


def _load(path: Path, data_only: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, data_only=data_only)


def _sheet_rows(path: Path, data_only: bool = False) -> dict[str, object]:
    ws = _load(path, data_only)[SELFCHECK_SHEET]
    rows = ws.iter_rows(min_row=FIRST_ROW + 1, max_col=RESULT_COLUMN + 1, values_only=True)
    return {row[0]: row[RESULT_COLUMN] for row in rows if row[0]}


# The sheet as written


def test_one_row_per_rule_in_order_with_its_formula(form: Form, template: Path) -> None:
    ws = _load(template)[SELFCHECK_SHEET]
    rows = list(ws.iter_rows(min_row=FIRST_ROW + 1, values_only=True))
    assert [r[0] for r in rows if r[0]] == [rule.id for rule in form.rules]
    for (rule_id, message, result, *_), rule in zip(rows, form.rules, strict=False):
        assert message == rule.message, rule_id
        assert result == NOT_A_FORMULA or (
            result.startswith("=IFERROR(IF(")
            and result.endswith(f',"{PASSED}","{FAILED}"),"{SKIPPED}")')
        ), rule_id
    cover = _load(template)[COVER[0]][COVER[1]].value
    last = FIRST_ROW + len(form.rules)
    assert cover == (
        f'="自查未通过 "&COUNTIF(\'{SELFCHECK_SHEET}\'!$C${FIRST_ROW + 1}:$C${last},"{FAILED}")&" 项"'
    )


def test_cached_values_are_the_verdicts_on_a_blank_template(form: Form, template: Path) -> None:
    """A viewer that does not recalculate shows these: the evaluator's verdict on no data."""
    expected = {rule.id: verdict(form, rule, {}, {}) for rule in form.rules}
    cached = _sheet_rows(template, data_only=True)
    assert {k: v for k, v in cached.items() if v != NOT_A_FORMULA} == {
        k: v for k, v in expected.items() if cached[k] != NOT_A_FORMULA
    }
    failed = sum(v == FAILED for v in cached.values())
    assert _load(template, True)[COVER[0]][COVER[1]].value == f"自查未通过 {failed} 项"


# Verdicts and failing variants, by the pipeline's evaluator


def verdict(form: Form, rule: Rule, values: Values, ledgers: Ledgers) -> str:
    """What the pipeline makes of `rule` on a return holding these typed values."""

    def lookup(code: str) -> object:
        derived = form.has_indicator(code) and form.indicator(code).derived is not None
        value = form.derived_value(code, values) if derived else values.get(code)
        if value is None:
            raise Skip
        return value

    try:
        return PASSED if evaluate(rule.expr, lookup, lambda lg: ledgers.get(lg, [])) else FAILED
    except Skip:
        return SKIPPED


def failing_variant(form: Form, rule: Rule, values: Values, ledgers: Ledgers):
    """The first change of the indicators or ledger rows a rule names that makes it fail."""
    for candidate in _candidates(form, rule, values, ledgers):
        if verdict(form, rule, *candidate) == FAILED:
            return candidate
    return None


def _candidates(
    form: Form, rule: Rule, values: Values, ledgers: Ledgers
) -> Iterator[tuple[Values, Ledgers]]:
    # The indicators a rule names that a unit left blank (a figure of the 本级 only) are 0
    # first, or nothing could make the rule fail.
    leaves = [leaf for code in rule.expr.names for leaf in _leaves(form, code)]
    filled = {**values, **{leaf: 0 for leaf in leaves if values.get(leaf) is None}}
    for leaf in leaves:
        base = filled[leaf]
        assert isinstance(base, int), leaf
        for value in (*(base + d for d in SHIFTS), 0, 1000):
            if value >= 0:
                yield {**filled, leaf: value}, ledgers
    for call in _ledger_calls(rule):
        ledger_id = _ledger_of(call)
        rows = ledgers.get(ledger_id, [])
        for i in range(len(rows)):
            yield filled, {**ledgers, ledger_id: rows[:i] + rows[i + 1 :]}
        added = {**ledgers, ledger_id: [*rows, _matching_row(form, call, rows)]}
        yield filled, added
        for leaf in leaves:  # a figure at least its count: a row more, the figure 0
            yield {**filled, leaf: 0}, added


def _leaves(form: Form, code: str) -> list[str]:
    ind = form.indicator(code)
    if ind.derived is None:
        return [code] if ind.type == "int" else []
    return [leaf for part in ind.parts for leaf in _leaves(form, part)]


def _ledger_of(call: ast.Call) -> str:
    name = call.args[0]
    assert isinstance(name, ast.Name)  # compile_expr allows nothing else
    return name.id


def _ledger_calls(rule: Rule) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(rule.expr.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("count", "total")
    ]


def _matching_row(form: Form, call: ast.Call, rows: list[dict[str, object]]) -> dict[str, object]:
    """A copy of a row (or a new one) that the filters of `call` match, adding 1 to a total."""
    ledger = form.ledger(_ledger_of(call))
    row: dict[str, object] = dict(rows[0]) if rows else {c.key: None for c in ledger.columns}
    for kw in call.keywords:
        wanted = ast.literal_eval(kw.value)
        first = wanted[0] if isinstance(wanted, list | tuple) else wanted
        row[kw.arg or ""] = (first,) if ledger.column(kw.arg or "").multi else first
    if len(call.args) > 1:  # total(LEDGER, "column", …)
        column = ast.literal_eval(call.args[1])
        before = row.get(column)
        row[column] = (before if isinstance(before, int) else 0) + 1
    return row


# Jobs for uno_fill.py


def _typed(value: object) -> object:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return "、".join(value)
    return value


def _rows(form: Form, ledger_id: str, rows: list[dict[str, object]]) -> list[list[object]]:
    return [[_typed(row.get(c.key)) for c in form.ledger(ledger_id).columns] for row in rows]


def typed_steps(form: Form, values: Values, ledgers: Ledgers, skip: str = "") -> list[dict]:
    """Steps that type the values into the named cells and the rows into the tables (from
    their first row), except the ledger `skip`."""
    steps: list[dict] = [{"names": {code: _typed(value) for code, value in values.items()}}]
    for ledger in form.ledgers:
        if ledgers.get(ledger.id) and ledger.id != skip:
            steps.append(
                {"ledger": ledger.id, "at": 0, "rows": _rows(form, ledger.id, ledgers[ledger.id])}
            )
    return steps


def inserted_steps(form: Form, values: Values, ledgers: Ledgers, ledger_id: str, extra=None):
    """Rows typed into rows inserted above the table's first row and in its middle: rows
    2.. first, one row inserted above them for row 0, two in the middle for row 1, one left
    blank (or holding `extra`)."""
    rows = _rows(form, ledger_id, ledgers[ledger_id])
    steps = typed_steps(form, values, ledgers, skip=ledger_id)
    steps += [
        {"ledger": ledger_id, "at": 0, "rows": rows[2:]},
        {"insert": ledger_id, "at": 0, "count": 1},
        {"ledger": ledger_id, "at": 0, "rows": rows[:1]},
        {"insert": ledger_id, "at": 1, "count": 2},
        {"ledger": ledger_id, "at": 2, "rows": rows[1:2]},
    ]
    if extra is not None:
        steps.append({"ledger": ledger_id, "at": 1, "rows": _rows(form, ledger_id, [extra])})
    return steps


# The pipeline's verdict on a saved workbook


def pipeline_verdicts(path: Path, form: Form, registry: Registry) -> dict[str, str]:
    sub = validate(read_return(path, form, "", 0), form, registry)
    assert sub.values, f"{path.name} was not read: {sub.problems}"  # structure held
    reported = set()
    for problem in sub.problems:
        if problem.code in RULE_CODES:
            found = re.match(r"\[(\w+)\]", problem.message)
            assert found, problem.message
            reported.add(found.group(1))
    return {rule.id: _verdict_of(sub, form, rule, reported) for rule in form.rules}


def _verdict_of(sub: Submission, form: Form, rule: Rule, reported: set[str]) -> str:
    if rule.id in reported:
        return FAILED
    # Not reported: skipped (a blank it needs) or passed, as check/rules.py decides it.
    return verdict(form, rule, sub.values, sub.ledgers)


@pytest.fixture(scope="module")
def valid(form: Form, registry: Registry) -> tuple[Values, Ledgers]:
    """A valid return of a subordinate unit with rows in every ledger a rule counts, and
    three in the one rows are inserted into."""
    counted = {_ledger_of(call) for rule in form.rules for call in _ledger_calls(rule)}
    for seed in range(1, 50):
        sample = sample_return(form, registry, registry.units[1], seed)
        if all(sample.ledgers.get(lg) for lg in counted) and len(sample.ledgers[INSERTED]) >= 3:  # noqa: PLR2004
            values = {k: v for k, v in sample.values.items() if form.indicator(k).derived is None}
            return values, sample.ledgers
    raise AssertionError("no sample with rows in every counted ledger")


@needs_libreoffice
@pytest.mark.slow
@needs_uno
def test_selfcheck_agrees_with_the_pipeline(form, registry, template, valid, tmp_path) -> None:
    values, ledgers = valid
    # name -> (steps, what the pipeline should make of the return, the rule it must fail)
    jobs: dict[str, tuple[list[dict], Values, Ledgers, str]] = {
        "blank": ([], {}, {}, ""),
        "valid": (typed_steps(form, values, ledgers), values, ledgers, ""),
    }
    blanked = {rule.expr.names[0] for rule in form.rules[::10] if rule.expr.names}
    some_blank = {k: v for k, v in values.items() if k not in blanked}
    jobs["blanks"] = (typed_steps(form, some_blank, ledgers), some_blank, ledgers, "")
    formulas = _sheet_rows(template)
    no_variant = []
    for rule in form.rules:
        if formulas[rule.id] == NOT_A_FORMULA:
            continue
        variant = failing_variant(form, rule, values, ledgers)
        if variant is None:
            no_variant.append(rule.id)
            continue
        jobs[f"fails-{rule.id}"] = (typed_steps(form, *variant), *variant, rule.id)
    assert not no_variant, f"no change of their inputs makes these rules fail: {no_variant}"
    target = INSERTED
    rows = ledgers[target]
    jobs["inserted"] = (inserted_steps(form, values, ledgers, target), values, ledgers, "")
    more = {**ledgers, target: [*rows, rows[0]]}
    jobs["inserted-extra"] = (
        inserted_steps(form, values, ledgers, target, rows[0]),
        values,
        more,
        "",
    )
    answers = _fill(template, tmp_path, {name: steps for name, (steps, *_) in jobs.items()})
    for name, (_steps, job_values, job_ledgers, must_fail) in jobs.items():
        answer = answers[name]
        shown = answer["results"]
        assert list(shown) == [rule.id for rule in form.rules]
        expected = pipeline_verdicts(tmp_path / f"{name}.xlsx", form, registry)
        judged = {k: v for k, v in shown.items() if v != NOT_A_FORMULA}
        assert judged == {k: expected[k] for k in judged}, name
        # What was typed is what the pipeline read: the variant does fail its rule.
        intended = {rule.id: verdict(form, rule, job_values, job_ledgers) for rule in form.rules}
        assert expected == intended, name
        assert not must_fail or expected[must_fail] == FAILED, name
        failed = sum(v == FAILED for v in judged.values())
        assert answer["cover"] == f"自查未通过 {failed} 项", name
    assert FAILED not in answers["valid"]["results"].values()
    seen = {v for answer in answers.values() for v in answer["results"].values()}
    assert {PASSED, FAILED, SKIPPED} <= seen
    # The blank template opens without an error value, showing what xlsxwriter cached.
    assert answers["blank"]["results"] == _sheet_rows(template, data_only=True)
    grown = answers["inserted"]["tables"][target]
    assert grown[1] - grown[0] == LEDGER_ROWS + 3  # below the header: its rows, 3 inserted
    assert FAILED in answers["inserted-extra"]["results"].values()
    # Rules no formula checks are left to the pipeline; the sheet says so for each of them.
    later = [k for k, v in formulas.items() if v == NOT_A_FORMULA]
    assert all(answers["valid"]["results"][k] == NOT_A_FORMULA for k in later)


def _fill(template: Path, folder: Path, jobs: dict[str, list[dict]]) -> dict[str, dict]:
    request = {
        "template": str(template),
        "read": READ,
        "jobs": [
            {"out": str(folder / f"{name}.xlsx"), "steps": steps} for name, steps in jobs.items()
        ],
    }
    return dict(zip(jobs, uno_fill(request), strict=True))


def test_a_valid_sample_has_no_error(form: Form, registry: Registry, valid) -> None:
    """The valid return is clean as the pipeline sees it, so that a rule's verdict is not
    hidden behind a structural problem."""
    values, ledgers = valid
    for rule in form.rules:
        assert verdict(form, rule, values, ledgers) in (PASSED, SKIPPED), rule.id
