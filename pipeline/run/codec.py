"""A checked result (Submission) as plain JSON data and back, with a strict schema.

The result cache keeps what a worker returned between runs. Whatever is read back from disk
must not be able to run code (pickle could) or smuggle in a type the pipeline never makes:
decoding accepts exactly the shapes `encode` writes, and raises CodecError for anything else.
Values are None, bool, int, float, str, a date / datetime tagged as {"date": "…"}, or the
choices of a multi-select cell, a tuple of texts tagged as {"choices": [...]}. An integer
beyond 64 bits ({"int": "…"}) and a non-finite float ({"float": "nan"}) are tagged too: a
fast JSON library would turn the one into a float and the other into null.

A decoded Submission is already compact (Submission.compact): its figures and ledger rows
are tuples under shared keys, code-list texts interned, its indicator cells shared with every
return of the same layout, so a re-run's thousand cached results are not rebuilt twice.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Sequence
from typing import Any

from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.problems import Problem
from pipeline.core.records import (
    MAX_LAYOUTS,
    Status,
    Submission,
    compact_rows,
    shared_cells,
    shared_values,
)

SCHEMA = 1
_PROBLEM_FIELDS = ("message", "file", "unit", "sheet", "cell", "indicator", "value")
_PLAIN = frozenset({type(None), bool, str})  # kept as they are, both ways
_INT64 = range(-(2**63), 2**63)


class CodecError(ValueError):
    """The data is not a result this program wrote."""


# Encode


def encode(sub: Submission) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "file": sub.file,
        "sha256": sub.sha256,
        "mtime": sub.mtime,
        "unit_code": sub.unit_code,
        "unit_name": sub.unit_name,
        "submitted": _value(sub.submitted),
        "values": {code: _value(v) for code, v in sub.values.items()},
        "cells": {code: [sheet, cell] for code, (sheet, cell) in sub.cells.items()},
        "ledgers": {
            ledger: [{key: _value(v) for key, v in row.items()} for row in rows]
            for ledger, rows in sub.ledgers.items()
        },
        "problems": [_problem(p) for p in sub.problems],
        "explanations": dict(sub.explanations),
        "status": sub.status.value,
        "reason": sub.reason,
        "timing": list(sub.timing),
    }


def encode_row(row: Sequence[object]) -> list[object]:
    """A row of values in the JSON form `encode` gives values (decode_row reads it back)."""
    return [v if v is None or type(v) is str else _value(v) for v in row]


def _value(value: object) -> object:
    kind = type(value)
    if kind in _PLAIN or (kind is int and value in _INT64):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"float": repr(value)}  # type: ignore[arg-type]
    if kind is int:
        return {"int": str(value)}
    if type(value) is dt.datetime:
        return {"datetime": value.isoformat()}
    if type(value) is dt.date:
        return {"date": value.isoformat()}
    if type(value) is tuple and all(type(item) is str for item in value):
        return {"choices": list(value)}
    raise CodecError(f"no JSON form for {type(value).__name__}")


def _problem(p: Problem) -> dict[str, str]:
    fields = {name: getattr(p, name) for name in _PROBLEM_FIELDS}
    return {"code": p.code.name, "severity": p.severity.value} | fields


# Decode


def decode(data: object, shared: frozenset[str] = frozenset()) -> Submission:
    """The Submission `encode` described, compact (Submission.compact, `shared` the ledger
    columns whose texts are interned); CodecError for anything else."""
    record = _mapping(data)
    if record.get("schema") != SCHEMA:
        raise CodecError("unknown schema")
    try:
        sub = Submission(
            file=_text(record["file"]),
            sha256=_text(record["sha256"]),
            mtime=_number(record["mtime"]),
            unit_code=_text(record["unit_code"]),
            unit_name=_text(record["unit_name"]),
            submitted=_date_or_none(record["submitted"]),
            values=shared_values(_values(record["values"])),
            cells=_cells(record["cells"]),
            ledgers={
                sys.intern(_text(k)): compact_rows([_values(row) for row in _list(rows)], shared)
                for k, rows in _mapping(record["ledgers"]).items()
            },
            problems=[_decoded_problem(p) for p in _list(record["problems"])],
            # Absent from returns kept before 变动说明 existed (the archive keeps them all).
            explanations={
                _text(k): _text(v) for k, v in _mapping(record.get("explanations", {})).items()
            },
            status=Status(record["status"]),
            reason=_text(record["reason"]),
            timing=_timing(record["timing"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(str(exc)) from None
    return sub


def _values(data: object) -> dict[str, object]:
    """An object of values (indicators, a ledger row), keys interned (sys.intern refuses
    anything but a text)."""
    intern = sys.intern
    return {intern(k): v if type(v) in _SIMPLE else _decoded(v) for k, v in _mapping(data).items()}


def decode_row(data: object) -> tuple[object, ...]:
    """The row `encode_row` wrote; CodecError for anything else."""
    return tuple(v if type(v) in _SIMPLE else _decoded(v) for v in _list(data))


_SIMPLE = _PLAIN | {int, float}
_STORED_LAYOUTS: list[tuple[dict, dict[str, tuple[str, str]]]] = []  # (as stored, shared)


def _cells(data: object) -> dict[str, tuple[str, str]]:
    """Where each indicator was typed: every return of one template has the same cells, so
    an object equal to one decoded before is that one's shared dict."""
    stored = _mapping(data)
    for known, shared in _STORED_LAYOUTS:
        if known == stored:
            return shared
    cells = shared_cells({_text(k): _pair(v) for k, v in stored.items()})
    if len(_STORED_LAYOUTS) < MAX_LAYOUTS:
        _STORED_LAYOUTS.append((stored, cells))
    return cells


def _decoded(value: object) -> object:
    if type(value) in _SIMPLE:
        return value
    tagged = _mapping(value)
    if len(tagged) == 1 and type(tagged.get("date")) is str:
        return dt.date.fromisoformat(tagged["date"])
    if len(tagged) == 1 and type(tagged.get("datetime")) is str:
        return dt.datetime.fromisoformat(tagged["datetime"])
    if len(tagged) == 1 and "choices" in tagged:
        return tuple(_text(item) for item in _list(tagged["choices"]))
    if len(tagged) == 1 and type(tagged.get("int")) is str:
        return int(tagged["int"])
    if len(tagged) == 1 and tagged.get("float") in ("nan", "inf", "-inf"):
        return float(tagged["float"])
    raise CodecError("unknown value")


def _date_or_none(value: object) -> dt.date | None:
    decoded = _decoded(value)
    if decoded is None:
        return None
    if isinstance(decoded, dt.date) and not isinstance(decoded, dt.datetime):
        return decoded
    raise CodecError("not a date")


def _decoded_problem(data: object) -> Problem:
    record = _mapping(data)
    fields = {name: _text(record[name]) for name in _PROBLEM_FIELDS}
    code = ProblemCode[_text(record["code"])]  # KeyError: a code this program does not have
    return Problem(code=code, severity=Severity(record["severity"]), **fields)


def _pair(value: object) -> tuple[str, str]:
    sheet, cell = _list(value)
    return _text(sheet), _text(cell)


def _timing(value: object) -> tuple[float, float]:
    reading, validating = _list(value)
    return _number(reading), _number(validating)


def _mapping(value: object) -> dict:
    if type(value) is not dict:
        raise CodecError("expected an object")
    return value


def _list(value: object) -> list:
    if type(value) is not list:
        raise CodecError("expected a list")
    return value


def _text(value: object) -> str:
    if type(value) is not str:
        raise CodecError("expected text")
    return value


def _number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise CodecError("expected a number")
