"""What a run prints: a progress bar on stderr, the summary of every file, the outputs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from pipeline.core.filenames import safe
from pipeline.core.records import Status
from pipeline.form.registry import Registry
from pipeline.run.result import RunResult

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns

PROGRESS_THRESHOLD = 10  # files; fewer finish before a bar would be useful
LISTED_FILES = 20  # on screen; the workbook's 报送情况 lists every file
OUTPUT_LABELS = {
    "rollup": "上报表（供上级汇总）",
    "reminders": "催报清单",
    "share": "脱敏汇总表（可对外共享）",
    "report_docx": "报告稿（Word）",
    "report_md": "报告稿（Markdown）",
}


class BarProgress:
    """A progress bar on stderr, only when there are enough files for it to matter."""

    def __init__(self) -> None:
        self.bar: ProgressBar[int] | None = None

    def start(self, total: int, label: str = "读取报表") -> None:
        if total >= PROGRESS_THRESHOLD:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()

    def advance(self, entry: object = None) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def print_run(result: RunResult, registry: Registry) -> None:
    for notice in result.notices:
        click.echo(safe(f"注意：{notice}"), err=True)
    print_summary(result, registry)
    print_outputs(result)


def print_outputs(result: RunResult) -> None:
    prepared = result.prepared
    if prepared is None:
        return
    if prepared.differences:
        click.echo(f"节点检查发现 {len(prepared.differences)} 处不一致，见汇总表“核对”工作表")
    if prepared.comparison:
        flagged = len(prepared.comparison.flagged)
        click.echo(
            f"与上期相比变化超过 ±{prepared.comparison.threshold:.0%} 的指标 {flagged} 项，"
            "需说明原因（见“汇总”表“说明要求”列）"
        )
    click.echo(f"需催报或核实的单位 {len(prepared.reminders)} 个（见“催报”工作表）")
    for key, path in result.outputs.items():
        click.echo(f"{OUTPUT_LABELS.get(key, key)}：{safe(str(path))}")


def print_summary(result: RunResult, registry: Registry) -> None:
    subs = result.submissions
    count = {status: sum(1 for s in subs if s.status is status) for status in Status}
    click.echo(
        f"共 {len(subs)} 个文件：接收 {count[Status.ACCEPTED] + count[Status.ACCEPTED_WITH_WARNINGS]} 个"
        f"（其中有警告 {count[Status.ACCEPTED_WITH_WARNINGS]} 个），退回 {count[Status.REJECTED]} 个，"
        f"被新版本替代 {count[Status.SUPERSEDED]} 个，忽略 {count[Status.IGNORED]} 个。"
    )
    listed = [
        safe(f"  {label}  {sub.file}：{sub.reason}")
        for status, label in ((Status.REJECTED, "退回"), (Status.IGNORED, "忽略"))
        for sub in subs
        if sub.status is status
    ]
    for line in listed[:LISTED_FILES]:
        click.echo(line)
    if len(listed) > LISTED_FILES:
        click.echo(f"  ……另有 {len(listed) - LISTED_FILES} 个文件，见汇总表“报送情况”工作表")
    if result.missing:
        names = [unit.name for code in result.missing if (unit := registry.by_code(code))]
        more = f"等 {len(names)} 个" if len(names) > LISTED_FILES else ""
        click.echo(f"未收到有效报表的单位 {len(names)} 个：{'、'.join(names[:LISTED_FILES])}{more}")
    click.echo(f"汇总表：{safe(str(result.workbook))}")
    click.echo(f"文件清单：{safe(str(result.manifest))}")
    if result.feedback:
        click.echo(f"反馈表 {len(result.feedback)} 份：{safe(str(result.feedback[0].parent))}")
    print_feedback_failures(result.feedback_failures, "汇总表“审核问题”工作表中")


def print_feedback_failures(failures: dict[str, str], where: str) -> None:
    for name, reason in failures.items():
        click.echo(safe(f"  未能生成反馈表：{name}（{reason}），请按{where}的问题告知该单位"))
