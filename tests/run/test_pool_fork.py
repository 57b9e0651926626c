"""A worker forked late in a large run must not copy the parent's memory page by page: the
parent's objects are frozen for each fork, so no collection in the worker visits them."""

from __future__ import annotations

import gc
import os

from pipeline.run.pool import _freeze_around_forks


def test_a_forked_child_starts_with_the_parents_objects_frozen() -> None:
    _freeze_around_forks()
    _freeze_around_forks()  # registered once, however often pools start
    held = [{"row": n} for n in range(10_000)]  # a parent holding results
    assert gc.get_freeze_count() == 0
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the parent's objects came frozen
        os._exit(0 if gc.get_freeze_count() >= len(held) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert gc.get_freeze_count() == 0  # the parent's collector sees them again
