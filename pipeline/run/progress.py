"""Progress of a run, told through a callback so that the run does not depend on click."""

from __future__ import annotations

from typing import Protocol

from pipeline.read.inbox import Entry


class Progress(Protocol):
    """Told how many files a step will handle, then once per file handled."""

    def start(self, total: int, label: str = "读取报表") -> None: ...

    def advance(self, entry: Entry | None = None) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, total: int, label: str = "读取报表") -> None:
        pass

    def advance(self, entry: Entry | None = None) -> None:
        pass

    def finish(self) -> None:
        pass
