"""Options shared by the commands, the exit statuses, and how a command refuses to run."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click

from pipeline.core.filenames import safe
from pipeline.form.load import load_form
from pipeline.form.model import DefinitionError, Form
from pipeline.form.period import EXAMPLES, PeriodError
from pipeline.form.registry import Registry
from pipeline.publish.encrypt import PASSWORD_ENV
from pipeline.read.registry_file import load_registry
from pipeline.run.archive import ARCHIVE_ENV, ARCHIVE_FOLDER, ARCHIVE_NAME, Archive
from pipeline.run.archive_store import ArchiveError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FORM = PROJECT_ROOT / "input_templates" / "form.yaml"
DEFAULT_UNITS = PROJECT_ROOT / "input_templates" / "units.xlsx"
EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_BUG = 0, 3, 2, 1


class Refusal(click.ClickException):
    """A usage or configuration error, said in Chinese, one line per problem: exit status 2."""

    exit_code = EXIT_USAGE

    def show(self, file: object = None) -> None:
        for line in self.message.splitlines():
            click.echo(safe(line), err=True)


def exit_status(rejected: bool) -> int:
    """0 when every file was accepted, 3 when the outputs were written but a file was not."""
    return EXIT_REJECTED if rejected else EXIT_OK


quiet_option = click.option("--quiet", "-q", is_flag=True, help="不显示进度条")


def out_option(label: str = "输出文件夹", default: Path = Path("output")):
    return click.option(
        "--out", "out_dir", type=click.Path(path_type=Path), default=default,
        show_default=True, help=label,
    )  # fmt: skip


def form_option(command):
    return click.option(
        "--form",
        "form_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_FORM,
        show_default=True,
        help="表样定义文件 (YAML)",
    )(command)


def definition_options(command):
    """--form, --units and --period; the command is given `definition`, loaded and checked
    (a usage error, in Chinese, when the definition, the registry or the period is wrong)."""

    @functools.wraps(command)
    def loaded(*args, form_path: Path, units_path: Path, period: str | None, **kwargs):
        definition = load_definition(form_path, units_path, period)
        return command(*args, definition=definition, **kwargs)

    with_form = form_option(loaded)
    with_units = click.option(
        "--units",
        "units_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_UNITS,
        show_default=True,
        help="报送单位名单（.xlsx，或 UTF-8/GBK 编码的 .csv）",
    )(with_form)
    return click.option(
        "--period",
        "period",
        default=None,
        help=f"报告期（默认为表样定义中的报告期），如 {EXAMPLES}",
    )(with_units)


def archive_options(command):
    """--archive and --no-archive, shared by consolidate, report and history."""
    command = click.option(
        "--no-archive", is_flag=True, help="本次不记入报送档案（不保存收到的报表和汇总结果）"
    )(command)
    return click.option(
        "--archive",
        "archive_path",
        type=click.Path(path_type=Path),
        default=None,
        help=f"报送档案文件（默认：当前文件夹下的 {ARCHIVE_FOLDER}/{ARCHIVE_NAME}）",
    )(command)


def default_archive() -> Path | None:
    """$PIPELINE_ARCHIVE when set (empty: no archive unless --archive is given; the test
    suite runs so), else archive/报送档案.sqlite in the current folder (the project's, for
    `make`), kept across runs and periods."""
    setting = os.environ.get(ARCHIVE_ENV)
    if setting is None:
        return Path(ARCHIVE_FOLDER) / ARCHIVE_NAME
    return Path(setting) if setting else None


@contextlib.contextmanager
def open_archive(
    archive_path: Path | None,
    no_archive: bool,
    inbox: Path | None = None,
    scope: tuple[str, str] | None = None,
    missing: Literal["create", "skip", "refuse"] = "create",
) -> Iterator[Archive | None]:
    """The archive a command uses, closed when the block ends (None with --no-archive, or
    when it does not exist yet and `missing` is "skip"); a usage error when it cannot be
    trusted or used, the file left untouched. `scope`: a reader of one period (history)."""
    path = archive_path or default_archive()
    if missing == "refuse" and (path is None or not path.exists()):
        raise Refusal(f"错误：报送档案“{path or ''}”不存在：还没有汇总过，或请用 --archive 指定")
    if no_archive or path is None or (missing == "skip" and not path.exists()):
        yield None
        return
    if inbox is not None and path.resolve().is_relative_to(inbox.resolve()):
        raise Refusal(f"错误：报送档案“{path}”不能放在收件文件夹中：请用 --archive 指定其他位置")
    try:
        # A run checks the whole archive while it reads the inbox; history one period, now.
        archive = Archive(path, scope=scope, checked_later=scope is None)
    except ArchiveError as exc:
        raise Refusal(f"错误：{exc}") from None
    try:
        yield archive
    finally:
        archive.close()


def output_options(command):
    """--level, --compare and --share, shared by consolidate and report."""
    command = click.option(
        "--share", is_flag=True, help="另存一份脱敏汇总表（文件名含“脱敏”），供对外共享"
    )(command)
    command = click.option(
        "--compare",
        "compare_with",
        default=None,
        help="与之比较的上期：上期汇总表文件（同一表样），或报送档案中的期别（如 2021年下半年，"
        "或“上期”）。汇总表增加上期、增减、增减%列",
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
        raise Refusal(f"错误：--password 需要密码：请设置环境变量 {PASSWORD_ENV}")
    again = "请再次输入密码" if confirm else False
    return click.prompt("请输入密码", hide_input=True, confirmation_prompt=again, err=True)


@dataclass(frozen=True)
class Definition:
    """The form and the registry a command works with, and the registry's file (说明 names it)."""

    form: Form
    registry: Registry
    units_path: Path


def load_definition(form_path: Path, units_path: Path, period: str | None = None) -> Definition:
    try:
        return Definition(load_form(form_path, period), load_registry(units_path), units_path)
    except PeriodError as exc:
        raise Refusal(f"错误：{exc}") from None
    except DefinitionError as exc:
        raise Refusal(f"配置错误：{exc}") from None
