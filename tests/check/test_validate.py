"""Validation of one return, without files: raw values in, typed values and problems out."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from dataclasses import replace

import pytest

from pipeline.check.validate import validate
from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.records import RawValue, Status
from pipeline.form.expr import Skip, evaluate
from pipeline.form.load import load_form
from pipeline.form.model import choices_for
from tests.support.builders import raw_from_sample
from tests.support.paths import FORM_PATH

BUREAU, PLANT = "LJ000", "LJ101"
FORM = load_form(FORM_PATH)  # for parametrizing over its rules


def codes(sub) -> list[tuple[str, str]]:
    return [(p.indicator, p.code) for p in sub.problems]


def check(form, registry, sample, **changes):
    raw = raw_from_sample(form, sample)
    for code, value in changes.items():
        old = raw.values[code]
        raw.values[code] = RawValue(value, old.sheet, old.cell)
    return validate(raw, form, registry)


@pytest.mark.parametrize(
    ("unit", "seed"), list(itertools.product([BUREAU, PLANT, "LJ202", "LJ306"], range(5)))
)
def test_generated_returns_are_clean(form, registry, sample, unit, seed) -> None:
    sub = validate(raw_from_sample(form, sample(unit, seed)), form, registry)
    assert sub.problems == [] and sub.status is Status.ACCEPTED
    assert sub.unit_code == unit


# Structure first: one clear message, no cascade


def test_not_our_template_is_one_problem(form, registry, sample) -> None:
    raw = raw_from_sample(form, sample(PLANT))
    del raw.values["FORM_ID"]
    sub = validate(raw, form, registry)
    assert [p.code for p in sub.problems] == [ProblemCode.FORM_NOT_TEMPLATE]
    assert sub.status is Status.REJECTED


def test_old_version_names_the_expected_version(form, registry, sample) -> None:
    sub = check(form, registry, sample(PLANT), FORM_VERSION="0.9")
    assert [p.code for p in sub.problems] == [ProblemCode.FORM_WRONG_VERSION]
    assert form.version in sub.problems[0].message


def test_another_forms_template_is_one_problem_at_its_id(form, registry, sample) -> None:
    sub = check(form, registry, sample(PLANT), FORM_ID="OTHER_FORM")
    assert [(p.sheet, p.cell, p.code) for p in sub.problems] == [
        ("封面", "B1", ProblemCode.FORM_WRONG_ID)
    ]
    assert "OTHER_FORM" in sub.problems[0].message and form.id in sub.problems[0].message
    assert sub.status is Status.REJECTED


def test_a_renamed_ledger_column_is_a_problem_on_its_sheet(form, registry, sample) -> None:
    raw = raw_from_sample(form, sample(BUREAU))
    ledger = raw.ledgers["MEETINGS"]
    columns = {("议题" if label == "会议主题" else label): c for label, c in ledger.columns.items()}
    raw.ledgers["MEETINGS"] = replace(ledger, columns=columns)
    sub = validate(raw, form, registry)
    assert [(p.sheet, p.code) for p in sub.problems] == [
        ("会议台账", ProblemCode.LEDGER_COLUMN_MISSING)
    ]
    assert "会议主题" in sub.problems[0].message


def test_missing_names_and_ledgers_are_problems_not_crashes(form, registry, sample) -> None:
    raw = raw_from_sample(form, sample(PLANT))
    del raw.values["EDU_CG_STUDY"]
    del raw.ledgers["DISC_CASES"]
    sub = validate(raw, form, registry)
    assert ("EDU_CG_STUDY", ProblemCode.NAME_MISSING) in codes(sub)
    assert ProblemCode.LEDGER_MISSING in [p.code for p in sub.problems]
    assert sub.status is Status.REJECTED


# Cell values


def test_mask_and_chinese_numeral_are_errors_at_their_cells(form, registry, sample) -> None:
    sub = check(form, registry, sample(PLANT), EDU_CG_STUDY="*", EDU_FIRST_TOPIC="三")
    found = {(p.indicator, p.code, p.severity) for p in sub.problems}
    assert ("EDU_CG_STUDY", ProblemCode.VALUE_NOT_INTEGER, Severity.ERROR) in found
    assert ("EDU_FIRST_TOPIC", ProblemCode.VALUE_NOT_INTEGER, Severity.ERROR) in found
    problem = next(p for p in sub.problems if p.indicator == "EDU_FIRST_TOPIC")
    assert "3" in problem.message and problem.value == "三" and problem.cell
    assert sub.status is Status.REJECTED


def test_numbers_with_units_are_read_with_a_warning(form, registry, sample) -> None:
    s = sample(PLANT)
    talks = s.values["ORG_HEART_TALK"]
    sub = check(form, registry, s, ORG_HEART_TALK=f"{talks}人次")
    assert codes(sub) == [("ORG_HEART_TALK", ProblemCode.VALUE_COERCED)]
    assert sub.values["ORG_HEART_TALK"] == talks
    assert sub.status is Status.ACCEPTED_WITH_WARNINGS


def test_required_blank_and_negative_values(form, registry, sample) -> None:
    sub = check(form, registry, sample(PLANT), ORG_REQUEST_REPORT=None, LDR_INTEGRITY_EDU=-1)
    assert ("ORG_REQUEST_REPORT", ProblemCode.VALUE_REQUIRED) in codes(sub)
    assert ("LDR_INTEGRITY_EDU", ProblemCode.VALUE_BELOW_MIN) in codes(sub)


def test_derived_totals_are_recomputed_not_read(form, registry, sample) -> None:
    s = sample(BUREAU)
    sub = check(form, registry, s, DISC_PARTY_TOTAL=0)  # xlsxwriter's stale cached 0
    parts = form.indicator("DISC_PARTY_TOTAL").parts
    assert sub.values["DISC_PARTY_TOTAL"] == sum(s.values[p] for p in parts)
    assert sub.problems == []


def test_self_indicator_from_a_subordinate_is_a_warning(form, registry, sample) -> None:
    self_code = next(i.code for i in form.statistics_indicators if i.aggregation == "self")
    sub = check(form, registry, sample(PLANT), **{self_code: 3})
    assert (self_code, ProblemCode.SELF_FILLED_BY_SUBORDINATE) in codes(sub)


# Identification


def test_misspelt_unit_name_gets_a_suggestion(form, registry, sample) -> None:
    sub = check(form, registry, sample(PLANT), UNIT_CODE=None, UNIT_NAME="临江市供水集团城东水場")
    problem = next(p for p in sub.problems if p.code is ProblemCode.UNIT_UNKNOWN)
    assert "临江市供水集团城东水厂" in problem.message


def test_code_and_name_of_different_units(form, registry, sample) -> None:
    sub = check(form, registry, sample(PLANT), UNIT_NAME="临江市水文站")
    assert ("UNIT_NAME", ProblemCode.UNIT_MISMATCH) in codes(sub)


def test_period_of_another_round_is_an_error(form, registry, sample) -> None:
    sub = check(
        form, registry, sample(PLANT), PERIOD="2021年全年", PERIOD_END=dt.date(2021, 12, 31)
    )
    assert ("PERIOD", ProblemCode.PERIOD_MISMATCH) in codes(sub)
    assert ("PERIOD_END", ProblemCode.PERIOD_MISMATCH) in codes(sub)


# Ledgers


def first_dated_ledger(form, s):
    for ledger in form.ledgers:
        column = next((c for c in ledger.columns if c.in_period), None)
        if column and s.ledgers.get(ledger.id):
            return ledger, column
    raise AssertionError("sample has no dated ledger row")


def test_ledger_date_outside_the_period(form, registry, sample) -> None:
    s = sample(BUREAU)
    ledger, column = first_dated_ledger(form, s)
    s.ledgers[ledger.id][0][column.key] = form.period.end + dt.timedelta(days=1)
    sub = validate(raw_from_sample(form, s), form, registry)
    problem = next(p for p in sub.problems if p.code is ProblemCode.DATE_OUT_OF_PERIOD)
    assert problem.sheet == ledger.sheet and problem.cell.endswith("4")


def test_ledger_choice_outside_the_list(form, registry, sample) -> None:
    s = sample(BUREAU)
    ledger = next(
        lg
        for lg in form.ledgers
        if s.ledgers.get(lg.id) and any(c.type == "choice" and not c.multi for c in lg.columns)
    )
    column = next(c for c in ledger.columns if c.type == "choice" and not c.multi)
    s.ledgers[ledger.id][0][column.key] = "随便写的"
    sub = validate(raw_from_sample(form, s), form, registry)
    assert ProblemCode.VALUE_NOT_CHOICE in [p.code for p in sub.problems]


# Every rule of the definition fires, and does not fire


def rule_holds(rule, sub) -> bool | None:
    def lookup(code):
        if sub.values.get(code) is None:
            raise Skip
        return sub.values[code]

    try:
        return bool(evaluate(rule.expr, lookup, lambda lid: sub.ledgers.get(lid, [])))
    except Skip:
        return None


def breaking_changes(form, rule, values):
    names = list(rule.expr.names)
    for name in names:  # grows: totals of totals expand down to the entered figures
        names.extend(p for p in form.indicator(name).parts if p not in names)
    for name in names:
        if form.indicator(name).derived:
            continue
        current = values.get(name) or 0
        for candidate in (current + 1, current - 1, current + 7, 0, 1, 40):
            if candidate >= 0 and candidate != current:
                yield {name: candidate}


@pytest.mark.parametrize("rule_id", [r.id for r in FORM.rules])
def test_rule_fires_and_does_not_fire(form, registry, sample, rule_id) -> None:
    rule = next(r for r in form.rules if r.id == rule_id)
    for unit, seed in itertools.product([BUREAU, "LJ100", PLANT], range(6)):
        s = sample(unit, seed)
        clean = validate(raw_from_sample(form, s), form, registry)
        if rule_holds(rule, clean) is not True:
            continue
        assert f"[{rule.id}]" not in " ".join(p.message for p in clean.problems)
        for change in breaking_changes(form, rule, s.values):
            broken = copy.deepcopy(s)
            broken.values.update(change)
            sub = validate(raw_from_sample(form, broken), form, registry)
            if rule_holds(rule, sub) is False:
                fired = [p for p in sub.problems if p.message.startswith(f"[{rule.id}]")]
                assert len(fired) == 1
                assert fired[0].severity is Severity(rule.severity)
                assert fired[0].cell, "a rule problem points at a cell"
                return
    pytest.fail(f"could not make rule {rule.id} fire from generated returns")


@pytest.mark.parametrize(
    ("ledger_id", "rule_id"), [(lg.id, r.id) for lg in FORM.ledgers for r in lg.row_rules]
)
def test_row_rule_fires_and_does_not_fire(form, registry, sample, ledger_id, rule_id) -> None:
    ledger = form.ledger(ledger_id)
    rule = next(r for r in ledger.row_rules if r.id == rule_id)
    for unit, seed in itertools.product([BUREAU, "LJ100", PLANT], range(6)):
        s = sample(unit, seed)
        if not s.ledgers.get(ledger_id):
            continue
        assert not [p for p in validate(raw_from_sample(form, s), form, registry).problems]
        for key in rule.expr.names:
            column = ledger.column(key)
            for value in alternatives(form, registry, column, s.ledgers[ledger_id][0].get(key)):
                broken = copy.deepcopy(s)
                broken.ledgers[ledger_id][0][key] = value
                try:
                    if evaluate(rule.expr, broken.ledgers[ledger_id][0].get):
                        continue
                except Skip:
                    continue
                sub = validate(raw_from_sample(form, broken), form, registry)
                fired = [
                    p
                    for p in sub.problems
                    if p.code is ProblemCode.ROW_RULE_FAILED
                    and p.cell.endswith("4")
                    and rule.message in p.message
                ]
                assert len(fired) == 1 and fired[0].severity is Severity(rule.severity)
                return
    pytest.fail(f"could not make row rule {ledger_id}.{rule_id} fire")


def alternatives(form, registry, column, current):
    if column.type == "choice":
        yield from (
            (c,) if column.multi else c for c in choices_for(form, column.choices, registry)
        )
    elif column.type == "bool":
        yield from ("是", "否")
    elif column.type == "int":
        yield from (0, 1, 3, 9, 50)
    elif column.type == "date":
        for days in (-200, -30, -1, 1, 30):
            if isinstance(current, dt.date):
                yield current + dt.timedelta(days=days)
    yield None
