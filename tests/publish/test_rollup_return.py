"""The XML-level filler (上报 returns, benchmark) reads back exactly like an openpyxl fill."""

from __future__ import annotations

import pytest

from pipeline.check.validate import validate
from pipeline.core.records import Status
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import sample_return
from pipeline.publish import rollup_return as fastfill
from pipeline.publish.rollup_return import FastFiller
from pipeline.read.returns import read_return


def contents(sub) -> tuple:
    ledgers = {
        k: [{c: v for c, v in r.items() if not c.startswith("_")} for r in rows]
        for k, rows in sub.ledgers.items()
    }
    return sub.values, ledgers


def test_fast_and_openpyxl_fills_read_the_same(form, registry, template, tmp_path) -> None:
    s = sample_return(form, registry, registry.by_code("LJ000"), seed=51, max_rows=6)
    s.values["DEC_KEY_TASKS"] = '=HYPERLINK("http://x") & <b>'  # text stays text, escaped
    a = fill_return(form, template, tmp_path / "a.xlsx", s.values, s.ledgers, literal_text=True)
    b = FastFiller(template, form).write(tmp_path / "b.xlsx", s.values, s.ledgers)
    first, second = (validate(read_return(p, form, "", 0), form, registry) for p in (a, b))
    assert first.status is second.status is Status.ACCEPTED
    assert contents(first) == contents(second)
    assert second.values["DEC_KEY_TASKS"] == '=HYPERLINK("http://x") & <b>'


@pytest.mark.parametrize("chunk", [2000, 7])  # rows are streamed into the zip in chunks
def test_more_rows_than_the_template_made_grow_the_table(
    form, registry, template, tmp_path, monkeypatch, chunk
) -> None:
    monkeypatch.setattr(fastfill, "ROWS_PER_CHUNK", chunk)
    ledger = form.ledger("PUBLICITY")
    s = sample_return(form, registry, registry.by_code("LJ101"), seed=52)
    row = s.ledgers[ledger.id][0] if s.ledgers[ledger.id] else None
    assert row is not None
    many = {ledger.id: [row] * 650}
    path = FastFiller(template, form).write(tmp_path / "many.xlsx", {}, many)
    raw = read_return(path, form, "", 0)
    rows = raw.ledgers[ledger.id].rows
    assert len(rows) == 650
    numbers = [number for number, _ in rows]
    assert numbers == list(range(numbers[0], numbers[0] + 650))  # no gap or repeat at a seam
    assert all(cells == rows[0][1] for _, cells in rows)
