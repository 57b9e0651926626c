"""Typed submission from a raw one, plus every problem found. Pure: no files, no Excel.

Order: structure (is this our form, this version?) first, and stop there if not, so that a
wrong file gets one clear message instead of hundreds; then cell values, identification,
ledgers, and the cross-field rules of the definition.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator

from pipeline.core.problems import Problem, Severity, make_problem
from pipeline.core.records import (
    ErrorValue,
    NoCachedValue,
    RawLedger,
    RawSubmission,
    RawValue,
    Submission,
)
from pipeline.form.expr import Skip, describe_sides, evaluate
from pipeline.form.model import REGISTRY_LISTS, Column, Form, Indicator, Ledger, choices_for
from pipeline.form.registry import Registry
from pipeline.normalize import Normalized, to_bool, to_choice, to_date, to_int, to_text

IDENTITY_CODES = ("UNIT_CODE", "UNIT_NAME")


def validate(raw: RawSubmission, form: Form, registry: Registry) -> Submission:
    sub = Submission(file=raw.file, sha256=raw.sha256, mtime=raw.mtime)
    sub.problems.extend(p.located(file=raw.file) for p in raw.problems)
    if not any(p.severity is Severity.ERROR for p in raw.problems):
        structural = list(_check_structure(raw, form))
        sub.problems.extend(structural)
        if not structural:
            _fill(sub, raw, form, registry)
    sub.problems = [p.located(file=raw.file, unit=sub.unit_code) for p in sub.problems]
    sub.settle_status()
    return sub


def _fill(sub: Submission, raw: RawSubmission, form: Form, registry: Registry) -> None:
    for ind in form.indicators:
        if ind.code in raw.values:
            cell = raw.values[ind.code]
            sub.cells[ind.code] = (cell.sheet, cell.cell)
            if ind.derived is None:
                sub.values[ind.code] = _typed_value(ind, cell, form, registry, sub.problems)
    for ind in form.indicators:
        if ind.derived is not None:
            sub.values[ind.code] = form.derived_value(ind.code, sub.values)
    _identify(sub, raw, form, registry)
    for ledger in form.ledgers:
        sub.ledgers[ledger.id] = _read_ledger(ledger, raw.ledgers.get(ledger.id), form, sub)
    sub.problems.extend(_check_rules(sub, form))
    sub.problems.extend(_check_self_indicators(sub, form, registry))


# Structure


def _check_structure(raw: RawSubmission, form: Form) -> Iterator[Problem]:
    form_id = raw.values.get("FORM_ID")
    if form_id is None:
        yield make_problem("FORM_NOT_TEMPLATE", title=form.title)
        return
    found_id = to_text(form_id.value).value or ""
    if found_id != form.id:
        yield make_problem(
            "FORM_WRONG_ID",
            found=found_id,
            expected=form.id,
            title=form.title,
            sheet=form_id.sheet,
            cell=form_id.cell,
        )
        return
    version = raw.values.get("FORM_VERSION")
    found_version = to_text(version.value).value if version else ""
    if found_version != form.version:
        yield make_problem(
            "FORM_WRONG_VERSION",
            found=found_version or "未知",
            expected=form.version,
            sheet=version.sheet if version else "",
            cell=version.cell if version else "",
        )
        return
    for ind in form.indicators:
        if ind.code not in raw.values and ind.derived is None:
            yield make_problem("NAME_MISSING", label=ind.label, code=ind.code, indicator=ind.code)
    for ledger in form.ledgers:
        found = raw.ledgers.get(ledger.id)
        if found is None:
            yield make_problem("LEDGER_MISSING", label=ledger.title, code=ledger.id)
            continue
        for column in ledger.columns:
            if column.label not in found.columns:
                yield make_problem(
                    "LEDGER_COLUMN_MISSING",
                    ledger=ledger.title,
                    column=column.label,
                    sheet=found.sheet,
                )


# Values


def _typed_value(
    ind: Indicator, cell: RawValue, form: Form, registry: Registry, problems: list[Problem]
) -> object:
    where = {"sheet": cell.sheet, "cell": cell.cell, "indicator": ind.code}
    result = _normalize(ind.type, cell.value, ind.choices, False, form, registry)
    problems.extend(_value_problems(ind.type, result, ind.label, cell.value, where))
    if not result.ok:
        return None
    if result.value is None:
        if ind.required:
            problems.append(
                make_problem("VALUE_REQUIRED", label=ind.label, hint=_hint(ind.type), **where)
            )
        return None
    problems.extend(_bound_problems(result.value, ind.min, ind.max, ind.label, where))
    return result.value


def _normalize(
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


NOT_READABLE = {
    "int": "VALUE_NOT_INTEGER",
    "date": "VALUE_NOT_DATE",
    "bool": "VALUE_NOT_BOOL",
    "choice": "VALUE_NOT_CHOICE",
}


def _value_problems(
    kind: str, result: Normalized, label: str, raw: object, where: dict[str, str]
) -> Iterator[Problem]:
    if result.ok and not result.coerced:
        return  # the common case: nothing to say
    shown = _show(raw)
    if isinstance(raw, ErrorValue | NoCachedValue):
        code = "CELL_ERROR_VALUE" if isinstance(raw, ErrorValue) else "FORMULA_NOT_CALCULATED"
        yield make_problem(code, label=label, value=shown, advice=result.advice, **where)
    elif result.advice:
        yield make_problem(
            NOT_READABLE[kind],
            label=label,
            value=shown,
            advice=result.advice,
            choices=result.advice.removeprefix("可选："),
            **where,
        )
    elif result.coerced:
        code = {"date": "DATE_COERCED", "int": "VALUE_COERCED"}.get(kind, "CHOICE_COERCED")
        yield make_problem(
            code, label=label, value=shown, result=_show(result.value), how=result.coerced, **where
        )


def _hint(kind: str) -> str:
    if kind == "int":
        return "未发生请填 0（空白表示不适用，本项必须填写）"
    return "请填写" if kind in ("text", "date") else "请从下拉列表选择"


def _bound_problems(
    value: object, low: int | None, high: int | None, label: str, where: dict[str, str]
) -> Iterator[Problem]:
    if not isinstance(value, int):
        return
    if low is not None and value < low:
        yield make_problem("VALUE_BELOW_MIN", label=label, bound=low, value=value, **where)
    if high is not None and value > high:
        yield make_problem("VALUE_ABOVE_MAX", label=label, bound=high, value=value, **where)


def _show(value: object) -> str:
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


# Identification


def _identify(sub: Submission, raw: RawSubmission, form: Form, registry: Registry) -> None:
    code = sub.values.get("UNIT_CODE") or ""
    name = sub.values.get("UNIT_NAME") or ""
    by_code = registry.by_code(str(code)) if code else None
    by_name = registry.by_name(str(name)) if name else None
    where = _where(sub, "UNIT_NAME")
    if by_code and by_name and by_code != by_name:
        sub.problems.append(
            make_problem("UNIT_MISMATCH", code=code, name=name, expected=by_code.name, **where)
        )
    elif by_code and name and not by_name:
        sub.problems.append(
            make_problem(
                "UNIT_UNKNOWN", found=name, hint=f"（编码 {code} 对应“{by_code.name}”）", **where
            )
        )
    elif by_name and code and not by_code:
        sub.problems.append(
            make_problem(
                "UNIT_UNKNOWN",
                found=code,
                hint=f"（“{name}”的编码应为 {by_name.code}）",
                **_where(sub, "UNIT_CODE"),
            )
        )
    elif not by_code and not by_name and (code or name):
        close = difflib.get_close_matches(
            str(name), [u.name for u in registry.units], n=1, cutoff=0.5
        )
        hint = f"（是否为“{close[0]}”？）" if close else ""
        sub.problems.append(make_problem("UNIT_UNKNOWN", found=name or code, hint=hint, **where))
    unit = by_code or by_name
    if unit:
        sub.unit_code, sub.unit_name = unit.code, unit.name
    submitted = sub.values.get("SUBMIT_DATE")
    sub.submitted = submitted if isinstance(submitted, dt.date) else None
    sub.problems.extend(_check_period(sub, form))


def _check_period(sub: Submission, form: Form) -> Iterator[Problem]:
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
                "PERIOD_MISMATCH",
                label=form.indicator(code).label,
                found=_show(have),
                expected=_show(want),
                **_where(sub, code),
            )


def _where(sub: Submission, code: str) -> dict[str, str]:
    sheet, cell = sub.cells.get(code, ("", ""))
    return {"sheet": sheet, "cell": cell, "indicator": code}


# Ledgers

_NO_REGISTRY = Registry(())  # ledger choices never come from the registry (see _normalize)


def _read_ledger(
    ledger: Ledger, raw: RawLedger | None, form: Form, sub: Submission
) -> list[dict[str, object]]:
    if raw is None:
        return []
    rows = []
    for serial, (row_number, cells) in enumerate(raw.rows, start=1):
        row: dict[str, object] = {
            "_row_id": f"{sub.unit_code or 'UNKNOWN'}-{ledger.id}-{serial:04d}",
            "_sheet": raw.sheet,
            "_row": row_number,
        }
        for column in ledger.columns:
            letter = raw.columns.get(column.label, "")
            place = (raw.sheet, f"{letter}{row_number}" if letter else "")
            row[column.key] = _ledger_value(
                column, cells.get(column.label), form, sub, place, ledger
            )
        for rule in ledger.row_rules:
            try:
                passed = evaluate(rule.expr, lambda key, row=row: row.get(key))
            except Skip:
                continue
            if not passed:
                first = rule.expr.names[0] if rule.expr.names else ""
                letter = raw.columns.get(ledger.column(first).label, "A") if first else "A"
                sub.problems.append(
                    make_problem(
                        "ROW_RULE_FAILED",
                        severity=Severity(rule.severity),
                        message=f"台账“{ledger.title}”第 {row_number} 行：{rule.message}",
                        sheet=raw.sheet,
                        cell=f"{letter}{row_number}",
                        indicator=ledger.id,
                    )
                )
        rows.append(row)
    return rows


def _ledger_value(
    column: Column,
    value: object,
    form: Form,
    sub: Submission,
    place: tuple[str, str],
    ledger: Ledger,
) -> object:
    result = _normalize(column.type, value, column.choices, column.multi, form, _NO_REGISTRY)
    quiet = result.ok and not result.coerced and result.value is not None
    if quiet and column.min is None and column.max is None and not column.in_period:
        return result.value  # most cells: nothing to check further, no message to build
    label = f"{ledger.title}·{column.label}"
    where = {"sheet": place[0], "cell": place[1]}
    sub.problems.extend(_value_problems(column.type, result, label, value, where))
    if not result.ok:
        return None
    if result.value is None:
        if column.required:
            sub.problems.append(
                make_problem("VALUE_REQUIRED", label=label, hint=_hint(column.type), **where)
            )
        return None
    sub.problems.extend(_bound_problems(result.value, column.min, column.max, label, where))
    if column.in_period and isinstance(result.value, dt.date):
        start, end = form.period.start, form.period.end
        if not start <= result.value <= end:
            sub.problems.append(
                make_problem(
                    "DATE_OUT_OF_PERIOD",
                    label=label,
                    value=_show(result.value),
                    start=start,
                    end=end,
                    **where,
                )
            )
    return result.value


# Rules


def _check_rules(sub: Submission, form: Form) -> Iterator[Problem]:
    system = sub.values.get("SCOPE") == SCOPE_SYSTEM

    def lookup(code: str) -> object:
        value = sub.values.get(code)
        if value is None:
            raise Skip
        return value

    def ledger_rows(ledger_id: str) -> list[dict[str, object]]:
        return sub.ledgers.get(ledger_id, [])

    for rule in form.rules:
        try:
            passed = evaluate(rule.expr, lookup, ledger_rows)
        except Skip:
            continue
        if passed:
            continue
        anchor = rule.anchor or (rule.expr.names[0] if rule.expr.names else "")
        detail = describe_sides(rule.expr, lookup, ledger_rows) or _name_values(rule, sub)
        severity, message = Severity(rule.severity), f"[{rule.id}] {rule.message}"
        if system and scope_sensitive(rule, form):
            severity, message = Severity.WARNING, SCOPE_NOTE + message
        yield make_problem(
            "RULE_FAILED",
            severity=severity,
            message=message,
            detail=detail,
            **(_where(sub, anchor) if anchor else {}),
        )


# A 上报 return (层层汇总): the scope 全系统 sums the returns of a lower office's units.

SCOPE_SYSTEM = "全系统"
# Prefix of the warnings a 全系统 return gets instead of errors (see scope_sensitive).
SCOPE_NOTE = "汇总上报表口径不同，仅作提示："


def scope_sensitive(rule, form: Form) -> bool:
    """A rule a 全系统 return cannot always meet, so a failure there is only a note.

    A rule comparing a ledger with an indicator that some units may leave blank (a `self`
    figure, the office's own; or an optional one, blank = not applicable) fails on a 上报
    return as soon as a unit has ledger rows but no figure: the two sides cover different
    units. Every other rule holds for sums of returns that each satisfy it."""
    codes = [n for n in rule.expr.names if form.has_indicator(n)]
    return bool(rule.expr.ledgers) and any(may_be_blank(form, c) for c in codes)


def may_be_blank(form: Form, code: str) -> bool:
    """Whether some units may leave this indicator blank (so sums cover fewer units)."""
    ind = form.indicator(code)
    if ind.aggregation == "self":
        return True
    if ind.derived is not None:
        return any(may_be_blank(form, part) for part in ind.parts)
    return not ind.required


def is_scope_note(problem: Problem) -> bool:
    return problem.message.startswith(SCOPE_NOTE)


def _name_values(rule, sub: Submission) -> str:
    return "，".join(f"{name}={sub.values.get(name)}" for name in rule.expr.names[:6])


def _check_self_indicators(sub: Submission, form: Form, registry: Registry) -> Iterator[Problem]:
    if not sub.unit_code or sub.unit_code == registry.root.code:
        return
    for ind in form.statistics_indicators:
        if ind.aggregation == "self" and sub.values.get(ind.code) not in (None, 0):
            yield make_problem(
                "SELF_FILLED_BY_SUBORDINATE",
                label=ind.label,
                root=registry.root.name,
                **_where(sub, ind.code),
            )
