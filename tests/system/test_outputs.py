"""The demo's outputs beyond the workbook: 核对, 图表, 催报, the 脱敏 copy, the report draft,
period comparison and the level cut. One demo run through the CLI, read back from files."""

from __future__ import annotations

import re
import shutil
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.consolidated import consolidated_filename
from pipeline.publish.report_files import report_filename
from pipeline.publish.share import share_filename
from pipeline.read.returns import read_return
from tests.support.paths import FORM_PATH, UNITS_PATH
from tests.support.programs import needs_libreoffice, soffice_convert

pytestmark = pytest.mark.slow  # runs the real pipeline over a whole inbox

DEFINITION = ["--form", str(FORM_PATH), "--units", str(UNITS_PATH)]


def load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(
        cli, ["demo", "--inbox", str(base / "in"), "--out", str(base / "out"), "-q", *DEFINITION]
    )
    return {"inbox": base / "in", "out": base / "out", "result": result}


@pytest.fixture(scope="module")
def workbook(demo, form):
    return load(demo["out"] / consolidated_filename(form))


def test_demo_exits_0_and_writes_every_output(demo, form) -> None:
    assert demo["result"].exit_code == 0, demo["result"].output
    out = demo["out"]
    for name in (share_filename(form), report_filename(form), report_filename(form, ".md"),
                 "催报清单.txt", f"上报_临江市水务局_{form.period.label}.xlsx"):  # fmt: skip
        assert (out / name).is_file(), name


def test_reconciliation_of_the_demo_shows_no_difference(workbook) -> None:
    ws = workbook["核对"]
    assert "全部一致" in ws["A2"].value
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(rows) > 400 and all(r[6] == 0 and r[8] == "一致" for r in rows)
    assert {r[0] for r in rows} == {"层级合计", "台账核对"}


def test_chart_sheet_has_five_native_charts(workbook, form) -> None:
    sheets = workbook.sheetnames
    assert sheets[:5] == ["汇总", "分单位", "图表", "核对", "催报"]
    assert len(workbook["图表"]._charts) == 5
    text = [
        c.value for row in workbook["图表"].iter_rows() for c in row if isinstance(c.value, str)
    ]
    for title in ("报送情况（单位数）", "监督执纪“四种形态”（人次）", "未报送", "党纪·警告"):
        assert title in text


def test_reminders_list_missing_and_rejected_units_with_a_message(demo, workbook) -> None:
    text = (demo["out"] / "催报清单.txt").read_text(encoding="utf-8")
    assert "临江市节约用水办公室（LJ305） 未报送" in text and "黄建平" in text
    assert "临江市供水集团城东水厂（LJ101） 退回修改" in text
    rows = [r for r in workbook["催报"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert {r[0]: r[3] for r in rows} == {
        "LJ101": "退回修改",
        "LJ201": "退回修改",
        "LJ305": "未报送",
    }
    assert all(r[8].endswith("——临江市水务局") and "您好" in r[8] for r in rows)


def input_names(inbox: Path, form, registry) -> set[str]:
    """Every personal name or phone number that any input file or the registry holds."""
    pii = {(lg.id, c.label) for lg in form.ledgers for c in lg.columns if c.pii}
    found = set()
    for path in inbox.glob("*.xlsx"):
        if path.name.startswith("~$"):
            continue
        raw = read_return(path, form, "", 0)
        for code in ("FILLER", "FILLER_PHONE", "APPROVER"):
            if code in raw.values and raw.values[code].value:
                found.add(str(raw.values[code].value))
        for ledger in raw.ledgers.values():
            for _, row in ledger.rows:
                found |= {str(v) for label, v in row.items() if (ledger.id, label) in pii and v}
    found |= {u.contact for u in registry.units if u.contact}
    found |= {u.phone for u in registry.units if u.phone}
    return found


def test_share_copy_carries_no_personal_data(demo, form, registry) -> None:
    names = input_names(demo["inbox"], form, registry)
    assert len(names) > 50  # the demo has names to find
    book = load(demo["out"] / share_filename(form))
    texts = [str(n.value) for n in book.defined_names.values()]
    for ws in book.worksheets:
        assert ws.sheet_state == "visible", ws.title
        texts += [ws.title]
        for row in ws.iter_rows():
            for cell in row:
                assert cell.comment is None
                if cell.value is not None:
                    texts.append(str(cell.value))
    leaks = {n for n in names for t in texts if n in t}
    assert not leaks
    masked = [r for r in book["处分明细"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert masked and all(r[2] == "***" for r in masked)  # 姓名 column, masked
    headers = [c.value for c in book["处分明细"][1]]
    assert "决定机关" not in headers and "审核问题" not in book.sheetnames


def test_share_copy_suppresses_small_sanction_counts_per_unit(demo, form) -> None:
    book = load(demo["out"] / share_filename(form))
    ws = book["分单位"]
    header = [c.value for c in ws[1]]
    col = next(n for n, h in enumerate(header) if h and h.startswith("党纪处分：警告"))
    values = [r[col] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] != "LJ000"]
    assert "<3" in values and not {1, 2} & set(values)


def test_report_draft_follows_the_generation_rules(demo, form) -> None:
    text = (demo["out"] / report_filename(form, ".md")).read_text(encoding="utf-8")
    for number in "一二三四五六":
        assert f"\n## {number}、" in text
    assert "2022年上半年，给予党内警告" in text
    assert not re.search(r"[、，（]0(人|次|起|个|件|份|条|篇|项|家)", text)  # zeros are omitted
    assert "***列席指导" in text and "附：数字来源" in text
    body = text.split("## 附：数字来源")[0]
    assert not {n for n in input_names(demo["inbox"], form, _registry()) if n in body}


def _registry():
    from pipeline.read.registry_file import load_registry

    return load_registry(UNITS_PATH)


@needs_libreoffice
def test_report_docx_opens_in_libreoffice(demo, form, tmp_path) -> None:
    copy = tmp_path / "report.docx"
    shutil.copy(demo["out"] / report_filename(form), copy)
    pdf = soffice_convert(copy, "pdf", tmp_path / "pdf")
    assert pdf.stat().st_size > 20_000


def previous_period(path: Path, target: Path) -> Path:
    """An earlier workbook: another period, version 1.0, one indicator dropped, one gone."""
    book = load(path)
    about = book["说明"]
    for row in about.iter_rows():
        if row[0].value == "报告期":
            row[1].value = "2021年下半年（2021-07-01 至 2021-12-31）"
        if row[0].value == "表样版本":
            row[1].value = "1.0"
    ws = book["汇总"]
    for row in ws.iter_rows(min_row=5):
        if row[0].value == "ORG_HEART_TALK":
            row[3].value = 10
        elif row[0].value == "ORG_BRANCH_GM":
            row[3].value = row[3].value  # unchanged: no explanation needed
        elif row[0].value == "DOC_ISSUED":
            row[0].value = "OLD_DOC_COUNT"  # renamed in the new version
    book.save(target)
    return target


def test_comparison_with_an_earlier_period(demo, form, workbook, tmp_path) -> None:
    previous = previous_period(demo["out"] / consolidated_filename(form), tmp_path / "上期.xlsx")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["consolidate", str(demo["inbox"]), "--out", str(out), "-q", "--compare", str(previous), *DEFINITION]
    )  # fmt: skip
    assert result.exit_code == 3 and "需说明" in result.output, result.output
    ws = load(out / consolidated_filename(form))["汇总"]
    header = [c.value for c in ws[4]]
    assert header[8:12] == ["上期（2021年下半年）", "增减", "增减%", "说明要求"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    heart = rows["ORG_HEART_TALK"]
    assert heart[8] == 10 and heart[9] == heart[3] - 10 and heart[11] == "需说明"
    assert abs(heart[10] - (heart[3] - 10) / 10) < 1e-9
    assert rows["ORG_BRANCH_GM"][9] == 0 and rows["ORG_BRANCH_GM"][11] is None
    assert rows["DOC_ISSUED"][11] == "上期无此指标"
    listed = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("OLD_DOC_COUNT") for v in listed)


def test_compare_refuses_a_workbook_of_the_same_period(demo, form, tmp_path) -> None:
    same = demo["out"] / consolidated_filename(form)
    result = CliRunner().invoke(
        cli, ["consolidate", str(demo["inbox"]), "--out", str(tmp_path), "--compare", str(same), *DEFINITION]
    )  # fmt: skip
    assert result.exit_code == 2 and "报告期" in result.output


def test_level_cut_adds_columns_that_add_up_to_the_total(demo, form, tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["consolidate", str(demo["inbox"]), "--out", str(tmp_path), "-q", "--level", "1", *DEFINITION]
    )  # fmt: skip
    assert result.exit_code == 3
    ws = load(tmp_path / consolidated_filename(form))["汇总"]
    header = [c.value for c in ws[4]]
    assert header[8] == "临江市水务局（本级）" and "临江市供水集团有限公司（含下属）" in header
    row = next(r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] == "ORG_HEART_TALK")
    assert sum(v or 0 for v in row[8:]) == row[3]
    bad = CliRunner().invoke(cli, ["consolidate", str(demo["inbox"]), "--out", str(tmp_path), "--level", "9", *DEFINITION])  # fmt: skip
    assert bad.exit_code == 2


WORKING_NOTES = ("待核对", "待确认", "TODO", "FIXME")


def _texts(path: Path) -> str:
    """Every text a user can read in a file: the XML parts of a workbook or document, or the
    file itself (.md, .txt, .json)."""
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as zf:
            return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist()
                           if n.endswith((".xml", ".rels")))  # fmt: skip
    return path.read_text(encoding="utf-8")


def test_no_working_note_reaches_a_template_or_an_output(demo, template) -> None:
    """Nothing a unit or the clerk reads may be a note to ourselves."""
    readable = (".xlsx", ".docx", ".md", ".txt", ".json")
    files = [template, *sorted(p for p in demo["out"].rglob("*") if p.suffix in readable)]
    assert len(files) > 8
    for path in files:
        found = [word for word in WORKING_NOTES if word in _texts(path)]
        assert not found, (path.name, found)
