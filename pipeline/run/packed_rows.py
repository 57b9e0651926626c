"""Ledger rows sent to a worker a slice at a time: the 上报 return's worker writes the rolled-up
ledgers in slices (rollup_return.ROWS_PER_CHUNK), so it need only hold one slice as objects.

At 10,000 units the rolled-up ledgers are ~220,000 rows: sent whole, the worker held ~100 MB
of them while writing; packed, it holds their JSON (the cache's value form, codec.py: no
pickle, whose data could run code) and one slice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core.records import LedgerRows, Row, RowsView
from pipeline.run import json_bytes
from pipeline.run.codec import decode_row, encode_row


@dataclass
class PackedRows(RowsView):
    keys: tuple[str, ...]
    size: int
    step: int
    slices: tuple[bytes, ...]  # JSON lists of `step` rows (the last may be shorter)
    # The slice last unpacked, kept until another is asked for: read in order, each slice
    # is unpacked once.
    _unpacked: tuple[int, list[tuple[object, ...]]] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def pack(cls, rows: LedgerRows, step: int) -> PackedRows:
        table = rows.rows
        slices = tuple(
            json_bytes.dumps([encode_row(row) for row in table[start : start + step]])
            for start in range(0, len(table), step)
        )
        return cls(rows.keys, len(table), step, slices)

    def __len__(self) -> int:
        return self.size

    def _row(self, at: int) -> Row:
        return dict(zip(self.keys, self._slice(at // self.step)[at % self.step], strict=True))

    def _slice(self, number: int) -> list[tuple[object, ...]]:
        if self._unpacked is None or self._unpacked[0] != number:
            rows = [decode_row(row) for row in json_bytes.loads(self.slices[number])]
            self._unpacked = (number, rows)
        return self._unpacked[1]
