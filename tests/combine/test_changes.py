"""What a resubmission changed (issue 11), on returns built in memory: each change typed by
whether the clerk asked for it, ledger rows matched by content, problems fixed / still open."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.combine.changes import NEW_PROBLEM, REQUESTED, UNASKED, changes, progress
from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.problems import Problem
from pipeline.core.records import Submission

SHEET = "会议台账"


def typed(form, count: int) -> list[str]:
    return [i.code for i in form.indicators if i.derived is None and i.type == "int"][:count]


def problem(sheet: str, cell: str, indicator: str = "") -> Problem:
    return Problem(ProblemCode.VALUE_COERCED, Severity.WARNING, "m", sheet=sheet, cell=cell,
                   indicator=indicator)  # fmt: skip


def meeting(row: int, topic: str, items: int = 1) -> dict[str, object]:
    return {"_sheet": SHEET, "_row": row, "_row_id": f"r{row}",
            "meeting_date": dt.date(2022, 3, 1), "topic": topic, "agenda_items": items,
            "meeting_type": "党组会", "host_role": "书记"}  # fmt: skip


def submission(values: dict, rows: list[dict] | None = None, problems=()) -> Submission:
    cells = {code: ("一 政治建设与议事决策", f"E{n + 10}") for n, code in enumerate(values)}
    return Submission(file="f.xlsx", sha256="x", mtime=0.0, unit_code="U1", unit_name="单位",
                      values=dict(values), cells=cells, ledgers={"MEETINGS": rows or []},
                      problems=list(problems))  # fmt: skip


def test_each_changed_cell_is_typed_by_the_problems_around_it(form) -> None:
    a, b, c, d = typed(form, 4)
    earlier = submission({a: 1, b: 2, c: 3, d: 4}, problems=[problem("", "", a)])
    later = submission({a: 5, b: 6, c: 3, d: 9}, problems=[problem("", "", b)])
    found = {
        (ch.code, ch.old, ch.new, ch.kind, ch.ordinal) for ch in changes(form, earlier, later, 2)
    }
    assert found == {(a, "1", "5", REQUESTED, 2), (b, "2", "6", NEW_PROBLEM, 2),
                     (d, "4", "9", UNASKED, 2)}  # fmt: skip


def test_blank_and_none_are_the_same_and_the_submit_date_is_not_content(form) -> None:
    (a,) = typed(form, 1)
    earlier = submission({a: None, "SUBMIT_DATE": dt.date(2022, 7, 1)})
    later = submission({a: "", "SUBMIT_DATE": dt.date(2022, 7, 5)})
    assert changes(form, earlier, later, 2) == []


def test_a_row_added_above_the_others_is_one_new_row_not_every_row_changed(form) -> None:
    earlier = submission({}, [meeting(5, "甲"), meeting(6, "乙")])
    later = submission({}, [meeting(5, "丙"), meeting(6, "甲"), meeting(7, "乙")])
    found = changes(form, earlier, later, 2)
    assert [(ch.cell, ch.name, ch.kind) for ch in found] == [
        ("第 5 行", "会议台账（新增一行）", UNASKED)
    ]
    assert "会议主题=丙" in found[0].new and found[0].old == ""


def test_an_edited_row_lists_the_columns_that_changed_and_a_dropped_row_its_content(form) -> None:
    earlier = submission({}, [meeting(5, "甲", items=2), meeting(6, "乙")],
                         problems=[problem(SHEET, "G5")])  # fmt: skip
    later = submission({}, [meeting(5, "甲", items=3)])
    found = changes(form, earlier, later, 3)
    edited = [(ch.cell, ch.name, ch.old, ch.new, ch.kind) for ch in found if "（" not in ch.name]
    assert edited == [("第 5 行", "会议台账·议题数", "2", "3", REQUESTED)]
    dropped = [ch for ch in found if ch.name.endswith("（删除一行）")]
    assert len(dropped) == 1 and "会议主题=乙" in dropped[0].old and dropped[0].new == ""
    assert len(found) == 2


def test_a_row_typed_twice_and_kept_once_was_removed_once(form) -> None:
    earlier = submission({}, [meeting(5, "甲"), meeting(6, "甲")])
    later = submission({}, [meeting(5, "甲")])
    found = changes(form, earlier, later, 2)
    assert [ch.name for ch in found] == ["会议台账（删除一行）"]


@pytest.mark.parametrize("message", ["“支部委员会”的值“１１”…", "another wording"])
def test_progress_matches_problems_by_place_not_by_message(message: str) -> None:
    kept = problem("一", "E27", "ORG_HEART_TALK")
    fixed = problem("一", "E19", "ORG_BRANCH_CMTE")
    new = problem("一", "E30", "X")
    reworded = Problem(kept.code, kept.severity, message, sheet=kept.sheet, cell=kept.cell,
                       indicator=kept.indicator)  # fmt: skip
    done = progress(
        submission({}, problems=[kept, fixed]), submission({}, problems=[reworded, new])
    )
    assert done.fixed == [fixed] and done.still_open == [reworded] and done.new == [new]
