"""Is this our form, in this version, with every named cell and ledger the template has?
Checked first: a wrong file gets one clear message instead of hundreds."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.check.normalize import to_text
from pipeline.core.catalogue import ProblemCode
from pipeline.core.problems import Problem, make_problem
from pipeline.core.records import (
    RawSubmission,
)
from pipeline.form.model import Form

EMITS = (
    ProblemCode.FORM_NOT_TEMPLATE,
    ProblemCode.FORM_WRONG_ID,
    ProblemCode.FORM_WRONG_VERSION,
    ProblemCode.NAME_MISSING,
    ProblemCode.LEDGER_MISSING,
    ProblemCode.LEDGER_COLUMN_MISSING,
)


def check_structure(raw: RawSubmission, form: Form) -> Iterator[Problem]:
    form_id = raw.values.get("FORM_ID")
    if form_id is None:
        yield make_problem(ProblemCode.FORM_NOT_TEMPLATE, title=form.title)
        return
    found_id = to_text(form_id.value).value or ""
    if found_id != form.id:
        yield make_problem(
            ProblemCode.FORM_WRONG_ID,
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
            ProblemCode.FORM_WRONG_VERSION,
            found=found_version or "未知",
            expected=form.version,
            sheet=version.sheet if version else "",
            cell=version.cell if version else "",
        )
        return
    for ind in form.indicators:
        if ind.code not in raw.values and ind.derived is None:
            yield make_problem(
                ProblemCode.NAME_MISSING, label=ind.label, code=ind.code, indicator=ind.code
            )
    for ledger in form.ledgers:
        found = raw.ledgers.get(ledger.id)
        if found is None:
            yield make_problem(ProblemCode.LEDGER_MISSING, label=ledger.title, code=ledger.id)
            continue
        for column in ledger.columns:
            if column.label not in found.columns:
                yield make_problem(
                    ProblemCode.LEDGER_COLUMN_MISSING,
                    ledger=ledger.title,
                    column=column.label,
                    sheet=found.sheet,
                )
