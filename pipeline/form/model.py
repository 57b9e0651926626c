"""The form definition (YAML), loaded into frozen dataclasses.

The definition is checked when loaded: every problem found is listed in one DefinitionError,
in Chinese, because the clerk may be the one who edited the file. The unit registry is
registry.py's (Registry and Unit are re-exported here for existing callers); files are read
by registry_file.load_registry.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from pipeline.form.expr import Expr, ExpressionError, compile_expr, sum_terms
from pipeline.form.registry import Registry as Registry  # re-exported: callers import it from here
from pipeline.form.registry import Unit as Unit

TYPES = {"int", "text", "date", "bool", "choice"}
AGGREGATIONS = {"sum", "max", "min", "self", "none"}
AGGREGATION_LABEL = {
    "sum": "求和",
    "max": "取最大值",
    "min": "取最小值",
    "self": "仅本级",
    "none": "不汇总",
}
SEVERITIES = {"error", "warning"}
PERIOD_TYPES = {"上半年", "全年", "截至某日"}
# Period comparison: a change larger than this share of the previous figure needs an
# explanation (需说明), as official reporting systems require. Overridden in form.yaml.
DEFAULT_COMPARE_THRESHOLD = 0.2
REGISTRY_LISTS = {"UNITS", "UNITS_CODE"}  # choice lists built from the unit registry
BOOL_CHOICES = ("是", "否")
# The ledger column that names the unit a row came from, in a 上报 return (层层汇总).
ORIGIN_UNIT_COLUMN = "origin_unit"
# Cover fields the template presets for the round (the units never fill them).
COVER_COUNTS_TITLE = "基本情况"
PRESET_COVER = frozenset({"PERIOD", "PERIOD_TYPE", "PERIOD_START", "PERIOD_END"})

_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
# Names Excel reads as cell references (A1, XFD1048576, R1C1, R, C) cannot be defined names.
_A1 = re.compile(r"^[A-Z]{1,3}[0-9]+$")
_R1C1 = re.compile(r"^(R[0-9]*C?[0-9]*|C[0-9]*)$")
_SHEET_FORBIDDEN = set("[]:*?/\\")


class DefinitionError(ValueError):
    """The definition or registry is invalid; `problems` lists every finding."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source} 有 {len(problems)} 处错误：\n" + "\n".join(problems))


@dataclass(frozen=True)
class Period:
    label: str
    type: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    section: str
    unit: str = ""
    type: str = "int"
    aggregation: str = "sum"
    required: bool = True
    min: int | None = None
    max: int | None = None
    group: str = ""
    note: str = ""
    choices: str = ""
    derived: Expr | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """Codes a derived total adds up."""
        return self.derived.names if self.derived else ()


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    sheet: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str = "text"
    required: bool = False
    pii: bool = False
    choices: str = ""
    multi: bool = False
    in_period: bool = False
    min: int | None = None
    max: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    expr: Expr
    severity: str
    message: str
    anchor: str = ""


@dataclass(frozen=True)
class Ledger:
    id: str
    title: str
    sheet: str
    columns: tuple[Column, ...]
    note: str = ""
    row_rules: tuple[Rule, ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Form:
    id: str
    version: str
    title: str
    period: Period
    instructions: tuple[str, ...]
    code_lists: dict[str, tuple[str, ...]]
    sections: tuple[Section, ...]
    ledgers: tuple[Ledger, ...]
    rules: tuple[Rule, ...]
    compare_threshold: float = DEFAULT_COMPARE_THRESHOLD
    _by_code: dict[str, Indicator] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_code.update({i.code: i for s in self.sections for i in s.indicators})

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for s in self.sections for i in s.indicators)

    @property
    def cover(self) -> Section:
        return self.sections[0]

    @property
    def statistics_sections(self) -> tuple[Section, ...]:
        return self.sections[1:]

    @property
    def statistics_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for s in self.statistics_sections for i in s.indicators)

    @cached_property
    def cover_counts(self) -> Section:
        """The cover's counts that add up across units (在职人数, 党员数…): consolidated with
        the statistics, shown first in 汇总 and 分单位 as 基本情况."""
        counts = tuple(
            i for i in self.cover.indicators if i.type == "int" and i.aggregation == "sum"
        )
        return Section("cover_counts", COVER_COUNTS_TITLE, self.cover.sheet, counts)

    @cached_property
    def consolidated_sections(self) -> tuple[Section, ...]:
        """What consolidation adds up: the cover's counts, then every statistics section."""
        return (self.cover_counts, *self.statistics_sections)

    @cached_property
    def consolidated_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for s in self.consolidated_sections for i in s.indicators)

    def indicator(self, code: str) -> Indicator:
        return self._by_code[code]

    def has_indicator(self, code: str) -> bool:
        return code in self._by_code

    def derived_value(self, code: str, values: dict[str, object]) -> int | None:
        """A derived total from the entered values (totals of totals included).

        Totals are recomputed, never read: a formula cell's cached value may be stale. Blank
        parts count as 0; a total with every part blank is blank.
        """
        parts = [
            self.derived_value(p, values) if self._by_code[p].derived else values.get(p)
            for p in self._by_code[code].parts
        ]
        present = [p for p in parts if isinstance(p, int)]
        return sum(present) if present else None

    def ledger(self, ledger_id: str) -> Ledger:
        return next(lg for lg in self.ledgers if lg.id == ledger_id)

    def section_of(self, code: str) -> Section:
        section_id = self._by_code[code].section
        return next(s for s in self.sections if s.id == section_id)


# Load


def load_form(path: str | Path) -> Form:
    path = Path(path)
    try:
        # libyaml's safe loader when built in (7x faster, same result); else PyYAML's own.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(str(path), [f"无法读取：{exc}"]) from None
    problems: list[str] = []
    form = _build_form(data if isinstance(data, dict) else {}, problems)
    if form is not None:
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


_FORM_KEYS = {"id", "version", "title", "period", "instructions", "compare_threshold"}
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


# Check


def check_form(form: Form) -> list[str]:
    """Every inconsistency in a built form, as Chinese lines."""
    return list(_form_findings(form))


def _form_findings(form: Form) -> Iterator[str]:
    if not _CODE.match(form.id):
        yield f"form.id “{form.id}” 应为大写英文字母、数字和下划线"
    if not form.version:
        yield "form.version 不能为空"
    if form.period.type not in PERIOD_TYPES:
        yield f"form.period.type “{form.period.type}” 应为 {'/'.join(sorted(PERIOD_TYPES))} 之一"
    if form.period.start > form.period.end:
        yield "form.period 的开始日期晚于结束日期"
    if not form.sections or form.sections[0].id != "COVER":
        yield "第一个 section 必须是封面（id: COVER）"
    yield from _check_names(form)
    lists = set(form.code_lists) | REGISTRY_LISTS
    for ind in form.indicators:
        where = f"指标 {ind.code}"
        if ind.type not in TYPES:
            yield f"{where}：类型“{ind.type}”无效，应为 {'/'.join(sorted(TYPES))}"
        if ind.aggregation not in AGGREGATIONS:
            yield f"{where}：汇总方式“{ind.aggregation}”无效，应为 {'/'.join(sorted(AGGREGATIONS))}"
        if ind.aggregation in {"sum", "max", "min"} and ind.type != "int":
            yield f"{where}：只有整数指标可以按 {ind.aggregation} 汇总"
        if ind.aggregation == "self" and ind.required:
            yield f"{where}：本级填报（self）的指标不能设为必填，下属单位会留空"
        if ind.type == "choice" and ind.choices not in lists:
            yield f"{where}：代码表“{ind.choices}”不存在"
        if not ind.label:
            yield f"{where}：缺少中文名称 label"
        for part in ind.parts:
            if not form.has_indicator(part):
                yield f"{where}：derived 引用了不存在的指标 {part}"
            elif form.indicator(part).type != "int":
                yield f"{where}：derived 引用的 {part} 不是整数指标"
        if ind.derived and _derived_cycle(form, ind.code):
            yield f"{where}：derived 合计循环引用了自身"
        if ind.derived and ind.derived.ledgers:
            yield f"{where}：derived 只能是其他指标之和，不能引用台账"
    ledger_ids = {lg.id for lg in form.ledgers}
    for ledger in form.ledgers:
        for col in ledger.columns:
            where = f"台账 {ledger.id} 列 {col.key}"
            if not _KEY.match(col.key):
                yield f"{where}：列键应为小写英文字母、数字和下划线"
            if col.type not in TYPES:
                yield f"{where}：类型“{col.type}”无效"
            if col.type == "choice" and col.choices not in lists:
                yield f"{where}：代码表“{col.choices}”不存在"
            if col.in_period and col.type != "date":
                yield f"{where}：in_period 只能用于日期列"
        for dup in _duplicates(c.key for c in ledger.columns):
            yield f"台账 {ledger.id}：列键 {dup} 重复"
        for dup in _duplicates(c.label for c in ledger.columns):
            yield f"台账 {ledger.id}：列标题“{dup}”重复"
        keys = {c.key for c in ledger.columns}
        for rule in ledger.row_rules:
            yield from _check_rule(rule, f"台账 {ledger.id} 行规则 {rule.id}")
            for name in rule.expr.names:
                if name not in keys:
                    yield f"台账 {ledger.id} 行规则 {rule.id}：引用了不存在的列 {name}"
    for rule in form.rules:
        where = f"规则 {rule.id}"
        yield from _check_rule(rule, where)
        for name in rule.expr.names:
            if not form.has_indicator(name):
                yield f"{where}：引用了不存在的指标 {name}"
        if _restates_derived(rule, form):
            yield f"{where}：只是重复了合计的计算公式（合计由系统自动计算），永远不会触发，请删除"
        if rule.anchor and not form.has_indicator(rule.anchor):
            yield f"{where}：anchor 指标 {rule.anchor} 不存在"
        for ref in rule.expr.ledgers:
            if ref.ledger not in ledger_ids:
                yield f"{where}：引用了不存在的台账 {ref.ledger}"
                continue
            keys = {c.key for c in form.ledger(ref.ledger).columns}
            for column in ref.columns:
                if column not in keys:
                    yield f"{where}：台账 {ref.ledger} 没有列 {column}"
    for dup in _duplicates(r.id for r in form.rules):
        yield f"规则编号 {dup} 重复"


def _derived_cycle(form: Form, code: str) -> bool:
    todo, seen = list(form.indicator(code).parts), set()
    while todo:
        part = todo.pop()
        if part == code:
            return True
        if part in seen or not form.has_indicator(part):
            continue
        seen.add(part)
        todo.extend(form.indicator(part).parts)
    return False


def _restates_derived(rule: Rule, form: Form) -> bool:
    body = rule.expr.tree.body
    if not (
        isinstance(body, ast.Compare) and len(body.ops) == 1 and isinstance(body.ops[0], ast.Eq)
    ):
        return False
    sides = (body.left, body.comparators[0])
    for total, other in (sides, sides[::-1]):
        if isinstance(total, ast.Name) and form.has_indicator(total.id):
            parts = form.indicator(total.id).parts
            terms = sum_terms(other)
            if parts and terms and sorted(t.id for t in terms) == sorted(parts):
                return True
    return False


def _check_rule(rule: Rule, where: str) -> Iterator[str]:
    if rule.severity not in SEVERITIES:
        yield f"{where}：severity “{rule.severity}” 应为 error 或 warning"
    if not rule.message:
        yield f"{where}：缺少中文提示 message"


def _check_names(form: Form) -> Iterator[str]:
    codes = [i.code for i in form.indicators] + [lg.id for lg in form.ledgers]
    for dup in _duplicates(codes):
        yield f"编码 {dup} 重复（指标编码和台账编号必须唯一）"
    for code in codes:
        if not _CODE.match(code):
            yield f"编码“{code}”应为大写英文字母开头，只含大写字母、数字和下划线"
        elif _A1.match(code) or _R1C1.match(code):
            yield f"编码“{code}”看起来像单元格地址，Excel 不允许用作名称，请改名（如加下划线）"
        elif len(code) > 255:
            yield f"编码“{code}”过长"
    sheets = [s.sheet for s in form.sections] + [lg.sheet for lg in form.ledgers]
    for dup in _duplicates(s.lower() for s in sheets):
        yield f"工作表名“{dup}”重复"
    for sheet in sheets:
        if not sheet or len(sheet) > 31 or set(sheet) & _SHEET_FORBIDDEN:
            yield f"工作表名“{sheet}”无效：需 1-31 个字符且不含 []:*?/\\"


def _duplicates(items: Iterator[str] | list[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for item in items:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups


# Export


def as_json(form: Form, registry: Registry | None = None) -> dict:
    """The definition (and registry) as plain JSON-able data, for `pipeline spec --json`."""
    indicators = [
        {
            "code": i.code,
            "label": i.label,
            "unit": i.unit,
            "type": i.type,
            "aggregation": i.aggregation,
            "required": i.required,
            "min": i.min,
            "max": i.max,
            "section": i.section,
            "group": i.group,
            "note": i.note,
            "choices": i.choices or None,
            "derived": i.derived.text if i.derived else None,
        }
        for i in form.indicators
    ]
    return {
        "form": {
            "id": form.id,
            "version": form.version,
            "title": form.title,
            "compare_threshold": form.compare_threshold,
        },
        "period": {
            "label": form.period.label,
            "type": form.period.type,
            "start": form.period.start.isoformat(),
            "end": form.period.end.isoformat(),
        },
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "sheet": s.sheet,
                "indicators": [i.code for i in s.indicators],
            }
            for s in form.sections
        ],
        "indicators": indicators,
        "ledgers": [
            {
                "id": lg.id,
                "title": lg.title,
                "sheet": lg.sheet,
                "columns": [asdict(c) for c in lg.columns],
                "row_rules": [_rule_json(r) for r in lg.row_rules],
            }
            for lg in form.ledgers
        ],
        "rules": [_rule_json(r) for r in form.rules],
        "code_lists": {k: list(v) for k, v in form.code_lists.items()},
        "registry": [asdict(u) for u in registry.units] if registry else [],
    }


def _rule_json(rule: Rule) -> dict:
    return {
        "id": rule.id,
        "expr": rule.expr.text,
        "severity": rule.severity,
        "message": rule.message,
        "anchor": rule.anchor or None,
    }


def choices_for(form: Form, name: str, registry: Registry | None) -> tuple[str, ...]:
    """The values of a choice list, including the registry-backed lists."""
    if name == "UNITS":
        return tuple(u.name for u in registry.units) if registry else ()
    if name == "UNITS_CODE":
        return tuple(u.code for u in registry.units) if registry else ()
    return form.code_lists.get(name, ())
