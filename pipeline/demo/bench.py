"""`make bench`: our consolidation against a naive baseline and the physical floor, in one run,
on the same generated returns.

(a) ours: `python -m pipeline consolidate` as a whole process (wall time, peak RSS of its
    largest process as wait4 reports it, and its own stage timings);
(b) baseline: the obvious way, pandas.read_excel (openpyxl) per file, concat, groupby, to_excel;
(c) floor: inflating every XML part of every file (no parsing) plus writing the same
    consolidated workbook from values already in memory (timed alone, from the cached results).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.combine.consolidate import consolidate
from pipeline.combine.select import accepted
from pipeline.demo.sample import sample_return
from pipeline.form.load import load_form
from pipeline.form.model import Form
from pipeline.form.registry import Registry, Unit
from pipeline.publish.consolidated import write_consolidated
from pipeline.publish.consolidated_accounts import RunInfo
from pipeline.publish.registry_book import write_registry_book
from pipeline.publish.rollup_return import FastFiller
from pipeline.publish.template import template_filename, write_template
from pipeline.read.registry_file import load_registry
from pipeline.run.checking import read_inbox

DISTINCT_SAMPLES = 40  # distinct contents, reused with each unit's own code and name
ERROR_EVERY = 33  # one return in 33 (3%) carries a mistake
BASELINE_MAX_FILES = 300  # the baseline (~5 files/s) is timed on this many files, then scaled


@dataclass
class BenchData:
    inbox: Path
    units: Path
    files: int


def generate(form: Form, folder: Path, n: int, seed: int = 1) -> BenchData:
    """N returns from the real template for a registry of N units (deterministic by seed)."""
    if folder.exists():
        shutil.rmtree(folder)
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    units = _registry(n)
    registry = Registry(tuple(units))
    units_path = write_registry_book(registry, folder / "units.xlsx")
    template = write_template(form, registry, folder)
    filler = FastFiller(template, form)
    pool = [
        sample_return(form, registry, units[1], seed * 1000 + k, max_rows=4)
        for k in range(DISTINCT_SAMPLES)
    ]
    rng = random.Random(seed)
    for number, unit in enumerate(units):
        sample = pool[rng.randrange(DISTINCT_SAMPLES)]
        values = dict(sample.values, UNIT_CODE=unit.code, UNIT_NAME=unit.name)
        if unit.parent and number % ERROR_EVERY == 0:
            values["EDU_CG_STUDY"] = "*"
        if unit.parent:  # `self` figures come from the consolidating office only
            values.update(
                {i.code: None for i in form.statistics_indicators if i.aggregation == "self"}
            )
        filler.write(inbox / f"{unit.code}_{unit.name}.xlsx", values, sample.ledgers)
    return BenchData(inbox, units_path, n)


def _registry(n: int) -> list[Unit]:
    root = Unit("B0000", "示范局", "", "王芳", "13900000000")
    parents = [
        Unit(f"B{p:04d}", f"示范局第{p}分局", root.code) for p in range(1, min(10, n - 1) + 1)
    ]
    rest = [
        Unit(
            f"B{k:04d}",
            f"示范局下属单位{k}",
            parents[k % len(parents)].code if parents else root.code,
        )
        for k in range(len(parents) + 1, n)
    ]
    return [root, *parents, *rest][:n]


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
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise RuntimeError(
            process.stderr.read().decode() if process.stderr else "consolidate failed"
        )
    stages = json.loads(timings.read_text(encoding="utf-8"))
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "stages": stages}


def resubmit(form: Form, data: BenchData) -> None:
    """One unit sends a corrected return: same file name, different content."""
    first = sorted(data.inbox.iterdir())[1]
    registry = load_registry(data.units)
    unit = next(u for u in registry.units if first.name.startswith(u.code + "_"))
    template = data.inbox.parent / template_filename(form)  # units.xlsx lies beside it
    sample = sample_return(form, registry, unit, seed=424242, max_rows=4)
    FastFiller(template, form).write(first, sample.values, sample.ledgers)


def run_baseline(data: BenchData, form: Form, out: Path) -> tuple[float, int]:
    """The obvious pandas program; timed on at most BASELINE_MAX_FILES files."""
    files = sorted(data.inbox.iterdir())[:BASELINE_MAX_FILES]
    sheets = [s.sheet for s in form.statistics_sections]
    ledgers = [lg.sheet for lg in form.ledgers]
    started = time.perf_counter()
    figures, rows = [], []
    for path in files:
        book = pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
        for name in sheets:
            frame = book[name].iloc[4:, [1, 4]].dropna()
            frame.columns = ["code", "value"]
            frame["file"] = path.name
            figures.append(frame)
        for name in ledgers:
            frame = book[name].iloc[3:].dropna(how="all")
            frame["file"] = path.name
            rows.append(frame)
    figures_all = pd.concat(figures)
    figures_all["value"] = pd.to_numeric(figures_all["value"], errors="coerce")
    totals = figures_all.groupby("code")["value"].sum()
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        totals.to_frame().to_excel(writer, sheet_name="汇总")
        figures_all.pivot_table(
            index="file", columns="code", values="value", aggfunc="sum"
        ).to_excel(writer, sheet_name="分单位")
        pd.concat(rows).to_excel(writer, sheet_name="台账")
    return time.perf_counter() - started, len(files)


def inflate_all(data: BenchData) -> float:
    started = time.perf_counter()
    for path in data.inbox.iterdir():
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.endswith(".xml") or info.filename.endswith(".rels"):
                    zf.read(info)
    return time.perf_counter() - started


def write_only(form_path: Path, data: BenchData, out: Path) -> float:
    """Seconds to write the consolidated workbook from values already in memory (the results
    our runs left in the cache): the best of two writes, in a fresh process of its own."""
    command = [sys.executable, "-m", "pipeline.demo.bench", str(form_path), str(data.units),
               str(data.inbox), str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def _time_write(form: Form, units: Path, inbox: Path, out: Path) -> float:
    registry = load_registry(units)
    submissions = read_inbox(inbox, form, registry, outdir=out, use_cache=True)
    result = consolidate(accepted(submissions, registry), form, registry)
    run = RunInfo(started=dt.datetime.now(), inbox=str(inbox), registry_file="")
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        write_consolidated(out / "floor.xlsx", form, registry, result, submissions, run)
        best = min(best, time.perf_counter() - started)
    return best


def bench(form_path: Path, n: int, folder: Path | None = None, echo=print) -> dict:
    form = load_form(form_path)
    work = Path(tempfile.mkdtemp(prefix="bench-")) if folder is None else folder
    try:
        started = time.perf_counter()
        data = generate(form, work / "data", n)
        echo(f"生成 {n} 份报表用时 {time.perf_counter() - started:.1f} 秒（不计入比较）")
        archive = work / "archive" / "报送档案.sqlite"
        plain = run_ours(form_path, data, work / "out-plain")  # without the archive
        ours = run_ours(form_path, data, work / "out", archive)
        resubmit(form, data)  # the clerk re-runs after one unit resubmits
        again = run_ours(form_path, data, work / "out", archive)
        again_plain = run_ours(form_path, data, work / "out-plain")
        baseline_seconds, baseline_files = run_baseline(data, form, work / "baseline.xlsx")
        scaled = baseline_seconds * n / baseline_files
        inflate = inflate_all(data)
        write = write_only(form_path, data, work / "out")
        floor = inflate + write
    finally:
        if folder is None:
            shutil.rmtree(work, ignore_errors=True)
    stages = ours["stages"]
    result = {
        "files": n,
        "seconds": round(ours["seconds"], 3),
        "files_per_s": round(n / ours["seconds"], 1),
        "baseline_seconds": round(scaled, 3),
        "speedup_vs_baseline": round(scaled / ours["seconds"], 2),
        "floor_seconds": round(floor, 3),
        "ratio_to_floor": round(ours["seconds"] / floor, 2),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        "rerun_seconds": round(again["seconds"], 3),
        "rerun_ratio": round(again["seconds"] / ours["seconds"], 3),
        "archive_overhead": round(ours["seconds"] / plain["seconds"] - 1, 3),
        "archive_overhead_rerun": round(again["seconds"] / again_plain["seconds"] - 1, 3),
    }
    _table(result, stages, baseline_files, baseline_seconds, inflate, echo)
    return result


def _table(result: dict, stages: dict, baseline_files: int, baseline_seconds: float,
           inflate: float, echo) -> None:  # fmt: skip
    n = result["files"]
    echo("")
    echo(f"{'方式':<34}{'文件数':>8}{'秒':>10}{'文件/秒':>10}{'峰值内存MB':>12}")
    echo(
        f"{'(a) 本程序（完整进程）':<30}{n:>8}{result['seconds']:>10.2f}{result['files_per_s']:>10.1f}{result['peak_rss_mb']:>12.0f}"
    )
    note = (
        ""
        if baseline_files == n
        else f"（实测 {baseline_files} 份 {baseline_seconds:.1f} 秒，按比例推算）"
    )
    echo(
        f"{'(b) 朴素做法 pandas+openpyxl':<30}{n:>8}{result['baseline_seconds']:>10.2f}{n / result['baseline_seconds']:>10.1f}{'':>12}{note}"
    )
    echo(
        f"{'(c) 下限：仅解压 + 写出汇总表':<28}{n:>8}{result['floor_seconds']:>10.2f}{n / result['floor_seconds']:>10.1f}"
    )
    echo(f"    其中解压 {inflate:.2f} 秒，写出汇总表 {result['floor_seconds'] - inflate:.2f} 秒")
    total = result["seconds"]  # the whole process: start-up and imports count too
    shares = {
        k: stages[f"{k}_seconds"] / total for k in ("read", "validate", "consolidate", "write")
    }
    echo("本程序各阶段用时占比：" + "，".join(f"{k} {v:.0%}" for k, v in shares.items())
         + f"（启动及其他 {1 - sum(shares.values()):.0%}）")  # fmt: skip
    echo(
        f"比朴素做法快 {result['speedup_vs_baseline']:.1f} 倍，是下限用时的 {result['ratio_to_floor']:.2f} 倍"
    )
    echo(
        f"报送档案增加用时：首次汇总 {result['archive_overhead']:+.1%}，"
        f"重报后再汇总 {result['archive_overhead_rerun']:+.1%}"
    )
    echo(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":  # the floor's write, timed alone: FORM UNITS INBOX OUT
    form_arg, units_arg, inbox_arg, out_arg = (Path(a) for a in sys.argv[1:5])
    print(_time_write(load_form(form_arg), units_arg, inbox_arg, out_arg))
