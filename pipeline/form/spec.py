"""The definition (and registry) as plain JSON-able data: `python -m pipeline spec --json`,
and the cache's fingerprint of the definition."""

from __future__ import annotations

from dataclasses import asdict

from pipeline.form.model import Form, Rule
from pipeline.form.registry import Registry


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
            "legal": _legal_json(form),
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


def _legal_json(form: Form) -> dict | None:
    legal = form.legal
    if legal is None:
        return None
    return {
        "table_number": legal.table_number,
        "made_by": legal.made_by,
        "approved_by": legal.approved_by,
        "approval_kind": legal.approval_kind,
        "approval_number": legal.approval_number,
        "valid_until": legal.valid_until.isoformat(),
    }


def _rule_json(rule: Rule) -> dict:
    return {
        "id": rule.id,
        "expr": rule.expr.text,
        "severity": rule.severity,
        "message": rule.message,
        "anchor": rule.anchor or None,
    }
