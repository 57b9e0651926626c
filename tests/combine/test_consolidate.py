"""Consolidation over plain submissions: totals by aggregation, subtotals, superseding."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.combine.consolidate import consolidate
from pipeline.combine.select import accepted, settle_duplicates
from pipeline.core.records import Status, Submission


def sub(
    unit: str,
    values: dict,
    file: str = "",
    submitted=None,
    mtime: float = 0.0,
    status=Status.ACCEPTED,
):
    return Submission(file=file or f"{unit}.xlsx", sha256="", mtime=mtime, unit_code=unit,
                      unit_name=unit, submitted=submitted, values=values, status=status)  # fmt: skip


def code_with(form, aggregation: str, kind: str = "int") -> str:
    return next(
        i.code for i in form.statistics_indicators
        if i.aggregation == aggregation and i.type == kind and not i.derived
    )  # fmt: skip


@pytest.fixture
def codes(form) -> dict[str, str]:
    return {agg: code_with(form, agg) for agg in ("sum", "min", "self")} | {
        "bool": code_with(form, "none", "bool")
    }


def test_totals_follow_each_aggregation(form, registry, codes) -> None:
    s, mn, sf, bo = codes["sum"], codes["min"], codes["self"], codes["bool"]
    subs = [
        sub("LJ000", {s: 3, mn: 5, sf: 7, bo: "是"}),
        sub("LJ100", {s: 4, mn: 2, sf: 9, bo: "否"}),  # self from a subordinate: not used
        sub("LJ101", {s: None, mn: 6, sf: None, bo: "是"}),
    ]
    result = consolidate(subs, form, registry)
    assert (result.totals[s].value, result.totals[s].reporting) == (7, 2)
    assert result.totals[sf].value == 7 and result.totals[sf].reporting == 1
    assert result.totals[bo].value is None and "2" in result.totals[bo].note
    # MIN is only stated when every registered unit reported (V33): here most did not.
    assert result.totals[mn].value is None and "未报" in result.totals[mn].note


def test_min_is_computed_when_every_unit_reported(form, registry, codes) -> None:
    mn = codes["min"]
    subs = [sub(u.code, {mn: 3 + n}) for n, u in enumerate(registry.units)]
    assert consolidate(subs, form, registry).totals[mn].value == 3


def test_derived_totals_consolidate_as_sums(form, registry) -> None:
    total = next(i for i in form.statistics_indicators if i.derived)
    subs = [sub("LJ000", {total.code: 2}), sub("LJ101", {total.code: 5})]
    assert consolidate(subs, form, registry).totals[total.code].value == 7


def test_subtotals_cover_each_parent_and_its_descendants(form, registry, codes) -> None:
    s = codes["sum"]
    subs = [
        sub("LJ000", {s: 1}),
        sub("LJ100", {s: 10}),
        sub("LJ101", {s: 100}),
        sub("LJ201", {s: 1000}),
    ]
    result = consolidate(subs, form, registry)
    assert result.subtotals["LJ100"][s].value == 110
    assert result.subtotals["LJ200"][s].value == 1000
    assert result.subtotals["LJ000"][s].value == result.totals[s].value == 1111


def test_ledgers_keep_their_origin(form, registry) -> None:
    ledger = form.ledgers[0]
    row = {"_row_id": "LJ101-X-0001", "_sheet": ledger.sheet, "_row": 4} | {
        c.key: None for c in ledger.columns
    }
    plant = sub("LJ101", {})
    plant.ledgers[ledger.id] = [row]
    result = consolidate([plant], form, registry)
    frame = result.ledgers[ledger.id]
    assert list(frame["单位编码"]) == ["LJ101"]
    assert list(frame["来源位置"]) == [f"{ledger.sheet}!第4行"]


def test_later_return_supersedes_by_submission_date_then_mtime() -> None:
    early = sub("LJ101", {}, "a.xlsx", submitted=dt.date(2022, 7, 1), mtime=50)
    late = sub("LJ101", {}, "b.xlsx", submitted=dt.date(2022, 7, 5), mtime=10)
    undated_old = sub("LJ102", {}, "c.xlsx", mtime=1)
    undated_new = sub("LJ102", {}, "d.xlsx", mtime=2)
    rejected_later = sub("LJ103", {}, "f.xlsx", mtime=9, status=Status.REJECTED)
    earlier_ok = sub("LJ103", {}, "e.xlsx", mtime=1)
    subs = [early, late, undated_old, undated_new, earlier_ok, rejected_later]
    settle_duplicates(subs)
    assert [s.status for s in subs] == [
        Status.SUPERSEDED, Status.ACCEPTED, Status.SUPERSEDED, Status.ACCEPTED,
        Status.SUPERSEDED, Status.REJECTED,
    ]  # fmt: skip
    assert "b.xlsx" in early.reason


def test_accepted_are_in_registry_order(registry) -> None:
    subs = [
        sub("LJ306", {}),
        sub("LJ000", {}),
        sub("LJ101", {}, status=Status.REJECTED),
        sub("LJ100", {}),
    ]
    assert [s.unit_code for s in accepted(subs, registry)] == ["LJ000", "LJ100", "LJ306"]
