"""A realistic sample inbox: every registered unit but one returns the template, filled as a
unit would, a few with the mistakes clerks see most often."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import zipfile
from pathlib import Path

from pipeline.core.cells import as_int
from pipeline.core.records import Status
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import SampleReturn, sample_return
from pipeline.form.model import Form
from pipeline.form.registry import Registry, Unit
from pipeline.publish.template import write_template

DEMO_SEED = 2022


def make_demo_inbox(form: Form, registry: Registry, inbox: Path) -> dict[str, Status]:
    """Write the demo returns into a fresh `inbox`; return each file's expected status."""
    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    units = [u for u, _ in registry.tree_order()]
    missing = units[-2]  # one registered unit never answers
    expected: dict[str, Status] = {}
    with tempfile.TemporaryDirectory(prefix="demo-template-") as tmp:
        template = write_template(form, registry, Path(tmp))
        for number, unit in enumerate(units):
            if unit is missing:
                continue
            sample = sample_return(form, registry, unit, seed=DEMO_SEED + number)
            name = f"{_short(unit)}-{form.period.label}党风廉政建设统计表.xlsx"
            expected[name] = _mistake(number, sample, form)
            fill_return(form, template, inbox / name, sample.values, sample.ledgers)
            if number == 3:  # this unit sends a corrected version later
                expected[name] = Status.SUPERSEDED
                if isinstance(submitted := sample.values["SUBMIT_DATE"], dt.date):
                    sample.values["SUBMIT_DATE"] = submitted + dt.timedelta(days=3)
                _break_date(sample, form)
                fixed = f"{_short(unit)}-统计表（修改后）.xlsx"
                _restore_date(sample, form)
                expected[fixed] = Status.ACCEPTED
                fill_return(form, template, inbox / fixed, sample.values, sample.ledgers)
    (inbox / f"~${_short(units[1])}.xlsx").write_bytes(b"\x00lock")
    expected[f"~${_short(units[1])}.xlsx"] = Status.IGNORED
    with zipfile.ZipFile(inbox / "报送通知.docx", "w") as notice:  # the clerk's own notice
        notice.writestr("word/document.xml", "<w:document/>")
    expected["报送通知.docx"] = Status.REJECTED
    return expected


def _short(unit: Unit) -> str:
    return unit.name.removeprefix("临江市")


def _mistake(number: int, sample: SampleReturn, form: Form) -> Status:
    """Deliberate mistakes for some units, as seen in real inboxes."""
    values = sample.values
    if number == 2:  # masks and Chinese numerals copied from a draft report
        values["EDU_CG_STUDY"] = "*"
        values["EDU_FIRST_TOPIC"] = "三"
        return Status.REJECTED
    if number == 3:  # first version: a ledger date outside the period (fixed later)
        _break_date(sample, form)
        return Status.REJECTED
    if number == 6:  # a summary count that disagrees with the ledger
        values["DISC_PARTY_WARNING"] = as_int(values.get("DISC_PARTY_WARNING") or 0) + 1
        return Status.REJECTED
    if number == 9:  # numbers typed as text: readable, but flagged
        values["ORG_HEART_TALK"] = f"{values.get('ORG_HEART_TALK') or 0}人次"
        values["ORG_BRANCH_CMTE"] = _full_width(str(values.get("ORG_BRANCH_CMTE") or 0))
        return Status.ACCEPTED_WITH_WARNINGS
    return Status.ACCEPTED


def _date_ledger(sample: SampleReturn, form: Form) -> tuple[list, str]:
    for ledger in form.ledgers:
        column = next((c.key for c in ledger.columns if c.in_period), None)
        if column and sample.ledgers.get(ledger.id):
            return sample.ledgers[ledger.id], column
    raise ValueError("the sample has no ledger row with an in-period date")


def _break_date(sample: SampleReturn, form: Form) -> None:
    rows, column = _date_ledger(sample, form)
    rows[0] = {**rows[0], column: form.period.end + dt.timedelta(days=20)}


def _restore_date(sample: SampleReturn, form: Form) -> None:
    rows, column = _date_ledger(sample, form)
    rows[0] = {**rows[0], column: form.period.end}


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)
