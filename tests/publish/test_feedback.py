"""Feedback workbooks: marked copy of the unit's own workbook, nothing active carried over,
and the round trip: the unit fixes the copy, sends it back, the next run accepts it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import sample_return
from pipeline.publish.feedback.content import FEEDBACK_FOLDER, FEEDBACK_SHEET
from pipeline.publish.template import template_formulas
from pipeline.run import pool as workers_module
from tests.support.workbooks import named_cell as named
from tests.support.workbooks import opened as load


@pytest.fixture(scope="module")
def unit_return(form, registry, template, tmp_path_factory) -> dict:
    """A return with one error (a mask), one warning ("12人次"), a foreign formula, an external
    hyperlink and a macro part: what a real unit's workbook may carry."""
    inbox = tmp_path_factory.mktemp("fb_inbox")
    s = sample_return(form, registry, registry.by_code("LJ102"), seed=21)
    talks = s.values["ORG_HEART_TALK"]
    values = s.values | {"EDU_CG_STUDY": "*", "ORG_HEART_TALK": f"{talks}人次"}
    path = fill_return(form, template, inbox / "城西水厂.xlsm", values, s.ledgers)
    book = load(path)
    cover = book[form.cover.sheet]
    cover["F1"] = "=cmd|'/c calc'!A1"  # a DDE-style formula somewhere in the unit's file
    cover["F2"].hyperlink = "http://example.invalid/x"
    cover["F2"] = "链接"
    book.save(path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"macro bytes")
    out = tmp_path_factory.mktemp("fb_out")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(out), "-q"])
    return {
        "inbox": inbox,
        "out": out,
        "path": path,
        "sample": s,
        "before": before,
        "result": result,
    }


@pytest.fixture(scope="module")
def feedback_path(unit_return) -> Path:
    [path] = (unit_return["out"] / FEEDBACK_FOLDER).iterdir()
    return path


def test_feedback_is_named_for_the_unit_and_listed_in_the_manifest(
    unit_return, feedback_path
) -> None:
    assert feedback_path.name == "LJ102_临江市供水集团城西水厂_审核意见.xlsx"
    manifest = json.loads((unit_return["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["feedback"] == [f"{FEEDBACK_FOLDER}/{feedback_path.name}"]
    assert hashlib.sha256(unit_return["path"].read_bytes()).hexdigest() == unit_return["before"]


def test_problem_cells_are_coloured_and_commented(feedback_path) -> None:
    book = load(feedback_path)
    error, warning = named(book, "EDU_CG_STUDY"), named(book, "ORG_HEART_TALK")
    assert error.fill.fgColor.rgb.endswith("FFC7CE") and "错误" in error.comment.text
    assert warning.fill.fgColor.rgb.endswith("FFEB9C") and "警告" in warning.comment.text


def test_first_sheet_lists_every_problem_with_a_link(feedback_path) -> None:
    book = load(feedback_path)
    assert book.sheetnames[0] == FEEDBACK_SHEET
    ws = book[FEEDBACK_SHEET]
    rows = [r for r in ws.iter_rows(min_row=5) if r[0].value]
    assert len(rows) == 2
    for row in rows:
        link = row[3].hyperlink
        assert link.location == f"'{row[2].value}'!{row[3].value}" and not link.target


def test_nothing_active_survives(feedback_path, form) -> None:
    book = load(feedback_path)
    ours = {place: "=" + text for place, text in template_formulas(form).items()}
    assert len(ours) > len(form.rules)  # the totals, the 自查 results and the cover's count
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    place = (ws.title, cell.coordinate)
                    assert cell.value == ours.get(place), (place, cell.value)
                if cell.hyperlink is not None:
                    assert ws.title == FEEDBACK_SHEET and not cell.hyperlink.target
    with zipfile.ZipFile(feedback_path) as zf:
        assert not [n for n in zf.namelist() if "vbaProject" in n or "externalLink" in n]


def test_unit_fixes_the_copy_and_the_next_run_accepts_it(
    unit_return, feedback_path, tmp_path
) -> None:
    book = load(feedback_path)
    s = unit_return["sample"]
    named(book, "EDU_CG_STUDY").value = s.values["EDU_CG_STUDY"]
    named(book, "ORG_HEART_TALK").value = s.values["ORG_HEART_TALK"]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    book.save(inbox / feedback_path.name)
    result = CliRunner().invoke(
        cli, ["consolidate", str(inbox), "--out", str(tmp_path / "out"), "-q"]
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [f["status"] for f in manifest["files"]] == ["accepted"], result.output
    assert result.exit_code == 0


def test_check_reports_and_writes_feedback_without_consolidating(unit_return, tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["check", str(unit_return["path"]), "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 3
    assert "不得用 * 号代替数字" in result.output and "反馈表" in result.output
    assert [p.name for p in tmp_path.iterdir()] == [FEEDBACK_FOLDER]


def _broken_feedback(*args) -> None:
    raise RuntimeError("disk full")


@pytest.mark.parametrize("command", ["check", "consolidate"])
def test_a_feedback_workbook_that_cannot_be_made_is_said_and_the_run_goes_on(
    unit_return, tmp_path, monkeypatch, command
) -> None:
    monkeypatch.setattr(workers_module, "make_feedback", _broken_feedback)
    source = unit_return["path"] if command == "check" else unit_return["inbox"]
    result = CliRunner().invoke(cli, [command, str(source), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 3, result.output
    assert f"未能生成反馈表：{unit_return['path'].name}（RuntimeError: disk full）" in result.output
    assert not list((tmp_path / FEEDBACK_FOLDER).iterdir())
