"""The memory of a process tree summed as PSS: a parent and the children it forks."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from pipeline.demo.memory import PROC, TreeMemory

pytestmark = pytest.mark.skipif(not (PROC / "self" / "smaps_rollup").exists(), reason="no PSS")

# A parent that forks two children, each holding 60 MB of its own for a second.
CHILDREN = """
import os, time
for _ in range(2):
    if os.fork() == 0:
        block = bytearray(60 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1.0)
        os._exit(0)
os.wait(); os.wait()
"""


def test_the_children_memory_is_counted_with_the_parents() -> None:
    process = subprocess.Popen([sys.executable, "-c", CHILDREN])
    memory = TreeMemory(process.pid)
    process.wait()
    time.sleep(0.05)
    peak = memory.stop()
    assert peak is not None and peak > 2 * 60  # both children's blocks, each counted once
