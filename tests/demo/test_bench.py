"""`make bench` on 20 returns: the JSON line has every field, and the floor is below the run.

The floor is below the run by construction, not by luck: it does a part of the run's work
(inflating the parts the reader opens, in as many processes, and writing the same workbook)
and none of the rest (start-up and imports, ~1 s, sniffing, parsing, validating, the
feedback workbooks). At N=20 that is ~0.2 s against ~1.5 s, so noise cannot swap them.
"""

from __future__ import annotations

import json

import pytest

from pipeline.demo.bench import bench
from tests.support.paths import FORM_PATH
from tests.support.programs import needs_libreoffice

FIELDS = {
    "files", "seconds", "files_per_s", "baseline_seconds", "baseline_files_timed",
    "speedup_vs_baseline", "floor_seconds", "floor_inflate_seconds", "floor_write_seconds",
    "floor_parts", "floor_bytes_share", "structures", "processes", "ratio_to_floor",
    "peak_rss_mb", "peak_memory_sum_mb", "rerun_seconds", "rerun_ratio",
    "rerun_write_seconds", "rerun_to_write", "archive_overhead",
    "archive_overhead_rerun", "statuses", "planned", "resaved_by_libreoffice",
    "libreoffice_note", "ledger_rows", "floor_parse_seconds", "startup_seconds",
}  # fmt: skip


def _bench(tmp_path, resave: bool) -> tuple[dict, list[str]]:
    lines: list[str] = []
    result = bench(FORM_PATH, 20, tmp_path, echo=lines.append, resave=resave)
    assert json.loads(lines[-1]) == result  # the last line is the JSON
    return result, lines


def test_the_bench_reports_every_field_and_an_honest_floor(tmp_path) -> None:
    result, _ = _bench(tmp_path, resave=False)
    assert set(result) == FIELDS
    assert 0 < result["floor_seconds"] < result["seconds"]
    # Parsing the sheets is more than inflating them, and a start costs something.
    assert result["floor_parse_seconds"] > result["floor_inflate_seconds"]
    assert result["startup_seconds"] > 0
    assert result["baseline_files_timed"] == 20 and result["processes"] >= 1
    parts = result["floor_parts"]
    # Only what the reader opens: some sheets, never the theme or the document properties.
    assert 0 < parts["sheet.xml"] < 21 * 20
    assert not {"theme.xml", "core.xml", "app.xml"} & set(parts)
    assert 0 < result["floor_bytes_share"] < 1
    # The returns are varied as designed, and the pipeline finds exactly what was planted.
    assert result["planned"] == {"warning": 2, "rejected": 1}
    assert result["statuses"] == {"accepted": 17, "accepted_with_warnings": 2, "rejected": 1}
    assert result["ledger_rows"]["max"] > result["ledger_rows"]["median"]
    # Memory summed over the run's processes is at least its largest process's share, and
    # the re-run costs at least its own writing.
    if result["peak_memory_sum_mb"] is not None:  # Linux: /proc gives PSS
        assert result["peak_memory_sum_mb"] > 0
    assert 0 < result["rerun_write_seconds"] < result["rerun_seconds"]


@needs_libreoffice
def test_returns_re_saved_by_libreoffice_have_their_own_structure(tmp_path) -> None:
    result, lines = _bench(tmp_path, resave=True)
    assert (result["resaved_by_libreoffice"], result["libreoffice_note"]) == (2, "")
    assert result["structures"] >= 2  # the reader parses their structure afresh
    assert result["statuses"].get("rejected") == 1
    assert 0 < result["floor_seconds"] < result["seconds"]
    assert "LibreOffice 另存 2 份" in "\n".join(lines)


def test_without_libreoffice_the_bench_says_so(tmp_path, monkeypatch) -> None:
    from pipeline.demo import bench_data

    monkeypatch.setattr(bench_data.shutil, "which", lambda name: None)
    assert bench_data._resave([tmp_path / "a.xlsx"], tmp_path / "out")[0] == 0
    assert "未找到 LibreOffice" in bench_data._resave([], tmp_path / "out")[1]


@pytest.mark.parametrize("most", [1, 3, 300])
def test_the_baseline_times_an_even_spread_of_the_files(tmp_path, most) -> None:
    from pipeline.demo.baseline import spread

    files = [tmp_path / f"{k:03}.xlsx" for k in range(10)]
    chosen = spread(files, most)
    assert len(chosen) == min(most, 10) and chosen[0] == files[0]
    assert len(set(chosen)) == len(chosen)
