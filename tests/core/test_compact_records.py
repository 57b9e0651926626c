"""What the parent keeps of each return, compact: figures and ledger rows as tuples under a
shared index or key tuple (IndicatorValues, LedgerRows), read back exactly as the dicts they
came from, equal to them, and sharing the texts of code-list columns across returns."""

from __future__ import annotations

import datetime as dt
import pickle

from pipeline.core.records import (
    IndicatorValues,
    LedgerRows,
    Submission,
    compact_rows,
    row_values,
    share_unpickled,
    shared_values,
)


def rows(category: str = "党纪处分") -> list[dict[str, object]]:
    return [
        {
            "_row_id": f"U1-CASES-{n:04d}",
            "_sheet": "".join("台账"),
            "_row": 4 + n,
            "name": f"张{n}",
            "category": "".join(category),
            "when": dt.date(2022, 3, n + 1),
            "count": n or None,
        }  # fmt: skip
        for n in range(3)
    ]


def test_rows_read_back_as_the_dicts_they_came_from() -> None:
    table = compact_rows(rows(), frozenset({"category"}))
    assert isinstance(table, LedgerRows)
    assert list(table) == rows() and table == rows() and rows() == table
    assert table[1] == rows()[1] and table[1:] == rows()[1:] and len(table) == 3
    assert [list(row) for row in table] == [list(row) for row in rows()]  # key order kept
    assert table != rows()[:2] and table != rows("警告")
    assert pickle.loads(pickle.dumps(table)) == table


def test_code_list_texts_are_one_object_across_returns_free_text_is_not() -> None:
    # "".join makes a new object each time: as two unpickled returns would hold them
    first, second = (compact_rows(rows(), frozenset({"category"})) for _ in range(2))
    assert first[0]["category"] is second[0]["category"] is first[2]["category"]
    assert first[0]["_sheet"] is second[0]["_sheet"]
    assert first[0]["name"] is not second[0]["name"]


def test_rows_with_other_keys_are_kept_as_they_came() -> None:
    mixed = [*rows(), {"_row_id": "U1-CASES-0009", "name": "李四"}]
    assert compact_rows(mixed, frozenset()) == mixed
    assert not isinstance(compact_rows(mixed, frozenset()), LedgerRows)
    assert compact_rows([], frozenset()) == []


def test_a_compact_submission_keeps_its_rows_and_compacts_again_the_same() -> None:
    sub = Submission("a.xlsx", "0" * 64, 0.0, ledgers={"CASES": rows()})
    sub.compact(frozenset({"category"}))
    assert isinstance(sub.ledgers["CASES"], LedgerRows) and sub.ledgers["CASES"] == rows()
    assert sub.compact(frozenset({"category"})).ledgers["CASES"] == rows()


def test_a_batch_unpickled_together_shares_its_layouts_with_the_run() -> None:
    """A worker's batch of stored results comes back pickled: its returns share one cells
    dict and one index among themselves; after share_unpickled they share the run's."""
    figures = {"STAFF": 12, "NAME": "示范局"}
    cells = {"STAFF": ("表1", "D5"), "NAME": ("封面", "C3")}

    def compact_sub(name: str) -> Submission:
        sub = Submission(name, "0" * 64, 0.0, values=dict(figures), cells=dict(cells),
                         ledgers={"CASES": rows()})  # fmt: skip
        return sub.compact(frozenset({"category"}))

    run = compact_sub("a.xlsx")
    batch = pickle.loads(pickle.dumps([compact_sub("b.xlsx"), compact_sub("c.xlsx")]))
    assert batch[0].cells is batch[1].cells and batch[0].cells is not run.cells
    share_unpickled(batch)
    for sub in batch:
        assert sub.cells is run.cells and sub.cells == cells
        assert isinstance(sub.values, IndicatorValues) and sub.values == figures
        assert sub.values.index is run.values.index  # type: ignore[attr-defined]
        assert sub.ledgers["CASES"] == rows()


def test_figures_read_back_as_the_dict_they_came_from_under_one_shared_index() -> None:
    figures = {"STAFF": 12, "NAME": "示范局", "DAY": dt.date(2022, 6, 30), "BLANK": None}
    first, second = shared_values(dict(figures)), shared_values(dict(figures))
    assert isinstance(first, IndicatorValues) and first.index is second.index
    assert first == figures and dict(first) == figures and list(first) == list(figures)
    assert first["STAFF"] == 12 and first.get("BLANK", 0) is None and first.get("NONE") is None
    assert "DAY" in first and "NONE" not in first and len(first) == 4
    assert shared_values({"STAFF": 12}).index is not first.index  # other codes, own index
    assert first != {**figures, "STAFF": 13}
    assert pickle.loads(pickle.dumps(first)) == figures


def test_layouts_kept_for_sharing_are_bounded_and_the_newest_still_shared() -> None:
    """A hostile inbox could bring a different set of names in every file."""
    from pipeline.core import records

    made = [shared_values({f"CODE_{n}": n}) for n in range(records.MAX_LAYOUTS + 10)]
    assert len(records._VALUE_LAYOUTS) <= records.MAX_LAYOUTS
    assert shared_values({"CODE_70": 1}).index is made[70].index
    assert [dict(v) for v in made[:2]] == [{"CODE_0": 0}, {"CODE_1": 1}]


def test_row_values_pick_the_same_from_tuples_and_dicts() -> None:
    keys = ["_row_id", "category", "count", "absent"]
    table = compact_rows(rows(), frozenset())
    assert isinstance(table, LedgerRows)
    wanted = [tuple(row.get(k) for k in keys) for row in rows()]
    assert list(row_values(table, keys)) == list(row_values(rows(), keys)) == wanted
    present = keys[:3]
    assert list(row_values(table, present)) == [tuple(r[k] for k in present) for r in rows()]
