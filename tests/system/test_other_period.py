"""Collecting another period (issue 12): the demo made for 2026年第三季度 consolidates as the
default one does, and its returns, consolidated for the default period, are refused with both
periods named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import FORM_PATH, ROOT, UNITS_PATH

pytestmark = pytest.mark.slow  # two whole runs over the demo inbox

PERIOD = "2026年第三季度"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipeline", *args, "--form", str(FORM_PATH),
               "--units", str(UNITS_PATH)]  # fmt: skip
    env = {"PYTHONPATH": str(ROOT), "PIPELINE_ARCHIVE": "", "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=600,
                          env=env)  # fmt: skip


def test_the_demo_for_another_period_runs_as_designed_and_refuses_the_default(tmp_path) -> None:
    demo = cli("demo", "--period", PERIOD, "--inbox", "in", "--out", "out", "-q", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr  # each file got the status it was designed for
    assert (tmp_path / "out" / f"{PERIOD}_党风廉政建设和监督责任落实情况统计表_汇总.xlsx").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert PERIOD in json.dumps(manifest, ensure_ascii=False)
    default = cli("check", "in", "--out", "out-default", "-q", cwd=tmp_path)
    assert default.returncode == 3
    assert f"“{PERIOD}”，本次汇总为“2022年上半年”" in default.stdout + default.stderr
