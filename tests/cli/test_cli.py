"""The command line: help, spec, exit statuses, and no traceback for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.cli.main import COMMANDS
from tests.support.paths import ROOT


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "示例" in result.output


def test_the_group_lists_every_command_and_loads_only_the_one_run() -> None:
    listing = CliRunner().invoke(cli, ["--help"])
    assert all(name in listing.output for name in COMMANDS)
    code = ("import sys; from click.testing import CliRunner; from pipeline.cli import cli; "
            "CliRunner().invoke(cli, ['history', '--help']); "
            "print(sorted(m for m in ('pandas', 'xlsxwriter', 'pipeline.cli.collect') "
            "if m in sys.modules))")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.stdout.strip() == "[]", run.stderr


def test_spec_json_carries_the_contract_keys(form) -> None:
    result = CliRunner().invoke(cli, ["spec", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert len(data["indicators"]) == len(form.indicators)
    for indicator in data["indicators"]:
        assert {"code", "label", "unit", "type", "aggregation"} <= set(indicator)
    assert data["form"]["id"] == form.id and data["registry"]


def test_missing_inbox_is_a_usage_error_in_chinese(tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["consolidate", str(tmp_path / "nope"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "不存在" in result.output


def test_broken_definition_is_a_configuration_error(tmp_path) -> None:
    bad = tmp_path / "form.yaml"
    bad.write_text("form: {id: x}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["consolidate", str(tmp_path), "--form", str(bad)])
    assert result.exit_code == 2
    assert "配置错误" in result.output and "Traceback" not in result.output


def test_empty_inbox_writes_outputs_and_lists_missing_units(tmp_path, registry) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"] == [] and len(manifest["missing_units"]) == len(registry.units)
    assert f"未收到有效报表的单位 {len(registry.units)} 个" in result.output


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("空文件.xlsx", b"", "rejected"),
        ("截断.xlsx", b"PK\x03\x04\x14\x00\x00\x00", "rejected"),
        ("其实是网页.xlsx", b"<html><body>error</body></html>", "rejected"),
        ("旧格式.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "rejected"),
        ("照片.jpg", b"\xff\xd8\xff", "rejected"),
        ("系统文件", b"x", "rejected"),
    ],
)
def test_bad_files_are_reported_not_raised(
    tmp_path, name: str, content: bytes, status: str
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / name).write_bytes(content)
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(tmp_path / "out")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == (3 if status == "rejected" else 0)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [(f["name"], f["status"]) for f in manifest["files"]] == [(name, status)]
    assert manifest["files"][0]["reason"]


def test_file_names_are_escaped_for_the_terminal(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "坏\x1b[31m名.xlsx").write_bytes(b"")
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(tmp_path / "out")])
    assert "\x1b" not in result.output and "\\u001b" in result.output


def test_long_lists_are_cut_on_screen_but_complete_in_the_manifest(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for k in range(25):
        (inbox / f"通知{k:02d}.pdf").write_bytes(b"%PDF-1.4 notice " + bytes([65 + k]))
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  退回  ")]
    assert len(lines) == 20 and "通知19.pdf" in lines[-1]
    assert "……另有 5 个文件" in result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert sum(f["status"] == "rejected" for f in manifest["files"]) == 25
