"""Parallelism and the result cache never change a result: every output cell and every
manifest status are the same with one worker or two, with the cache cold, warm, or off."""

from __future__ import annotations

import json
import multiprocessing
import warnings
from pathlib import Path

import openpyxl
import pytest

from pipeline.core import limits
from pipeline.demo.sample import sample_return
from pipeline.publish.consolidated import consolidated_filename
from pipeline.publish.rollup_return import FastFiller
from pipeline.run.consolidation import run_consolidation
from pipeline.run.pool import Workers


@pytest.fixture(scope="module")
def inbox(form, registry, template, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cache_inbox")
    filler = FastFiller(template, form)
    for n, unit in enumerate(registry.units[:9]):
        s = sample_return(form, registry, unit, seed=70 + n)
        values = dict(s.values)
        if n == 3:
            values["EDU_CG_STUDY"] = "若干"  # one rejected return, with a feedback workbook
        if n == 5:
            values["ORG_HEART_TALK"] = f"{values['ORG_HEART_TALK']}人次"  # a warning
        filler.write(folder / f"{unit.code}.xlsx", values, s.ledgers)
    return folder


def snapshot(out: Path, form) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(out / consolidated_filename(form), read_only=True)
        sheets = {
            ws.title: list(ws.iter_rows(values_only=True))
            for ws in book.worksheets
            if ws.title != "说明"
        }
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = [
        (f["name"], f["status"], f["errors"], f["warnings"], f["reason"]) for f in manifest["files"]
    ]
    feedback = sorted(p.name for p in (out / "反馈").iterdir())
    return {"sheets": sheets, "files": files, "feedback": feedback}


def test_same_outputs_with_and_without_parallelism_and_cache(
    form, registry, inbox, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    run_consolidation(inbox, tmp_path / "serial", form, registry, use_cache=False)
    monkeypatch.setenv("PIPELINE_WORKERS", "2")
    run_consolidation(inbox, tmp_path / "cached", form, registry, use_cache=True)  # cold
    cold = snapshot(tmp_path / "cached", form)
    run_consolidation(inbox, tmp_path / "cached", form, registry, use_cache=True)  # warm
    warm = snapshot(tmp_path / "cached", form)
    serial = snapshot(tmp_path / "serial", form)
    assert serial["feedback"] and len(serial["files"]) == 9
    assert serial == cold == warm


def test_rerun_reads_only_the_changed_file(
    form, registry, inbox, template, tmp_path, monkeypatch
) -> None:
    scheduled: list[int] = []
    original = Workers.check

    def counting(self, jobs, *args, **kwargs):
        scheduled.append(len(jobs))
        return original(self, jobs, *args, **kwargs)

    monkeypatch.setattr(Workers, "check", counting)
    folder = tmp_path / "inbox"
    folder.mkdir()
    for path in inbox.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    run_consolidation(folder, tmp_path / "out", form, registry)
    unit = registry.units[0]
    s = sample_return(form, registry, unit, seed=999)
    FastFiller(template, form).write(
        folder / f"{unit.code}.xlsx", s.values, s.ledgers
    )  # resubmitted
    run_consolidation(folder, tmp_path / "out", form, registry)
    assert [n for n in scheduled if n] == [9, 1]  # (the files whose stored result fails)


def test_streaming_writer_gives_the_same_workbook(
    form, registry, inbox, tmp_path, monkeypatch
) -> None:
    """Large runs write the workbook row by row (constant_memory); the cells are the same."""
    from pipeline.publish import consolidated as write

    run_consolidation(inbox, tmp_path / "default", form, registry, use_cache=False)
    monkeypatch.setattr(write, "CONSTANT_MEMORY_FROM", 0)
    run_consolidation(inbox, tmp_path / "streamed", form, registry, use_cache=False)
    assert snapshot(tmp_path / "default", form) == snapshot(tmp_path / "streamed", form)


def test_fingerprint_covers_every_module_of_the_package(tmp_path, monkeypatch) -> None:
    """A change to any source file (layout.py was missing from a hand-kept list) starts
    afresh; the same sources give the same fingerprint."""
    import shutil

    from pipeline.run import cache

    copy = tmp_path / "pipeline"
    package = Path(cache.__file__).resolve().parents[1]
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "__file__", str(copy / "run" / "cache.py"))
    before = cache.fingerprint(b"definition")
    assert cache.fingerprint(b"definition") == before
    assert cache.fingerprint(b"other definition") != before
    layout = copy / "publish" / "xlsx_style.py"  # the row heights (layout.py, once missed)
    layout.write_text(layout.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert cache.fingerprint(b"definition") != before


def _mark() -> object:
    return getattr(limits, "TEST_MARK", None)


def test_workers_are_forked_whatever_the_platform_default(form, registry, monkeypatch) -> None:
    """The start method is pinned: with the platform default set to spawn (Python 3.14 moves
    Linux to forkserver), a worker still sees state the parent set after importing, which only
    a forked worker can."""
    from pipeline.run.pool import Workers

    default = multiprocessing.get_start_method()
    monkeypatch.setattr(limits, "TEST_MARK", "set in the parent", raising=False)
    multiprocessing.set_start_method("spawn", force=True)
    try:
        with Workers(form, registry) as workers:
            assert workers._get_pool(1).schedule(_mark).result() == "set in the parent"
    finally:
        multiprocessing.set_start_method(default, force=True)
