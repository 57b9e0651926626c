"""`make bench-archive`: the archive at the size an office reaches (ten periods of 1,000 units:
~10^4 returns, ~2.5 x 10^5 ledger rows), and the times that matter there.

The returns are real: N generated from the template and consolidated once, then kept again
for ten earlier periods (each period two runs, the second after a tenth of the units
resubmitted), through Archive.record as a run keeps them. Measured, each as whole processes
where a clerk would wait for one: the full check a run makes, `history` of one unit and of a
whole period, and a re-run of the N returns with that archive against one without it
(alternating, best of five each: single runs on this machine differ by up to ±10 %).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.core.records import Submission
from pipeline.demo.bench_data import BenchData, generate
from pipeline.form.load import load_form
from pipeline.form.model import Form
from pipeline.run.archive import Archive, RunRecord, encoded, now
from pipeline.run.archive_store import verify

PERIODS = 10
RESUBMITTED = 0.1  # the share of units that send a second return each period
REPEATS = 5


def archive_bench(form_path: Path, n: int, folder: Path | None = None, echo=print) -> dict:
    form = load_form(form_path)
    work = Path(tempfile.mkdtemp(prefix="bench-archive-")) if folder is None else folder
    try:
        data = generate(form, work / "data", n, resave=False)  # no office program needed here
        archive = work / "archive.sqlite"
        _consolidate(form_path, data, work / "out", archive)  # this period, once
        years = _fill(archive, form, PERIODS)
        result = {"units": n, "periods": PERIODS + 1, **_size(archive)}
        result["verify_seconds"] = _best(lambda: _verify(archive))
        unit = next(iter(sorted(p.name.split("_")[0] for p in data.inbox.iterdir())))
        result["history_unit_seconds"] = _best(
            lambda: _history(form_path, data, archive, unit, years[-1])
        )
        result["history_period_seconds"] = _best(
            lambda: _history(form_path, data, archive, None, years[-1])
        )
        _consolidate(form_path, data, work / "plain", None)  # its cache warm, like ours
        ours, plain = [], []
        for _ in range(REPEATS):
            ours.append(_consolidate(form_path, data, work / "out", archive))
            plain.append(_consolidate(form_path, data, work / "plain", None))
        result["rerun_seconds"], result["rerun_plain_seconds"] = min(ours), min(plain)
        result["archive_overhead_rerun"] = round(min(ours) / min(plain) - 1, 3)
    finally:
        if folder is None:
            shutil.rmtree(work, ignore_errors=True)
    _table(result, echo)
    return result


def _fill(path: Path, form: Form, periods: int) -> list[str]:
    """Ten earlier periods of the returns this period's run kept, each a new content."""
    archive = Archive(path)
    returns = [archive.submission(sha) for sha in sorted(archive.known())]
    spec, totals = archive.db.execute("SELECT spec, totals FROM runs").fetchone()
    years = [str(form.period.start.year - periods + k) for k in range(periods)]
    for year in years:
        first = [_moved(s, year, 0) for s in returns]
        again = [_moved(s, year, 1) for s in returns[: int(len(returns) * RESUBMITTED)]]
        for subs in (first, again + first[len(again) :]):
            run = RunRecord(now(), now(), "bench-archive", "bench", form.id, form.version,
                            f"{year}年", f"{year}-01-01", f"{year}-12-31", spec, totals, "{}")  # fmt: skip
            archive.record(run, subs, {s.sha256: encoded(s) for s in subs})
    archive.close()
    return [f"{year}年" for year in years]


def _moved(sub: Submission, year: str, round_: int) -> Submission:
    digest = hashlib.sha256(f"{year}/{round_}/{sub.sha256}".encode()).hexdigest()
    return dataclasses.replace(sub, sha256=digest)


def _size(path: Path) -> dict:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("runs", "contents", "sightings")}  # fmt: skip
    rows = 0
    archive = Archive(path, create=False)
    for sha in archive.known():
        rows += sum(len(r) for r in archive.submission(sha).ledgers.values())
    archive.close()
    return {**counts, "ledger_rows": rows, "megabytes": round(path.stat().st_size / 2**20, 1)}


def _verify(path: Path) -> None:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    verify(db)
    db.close()


def _history(form_path: Path, data: BenchData, archive: Path, unit: str | None,
             period: str) -> None:  # fmt: skip
    command = [sys.executable, "-m", "pipeline", "history", *([unit] if unit else []),
               "--period", period, "--archive", str(archive), "--form", str(form_path),
               "--units", str(data.units)]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _consolidate(form_path: Path, data: BenchData, out: Path, archive: Path | None) -> float:
    keep = ["--archive", str(archive)] if archive else ["--no-archive"]
    command = [sys.executable, "-m", "pipeline", "consolidate", str(data.inbox), "--out", str(out),
               "-q", "--units", str(data.units), "--form", str(form_path), *keep]  # fmt: skip
    started = time.perf_counter()
    run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ)
    if run.returncode not in (0, 3):
        raise RuntimeError(run.stderr.decode(errors="replace"))
    return time.perf_counter() - started


def _best(measure) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        measure()
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _table(result: dict, echo) -> None:
    echo(f"报送档案：{result['periods']} 期 × {result['units']} 个单位，{result['runs']} 次汇总，"
         f"{result['contents']} 份报表，{result['ledger_rows']} 行台账，"
         f"{result['sightings']} 条接收记录，{result['megabytes']} MB")  # fmt: skip
    echo(f"完整核验档案（每次汇总时在读取报表的同时进行）：{result['verify_seconds']:.2f} 秒")
    echo(f"history 一个单位：{result['history_unit_seconds']:.2f} 秒；"
         f"一期全部单位：{result['history_period_seconds']:.2f} 秒（含程序启动）")  # fmt: skip
    echo(f"重新汇总 {result['units']} 份：使用档案 {result['rerun_seconds']:.2f} 秒，"
         f"不用档案 {result['rerun_plain_seconds']:.2f} 秒，"
         f"档案增加 {result['archive_overhead_rerun']:+.1%}")  # fmt: skip
    echo(json.dumps(result, ensure_ascii=False))
