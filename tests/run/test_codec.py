"""The result cache's JSON form of a checked return: problem codes as their plain strings, and
strict decoding that refuses what this program never writes."""

from __future__ import annotations

import json

import pytest

from pipeline.check.validate import validate
from pipeline.core.catalogue import ProblemCode
from pipeline.core.records import RawValue
from pipeline.run.codec import CodecError, decode, encode
from tests.support.builders import raw_from_sample


@pytest.fixture
def checked(form, registry, sample):
    raw = raw_from_sample(form, sample("LJ101"))
    old = raw.values["ORG_HEART_TALK"]
    raw.values["ORG_HEART_TALK"] = RawValue("12人", old.sheet, old.cell)
    raw.values["EDU_CG_STUDY"] = RawValue("若干", old.sheet, "E30")
    return validate(raw, form, registry)


def test_problem_codes_round_trip_as_plain_strings(checked) -> None:
    data = json.loads(json.dumps(encode(checked)))
    assert [p["code"] for p in data["problems"]] == ["VALUE_COERCED", "VALUE_NOT_INTEGER"]
    again = decode(data)
    assert [p.code for p in again.problems] == [
        ProblemCode.VALUE_COERCED,
        ProblemCode.VALUE_NOT_INTEGER,
    ]
    assert again.problems == checked.problems


@pytest.mark.parametrize("code", ["NO_SUCH_CODE", "value_coerced", "", "__class__", 7])
def test_an_unknown_problem_code_is_refused(checked, code) -> None:
    data = json.loads(json.dumps(encode(checked)))
    data["problems"][0]["code"] = code
    with pytest.raises(CodecError):
        decode(data)


def test_explanations_round_trip_and_older_records_have_none(form, registry, sample) -> None:
    raw = raw_from_sample(form, sample("LJ101"))
    raw.values["EXPLAIN_ORG_HEART_TALK"] = RawValue(
        "  新增专项\n谈话 ", "一 政治建设与议事决策", "I9"
    )
    checked = validate(raw, form, registry)
    assert checked.explanations == {"ORG_HEART_TALK": "新增专项 谈话"}  # blanks folded
    assert checked.cells["EXPLAIN_ORG_HEART_TALK"] == ("一 政治建设与议事决策", "I9")
    data = json.loads(json.dumps(encode(checked)))
    assert decode(data).explanations == checked.explanations
    del data["explanations"]  # a return kept in the archive before 变动说明 existed
    assert decode(data).explanations == {}
