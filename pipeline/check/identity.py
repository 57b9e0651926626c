"""Which unit sent the return (code and name against the registry) and for which period."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator

from pipeline.check.values import Place, shown
from pipeline.core.catalogue import ProblemCode
from pipeline.core.problems import Problem, make_problem
from pipeline.core.records import (
    RawSubmission,
    Submission,
)
from pipeline.form.model import TEMPLATE_UNIT, Form
from pipeline.form.registry import Registry, Unit

EMITS = (
    ProblemCode.UNIT_UNKNOWN,
    ProblemCode.UNIT_MISMATCH,
    ProblemCode.UNIT_OTHER_TEMPLATE,
    ProblemCode.PERIOD_MISMATCH,
)


def identify(sub: Submission, raw: RawSubmission, form: Form, registry: Registry) -> None:
    code = sub.values.get("UNIT_CODE") or ""
    name = sub.values.get("UNIT_NAME") or ""
    by_code = registry.by_code(str(code)) if code else None
    by_name = registry.by_name(str(name)) if name else None
    where = place_of(sub, "UNIT_NAME")
    if by_code and by_name and by_code != by_name:
        sub.problems.append(
            make_problem(
                ProblemCode.UNIT_MISMATCH, code=code, name=name, expected=by_code.name, **where
            )
        )
    elif by_code and name and not by_name:
        sub.problems.append(
            make_problem(
                ProblemCode.UNIT_UNKNOWN,
                found=name,
                hint=f"（编码 {code} 对应“{by_code.name}”）",
                **where,
            )
        )
    elif by_name and code and not by_code:
        sub.problems.append(
            make_problem(
                ProblemCode.UNIT_UNKNOWN,
                found=code,
                hint=f"（“{name}”的编码应为 {by_name.code}）",
                **place_of(sub, "UNIT_CODE"),
            )
        )
    elif not by_code and not by_name and (code or name):
        close = difflib.get_close_matches(
            str(name), [u.name for u in registry.units], n=1, cutoff=0.5
        )
        hint = f"（是否为“{close[0]}”？）" if close else ""
        sub.problems.append(
            make_problem(ProblemCode.UNIT_UNKNOWN, found=name or code, hint=hint, **where)
        )
    unit = by_code or by_name
    if unit:
        sub.unit_code, sub.unit_name = unit.code, unit.name
        sub.problems.extend(check_owner(raw, unit, registry))
    submitted = sub.values.get("SUBMIT_DATE")
    sub.submitted = submitted if isinstance(submitted, dt.date) else None
    sub.problems.extend(check_period(sub, form))


def check_owner(raw: RawSubmission, unit: Unit, registry: Registry) -> Iterator[Problem]:
    """A return from a unit's own template is that unit's: the cover names the unit the file
    was made for (TEMPLATE_UNIT), and another unit's code and name typed over it is refused."""
    made_for = raw.values.get(TEMPLATE_UNIT)
    owner = str(made_for.value or "").strip() if made_for else ""
    if owner and owner != unit.code:
        known = registry.by_code(owner)
        yield make_problem(
            ProblemCode.UNIT_OTHER_TEMPLATE,
            owner=f"{known.name}（{owner}）" if known else owner,
            unit=f"{unit.name}（{unit.code}）",
            sheet=made_for.sheet if made_for else "",
            cell=made_for.cell if made_for else "",
            indicator=TEMPLATE_UNIT,
        )


def check_period(sub: Submission, form: Form) -> Iterator[Problem]:
    expected = {
        "PERIOD": form.period.label,
        "PERIOD_TYPE": form.period.type,
        "PERIOD_START": form.period.start,
        "PERIOD_END": form.period.end,
    }
    for code, want in expected.items():
        if not form.has_indicator(code):
            continue
        have = sub.values.get(code)
        if have is not None and have != want:
            yield make_problem(
                ProblemCode.PERIOD_MISMATCH,
                label=form.indicator(code).label,
                found=shown(have),
                expected=shown(want),
                **place_of(sub, code),
            )


def place_of(sub: Submission, code: str) -> Place:
    sheet, cell = sub.cells.get(code, ("", ""))
    return {"sheet": sheet, "cell": cell, "indicator": code}
