"""The floor of `make bench`: a lower bound for the run on the same returns, with the same
resources. Any program that makes our consolidated workbook from these returns must at least
inflate what our reader inflates and write that workbook; the floor does only that, as fast
as it can be done, so the run can never be faster than it.

- Inflating: exactly the parts our reader opens, learnt from the reader itself: it reads one
  return of each structure (the key of its structure cache) twice while zipfile's `open`
  records every part it opens. The second read, with the structure cached, opens the parts
  it opens for every such return; the first also the structure parts, which a worker parses
  once per structure: the floor inflates those once. A hand-kept list would drift from the
  reader (it would count the instructions sheet, the hidden code list, the theme…).
  In as many processes as the pipeline's workers; the best of two.
- Writing: the consolidated workbook of the run without the archive (its cached results),
  by the same writer with the same arguments, in this fresh process with the CLI's
  collector thresholds; the best of two.

Besides the floor, for the record (`parse_seconds`): the same inflating with each sheet also
parsed as the reader parses it (lxml, C) and no cell looked at. It is not a lower bound for
every program (a faster parser could do better) but for any reader built on lxml: what of
the gap between the run and the floor is the parser and what is ours.

`python -m pipeline.demo.floor FORM UNITS INBOX OUT` prints one JSON object.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import multiprocessing
import re
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.combine.consolidate import consolidate
from pipeline.combine.select import accepted
from pipeline.core.collector import tune_collector
from pipeline.core.filenames import display_name
from pipeline.form.load import load_form
from pipeline.form.model import Form
from pipeline.publish.consolidated import write_consolidated
from pipeline.publish.consolidated_accounts import RunInfo
from pipeline.publish.outputs import OutputOptions, prepare_outputs, sheet_extras
from pipeline.read.registry_file import load_registry
from pipeline.read.returns import read_return
from pipeline.read.xlsx import parse_sheet_data
from pipeline.read.xlsx_layout import structure_key
from pipeline.run.checking import read_inbox
from pipeline.run.pool import START_METHOD, worker_count

Task = tuple[str, tuple[str, ...]]  # a file and the parts to inflate from it


@contextlib.contextmanager
def _recorded(opened: list[str]) -> Iterator[None]:
    """Every zip member opened meanwhile, by name (ZipFile.read opens through open too)."""
    original = zipfile.ZipFile.open

    def recording(self, name, *args, **kwargs):
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return original(self, name, *args, **kwargs)

    zipfile.ZipFile.open = recording  # type: ignore[method-assign] # this process, while reading
    try:
        yield
    finally:
        zipfile.ZipFile.open = original  # type: ignore[method-assign] # restored


def _opened(path: Path, form: Form) -> list[str]:
    """The parts the reader opens to read `path`, in order."""
    opened: list[str] = []
    with _recorded(opened):
        read_return(path, form, "", 0.0)
    return list(dict.fromkeys(opened))


def plan(files: list[Path], form: Form) -> tuple[list[Task], int]:
    """What to inflate: each file's content parts, and each structure's parts once (with its
    first file); and how many structures the files have."""
    groups: dict[tuple, list[Path]] = collections.defaultdict(list)
    for path in files:
        with zipfile.ZipFile(path) as zf:
            groups[structure_key(zf)].append(path)
    tasks: list[Task] = []
    for paths in groups.values():
        first_read = _opened(paths[0], form)  # the structure is not cached yet
        content = tuple(_opened(paths[0], form))
        structure = tuple(p for p in first_read if p not in content)
        tasks.append((str(paths[0]), content + structure))
        tasks.extend((str(path), content) for path in paths[1:])
    return tasks, len(groups)


def _inflate(task: Task) -> int:
    path, parts = task
    with zipfile.ZipFile(path) as zf:
        return sum(len(zf.read(part)) for part in parts)


_SHEET_PART = re.compile(r"(^|/)worksheets/[^/]+\.xml$")


def _inflate_and_parse(task: Task) -> int:
    """As _inflate, and each sheet parsed as the reader parses it (lxml, up to the end of its
    <sheetData>), and nothing more: no cell looked at. The shared strings are not parsed (the
    reader parses only the items a wanted cell uses), nor the structure parts (once per
    structure in a worker)."""
    path, parts = task
    inflated = 0
    with zipfile.ZipFile(path) as zf:
        for part in parts:
            data = zf.read(part)
            inflated += len(data)
            if _SHEET_PART.search(part):
                parse_sheet_data(data)
    return inflated


def _ready(_: int) -> None:
    """Nothing: a worker has started (before the clock does)."""


def inflate(tasks: list[Task], processes: int, parse: bool = False) -> tuple[float, int]:
    """Seconds to inflate the tasks' parts in `processes` workers (best of two), and bytes;
    with `parse`, each sheet parsed too (_inflate_and_parse)."""
    best, inflated = float("inf"), 0
    work = _inflate_and_parse if parse else _inflate
    with multiprocessing.get_context(START_METHOD).Pool(processes) as pool:
        pool.map(_ready, range(processes))
        for _ in range(2):
            started = time.perf_counter()
            inflated = sum(pool.imap_unordered(work, tasks, chunksize=8))
            best = min(best, time.perf_counter() - started)
    return best, inflated


def xml_bytes(files: list[Path]) -> int:
    """All the inflated bytes of the files (what an indiscriminate floor would inflate)."""
    total = 0
    for path in files:
        with zipfile.ZipFile(path) as zf:
            total += sum(i.file_size for i in zf.infolist())
    return total


def _skipped(task: Task) -> list[str]:
    """The parts of a file that the floor does not inflate (the reader never opens them)."""
    path, parts = task
    with zipfile.ZipFile(path) as zf:
        return [name for name in zf.namelist() if name not in parts]


def kinds(tasks: list[Task]) -> dict[str, int]:
    """How many parts of each kind are inflated ("sheet.xml": 18000, …)."""
    counts = collections.Counter(
        re.sub(r"\d+", "", part.rsplit("/", 1)[-1]) for _, parts in tasks for part in parts
    )
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def time_write(form: Form, units: Path, inbox: Path, out: Path) -> float:
    """Seconds to write the run's consolidated workbook from its results (best of two)."""
    registry = load_registry(units)
    submissions = read_inbox(inbox, form, registry, outdir=out, use_cache=True)
    result = consolidate(accepted(submissions, registry), form, registry)
    for sub in submissions:  # as the run does before writing
        sub.ledgers = {}
    started_at = dt.datetime.now().replace(microsecond=0)
    prepared = prepare_outputs(
        form, registry, result, submissions, OutputOptions(), started_at.date()
    )
    run = RunInfo(started_at, display_name(inbox), display_name(units))
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        write_consolidated(
            out / "floor.xlsx", form, registry, result, submissions, run,
            extras=sheet_extras(prepared),
        )  # fmt: skip
        best = min(best, time.perf_counter() - started)
    return best


def measure(form_path: Path, units: Path, inbox: Path, out: Path) -> dict:
    form = load_form(form_path)
    files = sorted(p for p in inbox.iterdir() if p.suffix == ".xlsx")
    tasks, structures = plan(files, form)
    processes = worker_count(len(files))
    inflate_seconds, inflated = inflate(tasks, processes)
    return {
        "inflate_seconds": inflate_seconds,
        "parse_seconds": inflate(tasks, processes, parse=True)[0],
        "write_seconds": time_write(form, units, inbox, out),
        "processes": processes,
        "structures": structures,
        "parts": kinds(tasks),
        "skipped": _skipped(tasks[0]) if tasks else [],
        "bytes_share": inflated / max(1, xml_bytes(files)),
    }


if __name__ == "__main__":  # FORM UNITS INBOX OUT
    tune_collector()  # as the CLI: the write is timed as the run writes
    print(json.dumps(measure(*(Path(a) for a in sys.argv[1:5]))))
