"""The command group and the program's entry point (`python -m pipeline`)."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

from pipeline.cli.options import EXIT_BUG, EXIT_OK, Refusal
from pipeline.core.collector import tune_collector
from pipeline.core.filenames import safe
from pipeline.publish.xml_guard import xml_is_guarded

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

# command -> the module that defines it, loaded when the command runs: `history` and `--help`
# answer without loading pandas and the writers (~0.4 s of a start).
COMMANDS = {
    "template": "pipeline.cli.definition",
    "templates": "pipeline.cli.definition",
    "spec": "pipeline.cli.definition",
    "units": "pipeline.cli.definition",
    "consolidate": "pipeline.cli.collect",
    "report": "pipeline.cli.collect",
    "check": "pipeline.cli.collect",
    "history": "pipeline.cli.history",
    "demo": "pipeline.cli.tools",
    "bench": "pipeline.cli.tools",
}


class LazyGroup(click.Group):
    """click's documented pattern for loading subcommands on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command = getattr(importlib.import_module(module), cmd_name)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
def cli() -> None:
    """党风廉政建设统计报表：生成模板、审核报表、汇总。"""
    if not xml_is_guarded():
        raise Refusal(
            "配置错误：缺少 defusedxml 软件包，不能安全地读取工作簿。请重新安装（make test）。"
        )


def main() -> None:
    tune_collector()  # a run keeps millions of objects alive to its end (collector.py)
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
