"""`make bench-archive` builds the archive it claims and measures each thing it names (on four
units: the measuring itself is what is tested, not the speed)."""

from __future__ import annotations

import pytest

from pipeline.demo.archive_bench import PERIODS, archive_bench
from tests.support.paths import FORM_PATH

pytestmark = pytest.mark.slow  # a dozen whole consolidate and history processes


def test_the_archive_bench_builds_ten_earlier_periods_and_times_each_step(tmp_path) -> None:
    lines: list[str] = []
    result = archive_bench(FORM_PATH, 4, tmp_path, echo=lines.append)
    assert (result["periods"], result["runs"]) == (PERIODS + 1, 1 + 2 * PERIODS)
    assert result["contents"] == 4 * (PERIODS + 1)  # each period's returns kept once
    assert result["sightings"] == 4 * (1 + 2 * PERIODS)
    assert result["ledger_rows"] > 0
    for key in ("verify_seconds", "history_unit_seconds", "history_period_seconds",
                "rerun_seconds", "rerun_plain_seconds"):  # fmt: skip
        assert result[key] > 0
    assert "history 一个单位" in "\n".join(lines)
