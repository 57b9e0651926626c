"""The outputs beyond the consolidated workbook, and the sheets they add to it.

`prepare_outputs` computes once what several outputs share (the 核对 checks, the 催报 list,
the period comparison, the level cut); `sheet_extras` are given to the workbook writer; and
`write_outputs` writes the files: the 上报 return (always), 催报清单.txt (always), the
shareable copy and the report draft (when asked). Every file goes through outfiles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.check.scope import SCOPE_SYSTEM
from pipeline.combine import chart_tables as dashboard
from pipeline.combine.changes import Change
from pipeline.combine.compare import Comparison, PreviousPeriod, compare
from pipeline.combine.consolidate import Consolidation
from pipeline.combine.levels import cut_totals, level_cut
from pipeline.combine.reconcile import Check, reconcile
from pipeline.combine.remind import Reminder, reminder_text, reminders
from pipeline.combine.rollup import rollup_filename, rollup_ledgers, rollup_values
from pipeline.core.files import atomic_output
from pipeline.core.records import LedgerRows, Status, Submission
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.publish.consolidated import SheetExtra
from pipeline.publish.consolidated_charts import dashboard_sheet
from pipeline.publish.consolidated_sheets import (
    changes_sheet,
    comparison_columns,
    level_columns,
    reconcile_sheet,
    remind_sheet,
)
from pipeline.publish.rollup_return import fill_rollup
from pipeline.publish.share import share_filename, write_share
from pipeline.report.draft import build_report
from pipeline.report.facts import ReportDraft

REMINDER_FILE = "催报清单.txt"


@dataclass(frozen=True)
class OutputOptions:
    level: int = 0  # cut 汇总 at this depth of the registry tree (0: the total only)
    previous: PreviousPeriod | None = None  # an earlier consolidated workbook, read
    share: bool = False  # write the 脱敏 copy
    report: bool = False  # write the report draft (.docx and .md)
    # Encrypt the internal workbooks (consolidated, feedback, 上报) with it, and open
    # password-protected returns (a subordinate office's encrypted 上报 return) with it.
    password: str | None = None


@dataclass
class Prepared:
    form: Form
    registry: Registry
    result: Consolidation
    submissions: list[Submission]
    options: OutputOptions
    today: dt.date
    checks: list[Check]
    reminders: list[Reminder]
    comparison: Comparison | None
    files: dict[str, Path] = field(default_factory=dict)  # manifest key -> path written
    changes: list[Change] = field(default_factory=list)  # 修改情况 (from the archive)

    @property
    def differences(self) -> list[Check]:
        return [c for c in self.checks if c.difference]


def prepare_outputs(
    form: Form,
    registry: Registry,
    result: Consolidation,
    submissions: list[Submission],
    options: OutputOptions,
    today: dt.date,
) -> Prepared:
    comparison = compare(result, form, options.previous) if options.previous else None
    return Prepared(
        form,
        registry,
        result,
        submissions,
        options,
        today,
        reconcile(result, form, registry, system_units(submissions)),
        reminders(form, registry, submissions, today),
        comparison,
    )


def system_units(submissions: list[Submission]) -> frozenset[str]:
    """Units whose counting return is a 上报 (全系统) return of a lower office."""
    return frozenset(s.unit_code for s in submissions if s.values.get("SCOPE") == SCOPE_SYSTEM)


def sheet_extras(prepared: Prepared) -> list[SheetExtra]:
    p = prepared
    extras: list[SheetExtra] = []
    if p.comparison:
        extras.append(comparison_columns(p.comparison))
    if p.options.level:
        columns = level_cut(p.registry, p.options.level)
        extras.append(
            level_columns(columns, cut_totals(columns, p.result, p.form), p.options.level)
        )
    extras.append(
        dashboard_sheet(
            dashboard.reporting_status(p.registry, p.submissions),
            dashboard.sanctions(p.result, p.form),
            dashboard.four_forms(p.result, p.form),
            dashboard.issues_by_source(p.result, p.form),
            dashboard.top_units(p.result, p.registry),
        )
    )
    if p.changes:
        extras.append(changes_sheet(p.changes))
    extras.append(reconcile_sheet(p.checks))
    extras.append(remind_sheet(p.reminders))
    return extras


def write_outputs(
    outdir: Path,
    prepared: Prepared,
    rollup: RollupOrder | None = None,
    rollup_written: Callable[[], bool] = lambda: False,
) -> dict[str, Path]:
    """Every output but the consolidated workbook. `rollup` and `rollup_written`: a 上报
    return started elsewhere, and a wait saying whether it was written (else it is here)."""
    p = prepared
    rollup = rollup or rollup_order(outdir, p)
    if not rollup_written():
        fill_rollup(rollup.path, p.form, p.registry, rollup.values, rollup.ledgers)
    p.files["rollup"] = rollup.path
    text = reminder_text(p.form, p.registry, p.reminders, p.today)
    with atomic_output(outdir / REMINDER_FILE) as tmp:
        tmp.write_text(text, encoding="utf-8")
    p.files["reminders"] = outdir / REMINDER_FILE
    if p.options.share:
        path = outdir / share_filename(p.form)
        p.files["share"] = write_share(path, p.form, p.registry, p.result, p.submissions)
    if p.options.report:
        # python-docx loads only when a report is asked for: 33 ms of every start-up otherwise
        # (measured with -X importtime; the one import inside a function in the package).
        from pipeline.publish.report_files import report_filename, write_docx, write_markdown

        draft = report_draft(p)
        p.files["report_docx"] = write_docx(outdir / report_filename(p.form), draft)
        p.files["report_md"] = write_markdown(outdir / report_filename(p.form, ".md"), draft)
    return p.files


@dataclass(frozen=True)
class RollupOrder:
    """Where the 上报 return goes and what it holds: enough for another process to write it
    (fill_rollup) while this one writes the consolidated workbook."""

    path: Path
    values: dict[str, object]
    ledgers: dict[str, LedgerRows]


def rollup_order(outdir: Path, p: Prepared) -> RollupOrder:
    values = rollup_values(p.form, p.registry, p.result, p.submissions, p.today)
    path = outdir / rollup_filename(p.form, p.registry)
    return RollupOrder(path, values, rollup_ledgers(p.form, p.result))


def report_draft(p: Prepared) -> ReportDraft:
    cells: dict[str, str] = {}
    for sub in p.submissions:
        for code, (sheet, cell) in sub.cells.items():
            cells.setdefault(code, f"{sheet}!{cell}")
    explanations: dict[str, list[str]] = {}
    for sub in p.submissions:
        if sub.status in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS):
            for code, text in sub.explanations.items():
                explanations.setdefault(code, []).append(f"{sub.unit_name}：{text}")
    return build_report(p.form, p.registry, p.result, cells, explanations)
