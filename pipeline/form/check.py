"""Check a loaded form as a whole: codes, names Excel can define, references in rules, cycles
between totals, rules that could never fire. Every finding is a Chinese line."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from pipeline.form.expr import sum_terms
from pipeline.form.model import (
    AGGREGATIONS,
    PERIOD_TYPES,
    REGISTRY_LISTS,
    SEVERITIES,
    TYPES,
    Form,
    Indicator,
    Ledger,
    Rule,
)

_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
# Names Excel reads as cell references (A1, XFD1048576, R1C1, R, C) cannot be defined names.
_A1 = re.compile(r"^[A-Z]{1,3}[0-9]+$")
_R1C1 = re.compile(r"^(R[0-9]*C?[0-9]*|C[0-9]*)$")
_SHEET_FORBIDDEN = set("[]:*?/\\")


def check_form(form: Form) -> list[str]:
    """Every inconsistency in a built form, as Chinese lines."""
    return list(_form_findings(form))


def _form_findings(form: Form) -> Iterator[str]:
    yield from _head_findings(form)
    yield from _check_names(form)
    lists = set(form.code_lists) | REGISTRY_LISTS
    for ind in form.indicators:
        yield from _indicator_findings(form, ind, lists)
    for ledger in form.ledgers:
        yield from _ledger_findings(ledger, lists)
    ledger_ids = {lg.id for lg in form.ledgers}
    for rule in form.rules:
        yield from _rule_findings(form, rule, ledger_ids)
    for dup in _duplicates(r.id for r in form.rules):
        yield f"规则编号 {dup} 重复"


def _head_findings(form: Form) -> Iterator[str]:
    if not _CODE.match(form.id):
        yield f"form.id “{form.id}” 应为大写英文字母、数字和下划线"
    if not form.version:
        yield "form.version 不能为空"
    if form.period.type not in PERIOD_TYPES:
        yield f"form.period.type “{form.period.type}” 应为 {'/'.join(sorted(PERIOD_TYPES))} 之一"
    if form.period.start > form.period.end:
        yield "form.period 的开始日期晚于结束日期"
    if form.has_indicator("PERIOD_TYPE"):
        kinds = form.code_lists.get(form.indicator("PERIOD_TYPE").choices, ())
        if form.period.type not in kinds:
            yield f"期别“{form.period.type}”不在 code_lists 的期别列表中：请加入"
    if not form.sections or form.sections[0].id != "COVER":
        yield "第一个 section 必须是封面（id: COVER）"


def _indicator_findings(form: Form, ind: Indicator, lists: set[str]) -> Iterator[str]:
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


def _ledger_findings(ledger: Ledger, lists: set[str]) -> Iterator[str]:
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


def _rule_findings(form: Form, rule: Rule, ledger_ids: set[str]) -> Iterator[str]:
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
