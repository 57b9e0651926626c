"""Typed submission from a raw one, plus every problem found. Pure: no files, no Excel.

Order: structure (is this our form, this version?) first, and stop there if not, so that a
wrong file gets one clear message instead of hundreds; then cell values, identification,
ledgers, and the cross-field rules of the definition.
"""

from __future__ import annotations

from pipeline.check.identity import identify
from pipeline.check.ledgers import read_ledger
from pipeline.check.rules import check_rules, check_self_indicators
from pipeline.check.structure import check_structure
from pipeline.check.values import typed_value
from pipeline.core.catalogue import Severity
from pipeline.core.records import RawSubmission, Submission
from pipeline.form.model import EXPLANATION_PREFIX, Form
from pipeline.form.registry import Registry


def validate(raw: RawSubmission, form: Form, registry: Registry) -> Submission:
    sub = Submission(file=raw.file, sha256=raw.sha256, mtime=raw.mtime)
    sub.problems.extend(p.located(file=raw.file) for p in raw.problems)
    if not any(p.severity is Severity.ERROR for p in raw.problems):
        structural = list(check_structure(raw, form))
        sub.problems.extend(structural)
        if not structural:
            _fill(sub, raw, form, registry)
    sub.problems = [p.located(file=raw.file, unit=sub.unit_code) for p in sub.problems]
    sub.settle_status()
    return sub


def _fill(sub: Submission, raw: RawSubmission, form: Form, registry: Registry) -> None:
    values: dict[str, object] = {}
    sub.values = values
    for ind in form.indicators:
        if ind.code in raw.values:
            cell = raw.values[ind.code]
            sub.cells[ind.code] = (cell.sheet, cell.cell)
            if ind.derived is None:
                values[ind.code] = typed_value(ind, cell, form, registry, sub.problems)
    for ind in form.indicators:
        if ind.derived is not None:
            values[ind.code] = form.derived_value(ind.code, values)
    _explanations(sub, raw, form)
    identify(sub, raw, form, registry)
    for ledger in form.ledgers:
        sub.ledgers[ledger.id] = read_ledger(ledger, raw.ledgers.get(ledger.id), form, sub)
    sub.problems.extend(check_rules(sub, form))
    sub.problems.extend(check_self_indicators(sub, form, registry))


def _explanations(sub: Submission, raw: RawSubmission, form: Form) -> None:
    """变动说明 a unit typed beside its figures (a unit's own template), by indicator code,
    and where it typed each (for 审核问题)."""
    for ind in form.statistics_indicators:
        name = EXPLANATION_PREFIX + ind.code
        cell = raw.values.get(name)
        text = " ".join(str(cell.value).split()) if cell and cell.value is not None else ""
        if cell and text:
            sub.explanations[ind.code] = text
            sub.cells[name] = (cell.sheet, cell.cell)


# Structure


# Values


# Identification


# Ledgers


# Rules


# A 上报 return (层层汇总): the scope 全系统 sums the returns of a lower office's units.
