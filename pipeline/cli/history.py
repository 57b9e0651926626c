"""history: each submission of a unit (or every unit) for a period, from the archive."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.options import (
    Definition,
    Refusal,
    definition_options,
    open_archive,
)
from pipeline.combine.changes import NEW_PROBLEM, REQUESTED, UNASKED
from pipeline.core.filenames import safe
from pipeline.core.records import STATUS_LABEL, Status
from pipeline.form.registry import Registry
from pipeline.run.archive import ARCHIVE_FOLDER, ARCHIVE_NAME
from pipeline.run.history import Submitted
from pipeline.run.history import history as unit_history


@click.command()
@click.argument("unit", required=False)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供其他程序使用）")
@click.option(
    "--archive",
    "archive_path",
    type=click.Path(path_type=Path),
    default=None,
    help=f"报送档案文件（默认：当前文件夹下的 {ARCHIVE_FOLDER}/{ARCHIVE_NAME}）",
)
@definition_options
def history(
    unit: str | None,
    as_json: bool,
    archive_path: Path | None,
    definition: Definition,
) -> None:
    """列出报送档案中某个单位（不写则全部单位）本期每一次报送：时间、文件、审核结果、修改了什么。

    \b
    示例：python -m pipeline history LJ102
          python -m pipeline history --period 2021年下半年 --json
    """
    registry = definition.registry
    if unit is not None and registry.by_code(unit) is None:
        found = registry.by_name(unit)
        if found is None:
            raise Refusal(f"错误：单位“{unit}”不在报送单位名单中（请写单位编码或名称）")
        unit = found.code
    label = definition.form.period.label
    scope = (definition.form.id, label)
    with open_archive(archive_path, False, scope=scope, missing="refuse") as archive:
        assert archive is not None  # refused otherwise
        found_history = unit_history(archive, definition.form, label, unit)
    if as_json:
        click.echo(json.dumps(_as_json(label, found_history), ensure_ascii=False, indent=2))
        return
    _print(label, found_history, registry)


def _print(period: str, found: dict[str, list[Submitted]], registry: Registry) -> None:
    if not found:
        click.echo(f"报送档案中没有{period}的报送记录。")
        return
    click.echo(f"{period}报送记录（共 {len(found)} 个单位）：")
    order = {u.code: n for n, (u, _) in enumerate(registry.tree_order())}
    for code in sorted(found, key=lambda c: order.get(c, len(order))):
        unit = registry.by_code(code)
        click.echo(safe(f"{code} {unit.name if unit else ''}"))
        for item in found[code]:
            status = STATUS_LABEL.get(Status(item.status), item.status)
            counted = "，计入汇总" if item.counted else ""
            click.echo(safe(
                f"  第 {item.ordinal} 次  {item.received}  {item.file}  {status}{counted}"
                f"（错误 {item.errors} 处，警告 {item.warnings} 处）"
            ))  # fmt: skip
            if item.changes:
                click.echo(f"    与上次相比：{_summary(item)}")


def _summary(item: Submitted) -> str:
    kinds = [c.kind for c in item.changes]
    parts = [f"{kind} {kinds.count(kind)} 处" for kind in (REQUESTED, UNASKED, NEW_PROBLEM)
             if kinds.count(kind)]  # fmt: skip
    return f"修改 {len(kinds)} 处（{'，'.join(parts)}）"


def _as_json(period: str, found: dict[str, list[Submitted]]) -> dict:
    return {
        "period": period,
        "units": {
            code: [
                {"ordinal": s.ordinal, "received": s.received, "file": s.file, "sha256": s.sha256,
                 "status": s.status, "counted": s.counted, "errors": s.errors,
                 "warnings": s.warnings, "reason": s.reason,
                 "changes": [{"sheet": c.sheet, "cell": c.cell, "code": c.code, "name": c.name,
                              "old": c.old, "new": c.new, "kind": c.kind} for c in s.changes]}
                for s in submissions
            ]
            for code, submissions in found.items()
        },
    }  # fmt: skip
