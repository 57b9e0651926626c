"""The memory a run takes summed over all its processes (the parent and its workers), sampled
while it runs: wait4 only gives the largest single process. Summed as PSS (proportional set
size, Linux): a page the workers share with the parent after fork counts once, split among
them, so the sum is what the run costs the machine. Where /proc gives no PSS, nothing is
measured (None)."""

from __future__ import annotations

import threading
from pathlib import Path

PROC = Path("/proc")
INTERVAL = 0.1  # seconds between samples: a few file reads each, next to nothing


class TreeMemory:
    """Samples the PSS summed over a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb = pid, 0
        self.available = (PROC / str(pid) / "smaps_rollup").exists()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        if self.available:
            self._thread.start()

    def stop(self) -> float | None:
        """The peak in MB (None where it cannot be measured)."""
        self._stop.set()
        if not self.available:
            return None
        self._thread.join()
        return self.peak_kb / 1024

    def _sample(self) -> None:
        while not self._stop.wait(INTERVAL):
            total = sum(_pss_kb(pid) for pid in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)


def _tree(root: int) -> list[int]:
    """The process and its descendants, from the kernel's list of each thread's children."""
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        try:
            for task in (PROC / str(pid) / "task").iterdir():
                queue.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:  # it has just ended
            continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0
