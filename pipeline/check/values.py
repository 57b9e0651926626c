"""Cell values: raw → typed (normalize.py), with a problem for each value that cannot be
read, was read loosely (coerced), is required but blank, or is out of bounds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TypedDict

from pipeline.check.normalize import Normalized, to_bool, to_choice, to_date, to_int, to_text
from pipeline.core.catalogue import ProblemCode
from pipeline.core.problems import Problem, make_problem
from pipeline.core.records import (
    ErrorValue,
    NoCachedValue,
    RawValue,
)
from pipeline.form.model import REGISTRY_LISTS, Form, Indicator, choices_for
from pipeline.form.registry import Registry

EMITS = (
    ProblemCode.VALUE_REQUIRED,
    ProblemCode.VALUE_NOT_INTEGER,
    ProblemCode.VALUE_NOT_DATE,
    ProblemCode.VALUE_NOT_BOOL,
    ProblemCode.VALUE_NOT_CHOICE,
    ProblemCode.CELL_ERROR_VALUE,
    ProblemCode.FORMULA_NOT_CALCULATED,
    ProblemCode.VALUE_COERCED,
    ProblemCode.DATE_COERCED,
    ProblemCode.CHOICE_COERCED,
    ProblemCode.VALUE_BELOW_MIN,
    ProblemCode.VALUE_ABOVE_MAX,
)


class Place(TypedDict, total=False):
    """Where in the return a problem is: the place keywords given to make_problem."""

    sheet: str
    cell: str
    indicator: str


def typed_value(
    ind: Indicator, cell: RawValue, form: Form, registry: Registry, problems: list[Problem]
) -> object:
    where: Place = {"sheet": cell.sheet, "cell": cell.cell, "indicator": ind.code}
    result = normalized(ind.type, cell.value, ind.choices, False, form, registry)
    problems.extend(value_problems(ind.type, result, ind.label, cell.value, where))
    if not result.ok:
        return None
    if result.value is None:
        if ind.required:
            problems.append(
                make_problem(
                    ProblemCode.VALUE_REQUIRED,
                    label=ind.label,
                    hint=required_hint(ind.type),
                    **where,
                )
            )
        return None
    problems.extend(bound_problems(result.value, ind.min, ind.max, ind.label, where))
    return result.value


def normalized(
    kind: str, value: object, choices: str, multi: bool, form: Form, registry: Registry
) -> Normalized:
    if kind == "int":
        return to_int(value)
    if kind == "date":
        return to_date(value, year=form.period.start.year)
    if kind == "bool":
        return to_bool(value)
    if kind == "choice" and choices not in REGISTRY_LISTS:
        return to_choice(value, choices_for(form, choices, registry), multi)
    return to_text(value)  # registry lists are checked when the unit is identified


NOT_READABLE = {  # type -> the code of a value that cannot be read as it
    "int": ProblemCode.VALUE_NOT_INTEGER,
    "date": ProblemCode.VALUE_NOT_DATE,
    "bool": ProblemCode.VALUE_NOT_BOOL,
    "choice": ProblemCode.VALUE_NOT_CHOICE,
}
COERCED = {"int": ProblemCode.VALUE_COERCED, "date": ProblemCode.DATE_COERCED}  # else a choice


def value_problems(
    kind: str, result: Normalized, label: str, raw: object, where: Place
) -> Iterator[Problem]:
    if result.ok and not result.coerced:
        return  # the common case: nothing to say
    text = shown(raw)
    if isinstance(raw, ErrorValue | NoCachedValue):
        code = (
            ProblemCode.CELL_ERROR_VALUE
            if isinstance(raw, ErrorValue)
            else ProblemCode.FORMULA_NOT_CALCULATED
        )
        yield make_problem(code, label=label, value=text, advice=result.advice, **where)
    elif result.advice:
        yield make_problem(
            NOT_READABLE[kind],
            label=label,
            value=text,
            advice=result.advice,
            choices=result.advice.removeprefix("可选："),
            **where,
        )
    elif result.coerced:
        code = COERCED.get(kind, ProblemCode.CHOICE_COERCED)
        yield make_problem(
            code, label=label, value=text, result=shown(result.value), how=result.coerced, **where
        )


def required_hint(kind: str) -> str:
    if kind == "int":
        return "未发生请填 0（空白表示不适用，本项必须填写）"
    return "请填写" if kind in ("text", "date") else "请从下拉列表选择"


def bound_problems(
    value: object, low: int | None, high: int | None, label: str, where: Place
) -> Iterator[Problem]:
    if not isinstance(value, int):
        return
    if low is not None and value < low:
        yield make_problem(
            ProblemCode.VALUE_BELOW_MIN, label=label, bound=low, value=value, **where
        )
    if high is not None and value > high:
        yield make_problem(
            ProblemCode.VALUE_ABOVE_MAX, label=label, bound=high, value=value, **where
        )


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, ErrorValue):
        return value.code
    if isinstance(value, NoCachedValue):
        return f"={value.formula}"
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    return str(value)
