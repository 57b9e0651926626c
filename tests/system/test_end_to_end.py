"""Fill the real template for several units, run the CLI, read the outputs back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import warnings
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.core.catalogue import ProblemCode
from pipeline.publish.consolidated import consolidated_filename
from tests.support.paths import FORM_PATH, UNITS_PATH
from tests.support.programs import needs_libreoffice, soffice_convert

pytestmark = pytest.mark.slow  # runs the real pipeline over a whole inbox

CLEAN = ["LJ000", "LJ100", "LJ101", "LJ103", "LJ301"]
SHEETS = ["汇总", "分单位", "报送情况", "审核问题", "说明"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def run(form, registry, template, tmp_path_factory):
    """One inbox as a clerk receives it, consolidated once through the CLI."""
    from pipeline.demo.fill import fill_return
    from pipeline.demo.sample import sample_return

    inbox = tmp_path_factory.mktemp("inbox")
    out = tmp_path_factory.mktemp("out")
    samples = {}
    for n, code in enumerate(CLEAN):
        samples[code] = sample_return(form, registry, registry.by_code(code), seed=100 + n)
        fill_return(
            form, template, inbox / f"{code} 报表.xlsx", samples[code].values, samples[code].ledgers
        )
    bad = sample_return(form, registry, registry.by_code("LJ102"), seed=7)
    fill_return(
        form, template, inbox / "城西水厂.xlsx", bad.values | {"EDU_CG_STUDY": "**"}, bad.ledgers
    )
    # One unit sends twice: the later 填报日期 wins, whatever the file names say.
    twice = sample_return(form, registry, registry.by_code("LJ201"), seed=8)
    newer = dict(twice.values, SUBMIT_DATE=twice.values["SUBMIT_DATE"] + dt.timedelta(days=2))
    fill_return(
        form,
        template,
        inbox / "z_旧版.xlsx",
        twice.values | {"ORG_HEART_TALK": 99999999},
        twice.ledgers,
    )
    fill_return(form, template, inbox / "a_新版.xlsx", newer, twice.ledgers)
    samples["LJ201"] = type(twice)(twice.unit, newer, twice.ledgers)
    (inbox / "~$LJ000 报表.xlsx").write_bytes(b"lock")
    (inbox / "说明.txt").write_text("请查收", encoding="utf-8")
    before = {p.name: sha(p) for p in inbox.iterdir()}
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(out), "--quiet",
                                      "--form", str(FORM_PATH), "--units", str(UNITS_PATH)])  # fmt: skip
    return {"inbox": inbox, "out": out, "result": result, "samples": samples, "before": before}


@pytest.fixture(scope="module")
def output(run, form):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(run["out"] / consolidated_filename(form))


def test_exit_status_is_3_when_a_file_is_rejected(run) -> None:
    assert run["result"].exit_code == 3, run["result"].output
    assert "退回" in run["result"].output and "Traceback" not in run["result"].output


def test_manifest_accounts_for_every_file(run) -> None:
    manifest = json.loads((run["out"] / "manifest.json").read_text(encoding="utf-8"))
    status = {f["name"]: f["status"] for f in manifest["files"]}
    assert set(status) == set(run["before"])
    assert status["城西水厂.xlsx"] == "rejected"
    assert status["a_新版.xlsx"] == "accepted" and status["z_旧版.xlsx"] == "superseded"
    assert status["~$LJ000 报表.xlsx"] == "ignored" and status["说明.txt"] == "rejected"
    assert all(status[f"{c} 报表.xlsx"] == "accepted" for c in CLEAN)
    reasons = {f["name"]: f["reason"] for f in manifest["files"]}
    assert "EDU_CG_STUDY" not in reasons["城西水厂.xlsx"] and "*" in reasons["城西水厂.xlsx"]
    assert all(reasons[n] for n, s in status.items() if s in ("rejected", "ignored"))
    assert manifest["outputs"]["consolidated"].endswith(".xlsx")


def test_inputs_are_never_modified(run) -> None:
    assert {p.name: sha(p) for p in run["inbox"].iterdir()} == run["before"]


def summary_rows(output) -> dict[str, tuple]:
    rows = {}
    for row in output["汇总"].iter_rows(min_row=5, values_only=True):
        if row[0] and row[1]:
            rows[row[0]] = row
    return rows


def test_every_sum_total_equals_the_sum_of_accepted_returns(run, form, output) -> None:
    rows = summary_rows(output)
    accepted = run["samples"].values()
    checked = 0
    for ind in form.consolidated_indicators:
        if ind.aggregation != "sum":
            continue
        values = [form.derived_value(ind.code, s.values) if ind.derived else s.values.get(ind.code)
                  for s in accepted]  # fmt: skip
        present = [v for v in values if v is not None]
        expected = sum(present) if present else None
        assert rows[ind.code][3] == expected, ind.code
        assert rows[ind.code][4] == len(present), ind.code
        checked += 1
    assert checked > 100


def test_cover_counts_open_the_summary_as_a_basic_group(run, form, output) -> None:
    """在职人数, 党员数, 党支部数, 领导班子成员数: the figures every office report opens with."""
    ws = output["汇总"]
    assert ws.cell(5, 1).value == "基本情况"
    codes = [ws.cell(row, 1).value for row in range(6, 6 + len(form.cover_counts.indicators))]
    assert codes == ["STAFF_COUNT", "PARTY_MEMBERS", "BRANCH_COUNT", "LEADERS_COUNT"]
    staff = sum(s.values["STAFF_COUNT"] for s in run["samples"].values())
    assert summary_rows(output)["STAFF_COUNT"][3] == staff > 0


def test_workbook_has_every_sheet_with_frozen_headers(form, output) -> None:
    assert output.sheetnames[:2] == SHEETS[:2]
    for name in SHEETS + [lg.sheet for lg in form.ledgers]:
        assert name in output.sheetnames
        assert output[name].freeze_panes or name == "说明", name


def test_by_unit_sheet_lists_every_unit_with_status(registry, output) -> None:
    ws = output["分单位"]
    by_code = {row[0]: row for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}
    for unit in registry.units:
        assert unit.code in by_code
    assert by_code["LJ305"][2] == "未报送"
    assert by_code["LJ102"][2] == "退回"


def test_status_sheet_names_both_files_of_a_resubmitting_unit(output) -> None:
    rows = [r for r in output["报送情况"].iter_rows(min_row=2, values_only=True) if r[0] == "LJ201"]
    assert sorted(r[4] for r in rows) == ["a_新版.xlsx", "z_旧版.xlsx"]


def test_problems_sheet_locates_the_mask(output) -> None:
    rows = list(output["审核问题"].iter_rows(min_row=2, values_only=True))
    mask = [
        r for r in rows if r[5] == "EDU_CG_STUDY" and r[6] == ProblemCode.VALUE_NOT_INTEGER.name
    ]
    assert mask and mask[0][3] and mask[0][4] and mask[0][9] == "**"


def test_ledger_sheets_hold_the_accepted_rows(run, form, output) -> None:
    for ledger in form.ledgers:
        expected = sum(len(s.ledgers.get(ledger.id, [])) for s in run["samples"].values())
        rows = [r for r in output[ledger.sheet].iter_rows(min_row=2, values_only=True) if r[0]]
        assert len(rows) == expected, ledger.id


def test_text_from_inputs_is_never_a_formula(form, registry, template, tmp_path) -> None:
    from pipeline.demo.fill import fill_return
    from pipeline.demo.sample import sample_return

    s = sample_return(form, registry, registry.by_code("LJ101"), seed=3)
    ledger = next(
        lg for lg in form.ledgers if any(c.type == "text" and not c.pii for c in lg.columns)
    )
    column = next(c for c in ledger.columns if c.type == "text" and not c.pii)
    rows = s.ledgers.get(ledger.id) or []
    rows = [{**(rows[0] if rows else {}), column.key: '=HYPERLINK("http://x","y")'}] + rows[1:]
    s.ledgers[ledger.id] = rows
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    path = fill_return(form, template, inbox / "x.xlsx", s.values, s.ledgers)
    # A unit that types '=... makes text that looks like a formula; store it as text.
    book = openpyxl.load_workbook(path)
    for row in book[ledger.sheet].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK"):
                cell.data_type = "s"
    book.save(path)
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output  # accepted: text that looks like a formula
    ws = openpyxl.load_workbook(out / consolidated_filename(form))[ledger.sheet]
    cells = [
        c
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cells and all(c.data_type == "s" for c in cells)


def test_same_inputs_give_the_same_workbook(run, form, output, tmp_path) -> None:
    again = tmp_path / "again"
    result = CliRunner().invoke(cli, ["consolidate", str(run["inbox"]), "--out", str(again), "-q"])
    assert result.exit_code == run["result"].exit_code == 3, result.output
    second = openpyxl.load_workbook(again / consolidated_filename(form))
    for name in output.sheetnames:
        if name == "说明":
            continue  # holds the run time
        first_values = [r for r in output[name].iter_rows(values_only=True)]
        assert first_values == list(second[name].iter_rows(values_only=True)), name


@needs_libreoffice
def test_outputs_open_in_libreoffice(run, form, template, tmp_path) -> None:
    workbook = run["out"] / consolidated_filename(form)
    for number, path in enumerate((workbook, template)):
        copy = tmp_path / f"in{number}.xlsx"
        shutil.copy(path, copy)
        pdf = soffice_convert(copy, "pdf", tmp_path / f"pdf{number}")
        assert pdf.stat().st_size > 1000
