"""Thin click CLI: parse options, call the library, print a Chinese summary, set the exit code.

Exit status: 0 every file accepted; 3 output written but a file was rejected; 2 usage or
configuration error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from pipeline.combine.compare import CompareError, check_comparable
from pipeline.combine.levels import max_level
from pipeline.core.filenames import safe
from pipeline.core.problems import SEVERITY_LABEL
from pipeline.core.records import STATUS_LABEL, Status
from pipeline.form.load import load_form
from pipeline.form.model import DefinitionError, Form
from pipeline.form.registry import Registry
from pipeline.form.spec import as_json
from pipeline.publish.encrypt import PASSWORD_ENV
from pipeline.publish.feedback.openpyxl_copy import xml_is_guarded
from pipeline.publish.outputs import OutputOptions
from pipeline.publish.readback import read_previous
from pipeline.read.inbox import entries_for
from pipeline.read.registry_file import load_registry
from pipeline.run.checking import check_files
from pipeline.run.consolidation import RunResult, run_consolidation
from pipeline.run.feedback import finish_feedback
from pipeline.run.progress import NoProgress
from pipeline.run.safety import encrypt_outputs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FORM = PROJECT_ROOT / "input_templates" / "form.yaml"
DEFAULT_UNITS = PROJECT_ROOT / "input_templates" / "units.xlsx"
EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_BUG = 0, 3, 2, 1
PROGRESS_THRESHOLD = 10  # files; fewer finish before a bar would be useful

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


quiet_option = click.option("--quiet", "-q", is_flag=True, help="不显示进度条")


def out_option(label: str = "输出文件夹", default: Path = Path("output")):
    return click.option(
        "--out", "out_dir", type=click.Path(path_type=Path), default=default,
        show_default=True, help=label,
    )  # fmt: skip


def definition_options(command):
    command = click.option(
        "--form",
        "form_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_FORM,
        show_default=True,
        help="表样定义文件 (YAML)",
    )(command)
    return click.option(
        "--units",
        "units_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_UNITS,
        show_default=True,
        help="报送单位名单（.xlsx，或 UTF-8/GBK 编码的 .csv）",
    )(command)


def output_options(command):
    """--level, --compare and --share, shared by consolidate, report and demo."""
    command = click.option(
        "--share", is_flag=True, help="另存一份脱敏汇总表（文件名含“脱敏”），供对外共享"
    )(command)
    command = click.option(
        "--compare",
        "compare_path",
        type=click.Path(path_type=Path),
        default=None,
        help="上期汇总表（同一表样），汇总表增加上期、增减、增减%列",
    )(command)
    return click.option(
        "--level",
        type=int,
        default=0,
        show_default=True,
        help="“汇总”表按第几级单位分列（0 只列合计，1 按局属各单位，2 再往下一级）",
    )(command)


def password_option(command):
    """--password, a flag: the password itself never appears on a command line (`ps` shows
    those to every user of the machine)."""
    return click.option(
        "--password",
        "ask_password",
        is_flag=True,
        help=(
            "给汇总表、反馈表和上报表加密码（Excel、WPS、LibreOffice 输入密码后打开），"
            "并用同一密码读取加了密码的上报表。密码取自环境变量 "
            f"{PASSWORD_ENV}，未设置时提示输入（输入时不显示）"
        ),
    )(command)


def read_password(asked: bool, confirm: bool = True) -> str | None:
    """The password from the environment, else typed without echo (twice when it will lock
    outputs: a typo would lock them for good)."""
    if not asked:
        return None
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        click.echo(f"错误：--password 需要密码：请设置环境变量 {PASSWORD_ENV}", err=True)
        sys.exit(EXIT_USAGE)
    prompt = {"hide_input": True, "confirmation_prompt": "请再次输入密码" if confirm else False}
    return click.prompt("请输入密码", err=True, **prompt)


def load_definition(form_path: Path, units_path: Path) -> tuple[Form, Registry]:
    try:
        return load_form(form_path), load_registry(units_path)
    except DefinitionError as exc:
        report_definition_error(exc)


def report_definition_error(exc: DefinitionError) -> NoReturn:
    """One line per problem (each made safe for the terminal), then exit 2."""
    for line in f"配置错误：{exc}".splitlines():
        click.echo(safe(line), err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings=CONTEXT_SETTINGS)
def cli() -> None:
    """党风廉政建设统计报表：生成模板、审核报表、汇总。"""
    if not xml_is_guarded():
        click.echo(
            "配置错误：缺少 defusedxml 软件包，不能安全地读取工作簿。请重新安装（make test）。",
            err=True,
        )
        sys.exit(EXIT_USAGE)


@cli.command()
@definition_options
@out_option("模板输出文件夹", default=PROJECT_ROOT / "input_templates")
def template(form_path: Path, units_path: Path, out_dir: Path) -> None:
    """生成下发给各单位的填报模板。

    \b
    示例：python -m pipeline template
    """
    from pipeline.publish.template import write_template

    form, registry = load_definition(form_path, units_path)
    path = write_template(form, registry, out_dir)
    click.echo(f"已生成模板：{safe(str(path))}")


@cli.command()
@definition_options
@click.option("--json", "as_json_flag", is_flag=True, help="以 JSON 输出（供其他程序使用）")
def spec(form_path: Path, units_path: Path, as_json_flag: bool) -> None:
    """显示表样定义（指标、台账、审核规则）和报送单位名单。

    \b
    示例：python -m pipeline spec --json
    """
    form, registry = load_definition(form_path, units_path)
    data = as_json(form, registry)
    if as_json_flag:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{form.title}（表样 {form.id} 版本 {form.version}，报告期 {form.period.label}）")
    for section in form.sections:
        click.echo(f"  {section.title}：{len(section.indicators)} 项指标")
    click.echo(
        f"  台账 {len(form.ledgers)} 个，审核规则 {len(form.rules)} 条，报送单位 {len(registry.units)} 个"
    )


@cli.command()
@click.argument("inbox", type=click.Path(path_type=Path))
@out_option("汇总结果输出文件夹")
@quiet_option
@click.option("--no-cache", "no_cache", is_flag=True, help="不使用上次的审核结果，全部重新读取")
@definition_options
@output_options
@password_option
def consolidate(
    inbox: Path,
    out_dir: Path,
    quiet: bool,
    no_cache: bool,
    form_path: Path,
    units_path: Path,
    level: int,
    compare_path: Path | None,
    share: bool,
    ask_password: bool,
) -> None:
    """审核 INBOX 文件夹中的全部报表并汇总。

    \b
    示例：python -m pipeline consolidate inbox --out output
          python -m pipeline consolidate inbox --level 1 --compare 上期汇总.xlsx --share
    """
    form, registry = load_definition(form_path, units_path)
    options = output_choice(form, registry, level, compare_path, share, report=False)
    options = dataclasses.replace(options, password=read_password(ask_password))
    result = consolidate_folder(
        inbox, out_dir, form, registry, units_path, quiet, options, use_cache=not no_cache
    )
    sys.exit(EXIT_OK if result.clean else EXIT_REJECTED)


@cli.command()
@click.argument("inbox", type=click.Path(path_type=Path))
@out_option("输出文件夹")
@quiet_option
@definition_options
@output_options
@password_option
def report(
    inbox: Path,
    out_dir: Path,
    quiet: bool,
    form_path: Path,
    units_path: Path,
    level: int,
    compare_path: Path | None,
    share: bool,
    ask_password: bool,
) -> None:
    """汇总 INBOX 并生成报告稿（Word 和 Markdown）：<报告期>_统计情况.docx / .md。

    先按 consolidate 重新汇总（汇总表同时更新），保证报告中的数字与汇总表一致。

    \b
    示例：python -m pipeline report inbox --out output
    """
    form, registry = load_definition(form_path, units_path)
    options = output_choice(form, registry, level, compare_path, share, report=True)
    options = dataclasses.replace(options, password=read_password(ask_password))
    result = consolidate_folder(inbox, out_dir, form, registry, units_path, quiet, options)
    sys.exit(EXIT_OK if result.clean else EXIT_REJECTED)


def output_choice(
    form: Form, registry: Registry, level: int, compare_path: Path | None, share: bool, report: bool
) -> OutputOptions:
    """Check the output options against the definition; usage errors exit 2."""
    deepest = max_level(registry)
    if not 0 <= level <= deepest:
        click.echo(
            f"错误：--level 应在 0 到 {deepest} 之间（单位名单共 {deepest} 级下属）", err=True
        )
        sys.exit(EXIT_USAGE)
    previous = None
    if compare_path is not None:
        if not compare_path.is_file():
            click.echo(f"错误：上期汇总表“{safe(str(compare_path))}”不存在", err=True)
            sys.exit(EXIT_USAGE)
        try:
            previous = read_previous(compare_path)
            check_comparable(previous, form)
        except CompareError as exc:
            click.echo(safe(f"错误：{exc}"), err=True)
            sys.exit(EXIT_USAGE)
    return OutputOptions(level=level, previous=previous, share=share, report=report)


def consolidate_folder(
    inbox: Path,
    out_dir: Path,
    form: Form,
    registry: Registry,
    units_path: Path,
    quiet: bool,
    options: OutputOptions | None = None,
    use_cache: bool = True,
) -> RunResult:
    if not inbox.is_dir():
        click.echo(f"错误：收件文件夹“{safe(str(inbox))}”不存在或不是文件夹", err=True)
        sys.exit(EXIT_USAGE)
    if out_dir.exists() and not out_dir.is_dir():
        click.echo(f"错误：输出位置“{safe(str(out_dir))}”不是文件夹", err=True)
        sys.exit(EXIT_USAGE)

    progress = NoProgress() if quiet else BarProgress()
    result = run_consolidation(
        inbox, out_dir, form, registry, str(units_path), progress, options, use_cache
    )
    for notice in result.notices:
        click.echo(safe(f"注意：{notice}"), err=True)
    print_summary(result, registry)
    print_outputs(result)
    return result


class BarProgress:
    """A progress bar on stderr, only when there are enough files for it to matter."""

    def __init__(self) -> None:
        self.bar = None

    def start(self, total: int, label: str = "读取报表") -> None:
        if total >= PROGRESS_THRESHOLD:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()

    def advance(self, entry=None) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


OUTPUT_LABELS = {
    "rollup": "上报表（供上级汇总）",
    "reminders": "催报清单",
    "share": "脱敏汇总表（可对外共享）",
    "report_docx": "报告稿（Word）",
    "report_md": "报告稿（Markdown）",
}


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


LISTED_FILES = 20  # on screen; the workbook's 报送情况 lists every file


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
        names = [registry.by_code(c).name for c in result.missing]  # type: ignore[union-attr]
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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option("反馈表写到这个文件夹下的“反馈”子文件夹")
@quiet_option
@definition_options
@password_option
def check(
    paths: tuple[Path, ...],
    out_dir: Path,
    quiet: bool,
    form_path: Path,
    units_path: Path,
    ask_password: bool,
) -> None:
    """只审核报表（文件或文件夹），列出问题并生成反馈表，不汇总。

    \b
    示例：python -m pipeline check inbox/城东水厂.xlsx
    """
    form, registry = load_definition(form_path, units_path)
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        click.echo(f"错误：找不到“{safe(str(missing[0]))}”", err=True)
        sys.exit(EXIT_USAGE)
    password = read_password(ask_password)
    progress = NoProgress() if quiet else BarProgress()
    entries = entries_for(list(paths))
    subs, failures = check_files(entries, form, registry, progress, out_dir, password=password)
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
    sys.exit(EXIT_REJECTED if any(s.status is Status.REJECTED for s in subs) else EXIT_OK)


@cli.command()
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
def demo(inbox: Path, out_dir: Path, quiet: bool, form_path: Path, units_path: Path) -> None:
    """生成一组示例报表（含典型错误和一个未报单位）并汇总，演示全部输出。

    \b
    示例：python -m pipeline demo
    """
    from pipeline.demo.inbox import make_demo_inbox

    form, registry = load_definition(form_path, units_path)
    expected = make_demo_inbox(form, registry, inbox)
    click.echo(f"已生成 {len(expected)} 个示例文件：{safe(str(inbox))}")
    # The demo shows every output: the 脱敏 copy and the report draft included.
    options = OutputOptions(share=True, report=True)
    result = consolidate_folder(inbox, out_dir, form, registry, units_path, quiet, options)
    # The demo contains deliberate mistakes: it succeeds when each file got the status
    # it was designed to get (the rejections that make `consolidate` exit 3 included).
    actual = {s.file: s.status for s in result.submissions}
    if actual != expected:
        for name in sorted(set(actual) | set(expected)):
            if actual.get(name) != expected.get(name):
                click.echo(
                    safe(
                        f"演示结果与设计不符：{name} 应为 {expected.get(name)}，实际 {actual.get(name)}"
                    ),
                    err=True,
                )
        sys.exit(EXIT_REJECTED)
    click.echo("演示完成：以上退回和警告均为示例中故意设置的典型错误。")


@cli.command()
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    required=True,
    help="现有的单位名单（.csv 或 .xlsx）",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_UNITS,
    show_default=True,
    help="生成的单位名单工作簿（.xlsx）",
)
def units(source: Path, out_path: Path) -> None:
    """由现有单位名单（如 CSV）生成可在 Excel/WPS 中编辑的单位名单工作簿。

    工作簿含表头、上级单位编码下拉列表和填写说明；名单有错误时不生成。

    \b
    示例：python -m pipeline units --from 单位名单.csv
    """
    from pipeline.publish.registry_book import write_registry_book

    if out_path.suffix.lower() != ".xlsx":
        click.echo(f"错误：--out 应是 .xlsx 文件，而不是“{safe(out_path.name)}”", err=True)
        sys.exit(EXIT_USAGE)
    try:
        registry = load_registry(source)
    except DefinitionError as exc:
        report_definition_error(exc)
    path = write_registry_book(registry, out_path)
    click.echo(f"已生成单位名单：{safe(str(path))}（{len(registry.units)} 个单位）")
    click.echo("修改名单后请运行 make template 重新生成填报模板。")


@cli.command()
@click.option("--n", "n", type=int, default=1000, show_default=True, help="生成的报表份数")
@click.option(
    "--keep",
    "keep",
    type=click.Path(path_type=Path),
    default=None,
    help="把生成的报表和结果保留在这个文件夹（默认用完即删）",
)
@click.option(
    "--form",
    "form_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_FORM,
    show_default=True,
    help="表样定义文件 (YAML)",
)
def bench(n: int, keep: Path | None, form_path: Path) -> None:
    """性能测试：生成 N 份报表，比较本程序、朴素做法和理论下限的用时。

    \b
    示例：python -m pipeline bench --n 1000
    """
    from pipeline.demo.bench import bench as run_bench

    try:
        run_bench(form_path, n, keep, echo=click.echo)
    except DefinitionError as exc:
        click.echo(safe(f"配置错误：{exc}"), err=True)
        sys.exit(EXIT_USAGE)


def main() -> None:
    # A run keeps millions of small objects alive to its end (results, then the workbook's
    # cells): with the default thresholds the cycle collector rescans them again and again,
    # a quarter of the writing time. Collections still happen, 140x less often.
    gc.set_threshold(100_000, 50, 100)
    try:
        cli(prog_name="python -m pipeline")
        code = EXIT_OK
    except SystemExit as exc:  # click ends every command this way
        if exc.code is not None and not isinstance(exc.code, int):
            raise
        code = exc.code or EXIT_OK
    except Exception as exc:  # a bug: say so plainly; the traceback only on request
        click.echo(safe(f"程序内部错误：{type(exc).__name__}: {exc}。请联系技术支持。"), err=True)
        if os.environ.get("PIPELINE_DEBUG"):
            raise
        code = EXIT_BUG
    # Every output is written and closed by now; ending here skips freeing a large run's
    # objects one by one at interpreter exit (~0.2 s after 1,000 returns).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (… | head)
            stream.flush()
    os._exit(code)
