"""Properties over generated data (hypothesis): the normaliser never crashes, valid returns
stay valid, and one bad cell gives exactly one problem at that cell."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.check.normalize import to_bool, to_date, to_int, to_text
from pipeline.check.validate import validate
from pipeline.core.catalogue import ProblemCode
from pipeline.core.records import RawValue, Status
from tests.support.builders import raw_from_sample

ANY_CELL = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
FIXTURES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


READS_AS = {  # normaliser -> the type of what it reads (None: blank)
    to_int: int,
    to_text: str,
    to_bool: str,
    lambda v: to_date(v, year=2022): dt.date,
}


@given(ANY_CELL)
def test_a_cell_is_either_read_as_its_type_or_refused_with_advice(raw) -> None:
    """Whatever a cell holds, a normaliser never raises and says exactly one of two things:
    a value of its type (or blank) with no advice, or no value and a Chinese advice."""
    for normalise, kind in READS_AS.items():
        result = normalise(raw)
        if result.advice:
            assert result.value is None and not result.ok
            assert any("\u4e00" <= ch <= "\u9fff" for ch in result.advice)
        else:
            assert result.value is None or isinstance(result.value, kind), (raw, result)
            if normalise is to_bool and result.value is not None:
                assert result.value in ("是", "否")


@given(st.integers(min_value=0, max_value=10**9))
def test_integers_read_back_from_text_and_full_width(n: int) -> None:
    assert to_int(str(n)).value == n
    assert to_int("".join(chr(ord(c) + 0xFEE0) for c in str(n))).value == n
    assert to_int(float(n)).value == n


@FIXTURES
@given(
    seed=st.integers(min_value=0, max_value=10**6),
    unit=st.sampled_from(["LJ000", "LJ100", "LJ201", "LJ305"]),
)
def test_generated_returns_are_valid_for_any_seed(
    form, registry, sample, seed: int, unit: str
) -> None:
    sub = validate(raw_from_sample(form, sample(unit, seed)), form, registry)
    assert sub.status is Status.ACCEPTED, [p.message for p in sub.problems]


@FIXTURES
@given(data=st.data(), bad=st.sampled_from(["*", "若干", "三", "2.5", "—", "约5"]))
def test_one_bad_cell_gives_one_problem_at_that_cell(
    form, registry, sample, data, bad: str
) -> None:
    s = sample("LJ101", data.draw(st.integers(min_value=0, max_value=1000)))
    # Only cells no rule reads: a blank there cannot also silence or trigger a rule.
    in_rules = {n for r in form.rules for n in r.expr.names}
    in_rules |= {p for n in list(in_rules) for p in form.indicator(n).parts}
    candidates = [i for i in form.statistics_indicators
                  if i.type == "int" and i.required and not i.derived and i.code not in in_rules]  # fmt: skip
    target = data.draw(st.sampled_from(candidates))
    raw = raw_from_sample(form, s)
    raw.values[target.code] = RawValue(
        bad, raw.values[target.code].sheet, raw.values[target.code].cell
    )
    sub = validate(raw, form, registry)
    assert [(p.indicator, p.cell, p.code) for p in sub.problems] == [
        (target.code, raw.values[target.code].cell, ProblemCode.VALUE_NOT_INTEGER)
    ]
