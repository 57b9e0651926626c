"""Every guard of limits.py and every kind of bad file: a clear reason, never a crash or hang."""

from __future__ import annotations

import faulthandler
import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.check.validate import validate
from pipeline.cli import cli
from pipeline.core import limits
from pipeline.core.records import Status
from pipeline.read.inbox import discover
from pipeline.read.types import ReadError
from pipeline.read.xlsx import read_xlsx
from pipeline.run import pool as workers
from pipeline.run.checking import check_files
from tests.support import badfiles


@pytest.fixture(scope="module")
def good(form, registry, template, tmp_path_factory) -> Path:
    from pipeline.demo.fill import fill_return
    from pipeline.demo.sample import sample_return

    s = sample_return(form, registry, registry.by_code("LJ101"), seed=11)
    return fill_return(
        form, template, tmp_path_factory.mktemp("good") / "good.xlsx", s.values, s.ledgers
    )


BAD = {  # file name -> (builder, words the reason must contain)
    "bomb.xlsx": (badfiles.zip_bomb, "压缩炸弹"),
    "far.xlsx": (badfiles.far_cell, "行数过多"),
    "laughs.xlsx": (badfiles.billion_laughs, "DTD"),
    "xxe.xlsx": (badfiles.external_entity, "DTD"),
    "traversal.xlsx": (badfiles.traversal, "异常的文件路径"),
    "bzip2.xlsx": (badfiles.bzip2_member, "压缩方式"),
    "word.xlsx": (badfiles.docx, "Word"),
    "binary.xlsb": (badfiles.xlsb, ".xlsb"),
    "calc.ods": (badfiles.ods, ".ods"),
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def bad_inbox(good, tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("bad")
    for name, (build, _) in BAD.items():
        build(inbox / name)
    badfiles.truncated(inbox / "half.xlsx", good)
    badfiles.encrypted(inbox / "locked.xlsx", good)
    (inbox / "page.xlsx").write_bytes(b"<!DOCTYPE html><html><body>502</body></html>")
    (inbox / "report.pdf").write_bytes(b"%PDF-1.4 ...")
    (inbox / "data.csv").write_text("单位,数量\n甲,1\n", encoding="utf-8")
    (inbox / "empty.xlsx").write_bytes(b"")
    (inbox / "~$good.xlsx").write_bytes(b"owner")
    (inbox / ".~lock.good.xlsx#").write_bytes(b"lock")
    (inbox / "Thumbs.db").write_bytes(b"x")
    (inbox / "sub").mkdir()
    (inbox / "link.xlsx").symlink_to(good)
    os.mkfifo(inbox / "fifo.xlsx")  # every reader would block forever on it
    return inbox


@pytest.fixture(scope="module")
def bad_run(bad_inbox, tmp_path_factory):
    before = {p.name: sha(p) for p in bad_inbox.iterdir() if p.is_file() and not p.is_symlink()}
    out = tmp_path_factory.mktemp("badout")
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["consolidate", str(bad_inbox), "--out", str(out), "-q"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {
        "result": result,
        "manifest": manifest,
        "before": before,
        "seconds": time.monotonic() - started,
    }


def test_bad_inbox_finishes_with_status_3_and_no_traceback(bad_run) -> None:
    assert bad_run["result"].exit_code == 3, bad_run["result"].output
    assert "Traceback" not in bad_run["result"].output
    assert bad_run["seconds"] < limits.SECONDS_PER_FILE  # nothing waited for a timeout


def test_every_entry_is_accounted_for(bad_inbox, bad_run) -> None:
    listed = {f["name"] for f in bad_run["manifest"]["files"]}
    assert listed == {p.name for p in bad_inbox.iterdir()}


@pytest.mark.parametrize(("name", "words"), [(n, w) for n, (_, w) in BAD.items()] + [
    ("half.xlsx", "损坏"), ("locked.xlsx", "加密"), ("page.xlsx", "网页"), ("report.pdf", "PDF"),
    ("data.csv", "文本"), ("empty.xlsx", "空文件"),
])  # fmt: skip
def test_rejected_with_a_reason(bad_run, name: str, words: str) -> None:
    entry = next(f for f in bad_run["manifest"]["files"] if f["name"] == name)
    assert entry["status"] == "rejected"
    assert words in entry["reason"], entry["reason"]


@pytest.mark.parametrize(
    "name", ["~$good.xlsx", ".~lock.good.xlsx#", "Thumbs.db", "sub", "link.xlsx", "fifo.xlsx"]
)
def test_ignored_with_a_reason(bad_run, name: str) -> None:
    entry = next(f for f in bad_run["manifest"]["files"] if f["name"] == name)
    assert entry["status"] == "ignored" and entry["reason"]


def test_inputs_are_untouched_and_nothing_is_written_to_the_inbox(bad_inbox, bad_run) -> None:
    after = {p.name: sha(p) for p in bad_inbox.iterdir() if p.is_file() and not p.is_symlink()}
    assert after == bad_run["before"]
    assert len(list(bad_inbox.iterdir())) == len(bad_run["manifest"]["files"])


# Limits, one by one (called in-process so a limit can be lowered for the test)

WANTED = ({"FORM_ID"}, set())


def test_cell_budget(monkeypatch, tmp_path) -> None:
    cells = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 200))
    path = badfiles.tiny_xlsx(tmp_path / "many.xlsx", badfiles.sheet_xml(cells))
    monkeypatch.setattr(limits, "MAX_CELLS_READ", 100)
    with pytest.raises(ReadError, match="单元格数量过多"):
        read_xlsx(str(path), *WANTED)


def test_row_limit(monkeypatch, tmp_path) -> None:
    path = badfiles.tiny_xlsx(
        tmp_path / "rows.xlsx", badfiles.sheet_xml('<row r="500"><c r="A500"><v>1</v></c></row>')
    )
    monkeypatch.setattr(limits, "MAX_ROWS_READ", 100)
    with pytest.raises(ReadError, match="行数过多"):
        read_xlsx(str(path), *WANTED)


def test_member_count_limit(monkeypatch, tmp_path) -> None:
    path = badfiles.tiny_xlsx(
        tmp_path / "members.xlsx", badfiles.sheet_xml(""), extra={f"x/{n}": b"" for n in range(20)}
    )
    monkeypatch.setattr(limits, "MAX_ZIP_MEMBERS", 10)
    with pytest.raises(ReadError, match="文件过多"):
        read_xlsx(str(path), *WANTED)


def test_member_size_and_total_size_limits(monkeypatch, tmp_path) -> None:
    path = badfiles.tiny_xlsx(
        tmp_path / "big.xlsx",
        badfiles.sheet_xml(""),
        extra={"x/a": b"a" * 5000, "x/b": b"b" * 5000},
    )
    monkeypatch.setattr(limits, "MAX_MEMBER_BYTES", 4000)
    with pytest.raises(ReadError, match="^文件内容过大"):  # one member too big
        read_xlsx(str(path), *WANTED)
    monkeypatch.setattr(limits, "MAX_MEMBER_BYTES", 10**9)
    monkeypatch.setattr(limits, "MAX_TOTAL_BYTES", 8000)
    with pytest.raises(ReadError, match="^文件解压后过大"):  # every member fits, not all
        read_xlsx(str(path), *WANTED)


def test_sheet_count_limit(monkeypatch, tmp_path) -> None:
    sheets = "".join(f'<sheet name="S{n}" sheetId="{n}" r:id="rId1"/>' for n in range(1, 8))
    workbook = badfiles.WORKBOOK.replace(
        b'<sheet name="S" sheetId="1" r:id="rId1"/>', sheets.encode()
    )
    path = badfiles.tiny_xlsx(tmp_path / "sheets.xlsx", badfiles.sheet_xml(""), workbook=workbook)
    monkeypatch.setattr(limits, "MAX_SHEETS", 5)
    with pytest.raises(ReadError, match="工作表过多"):
        read_xlsx(str(path), *WANTED)


def test_text_is_cut_at_excels_own_limit(monkeypatch, tmp_path) -> None:
    sheet = badfiles.sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>' + "长" * 50 + "</t></is></c></row>"
    )
    workbook = badfiles.WORKBOOK.replace(
        b"</sheets>",
        b'</sheets><definedNames><definedName name="FORM_ID">S!$A$1</definedName><definedName name="X_Y">S!$A$1</definedName></definedNames>',
    )
    path = badfiles.tiny_xlsx(tmp_path / "text.xlsx", sheet, workbook=workbook)
    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 10)
    data = read_xlsx(str(path), {"FORM_ID", "X_Y"}, set())
    assert data.cells["S"][(1, 1)] == "长" * 10


def test_file_size_limit_is_checked_before_opening(monkeypatch, tmp_path) -> None:
    (tmp_path / "big.xlsx").write_bytes(b"PK" + b"\0" * 2000)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    [entry] = discover(tmp_path)
    assert not entry.readable and entry.rejected and "过大" in entry.reason


def test_lying_dimension_does_not_hide_values(form, registry, good, tmp_path) -> None:
    from pipeline.read.returns import read_return

    lying = badfiles.lying_dimension(tmp_path / "lying.xlsx", good)
    a = read_return(good, form, "", 0)
    b = read_return(lying, form, "", 0)
    assert {k: v.value for k, v in a.values.items()} == {k: v.value for k, v in b.values.items()}
    assert {k: v.rows for k, v in a.ledgers.items()} == {k: v.rows for k, v in b.ledgers.items()}
    assert sum(len(v.rows) for v in a.ledgers.values()) > 0


# Worker processes: a hang, a native crash or a memory blow-up costs one file


def misbehave(path, form, sha256, mtime, password=None):
    name = Path(path).name
    if name == "hang.xlsx":
        time.sleep(3600)
    if name == "abort.xlsx":
        faulthandler.disable()  # pytest's handler would print the worker's stack
        os.abort()
    if name == "greedy.xlsx":
        hoard = bytearray(limits.WORKER_MEMORY_BYTES * 2)
        return hoard
    return ORIGINAL_READ(path, form, sha256, mtime, password)


ORIGINAL_READ = workers.read_return


def test_hang_crash_and_memory_cost_one_file_each(
    monkeypatch, good, form, registry, tmp_path
) -> None:
    for name in ("hang.xlsx", "abort.xlsx", "greedy.xlsx"):
        (tmp_path / name).write_bytes(name.encode())  # distinct contents: not duplicates
    (tmp_path / "fine.xlsx").write_bytes(good.read_bytes())
    monkeypatch.setattr(workers, "read_return", misbehave)  # inherited by the forked workers
    monkeypatch.setattr(limits, "SECONDS_PER_FILE", 3)
    started = time.monotonic()
    subs = {s.file: s for s in check_files(discover(tmp_path), form, registry)[0]}
    assert time.monotonic() - started < 30
    assert "超时" in subs["hang.xlsx"].reason
    assert "异常退出" in subs["abort.xlsx"].reason
    assert "内存" in subs["greedy.xlsx"].reason
    assert all(
        subs[n].status is Status.REJECTED for n in ("hang.xlsx", "abort.xlsx", "greedy.xlsx")
    )
    assert subs["fine.xlsx"].status is Status.ACCEPTED


def spin(path, form, sha256, mtime, password=None):
    faulthandler.disable()
    while True:  # burns CPU until the kernel's RLIMIT_CPU stops the worker
        pass


def test_cpu_limit_stops_a_runaway_worker(monkeypatch, form, registry, tmp_path) -> None:
    (tmp_path / "spin.xlsx").write_bytes(b"spin")
    monkeypatch.setattr(workers, "read_return", spin)
    monkeypatch.setattr(limits, "WORKER_CPU_SECONDS", 1)
    [sub] = check_files(discover(tmp_path), form, registry)[0]
    assert sub.status is Status.REJECTED and "异常退出" in sub.reason


def test_renamed_sheets_and_moved_cells_are_followed_by_name(
    form, registry, good, tmp_path
) -> None:
    """Excel keeps defined names pointing at their cells when a sheet is renamed or rows are
    inserted; the reader follows the names, not positions."""
    import openpyxl

    from pipeline.read.returns import read_return

    book = openpyxl.load_workbook(good)
    sheet, ref = next(iter(book.defined_names["EDU_CG_STUDY"].destinations))
    ws = book[sheet]
    value = ws[ref.replace("$", "")].value
    ws.title = "学习教育（改名）"
    ws["H40"] = value  # the value moved elsewhere, the name moved with it
    for name in list(book.defined_names):
        book.defined_names[name].attr_text = book.defined_names[name].attr_text.replace(
            f"'{sheet}'", "'学习教育（改名）'"
        )
    book.defined_names["EDU_CG_STUDY"].attr_text = "'学习教育（改名）'!$H$40"
    book.save(tmp_path / "moved.xlsx")
    raw = read_return(tmp_path / "moved.xlsx", form, "", 0)
    assert raw.values["EDU_CG_STUDY"].value == value
    assert (raw.values["EDU_CG_STUDY"].sheet, raw.values["EDU_CG_STUDY"].cell) == (
        "学习教育（改名）",
        "H40",
    )
    assert validate(raw, form, registry).status is Status.ACCEPTED
