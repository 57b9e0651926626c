"""Pure pieces of issue 5 on plain data: report sentences (§6.2), period comparison flags,
reminder rules and the 核对 checks, without any file."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.combine.compare import PreviousPeriod, compare
from pipeline.combine.consolidate import consolidate
from pipeline.combine.reconcile import reconcile
from pipeline.combine.remind import MISSING, REJECTED, TO_EXPLAIN, reminders
from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.problems import make_problem
from pipeline.core.records import Status, Submission
from pipeline.form.period import parse_period
from pipeline.report.draft import build_report
from pipeline.report.facts import join_dates, period_phrase


def sub(unit: str, values: dict, status=Status.ACCEPTED, ledgers=None) -> Submission:
    return Submission(file=f"{unit}.xlsx", sha256="", mtime=0.0, unit_code=unit, unit_name=unit,
                      values=values, status=status, ledgers=ledgers or {})  # fmt: skip


def text_of(form, registry, subs) -> str:
    draft = build_report(form, registry, consolidate(subs, form, registry), {})
    return "\n".join(s.text for section in draft.sections for s in section.sentences)


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("2022年上半年", "2022年上半年"),
        ("2022年", "2022年"),
        ("2026年第3季度", "2026年第三季度"),
        ("2026年3月", "2026年3月"),
        ("2022年1-9月", "截至9月30日"),
    ],
)
def test_period_phrase_follows_the_period_type(name: str, phrase: str) -> None:
    assert period_phrase(parse_period(name)) == phrase


def test_dates_are_joined_with_he_before_the_last() -> None:
    assert join_dates(["3月5日"]) == "3月5日"
    assert join_dates(["3月5日", "4月2日", "6月1日"]) == "3月5日、4月2日和6月1日"


def test_sanction_list_omits_zero_categories_in_official_order(form, registry) -> None:
    values = {
        "DISC_PARTY_EXPULSION": 1,
        "DISC_PARTY_WARNING": 2,
        "DISC_GOV_DEMERIT": 3,
        "DISC_PERSONS": 5,
    }
    text = text_of(form, registry, [sub("LJ000", values), sub("LJ101", {"DISC_PARTY_WARNING": 1})])
    assert "给予党内警告3人、开除党籍1人；给予记过3人；以上共处分5人" in text
    assert "严重警告" not in text and "0人" not in text


def test_a_whole_zero_list_says_it_did_not_happen(form, registry) -> None:
    text = text_of(
        form, registry, [sub("LJ000", {"DISC_PARTY_WARNING": 0, "EPR_HL_DINING_CASES": 0})]
    )
    assert "2022年上半年未发生党员干部受党纪政务处分情况。" in text
    assert "全系统未发现违反中央八项规定精神问题" in text


def test_minimum_is_printed_only_when_every_unit_reported(form, registry) -> None:
    some = [sub("LJ000", {"EDU_NOTES_MIN_PP": 4, "EDU_CG_STUDY": 3})]
    assert "以上" not in text_of(form, registry, some)
    every = [
        sub(u.code, {"EDU_NOTES_MIN_PP": 4 + n, "EDU_CG_STUDY": 1})
        for n, u in enumerate(registry.units)
    ]
    assert "党员干部撰写学习笔记均在4篇以上" in text_of(form, registry, every)


def test_meeting_attendees_are_never_named(form, registry) -> None:
    rows = [{"_row_id": "r", "_sheet": "会议台账", "_row": 3 + n, "meeting_date": dt.date(2022, 3, 5 + n),
             "time_of_day": None, "meeting_type": "“三重一大”会议", "disc_attend": "是",
             "attendee_role": "组长", "attendee_name": "王秀英"} for n in range(2)]  # fmt: skip
    text = text_of(
        form, registry, [sub("LJ000", {"SUP_DISC_ATTEND": 2}, ledgers={"MEETINGS": rows})]
    )
    assert "3月5日和3月6日召开“三重一大”会议，邀请派驻纪检组组长***列席指导" in text
    assert "王秀英" not in text


def test_every_printed_number_is_traced_to_a_code(form, registry) -> None:
    subs = [sub("LJ000", {"ORG_HEART_TALK": 7, "FORM_1": 3, "FORM_2": 1})]
    draft = build_report(
        form, registry, consolidate(subs, form, registry), {"ORG_HEART_TALK": "一!E20"}
    )
    traced = {(t.code, t.value) for t in draft.traces}
    assert {("ORG_HEART_TALK", 7), ("FORM_1", 3), ("FORM_2", 1)} <= traced
    assert "运用第一种形态批评教育帮助3人次，占75.0%" in "".join(
        s.text for section in draft.sections for s in section.sentences
    )
    assert any("一!E20" in t.source for t in draft.traces if t.code == "ORG_HEART_TALK")


def test_comparison_flags_changes_over_the_threshold(form, registry) -> None:
    result = consolidate(
        [sub("LJ000", {"ORG_HEART_TALK": 12, "ORG_GROUP_MTG": 11, "ORG_DUAL_LIFE": 3})],
        form,
        registry,
    )
    previous = PreviousPeriod("上期.xlsx", form.id, "1.0", "2021年下半年",
                              {"ORG_HEART_TALK": 10, "ORG_GROUP_MTG": 10, "ORG_DUAL_LIFE": 0, "GONE_X": 4})  # fmt: skip
    comparison = compare(result, form, previous)
    assert comparison.changes["ORG_GROUP_MTG"].flagged is False  # +10%
    assert comparison.changes["ORG_HEART_TALK"].flagged is False  # +20% is not over ±20%
    assert (
        comparison.changes["ORG_DUAL_LIFE"].flagged
        and comparison.changes["ORG_DUAL_LIFE"].ratio is None
    )
    assert comparison.dropped == [("GONE_X", "")] and "DOC_ISSUED" in comparison.new


def test_reminders_skip_read_warnings_but_ask_about_rule_warnings(form, registry) -> None:
    coerced = sub("LJ100", {}, Status.ACCEPTED_WITH_WARNINGS)
    coerced.problems.append(
        make_problem(ProblemCode.VALUE_COERCED, label="a", value="3人", result=3, how="去掉单位")
    )
    ruled = sub("LJ200", {}, Status.ACCEPTED_WITH_WARNINGS)
    ruled.problems.append(
        make_problem(
            ProblemCode.RULE_FAILED, severity=Severity.WARNING, message="[V27a] 核实", detail="d"
        )
    )
    rejected = sub("LJ301", {}, Status.REJECTED)
    rejected.problems.append(
        make_problem(
            ProblemCode.VALUE_REQUIRED, label="谈心谈话", hint="请填写", sheet="一", cell="E9"
        )
    )
    noted = sub("LJ102", {}, Status.ACCEPTED_WITH_WARNINGS)  # a 全系统 return's scope note
    noted.problems.append(
        make_problem(ProblemCode.RULE_SCOPE_NOTE, message="[V25e] 核实", detail="d")
    )
    subs = [sub("LJ000", {}), coerced, ruled, rejected, noted] + [
        sub(u.code, {}) for u in registry.units[5:]
    ]
    found = {r.unit.code: r for r in reminders(form, registry, subs, dt.date(2022, 7, 20))}
    assert found["LJ200"].situation == TO_EXPLAIN and found["LJ301"].situation == REJECTED
    assert found["LJ101"].situation == MISSING and "LJ100" not in found and "LJ000" not in found
    assert "LJ102" not in found  # a scope note asks for nothing
    assert "“一”表 E9" in found["LJ301"].message and "7月20日" in found["LJ101"].message


def test_reconciliation_finds_a_summary_figure_that_disagrees_with_its_ledger(
    form, registry
) -> None:
    rows = [{"_row_id": "r", "_sheet": "处分明细", "_row": 3, "party_sanction": "警告"}]
    good = sub("LJ101", {"DISC_PARTY_WARNING": 1}, ledgers={"DISC_CASES": rows})
    assert not [
        c for c in reconcile(consolidate([good], form, registry), form, registry) if c.difference
    ]
    bad = sub("LJ101", {"DISC_PARTY_WARNING": 2}, ledgers={"DISC_CASES": rows})
    differences = [
        c for c in reconcile(consolidate([bad], form, registry), form, registry) if c.difference
    ]
    assert [(c.code, c.figure, c.parts) for c in differences] == [("DISC_PARTY_WARNING", 2, 1)]
