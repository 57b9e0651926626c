"""The result cache's JSON form of a checked return: problem codes as their plain strings, and
strict decoding that refuses what this program never writes."""

from __future__ import annotations

import json
import math

import pytest

from pipeline.check.validate import validate
from pipeline.core.catalogue import ProblemCode
from pipeline.core.records import RawValue
from pipeline.run import json_bytes
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


@pytest.mark.parametrize(
    "value", [2**64, -(2**63) - 1, 2**63 - 1, float("inf"), float("-inf"), 1.5, True, None]
)
def test_values_a_fast_json_library_would_change_round_trip_exactly(checked, value) -> None:
    """orjson reads an integer beyond 64 bits as a float and writes NaN as null: the codec
    tags both, so the cache and the archive give back exactly what was stored."""
    checked.values["STAFF_COUNT"] = value
    again = decode(json_bytes.loads(json_bytes.dumps(encode(checked))))
    assert again.values["STAFF_COUNT"] == value
    assert type(again.values["STAFF_COUNT"]) is type(value)
    assert decode(json.loads(json.dumps(encode(checked)))).values == again.values


def test_not_a_number_round_trips_as_a_float(checked) -> None:
    checked.values["STAFF_COUNT"] = float("nan")
    again = decode(json_bytes.loads(json_bytes.dumps(encode(checked))))
    assert math.isnan(again.values["STAFF_COUNT"])


def test_a_lone_surrogate_goes_the_standard_librarys_way(checked) -> None:
    checked.reason = "坏\udcb3"
    assert decode(json_bytes.loads(json_bytes.dumps(encode(checked)))).reason == "坏\udcb3"


def test_decoded_results_share_their_cells_and_keys(checked) -> None:
    """What a re-run decodes is already compact: one cells dict for every return of the
    template, interned keys (a thousand cached results are not rebuilt a second time)."""
    first = decode(json.loads(json.dumps(encode(checked))))
    second = decode(json.loads(json.dumps(encode(checked))))
    assert first.cells is second.cells
    assert first.cells == checked.cells
    assert first.cells is checked.compact().cells
    assert all(a is b for a, b in zip(first.values, second.values, strict=True))


def test_code_list_texts_in_ledger_rows_are_one_object_across_returns(form, checked) -> None:
    """A code list's texts repeat in every ledger row of every return: the parent holds one
    object per text, whether the result was decoded or came from a worker; free text (a
    title, a name) is left alone."""
    stored = json.dumps(encode(checked))
    copies = [decode(json.loads(stored), form.choice_keys) for _ in range(2)]
    copies += [decode(json.loads(stored)).compact(form.choice_keys) for _ in range(2)]
    ledger = next(lg for lg in form.ledgers if checked.ledgers.get(lg.id))
    choice = next(c.key for c in ledger.columns if c.choices)
    free = next(c.key for c in ledger.columns if c.type == "text" and not c.choices)
    first = [sub.ledgers[ledger.id][0] for sub in copies]
    assert type(first[0][choice]) is str and type(first[0][free]) is str
    assert all(row[choice] is first[0][choice] for row in first)
    assert all(row["_sheet"] is first[0]["_sheet"] for row in first)
    assert len({id(row[free]) for row in first}) == len(first)
    assert all(sub.ledgers == checked.ledgers for sub in copies)


@pytest.mark.parametrize("tagged", [{"int": 7}, {"float": "1.0"}, {"int": "x"}, {"float": None}])
def test_a_malformed_tag_is_refused(checked, tagged) -> None:
    data = json.loads(json.dumps(encode(checked)))
    data["values"]["STAFF_COUNT"] = tagged
    with pytest.raises(CodecError):
        decode(data)
