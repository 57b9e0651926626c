"""Returns built without any file, for tests of the pure stages."""

from __future__ import annotations

import datetime as dt

from pipeline.core.records import RawLedger, RawSubmission, RawValue
from pipeline.demo.sample import SampleReturn
from pipeline.form.model import Form


def raw_from_sample(form: Form, sample: SampleReturn) -> RawSubmission:
    """The RawSubmission a reader would return for this sample, without any file."""
    raw = RawSubmission(file=f"{sample.unit.code}.xlsx", sha256="0" * 64, mtime=0.0)
    preset = {
        "FORM_ID": form.id,
        "FORM_VERSION": form.version,
        "PERIOD": form.period.label,
        "PERIOD_TYPE": form.period.type,
        "PERIOD_START": form.period.start,
        "PERIOD_END": form.period.end,
    }
    for row, ind in enumerate(form.indicators, start=1):
        raw.values[ind.code] = RawValue(sample.values.get(ind.code), ind.section, f"E{row}")
    for code, value in preset.items():
        raw.values[code] = RawValue(value, "封面", "B1")
    for ledger in form.ledgers:
        letters = {c.label: chr(ord("A") + n) for n, c in enumerate(ledger.columns)}
        rows = tuple(
            (number, {c.label: _cell(r.get(c.key)) for c in ledger.columns})
            for number, r in enumerate(sample.ledgers.get(ledger.id, []), start=4)
        )
        raw.ledgers[ledger.id] = RawLedger(ledger.id, ledger.sheet, letters, rows)
    return raw


def _cell(value: object) -> object:
    if isinstance(value, tuple):
        return "、".join(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return value
