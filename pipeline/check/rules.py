"""The cross-field rules of the definition, and the 本级-only figures filled by subordinates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pipeline.check.identity import place_of
from pipeline.check.scope import SCOPE_SYSTEM, scope_sensitive
from pipeline.check.values import Place
from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.problems import Problem, make_problem
from pipeline.core.records import (
    Submission,
)
from pipeline.form.expr import Skip, describe_sides, evaluate
from pipeline.form.model import Form
from pipeline.form.registry import Registry

EMITS = (
    ProblemCode.RULE_FAILED,
    ProblemCode.RULE_SCOPE_NOTE,
    ProblemCode.SELF_FILLED_BY_SUBORDINATE,
)


def check_rules(sub: Submission, form: Form) -> Iterator[Problem]:
    system = sub.values.get("SCOPE") == SCOPE_SYSTEM

    def lookup(code: str) -> object:
        value = sub.values.get(code)
        if value is None:
            raise Skip
        return value

    def ledger_rows(ledger_id: str) -> Sequence[dict[str, object]]:
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
        where: Place = place_of(sub, anchor) if anchor else {}
        message = f"[{rule.id}] {rule.message}"
        if system and scope_sensitive(rule, form):
            yield make_problem(ProblemCode.RULE_SCOPE_NOTE, message=message, detail=detail, **where)
        else:
            yield make_problem(
                ProblemCode.RULE_FAILED,
                severity=Severity(rule.severity),
                message=message,
                detail=detail,
                **where,
            )


def _name_values(rule, sub: Submission) -> str:
    return "，".join(f"{name}={sub.values.get(name)}" for name in rule.expr.names[:6])


def check_self_indicators(sub: Submission, form: Form, registry: Registry) -> Iterator[Problem]:
    if not sub.unit_code or sub.unit_code == registry.root.code:
        return
    for ind in form.statistics_indicators:
        if ind.aggregation == "self" and sub.values.get(ind.code) not in (None, 0):
            yield make_problem(
                ProblemCode.SELF_FILLED_BY_SUBORDINATE,
                label=ind.label,
                root=registry.root.name,
                **place_of(sub, ind.code),
            )
