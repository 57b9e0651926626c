"""`make bench`: our consolidation against a naive baseline and a floor, in one run, on the
same generated returns (bench_data.py: varied as a real inbox is).

(a) ours: `python -m pipeline consolidate` as a whole process (wall time, peak RSS of its
    largest process as wait4 reports it, and its own stage timings);
(b) baseline (baseline.py): the obvious pandas program, reading only the sheets it uses;
    timed on a spread of at most 300 files and scaled;
(c) floor (floor.py): inflating exactly the parts our reader opens, in as many processes as
    the run's workers, plus writing the same consolidated workbook with the CLI's settings
    (a fresh process, best of two): a lower bound for (a).
For the record, beside the floor: the same inflating with every sheet also parsed by lxml as
the reader parses it (no cell looked at), and a process that only starts and imports what
`consolidate` imports: what of the gap between (a) and (c) a reader built on lxml, and any
run, cannot avoid.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pipeline.demo.baseline import run_baseline
from pipeline.demo.bench_data import BenchData, generate
from pipeline.demo.memory import TreeMemory
from pipeline.demo.sample import sample_return
from pipeline.form.load import load_form
from pipeline.form.model import Form
from pipeline.publish.rollup_return import FastFiller
from pipeline.publish.template import template_filename
from pipeline.read.registry_file import load_registry
from pipeline.run.manifest import MANIFEST_NAME

# Measure


def run_ours(form_path: Path, data: BenchData, out: Path, archive: Path | None = None) -> dict:
    """One `consolidate` process, with the archive at `archive` (None: --no-archive)."""
    timings = out.parent / "timings.json"
    env = dict(os.environ, PIPELINE_TIMINGS=str(timings))
    keep = ["--archive", str(archive)] if archive else ["--no-archive"]
    command = [sys.executable, "-m", "pipeline", "consolidate", str(data.inbox), "--out", str(out),
               "--quiet", "--units", str(data.units), "--form", str(form_path), *keep]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    memory = TreeMemory(process.pid)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    summed = memory.stop()
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise RuntimeError(
            process.stderr.read().decode() if process.stderr else "consolidate failed"
        )
    stages = json.loads(timings.read_text(encoding="utf-8"))
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "stages": stages,
            "peak_memory_sum_mb": summed}  # fmt: skip


def resubmit(form: Form, data: BenchData) -> None:
    """One unit sends a corrected return: same file name, different content."""
    first = sorted(data.inbox.iterdir())[1]
    registry = load_registry(data.units)
    unit = next(u for u in registry.units if first.name.startswith(u.code + "_"))
    template = data.inbox.parent / template_filename(form)  # units.xlsx lies beside it
    sample = sample_return(form, registry, unit, seed=424242, max_rows=4)
    FastFiller(template, form).write(first, sample.values, sample.ledgers)


def run_floor(form_path: Path, data: BenchData, out: Path) -> dict:
    """The floor (floor.py), alone in a fresh process: from the results `out`'s run cached."""
    command = [sys.executable, "-m", "pipeline.demo.floor", str(form_path), str(data.units),
               str(data.inbox), str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def run_startup() -> float:
    """Seconds for a process that starts and imports what `consolidate` imports, and no more
    (`consolidate --help`: the definition is not loaded); the best of two."""
    command = [sys.executable, "-m", "pipeline", "consolidate", "--help"]
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def statuses(out: Path) -> dict[str, int]:
    """How many returns the run accepted, accepted with warnings and rejected."""
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    return dict(Counter(entry["status"] for entry in manifest["files"]))


def bench(form_path: Path, n: int, folder: Path | None = None, echo=print,
          resave: bool = True) -> dict:  # fmt: skip
    form = load_form(form_path)
    work = Path(tempfile.mkdtemp(prefix="bench-")) if folder is None else folder
    try:
        started = time.perf_counter()
        data = generate(form, work / "data", n, resave=resave)
        echo(f"生成 {n} 份报表用时 {time.perf_counter() - started:.1f} 秒（不计入比较）")
        archive = work / "archive" / "报送档案.sqlite"
        plain = run_ours(form_path, data, work / "out-plain")  # without the archive
        ours = run_ours(form_path, data, work / "out", archive)
        ours["statuses"] = statuses(work / "out")
        resubmit(form, data)  # the clerk re-runs after one unit resubmits
        again = run_ours(form_path, data, work / "out", archive)
        again_plain = run_ours(form_path, data, work / "out-plain")
        baseline_seconds, baseline_files = run_baseline(data.inbox, form, work / "baseline.xlsx")
        floor = run_floor(form_path, data, work / "out-plain")
        floor["startup_seconds"] = run_startup()
    finally:
        if folder is None:
            shutil.rmtree(work, ignore_errors=True)
    result = _result(data, ours, plain, again, again_plain, baseline_seconds, baseline_files,
                     floor)  # fmt: skip
    _table(result, ours["stages"], floor, echo)
    return result


def _result(data: BenchData, ours: dict, plain: dict, again: dict, again_plain: dict,  # noqa: PLR0913 - the bench's measurements, gathered once
            baseline_seconds: float, baseline_files: int, floor: dict) -> dict:  # fmt: skip
    n, seconds = data.files, ours["seconds"]
    scaled = baseline_seconds * n / baseline_files
    floor_seconds = floor["inflate_seconds"] + floor["write_seconds"]
    rows = sorted(data.ledger_rows)
    return {
        "files": n,
        "seconds": round(seconds, 3),
        "files_per_s": round(n / seconds, 1),
        "baseline_seconds": round(scaled, 3),
        "baseline_files_timed": baseline_files,
        "speedup_vs_baseline": round(scaled / seconds, 2),
        "floor_seconds": round(floor_seconds, 3),
        "floor_inflate_seconds": round(floor["inflate_seconds"], 3),
        "floor_write_seconds": round(floor["write_seconds"], 3),
        "floor_parts": floor["parts"],
        "floor_bytes_share": round(floor["bytes_share"], 3),
        "structures": floor["structures"],
        "processes": floor["processes"],
        "ratio_to_floor": round(seconds / floor_seconds, 2),
        # for the record, not the floor: the floor's inflating with the sheets also parsed by
        # lxml (floor.py), and what a process pays to start (run_startup)
        "floor_parse_seconds": round(floor["parse_seconds"], 3),
        "startup_seconds": round(floor["startup_seconds"], 3),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        # PSS summed over the run's processes, sampled every 0.1 s (None: no /proc to ask)
        "peak_memory_sum_mb": _rounded(ours["peak_memory_sum_mb"]),
        "rerun_seconds": round(again["seconds"], 3),
        "rerun_ratio": round(again["seconds"] / seconds, 3),
        # the re-run against its own writing of every output (workbook, other outputs, the
        # resubmitted unit's feedback, manifest, archive): what it costs besides
        "rerun_write_seconds": round(again["stages"]["write_seconds"], 3),
        "rerun_to_write": round(again["seconds"] / again["stages"]["write_seconds"], 2),
        "archive_overhead": round(seconds / plain["seconds"] - 1, 3),
        "archive_overhead_rerun": round(again["seconds"] / again_plain["seconds"] - 1, 3),
        "statuses": ours["statuses"],
        "planned": data.planned,
        "resaved_by_libreoffice": data.resaved,
        "libreoffice_note": data.libreoffice,
        "ledger_rows": {
            "median": statistics.median(rows),
            "p90": rows[len(rows) * 9 // 10],
            "max": rows[-1],
        },  # fmt: skip
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _table(result: dict, stages: dict, floor: dict, echo) -> None:
    n, timed = result["files"], result["baseline_files_timed"]
    echo("")
    echo(f"{'方式':<34}{'文件数':>8}{'秒':>10}{'文件/秒':>10}{'峰值内存MB':>12}")
    echo(
        f"{'(a) 本程序（完整进程）':<30}{n:>8}{result['seconds']:>10.2f}{result['files_per_s']:>10.1f}{result['peak_rss_mb']:>12.0f}"
    )
    note = "" if timed == n else f"（实测均匀抽取的 {timed} 份，按比例推算）"
    echo(
        f"{'(b) 朴素做法 pandas+openpyxl':<30}{n:>8}{result['baseline_seconds']:>10.2f}{n / result['baseline_seconds']:>10.1f}{'':>12}{note}"
    )
    echo(
        f"{'(c) 下限：解压读取的部件 + 写出汇总表':<26}{n:>8}{result['floor_seconds']:>10.2f}{n / result['floor_seconds']:>10.1f}"
    )
    echo(
        f"    其中 {result['processes']} 个进程解压 {result['floor_inflate_seconds']:.2f} 秒"
        f"（本程序读取的部件，占全部 XML 字节的 {result['floor_bytes_share']:.0%}；"
        f"{result['structures']} 种结构），写出汇总表 {result['floor_write_seconds']:.2f} 秒"
    )
    echo("    本程序不读、下限也不解压的部件（第一份报表）：" + "、".join(floor["skipped"]))
    parsed = (
        result["floor_parse_seconds"] + result["startup_seconds"] + result["floor_write_seconds"]
    )
    echo(
        f"    参考：同样解压并用 lxml 解析各工作表（不取单元格）{result['floor_parse_seconds']:.2f} 秒，"
        f"启动（导入）{result['startup_seconds']:.2f} 秒；"
        f"二者加写出汇总表 {parsed:.2f} 秒，是下限的 {parsed / result['floor_seconds']:.2f} 倍"
    )
    total = result["seconds"]  # the whole process: start-up and imports count too
    shares = {
        k: stages[f"{k}_seconds"] / total for k in ("read", "validate", "consolidate", "write")
    }
    echo("本程序各阶段用时占比：" + "，".join(f"{k} {v:.0%}" for k, v in shares.items())
         + f"（启动及其他 {1 - sum(shares.values()):.0%}）")  # fmt: skip
    echo(
        f"比朴素做法快 {result['speedup_vs_baseline']:.1f} 倍，是下限用时的 {result['ratio_to_floor']:.2f} 倍"
    )
    if result["peak_memory_sum_mb"] is not None:
        echo(f"各进程合计内存峰值（PSS）{result['peak_memory_sum_mb']:.0f} MB")
    echo(
        f"一个单位重报后再汇总 {result['rerun_seconds']:.2f} 秒，其中写出各输出文件 "
        f"{result['rerun_write_seconds']:.2f} 秒（{result['rerun_to_write']:.2f} 倍）"
    )
    echo(
        f"报送档案增加用时：首次汇总 {result['archive_overhead']:+.1%}，"
        f"重报后再汇总 {result['archive_overhead_rerun']:+.1%}"
    )
    rows = result["ledger_rows"]
    echo(
        f"报表：审核结果 {result['statuses']}；台账行数中位数 {rows['median']}，"
        f"90% 分位 {rows['p90']}，最多 {rows['max']}；"
        f"LibreOffice 另存 {result['resaved_by_libreoffice']} 份"
        + (f"（{result['libreoffice_note']}）" if result["libreoffice_note"] else "")
    )
    echo(json.dumps(result, ensure_ascii=False))
