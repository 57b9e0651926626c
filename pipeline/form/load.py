"""Load the form definition from YAML into the model, refusing unknown keys and bad values;
the loaded form is then checked as a whole (check.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import yaml

from pipeline.form.check import check_form
from pipeline.form.expr import ExpressionError, compile_expr
from pipeline.form.model import (
    DEFAULT_COMPARE_THRESHOLD,
    Column,
    DefinitionError,
    Form,
    Indicator,
    Ledger,
    LegalMarks,
    Period,
    Rule,
    Section,
)
from pipeline.form.period import parse_period


def load_form(path: str | Path, period: str | None = None) -> Form:
    """The definition at `path`; with `period` (a name such as 2026年第三季度) for that period
    instead of the definition's default, its dates derived from the name."""
    path = Path(path)
    try:
        # libyaml's safe loader when built in (7x faster, same result); else PyYAML's own.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(str(path), [f"无法读取：{exc}"]) from None
    problems: list[str] = []
    form = _build_form(data if isinstance(data, dict) else {}, problems)
    if form is not None and period is not None:  # PeriodError: the clerk's typing, not the file's
        form = replace(form, period=parse_period(period))
    if form is not None:
        form = replace(form, instructions=_instructions(form))
        problems.extend(check_form(form))
    if problems:
        raise DefinitionError(str(path), problems)
    assert form is not None
    return form


def _build_form(data: dict, problems: list[str]) -> Form | None:
    head = data.get("form") or {}
    _unknown_keys(head, _FORM_KEYS, "form", problems)
    period = head.get("period") or {}
    try:
        built_period = Period(
            label=str(period["label"]),
            type=str(period["type"]),
            start=_as_date(period["start"]),
            end=_as_date(period["end"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"form.period 不完整或日期格式错误：{exc}")
        return None
    code_lists = {
        str(name): tuple(str(c) for c in choices)
        for name, choices in (data.get("code_lists") or {}).items()
    }
    sections = tuple(_build_section(s, problems) for s in data.get("sections") or [])
    ledgers = tuple(_build_ledger(lg, problems) for lg in data.get("ledgers") or [])
    rules = tuple(
        r for r in (_build_rule(r, problems, "rules") for r in data.get("rules") or []) if r
    )
    return Form(
        legal=_legal(head.get("legal"), problems),
        id=str(head.get("id", "")),
        version=str(head.get("version", "")),
        title=str(head.get("title", "")),
        period=built_period,
        instructions=tuple(str(line) for line in head.get("instructions") or []),
        code_lists=code_lists,
        sections=sections,
        ledgers=ledgers,
        rules=rules,
        compare_threshold=_threshold(head, problems),
    )


# Instructions may name the period; the text follows the period the form is loaded for.
PERIOD_PLACES = ("{报告期}", "{开始日期}", "{截止日期}")


def _instructions(form: Form) -> tuple[str, ...]:
    period = form.period
    values = dict(zip(PERIOD_PLACES, (period.label, period.start.isoformat(),
                                      period.end.isoformat()), strict=True))  # fmt: skip
    lines = []
    for line in form.instructions:
        for place, value in values.items():
            line = line.replace(place, value)
        lines.append(line)
    return tuple(lines)


_LEGAL_KEYS = {"table_number", "made_by", "approved_by", "approval_kind", "approval_number",
               "valid_until"}  # fmt: skip
APPROVAL_KINDS = ("批准文号", "备案号")


def _legal(data: object, problems: list[str]) -> LegalMarks | None:
    """form.legal (法定标识): every field, or none of them."""
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append("form.legal 应为表号、制定机关等各项")
        return None
    _unknown_keys(data, _LEGAL_KEYS, "form.legal", problems)
    missing = sorted(k for k in _LEGAL_KEYS if not str(data.get(k) or "").strip())
    if missing:
        problems.append(f"form.legal 缺少：{'、'.join(missing)}")
        return None
    if data["approval_kind"] not in APPROVAL_KINDS:
        problems.append(f"form.legal.approval_kind 应为 {'或'.join(APPROVAL_KINDS)}")
        return None
    try:
        until = _as_date(data["valid_until"])
    except ValueError:
        problems.append(f"form.legal.valid_until 不是日期：“{data['valid_until']}”")
        return None
    fields = {k: str(data[k]).strip() for k in _LEGAL_KEYS - {"valid_until"}}
    return LegalMarks(valid_until=until, **fields)


def _threshold(head: dict, problems: list[str]) -> float:
    value = head.get("compare_threshold", DEFAULT_COMPARE_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 100:
        problems.append(
            f"form.compare_threshold 应为大于 0 的小数（如 0.2 表示 ±20%），实际为“{value}”"
        )
        return DEFAULT_COMPARE_THRESHOLD
    return float(value)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


_FORM_KEYS = {"id", "version", "title", "period", "instructions", "compare_threshold",
              "legal"}  # fmt: skip
_INDICATOR_KEYS = {
    "code",
    "label",
    "unit",
    "type",
    "aggregation",
    "required",
    "min",
    "max",
    "group",
    "note",
    "choices",
    "derived",
}
_COLUMN_KEYS = {
    "key",
    "label",
    "type",
    "required",
    "pii",
    "choices",
    "multi",
    "in_period",
    "min",
    "max",
    "note",
}


def _unknown_keys(item: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(item) - allowed):
        problems.append(f"{where}：未知的键“{key}”")


def _build_section(data: dict, problems: list[str]) -> Section:
    section_id = str(data.get("id", ""))
    indicators = []
    for item in data.get("indicators") or []:
        code = str(item.get("code", ""))
        _unknown_keys(item, _INDICATOR_KEYS, f"指标 {code}", problems)
        kind = str(item.get("type", "int"))
        derived = None
        if item.get("derived"):
            try:
                derived = compile_expr(str(item["derived"]))
            except ExpressionError as exc:
                problems.append(f"指标 {code} 的 derived 表达式无效：{exc}")
        is_int = kind == "int"
        aggregation = str(item.get("aggregation", "sum" if is_int else "none"))
        required = bool(item.get("required", is_int and derived is None and aggregation != "self"))
        indicators.append(
            Indicator(
                code=code,
                label=str(item.get("label", "")),
                section=section_id,
                unit=str(item.get("unit", "") or ""),
                type=kind,
                aggregation=aggregation,
                required=required,
                min=item.get("min", 0 if is_int else None),
                max=item.get("max"),
                group=str(item.get("group", "") or ""),
                note=str(item.get("note", "") or ""),
                choices=str(item.get("choices", "") or ""),
                derived=derived,
            )
        )
    return Section(
        id=section_id,
        title=str(data.get("title", "")),
        sheet=str(data.get("sheet", "")),
        indicators=tuple(indicators),
    )


def _build_ledger(data: dict, problems: list[str]) -> Ledger:
    ledger_id = str(data.get("id", ""))
    columns = []
    for item in data.get("columns") or []:
        _unknown_keys(item, _COLUMN_KEYS, f"台账 {ledger_id} 列 {item.get('key')}", problems)
        kind = str(item.get("type", "text"))
        columns.append(
            Column(
                key=str(item.get("key", "")),
                label=str(item.get("label", "")),
                type=kind,
                required=bool(item.get("required", False)),
                pii=bool(item.get("pii", False)),
                choices=str(item.get("choices", "") or ""),
                multi=bool(item.get("multi", False)),
                in_period=bool(item.get("in_period", False)),
                min=item.get("min", 0 if kind == "int" else None),
                max=item.get("max"),
                note=str(item.get("note", "") or ""),
            )
        )
    row_rules = tuple(
        r
        for r in (
            _build_rule(r, problems, f"台账 {ledger_id} row_rules")
            for r in data.get("row_rules") or []
        )
        if r
    )
    return Ledger(
        id=ledger_id,
        title=str(data.get("title", "")),
        sheet=str(data.get("sheet", "")),
        columns=tuple(columns),
        note=str(data.get("note", "") or ""),
        row_rules=row_rules,
    )


def _build_rule(data: dict, problems: list[str], where: str) -> Rule | None:
    rule_id = str(data.get("id", ""))
    try:
        expr = compile_expr(str(data.get("expr", "")))
    except ExpressionError as exc:
        problems.append(f"{where} {rule_id}：表达式无效：{exc}")
        return None
    return Rule(
        id=rule_id,
        expr=expr,
        severity=str(data.get("severity", "error")),
        message=str(data.get("message", "")),
        anchor=str(data.get("anchor", "") or ""),
    )
