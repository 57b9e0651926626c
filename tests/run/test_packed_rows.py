"""The 上报 return's rolled-up rows sent to the worker a slice at a time (PackedRows): read
back exactly as the rows they were packed from, and the return written from them is the
return written from the rows themselves."""

from __future__ import annotations

import datetime as dt
import pickle  # the worker gets its task as multiprocessing sends it

import pytest

from pipeline.check.validate import validate
from pipeline.core.records import LedgerRows, compact_rows
from pipeline.demo.sample import sample_return
from pipeline.publish.rollup_return import FastFiller
from pipeline.read.returns import read_return
from pipeline.run.packed_rows import PackedRows


def table(n: int) -> LedgerRows:
    rows = [
        {
            "_row": k,
            "name": f"单位{k}",
            "n": k or None,
            "day": dt.date(2022, 6, k + 1),
            "big": 2**70 + k,
            "share": k / 4,
            "kinds": ("谈话", "函询"),
        }
        for k in range(n)
    ]
    packed = compact_rows(rows, frozenset())
    assert isinstance(packed, LedgerRows)
    return packed


@pytest.mark.parametrize("step", [1, 2, 3, 7, 100])
def test_packed_rows_read_back_as_the_rows_they_came_from(step) -> None:
    rows = table(7)
    packed = pickle.loads(pickle.dumps(PackedRows.pack(rows, step)))  # as the worker gets it
    assert len(packed) == 7 and list(packed) == list(rows)
    assert packed[0:3] == rows[0:3] and packed[3:] == rows[3:] and packed[2:5] == rows[2:5]
    assert packed[-1] == rows[6] and packed[::-2] == rows[::-2]
    assert packed[5] == rows[5] and packed[5]["name"] == "单位5"
    assert [type(v) for v in packed[1].values()] == [type(v) for v in rows[1].values()]
    assert len(packed.slices) == -(-7 // step)
    with pytest.raises(IndexError):
        packed[7]


def test_the_return_written_from_packed_rows_is_the_same(form, registry, template, tmp_path):
    s = sample_return(form, registry, registry.by_code("LJ101"), seed=53, max_rows=9)
    ledgers = {k: compact_rows(rows, frozenset()) for k, rows in s.ledgers.items() if rows}
    packed = {k: PackedRows.pack(rows, 2) for k, rows in ledgers.items() if rows}
    filler = FastFiller(template, form)
    a = filler.write(tmp_path / "a.xlsx", s.values, ledgers)
    b = filler.write(tmp_path / "b.xlsx", s.values, packed)
    first, second = (validate(read_return(p, form, "", 0), form, registry) for p in (a, b))
    assert sum(len(rows) for rows in second.ledgers.values()) > 4
    assert first.values == second.values and first.ledgers == second.ledgers
