"""Periods from their Chinese names (issue 12): the dates follow from the name, the label is
normalised, a name we do not know is refused in Chinese, and the definition loads for it."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.form.load import load_form
from pipeline.form.model import PERIOD_TYPES
from pipeline.form.period import PeriodError, parse_period, previous_period
from tests.support.paths import FORM_PATH

D = dt.date


@pytest.mark.parametrize(
    ("name", "label", "kind", "start", "end"),
    [
        ("2026年", "2026年", "全年", D(2026, 1, 1), D(2026, 12, 31)),
        ("2026年上半年", "2026年上半年", "上半年", D(2026, 1, 1), D(2026, 6, 30)),
        ("2026年下半年", "2026年下半年", "下半年", D(2026, 7, 1), D(2026, 12, 31)),
        ("2026年第一季度", "2026年第一季度", "第一季度", D(2026, 1, 1), D(2026, 3, 31)),
        ("2026年第3季度", "2026年第三季度", "第三季度", D(2026, 7, 1), D(2026, 9, 30)),
        ("2026年四季度", "2026年第四季度", "第四季度", D(2026, 10, 1), D(2026, 12, 31)),
        ("2024年2月", "2024年2月", "月度", D(2024, 2, 1), D(2024, 2, 29)),
        ("2026年 03月", "2026年3月", "月度", D(2026, 3, 1), D(2026, 3, 31)),
        ("2026年1-9月", "2026年1-9月", "截至某日", D(2026, 1, 1), D(2026, 9, 30)),
        ("2026年1月至11月", "2026年1-11月", "截至某日", D(2026, 1, 1), D(2026, 11, 30)),
    ],
)
def test_a_period_name_gives_its_dates(name, label, kind, start, end) -> None:
    period = parse_period(name)
    assert (period.label, period.type, period.start, period.end) == (label, kind, start, end)
    assert period.type in PERIOD_TYPES


@pytest.mark.parametrize("name", ["明年", "2026", "2026年13月", "2026年第五季度", "2026年3-9月"])
def test_a_name_we_do_not_know_is_refused_in_chinese(name: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(name)
    assert name.split("年")[0] in str(caught.value) or "月份" in str(caught.value)


def test_the_definition_loads_for_another_period_and_its_instructions_follow(form) -> None:
    other = load_form(FORM_PATH, "2026年第三季度")
    assert other.period == parse_period("2026年第三季度")
    assert "报告期为2026年第三季度（2026-07-01至2026-09-30）" in other.instructions[0]
    assert "报告期为2022年上半年（2022-01-01至2022-06-30）" in form.instructions[0]
    assert not any("{" in line for line in other.instructions)
    assert [i.code for i in other.indicators] == [i.code for i in form.indicators]
    assert [r.expr.text for r in other.rules] == [r.expr.text for r in form.rules]


def test_every_period_kind_is_in_the_forms_period_list(form) -> None:
    choices = form.code_lists[form.indicator("PERIOD_TYPE").choices]
    assert set(PERIOD_TYPES) <= set(choices)


@pytest.mark.parametrize(
    ("period", "before"),
    [
        ("2026年", "2025年"),
        ("2026年上半年", "2025年下半年"),
        ("2026年下半年", "2026年上半年"),
        ("2026年第一季度", "2025年第四季度"),
        ("2026年第三季度", "2026年第二季度"),
        ("2026年1月", "2025年12月"),
        ("2026年7月", "2026年6月"),
        ("2026年1-9月", "2025年1-9月"),  # 截至某日: the same months a year earlier
    ],
)
def test_the_previous_period_is_of_the_same_kind(period: str, before: str) -> None:
    now = parse_period(period)
    found = previous_period(now)
    assert found == parse_period(before)
    assert found.end.month - found.start.month == now.end.month - now.start.month  # as long
    if now.type != "截至某日":  # those overlap; the others meet end to start
        assert (now.start - found.end).days == 1
