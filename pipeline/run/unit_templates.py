"""Each registered unit's own template (`python -m pipeline templates`): its code and name
preset, its contact prefilled, and, where the archive holds the return that counted for it
in the previous period of the same kind, last period's figures beside this period's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.form.model import Form
from pipeline.form.period import previous_period
from pipeline.form.registry import Registry
from pipeline.publish.template import write_template
from pipeline.publish.template_unit import UnitCopy
from pipeline.run.archive import Archive, spec_json
from pipeline.run.progress import NoProgress, Progress

DISTRIBUTION_FOLDER = "分发"  # under input_templates/: the files the clerk sends out


@dataclass(frozen=True)
class UnitTemplates:
    paths: list[Path]
    previous_period: str  # the period whose figures were looked for
    with_previous: int  # files that show them
    redefined: list[str]  # indicators left out: their 口径 changed since that period


def write_unit_templates(
    form: Form,
    registry: Registry,
    folder: Path,
    archive: Archive | None = None,
    progress: Progress | None = None,
) -> UnitTemplates:
    """One template per unit of the registry into `folder`, an existing file of the same
    name replaced whole (each is written aside and moved into place)."""
    progress = progress or NoProgress()
    before = previous_period(form.period).label
    figures, redefined = previous_figures(archive, form, before) if archive else ({}, [])
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    progress.start(len(registry.units), "生成各单位模板")
    for unit in registry.units:
        previous = figures.get(unit.code)
        copy = UnitCopy(unit, before if previous else "", previous or {})
        paths.append(write_template(form, registry, folder, copy))
        progress.advance()
    progress.finish()
    with_previous = sum(1 for u in registry.units if u.code in figures)
    return UnitTemplates(paths, before, with_previous, redefined)


def previous_figures(
    archive: Archive, form: Form, period: str
) -> tuple[dict[str, dict[str, object]], list[str]]:
    """unit -> code -> the figure of the return that counted for it in `period` (the latest
    run of that period), with the indicators whose 口径 (name, unit of measure, aggregation,
    type) changed since then left out, and those indicators."""
    runs = {name: run_id for name, _start, _end, run_id in archive.periods(form.id)}
    if period not in runs:
        return {}, []
    _version, then, _totals = archive.run_summary(runs[period])
    now = json.loads(spec_json(form.indicators))
    same = {code for code, item in now.items() if then.get(code) == item}
    redefined = sorted(code for code in now if code in then and code not in same)
    figures = {}
    for unit, (sha256, _name) in archive.counted(form.id, period).items():
        values = archive.submission(sha256).values
        figures[unit] = {code: value for code, value in values.items() if code in same}
    return figures, redefined
