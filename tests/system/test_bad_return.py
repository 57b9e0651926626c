"""One return with a dozen deliberate mistakes, filled into the real template as a unit would,
read from the file and checked: the exact list of what the unit is told, where.

Every problem is expected, and nothing else: a mistake that also breaks a rule says so here
(the letters of responsibility signed beyond those due break V29a and V29c)."""

from __future__ import annotations

import datetime as dt

from pipeline.check.validate import validate
from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.records import Status
from pipeline.read.returns import read_return


def test_a_return_with_many_mistakes_gets_each_at_its_cell(
    form, registry, sample, write_return, tmp_path
) -> None:
    s = sample("LJ101", 1)
    s.values.update(
        SUBMIT_DATE="2022年7月10日",  # a date typed as text
        ORG_DUAL_LIFE=-1,
        ORG_HEART_TALK=f"{s.values['ORG_HEART_TALK']}人次",  # a number with its unit
        ORG_REQUEST_REPORT=None,  # required
        EDU_CG_STUDY="若干",
        EDU_FIRST_TOPIC="#REF!",  # an error value
        EDU_SPECIAL_STUDY="=1+1",  # a formula the file holds no result for
        EDU_TASK_MEASURES=2,  # the bureau's own figure, filled by a plant
        RESP_LETTER_SIGNED=s.values["RESP_LETTER_DUE"] + 1,
    )
    meetings, events = s.ledgers["MEETINGS"], s.ledgers["STUDY_EVENTS"]
    meetings[0]["disc_attend"] = "有"  # read as 是
    meetings[1]["meeting_date"] = dt.date(2021, 12, 31)  # the period starts 2022-01-01
    events[0]["speaker_is_leader"] = "也许"
    events[1]["event_type"] = "随便写的"
    s.ledgers["TALKS"][0]["talk_date"] = "下旬"
    s.ledgers["INSPECTIONS"][0]["end_date"] = dt.date(2022, 4, 1)  # before its start, 04-13
    s.ledgers["XUNCHA"][0]["year"] = 2202
    path = write_return(tmp_path, "LJ101.xlsx", s)

    sub = validate(read_return(path, form, "", 0.0), form, registry)

    assert [(p.sheet, p.cell, p.code) for p in sub.problems] == [
        ("封面", "B21", ProblemCode.DATE_COERCED),
        ("一 政治建设与议事决策", "E26", ProblemCode.VALUE_BELOW_MIN),
        ("一 政治建设与议事决策", "E27", ProblemCode.VALUE_COERCED),
        ("一 政治建设与议事决策", "E28", ProblemCode.VALUE_REQUIRED),
        ("二 学习教育", "E11", ProblemCode.VALUE_NOT_INTEGER),
        ("二 学习教育", "E13", ProblemCode.CELL_ERROR_VALUE),
        ("二 学习教育", "E14", ProblemCode.FORMULA_NOT_CALCULATED),
        ("会议台账", "N4", ProblemCode.CHOICE_COERCED),
        ("会议台账", "A5", ProblemCode.DATE_OUT_OF_PERIOD),
        ("学习教育活动台账", "E4", ProblemCode.VALUE_NOT_BOOL),
        ("学习教育活动台账", "B5", ProblemCode.VALUE_NOT_CHOICE),
        ("廉政谈话台账", "A4", ProblemCode.VALUE_NOT_DATE),
        ("监督检查台账", "B4", ProblemCode.ROW_RULE_FAILED),
        ("巡察台账", "A4", ProblemCode.VALUE_ABOVE_MAX),
        ("二 学习教育", "E9", ProblemCode.RULE_FAILED),  # V29a
        ("二 学习教育", "E9", ProblemCode.RULE_FAILED),  # V29c
        ("二 学习教育", "E7", ProblemCode.SELF_FILLED_BY_SUBORDINATE),
    ]
    rules = [p for p in sub.problems if p.code is ProblemCode.RULE_FAILED]
    assert [(p.message[:5], p.severity) for p in rules] == [
        ("[V29a", Severity.ERROR),
        ("[V29c", Severity.WARNING),
    ]
    assert all(p.severity is p.code.severity for p in sub.problems if p not in rules)
    assert {p.file for p in sub.problems} == {"LJ101.xlsx"}
    assert {p.unit for p in sub.problems} == {"LJ101"}
    assert sub.status is Status.REJECTED and (sub.errors, sub.warnings) == (12, 5)
