"""Read and check returns in worker processes, so that a hang or a crash costs one file.

Each worker has an address-space and CPU limit (limits.py); each file a wall-clock budget.
pebble's ProcessPool replaces a worker that timed out or died, and reports which task it
was running, which concurrent.futures' pool cannot do (one dead worker breaks the pool).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import gc
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from pipeline.check.validate import validate
from pipeline.core import limits
from pipeline.core.catalogue import ProblemCode
from pipeline.core.filenames import display_name
from pipeline.core.problems import make_problem
from pipeline.core.records import Submission, share_unpickled
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.publish.feedback.content import Resubmitted, staged_path
from pipeline.publish.feedback.write import write_feedback
from pipeline.publish.outputs import RollupOrder
from pipeline.publish.rollup_return import ROWS_PER_CHUNK, fill_rollup
from pipeline.read.inbox import Entry
from pipeline.read.returns import read_return
from pipeline.run.cache import ResultCache
from pipeline.run.packed_rows import PackedRows

EMITS = (ProblemCode.FILE_UNREADABLE,)  # a worker timed out or died on the file

# Pinned, not the platform default (Python 3.14 moves Linux from fork to forkserver): a forked
# worker starts in milliseconds with the definition already loaded, and the memory limits and
# gc.freeze() below are measured for it.
START_METHOD = "fork"

_form: Form | None = None
_registry: Registry | None = None
_password: str | None = None  # opens password-protected returns (an office's 上报 return)
_cache: ResultCache | None = None


def _start_worker(
    form: Form, registry: Registry, password: str | None, cache: ResultCache | None
) -> None:
    global _form, _registry, _password, _cache
    # A forked worker inherits the parent's objects (every result gathered so far); frozen,
    # they are never scanned by this worker's garbage collector, which otherwise grows slower
    # with every file the run has read (and copies the pages it touches).
    gc.freeze()
    _form, _registry, _password, _cache = form, registry, password, cache
    # A forked worker starts with the parent's address space (which grows with the results
    # gathered so far): the limit is what one file may add on top of that.
    _limit(resource.RLIMIT_AS, _address_space() + limits.WORKER_MEMORY_BYTES)


def _renew_cpu_budget() -> None:
    """Give the task about to run its own CPU budget. The workers live for the whole run
    (forked once, while the parent is small: a worker forked late shares few of the parent's
    pages and copies the ones it touches), so the budget is renewed per task, not per
    worker."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    _limit(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime) + limits.WORKER_CPU_SECONDS)


@functools.cache  # registered once per process
def _freeze_around_forks() -> None:
    """Freeze the parent's objects for each fork of a worker: a collection in a worker would
    otherwise visit every result the parent holds and copy each page it touches (a worker
    forked late in a 10,000-file run went from ~80 MB to ~430 MB of its own this way)."""
    os.register_at_fork(before=gc.freeze, after_in_parent=gc.unfreeze)


def _address_space() -> int:
    """Bytes of virtual memory this process has mapped now (Linux /proc)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * resource.getpagesize()


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))


def check_return(path: str, sha256: str, mtime: float) -> Submission:
    """Read and validate one file (runs in a worker)."""
    assert _form is not None and _registry is not None
    _renew_cpu_budget()
    started = time.perf_counter()
    try:
        raw = read_return(Path(path), _form, sha256, mtime, _password)
    except MemoryError:
        reason = "文件过大，读取时超出内存限制，不是正常的报表"
        return failed(display_name(Path(path).name), sha256, mtime, reason)
    read = time.perf_counter()
    sub = validate(raw, _form, _registry)
    sub.timing = (read - started, time.perf_counter() - read)
    return sub


# A stored result (None: none usable), and the cache files ignored on the way because their
# seal failed.
Found = tuple[Submission | None, list[str]]


def load_cached(batch: list[tuple[str, str]]) -> list[Found]:
    """The stored results of a batch of (path, sha256), decoded (runs in a worker: a re-run
    decodes a thousand entries, ~0.5 s the parent would otherwise spend alone while the
    workers read the one file that changed)."""
    assert _cache is not None
    _renew_cpu_budget()
    found: list[Found] = []
    for path, sha256 in batch:
        before = len(_cache.tampered)
        sub = _cache.load(path, sha256, staged_path(_cache.outdir, sha256))
        found.append((sub, _cache.tampered[before:]))
    return found


def make_feedback(
    sub: Submission, source: str, staged: str, resubmitted: Resubmitted | None = None
) -> None:
    """Write one feedback workbook (runs in a worker)."""
    assert _form is not None
    _renew_cpu_budget()
    write_feedback(sub, Path(source), Path(staged), _form, resubmitted)


def fill_rollup_return(path: str, values: dict, ledgers: dict) -> None:
    """Write the 上报 return (runs in a worker while the parent writes the workbook)."""
    assert _form is not None and _registry is not None
    _renew_cpu_budget()
    fill_rollup(Path(path), _form, _registry, values, ledgers)


def failed(
    name: str, sha256: str, mtime: float, reason: str, transient: bool = False
) -> Submission:
    sub = Submission(file=name, sha256=sha256, mtime=mtime, transient=transient)
    sub.problems.append(make_problem(ProblemCode.FILE_UNREADABLE, reason=reason, file=name))
    sub.settle_status()
    return sub


def worker_count(tasks: int) -> int:
    """How many worker processes a run of `tasks` files uses (the bench's floor uses as many)."""
    wanted = int(os.environ.get("PIPELINE_WORKERS") or os.cpu_count() or 1)
    return max(1, min(wanted, tasks))


Job = tuple[Entry, str]  # an inbox entry and its sha256
LOAD_BATCH = 32  # stored results a worker decodes per task: few round trips, both busy


class Workers:
    """The worker processes of one run. They read and check the files first (and decode the
    results the cache holds for the others); then, while the parent consolidates and writes,
    they make the feedback workbooks (which need each file's final status, and cost as much
    as reading a dozen files each) and the 上报 return."""

    def __init__(
        self,
        form: Form,
        registry: Registry,
        password: str | None = None,
        cache: ResultCache | None = None,
    ):
        self.form, self.registry, self.password, self.cache = form, registry, password, cache
        self._pool: ProcessPool | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.stop() if exc[0] is not None else self._pool.close()
            self._pool.join()

    def start(self, tasks: int) -> None:
        """Start as many workers as `tasks` files need (by default the first tasks given
        decide, and a re-run's one changed file would leave a core idle)."""
        self._get_pool(tasks)

    def _get_pool(self, tasks: int) -> ProcessPool:
        if self._pool is None:
            _freeze_around_forks()
            self._pool = ProcessPool(
                max_workers=worker_count(tasks),
                initializer=_start_worker,
                initargs=(self.form, self.registry, self.password, self.cache),
                context=multiprocessing.get_context(START_METHOD),
            )
        return self._pool

    def check(
        self, jobs: list[Job], on_done: Callable[[Entry], None] = lambda e: None
    ) -> Iterator[tuple[Entry, Submission]]:
        """(entry, submission) for the jobs, in completion order; the reading starts now, not
        when the first one is asked for."""
        if not jobs:
            return iter(())
        pool = self._get_pool(len(jobs))
        futures: dict[concurrent.futures.Future[Submission], tuple[Entry, str]] = {
            pool.schedule(
                check_return,
                args=(str(entry.path), sha256, entry.mtime),
                timeout=limits.SECONDS_PER_FILE,
            ): (entry, sha256)
            for entry, sha256 in jobs
        }
        return _checked(futures, on_done)

    def load_cached(self, jobs: list[Job]) -> Iterator[tuple[Job, Found]]:
        """Each job's stored result in the cache the workers were given (None: none usable,
        read the file instead), decoded by the workers in batches, in completion order; the
        decoding starts now, not when the first one is asked for."""
        if not jobs:
            return iter(())
        pool = self._get_pool(len(jobs))
        size = max(1, min(LOAD_BATCH, len(jobs) // (2 * worker_count(len(jobs)))))
        batches: dict[concurrent.futures.Future[list[Found]], list[Job]] = {
            pool.schedule(
                load_cached,
                args=([(str(entry.path), sha256) for entry, sha256 in jobs[at : at + size]],),
                timeout=limits.SECONDS_PER_FILE,
            ): jobs[at : at + size]
            for at in range(0, len(jobs), size)
        }
        return _loaded(batches)

    def rollup(self, order: RollupOrder) -> Callable[[], bool]:
        """Start writing the 上报 return; the callable waits and says whether it was written
        (if not, the caller writes it itself)."""
        packed = {k: PackedRows.pack(rows, ROWS_PER_CHUNK) for k, rows in order.ledgers.items()}
        args = (str(order.path), order.values, packed)
        future = self._get_pool(1).schedule(fill_rollup_return, args=args)

        def written() -> bool:
            try:
                future.result()
            except Exception:  # noqa: BLE001 - the parent writes it instead
                return False
            return True

        return written

    def feedback(
        self, orders: list[tuple[Submission, Path]], notes: Mapping[str, Resubmitted] = {}
    ) -> list[FeedbackJob]:
        """Start writing a feedback workbook for each (submission, staged path); `notes`: what
        a resubmission (by sha256) did to the problems of the return before it."""
        if not orders:
            return []
        pool = self._get_pool(len(orders))
        return [
            FeedbackJob(
                sub,
                staged,
                pool.schedule(
                    make_feedback,
                    args=(_problems_only(sub), sub.source, str(staged), notes.get(sub.sha256)),
                    timeout=limits.SECONDS_PER_FILE,
                ),
            )
            for sub, staged in orders
        ]


def _checked(
    futures: dict[concurrent.futures.Future[Submission], Job], on_done: Callable[[Entry], None]
) -> Iterator[tuple[Entry, Submission]]:
    for future in concurrent.futures.as_completed(futures):
        entry, sha256 = futures[future]
        on_done(entry)
        yield entry, _outcome(future, entry, sha256)


def _loaded(
    batches: dict[concurrent.futures.Future[list[Found]], list[Job]],
) -> Iterator[tuple[Job, Found]]:
    for future in concurrent.futures.as_completed(batches):
        batch = batches[future]
        try:
            found = future.result()
        except Exception:  # noqa: BLE001 - a timeout or a crash: the files are read instead
            found = [(None, [])] * len(batch)
        share_unpickled([sub for sub, _ in found if sub is not None])
        yield from zip(batch, found, strict=True)


def _problems_only(sub: Submission) -> Submission:
    """What a feedback workbook needs, without the figures and ledger rows it never reads."""
    return dataclasses.replace(sub, values={}, cells={}, ledgers={})


@dataclass
class FeedbackJob:
    sub: Submission
    staged: Path
    future: concurrent.futures.Future

    def wait(self) -> str:
        """An empty string when the workbook was written, else the reason it was not."""
        try:
            self.future.result()
        except concurrent.futures.TimeoutError:
            return f"超时（超过 {limits.SECONDS_PER_FILE} 秒）"
        except ProcessExpired:
            return "程序异常退出"
        except Exception as exc:  # noqa: BLE001 - a missing feedback file must not stop the run
            return f"{type(exc).__name__}: {exc}"
        return ""


def _outcome(future, entry: Entry, sha256: str) -> Submission:
    try:
        return future.result()
    except concurrent.futures.TimeoutError:
        reason = f"读取超时（超过 {limits.SECONDS_PER_FILE} 秒），文件可能异常，请重新保存后报送"
    except ProcessExpired:
        reason = "读取时程序异常退出（文件可能损坏或过大），请用 Excel 或 WPS 重新保存后报送"
    except Exception as exc:  # noqa: BLE001 - a bug must cost one file, not the run
        reason = f"程序内部错误（{type(exc).__name__}: {exc}），请将此文件提交给技术支持"
    return failed(entry.name, sha256, entry.mtime, reason, transient=True)


def unchanged(entry: Entry) -> bool:
    """The file was not rewritten while it was read (a unit's upload still in progress)."""
    try:
        info = entry.path.lstat()
    except OSError:
        return False
    return info.st_size == entry.size and info.st_mtime == entry.mtime
