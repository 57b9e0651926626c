"""The demo (a generated inbox with deliberate mistakes, consolidated) and the benchmark."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline.cli.collect import consolidate_folder
from pipeline.cli.options import (
    EXIT_REJECTED,
    Definition,
    Refusal,
    definition_options,
    form_option,
    open_archive,
    out_option,
    quiet_option,
)
from pipeline.core.filenames import safe
from pipeline.demo.archive_bench import archive_bench
from pipeline.demo.bench import bench as run_bench
from pipeline.demo.inbox import make_demo_inbox
from pipeline.form.model import DefinitionError
from pipeline.publish.outputs import OutputOptions


@click.command()
@click.option(
    "--inbox",
    "inbox",
    type=click.Path(path_type=Path),
    default=Path("demo_inbox"),
    show_default=True,
    help="示例报表生成到这个文件夹（会先清空）",
)
@out_option()
@quiet_option
@definition_options
def demo(inbox: Path, out_dir: Path, quiet: bool, definition: Definition) -> None:
    """生成一组示例报表（含典型错误和一个未报单位）并汇总，演示全部输出。

    \b
    示例：python -m pipeline demo
    """
    expected = make_demo_inbox(definition.form, definition.registry, inbox)
    click.echo(f"已生成 {len(expected)} 个示例文件：{safe(str(inbox))}")
    # The demo shows every output: the 脱敏 copy and the report draft included.
    options = OutputOptions(share=True, report=True)
    with open_archive(None, False, inbox) as archive:
        result = consolidate_folder(inbox, out_dir, definition, options, quiet, True, archive)
    # The demo contains deliberate mistakes: it succeeds when each file got the status
    # it was designed to get (the rejections that make `consolidate` exit 3 included).
    actual = {s.file: s.status for s in result.submissions}
    if actual != expected:
        for name in sorted(set(actual) | set(expected)):
            if actual.get(name) != expected.get(name):
                wrong = (
                    f"演示结果与设计不符：{name} 应为 {expected.get(name)}，实际 {actual.get(name)}"
                )
                click.echo(safe(wrong), err=True)
        sys.exit(EXIT_REJECTED)
    click.echo("演示完成：以上退回和警告均为示例中故意设置的典型错误。")


@click.command()
@click.option("--n", "n", type=int, default=1000, show_default=True, help="生成的报表份数")
@click.option(
    "--keep",
    "keep",
    type=click.Path(path_type=Path),
    default=None,
    help="把生成的报表和结果保留在这个文件夹（默认用完即删）",
)
@click.option(
    "--archive", "archive", is_flag=True,
    help="改为测试报送档案：10 期 × N 个单位的档案上，核验、history 和重新汇总的用时",
)  # fmt: skip
@form_option
def bench(n: int, keep: Path | None, archive: bool, form_path: Path) -> None:
    """性能测试：生成 N 份报表，比较本程序、朴素做法和理论下限的用时。

    \b
    示例：python -m pipeline bench --n 1000
          python -m pipeline bench --archive --n 1000
    """
    try:
        if archive:
            archive_bench(form_path, n, keep, echo=click.echo)
        else:
            run_bench(form_path, n, keep, echo=click.echo)
    except DefinitionError as exc:
        raise Refusal(f"配置错误：{exc}") from None
