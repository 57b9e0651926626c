"""A 上报 return (层层汇总): the scope 全系统 sums the returns of a lower office's units, so
some rules only note a difference there. One policy, used by validation, 催报 and 核对."""

from __future__ import annotations

from pipeline.core.catalogue import Tag
from pipeline.core.problems import Problem
from pipeline.form.model import Form

SCOPE_SYSTEM = "全系统"


def scope_sensitive(rule, form: Form) -> bool:
    """A rule a 全系统 return cannot always meet, so a failure there is only a note
    (RULE_SCOPE_NOTE, a warning, instead of RULE_FAILED).

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
    return Tag.SCOPE_NOTE in problem.code.tags
