"""Collecting returns: consolidate (the main job), report (the same plus the report draft),
check (one or a few returns answered at once, nothing consolidated)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from pipeline.cli.options import (
    Definition,
    Refusal,
    archive_options,
    definition_options,
    exit_status,
    open_archive,
    out_option,
    output_options,
    password_option,
    quiet_option,
    read_password,
)
from pipeline.cli.screen import BarProgress, print_feedback_failures, print_run
from pipeline.combine.compare import CompareError, PreviousPeriod, check_comparable
from pipeline.combine.levels import max_level
from pipeline.core.catalogue import SEVERITY_LABEL
from pipeline.core.filenames import safe
from pipeline.core.records import STATUS_LABEL, Status
from pipeline.publish.outputs import OutputOptions
from pipeline.publish.readback import read_previous
from pipeline.read.inbox import entries_for
from pipeline.run.archive import Archive
from pipeline.run.archive_store import ArchiveError
from pipeline.run.checking import check_files
from pipeline.run.consolidation import run_consolidation
from pipeline.run.feedback import finish_feedback
from pipeline.run.progress import NoProgress
from pipeline.run.result import RunResult
from pipeline.run.safety import encrypt_outputs


@click.command()
@click.argument("inbox", type=click.Path(path_type=Path))
@out_option("汇总结果输出文件夹")
@quiet_option
@click.option("--no-cache", "no_cache", is_flag=True, help="不使用上次的审核结果，全部重新读取")
@definition_options
@output_options
@password_option
@archive_options
def consolidate(  # noqa: PLR0913 - click passes one parameter per option
    inbox: Path,
    out_dir: Path,
    quiet: bool,
    no_cache: bool,
    definition: Definition,
    level: int,
    compare_with: str | None,
    share: bool,
    ask_password: bool,
    archive_path: Path | None,
    no_archive: bool,
) -> None:
    """审核 INBOX 文件夹中的全部报表并汇总。

    \b
    示例：python -m pipeline consolidate inbox --out output
          python -m pipeline consolidate inbox --level 1 --compare 上期汇总.xlsx --share
    """
    choice = _Choice(level, compare_with, share, ask_password, archive_path, no_archive)
    _collect(inbox, out_dir, definition, choice, quiet, use_cache=not no_cache, report=False)


@click.command()
@click.argument("inbox", type=click.Path(path_type=Path))
@out_option("输出文件夹")
@quiet_option
@definition_options
@output_options
@password_option
@archive_options
def report(  # noqa: PLR0913 - click passes one parameter per option
    inbox: Path,
    out_dir: Path,
    quiet: bool,
    definition: Definition,
    level: int,
    compare_with: str | None,
    share: bool,
    ask_password: bool,
    archive_path: Path | None,
    no_archive: bool,
) -> None:
    """汇总 INBOX 并生成报告稿（Word 和 Markdown）：<报告期>_统计情况.docx / .md。

    先按 consolidate 重新汇总（汇总表同时更新），保证报告中的数字与汇总表一致。

    \b
    示例：python -m pipeline report inbox --out output
    """
    choice = _Choice(level, compare_with, share, ask_password, archive_path, no_archive)
    _collect(inbox, out_dir, definition, choice, quiet, use_cache=True, report=True)


@dataclass(frozen=True)
class _Choice:
    """The options consolidate and report share."""

    level: int
    compare_with: str | None
    share: bool
    ask_password: bool
    archive_path: Path | None
    no_archive: bool


def _collect(  # noqa: PLR0913 - the inbox, where to, the definition, the choices, two switches
    inbox: Path,
    out_dir: Path,
    definition: Definition,
    choice: _Choice,
    quiet: bool,
    use_cache: bool,
    report: bool,
) -> NoReturn:
    """Consolidate (and, for `report`, draft the report), then exit with the run's status."""
    password = read_password(choice.ask_password)
    with open_archive(choice.archive_path, choice.no_archive, inbox) as archive:
        previous = previous_choice(choice.compare_with, definition, archive)
        options = output_choice(definition, choice.level, previous, choice.share, password,
                                report=report)  # fmt: skip
        result = consolidate_folder(inbox, out_dir, definition, options, quiet, use_cache,
                                    archive)  # fmt: skip
    sys.exit(exit_status(not result.clean))


def output_choice(
    definition: Definition,
    level: int,
    previous: PreviousPeriod | None,
    share: bool,
    password: str | None,
    report: bool,
) -> OutputOptions:
    """The output options, checked against the definition (usage errors refuse the run)."""
    deepest = max_level(definition.registry)
    if not 0 <= level <= deepest:
        raise Refusal(f"错误：--level 应在 0 到 {deepest} 之间（单位名单共 {deepest} 级下属）")
    return OutputOptions(level, previous, share, report, password)


def previous_choice(
    compare_with: str | None, definition: Definition, archive: Archive | None
) -> PreviousPeriod | None:
    """--compare: an earlier consolidated workbook, or a period the archive holds (上期: the
    latest one that ended before this period began)."""
    if compare_with is None:
        return None
    previous: PreviousPeriod | None
    try:
        if Path(compare_with).is_file():
            previous = read_previous(Path(compare_with))
        elif archive is None:
            raise Refusal(
                f"错误：上期汇总表“{compare_with}”不存在（不使用报送档案时只能指定汇总表）"
            )
        else:
            previous = archive.previous_period(definition.form, compare_with)
            if previous is None:
                held = "、".join(p[0] for p in archive.periods(definition.form.id)) or "无"
                raise Refusal(
                    f"错误：“{compare_with}”不是汇总表文件，报送档案中也没有这一期（档案中有：{held}）"
                )
        check_comparable(previous, definition.form)
    except (CompareError, ArchiveError) as exc:  # the archive's check may end only now
        raise Refusal(f"错误：{exc}") from None
    return previous


def consolidate_folder(  # noqa: PLR0913 - the run's inputs, each independent
    inbox: Path,
    out_dir: Path,
    definition: Definition,
    options: OutputOptions,
    quiet: bool,
    use_cache: bool = True,
    archive: Archive | None = None,
) -> RunResult:
    if not inbox.is_dir():
        raise Refusal(f"错误：收件文件夹“{inbox}”不存在或不是文件夹")
    if out_dir.exists() and not out_dir.is_dir():
        raise Refusal(f"错误：输出位置“{out_dir}”不是文件夹")
    progress = NoProgress() if quiet else BarProgress()
    form, registry = definition.form, definition.registry
    try:
        result = run_consolidation(
            inbox, out_dir, form, registry, str(definition.units_path), progress, options,
            use_cache, archive,
        )  # fmt: skip
    except ArchiveError as exc:  # found by the check that ran while the inbox was read
        raise Refusal(f"错误：{exc}") from None
    print_run(result, registry)
    return result


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option("反馈表写到这个文件夹下的“反馈”子文件夹")
@quiet_option
@definition_options
@password_option
def check(
    paths: tuple[Path, ...],
    out_dir: Path,
    quiet: bool,
    definition: Definition,
    ask_password: bool,
) -> None:
    """只审核报表（文件或文件夹），列出问题并生成反馈表，不汇总。

    \b
    示例：python -m pipeline check inbox/城东水厂.xlsx
    """
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise Refusal(f"错误：找不到“{missing[0]}”")
    password = read_password(ask_password)
    progress = NoProgress() if quiet else BarProgress()
    subs, failures = check_files(
        entries_for(list(paths)), definition.form, definition.registry, progress, out_dir,
        password=password,
    )  # fmt: skip
    feedback = finish_feedback(subs, out_dir)
    encrypt_outputs(feedback, password)
    for sub in subs:
        counts = f"错误 {sub.errors} 处，警告 {sub.warnings} 处"
        click.echo(f"{safe(sub.file)}：{STATUS_LABEL[sub.status]}（{counts}）")
        for problem in sub.problems:
            where = f"{problem.sheet}!{problem.cell} " if problem.cell else ""
            click.echo(safe(f"  [{SEVERITY_LABEL[problem.severity]}] {where}{problem.message}"))
    for path in feedback:
        click.echo(f"反馈表：{safe(str(path))}")
    print_feedback_failures(failures, "上面列出")
    sys.exit(exit_status(any(s.status is Status.REJECTED for s in subs)))
