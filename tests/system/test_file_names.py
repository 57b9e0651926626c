"""File names in any encoding: GBK names from Windows zips, undecodable bytes, newlines, ANSI
escapes, bidi overrides and formula-looking names never crash a stage or an output, and every
output names the file so that a clerk recognises it (RELIABILITY.md, issue 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
import warnings
from pathlib import Path

import openpyxl
import pytest

from pipeline.core.filenames import (
    GBK_MARK,
    MAX_NAME_BYTES,
    display_name,
    is_exact,
    name_bytes_hex,
    output_file_name,
    safe,
)
from pipeline.publish.consolidated import consolidated_filename
from tests.support.paths import FORM_PATH, ROOT, UNITS_PATH

pytestmark = pytest.mark.slow  # runs the real pipeline over a whole inbox

HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def disk_name(raw: bytes) -> str:
    """A name as Python lists it from the file system (lone surrogates for non-UTF-8 bytes)."""
    return os.fsdecode(raw)


def shows_nothing_hidden(text: str) -> bool:
    return not any(unicodedata.category(ch) in HIDDEN for ch in text)


# The display function


def test_utf8_name_is_itself() -> None:
    assert display_name("水文站-2022年上半年统计表.xlsx") == "水文站-2022年上半年统计表.xlsx"
    assert display_name("=1+2 @报表 -x +y.xlsx") == "=1+2 @报表 -x +y.xlsx"
    assert display_name("全角　空格.xlsx") == "全角　空格.xlsx"  # a visible space is kept
    assert is_exact("水文站.xlsx")


def test_gbk_name_is_decoded_and_marked() -> None:
    name = disk_name("水文站副本.xlsx".encode("gbk"))
    with pytest.raises(UnicodeEncodeError):
        name.encode("utf-8")  # what crashed the run before
    shown = display_name(name)
    assert shown == f"水文站副本.xlsx{GBK_MARK}"
    shown.encode("utf-8")
    assert not is_exact(name)
    assert bytes.fromhex(name_bytes_hex(name)) == "水文站副本.xlsx".encode("gbk")
    # A whole path decodes too (the inbox folder in 说明, paths on screen).
    assert display_name(Path("/tmp") / name) == f"/tmp/水文站副本.xlsx{GBK_MARK}"


def test_gb18030_four_byte_characters_are_decoded() -> None:
    name = disk_name("㐀表.xlsx".encode("gb18030"))  # U+3400 is four bytes in GB18030
    assert display_name(name) == f"㐀表.xlsx{GBK_MARK}"


def test_undecodable_bytes_are_escaped_one_by_one() -> None:
    raw = b"\xff\xfe\x80LJ301 \xe6\xb0\xb4.xlsx"  # neither UTF-8 nor GB18030; 水 is UTF-8
    name = disk_name(raw)
    assert display_name(name) == "\\xff\\xfe\\x80LJ301 水.xlsx"
    assert GBK_MARK not in display_name(name)
    assert bytes.fromhex(name_bytes_hex(name)) == raw


def test_controls_and_bidi_overrides_are_escaped() -> None:
    name = "LJ103\n\x1b[31m\u202e\u2066\r\t\x7f\u2028报表\ufeff.xlsx"
    shown = display_name(name)
    assert (
        shown == "LJ103\\u000a\\u001b[31m\\u202e\\u2066\\u000d\\u0009\\u007f\\u2028报表\\ufeff.xlsx"
    )
    assert shows_nothing_hidden(shown)
    assert not is_exact(name)
    assert safe(name) == shown


def test_noncharacters_are_escaped() -> None:
    assert display_name("a\ufffeb\U0001ffff.xlsx") == "a\\ufffeb\\U0001ffff.xlsx"


def test_safe_makes_any_text_printable_without_the_mark() -> None:
    path = "/收件/" + disk_name("报表".encode("gbk")) + "/原因\x1b[2J"
    assert safe(path) == "/收件/报表/原因\\u001b[2J"  # each part of a path decoded on its own
    mixed = "退回" + disk_name("报表".encode("gbk"))  # no separator: bytes escaped
    assert safe(mixed) == "退回\\xb1\\xa8\\xb1\\xed"
    assert safe("已接收（有警告）") == "已接收（有警告）"


def test_output_file_names_are_utf8_windows_legal_and_short_enough() -> None:
    long_gbk = disk_name(("很长的文件名" * 20).encode("gbk"))  # 240 bytes on disk
    name = output_file_name(f"未识别单位_{display_name(long_gbk)}", "_审核意见.xlsx")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.startswith("未识别单位_很长的文件名") and name.endswith("_审核意见.xlsx")
    odd = output_file_name('a/b\\c:d*e?f"g<h>i|j\nk\x1b\u202e. ', ".xlsx")
    assert odd == "a_b_c_d_e_f_g_h_i_j_k__.xlsx"
    assert output_file_name(disk_name(b"\xb3x"), ".xlsx") == "_x.xlsx"  # never a surrogate


# Two names shown alike are never confused


LOOKALIKES = (b"\xff.xlsx", b"\\xff.xlsx")  # a byte 0xff; the four characters \ x f f


def test_lookalike_names_keep_their_own_source_and_cache_key(
    form, registry, template, write_return, sample, tmp_path
) -> None:
    from pipeline.run.cache import ResultCache
    from pipeline.run.checking import read_inbox

    names = [disk_name(raw) for raw in LOOKALIKES]
    assert display_name(names[0]) == display_name(names[1])  # the premise
    units = {}
    for name, code in zip(names, ("LJ302", "LJ303"), strict=True):
        written = write_return(tmp_path, f"{code}.xlsx", sample(code))
        written.rename(tmp_path / name)
        units[str(tmp_path / name)] = code
    subs = read_inbox(tmp_path, form, registry)
    assert {s.source: s.unit_code for s in subs} == units
    cache = ResultCache(tmp_path / "out", "fingerprint", b"k" * 32)
    assert cache._key(tmp_path / names[0], "0" * 64) != cache._key(tmp_path / names[1], "0" * 64)


# End to end: the real CLI over an inbox with such names


GBK_ACCEPTED = "城东水厂报表.xlsx"  # LJ101's only return: its figures come from this file alone
GBK_REJECTED = "城西水厂退回.xlsx"  # LJ102, rejected: on screen, in 催报, with feedback
GBK_UNKNOWN = "很长的文件名" * 20 + ".xlsx"  # an unregistered unit, 245 bytes in GBK
CONTROLS = "LJ103\n\x1b[31m\u202e报表.xlsx"
UNDECODABLE = b"\xff\xfe\x80LJ301.xlsx"
FORMULA_LIKE = "=1+2 LJ104.xlsx"
NOTE = "@说明\n\x1b[31m\u202e.txt"  # not a return: listed on screen


def shown(name: str | bytes) -> str:
    return display_name(disk_name(name if isinstance(name, bytes) else name.encode("gbk")))


@pytest.fixture(scope="module")
def inbox(form, registry, template, tmp_path_factory) -> dict:
    from pipeline.demo.fill import fill_return
    from pipeline.demo.sample import sample_return

    folder = tmp_path_factory.mktemp("names_inbox")
    raw_names: dict[str, bytes] = {  # unit code -> exact name on disk
        "LJ000": "LJ000 报表.xlsx".encode(),
        "LJ100": "LJ100 报表.xlsx".encode(),
        "LJ101": GBK_ACCEPTED.encode("gbk"),
        "LJ103": CONTROLS.encode(),
        "LJ301": UNDECODABLE,
        "LJ104": FORMULA_LIKE.encode(),
        "LJ102": GBK_REJECTED.encode("gbk"),
    }
    samples = {}
    for n, (code, raw) in enumerate(raw_names.items()):
        unit = registry.by_code(code) or registry.by_code("LJ000")
        sample = sample_return(form, registry, unit, seed=300 + n)
        values = dict(sample.values)
        if code == "LJ104":  # not in the registry: a unit typed by hand
            values |= {"UNIT_CODE": "LJ104", "UNIT_NAME": "临江市不存在的单位"}
        if code == "LJ102":
            values["EDU_CG_STUDY"] = "**"
        plain = folder / f"{code}.tmp.xlsx"
        fill_return(form, template, plain, values, sample.ledgers)
        # As unpacked from a Windows zip: the same file under its raw name.
        os.rename(plain, os.path.join(os.fsencode(folder), raw))
        samples[code] = type(sample)(sample.unit, values, sample.ledgers)
    unknown = sample_return(form, registry, registry.by_code("LJ305"), seed=399)
    values = unknown.values | {"UNIT_CODE": "ZZ999", "UNIT_NAME": "某某单位"}
    fill_return(form, template, folder / "unknown.tmp.xlsx", values, unknown.ledgers)
    os.rename(
        folder / "unknown.tmp.xlsx", os.path.join(os.fsencode(folder), GBK_UNKNOWN.encode("gbk"))
    )
    (folder / NOTE).write_text("请查收", encoding="utf-8")
    accepted = {c: samples[c] for c in ("LJ000", "LJ100", "LJ101", "LJ103", "LJ301")}
    before = {
        raw: (folder / disk_name(raw)).read_bytes() for raw in os.listdir(os.fsencode(folder))
    }
    return {"folder": folder, "accepted": accepted, "before": before}


def consolidate(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipeline", *args]
    command += ["--quiet", "--form", str(FORM_PATH), "--units", str(UNITS_PATH)]
    env = dict(os.environ, PIPELINE_WORKERS="2")
    return subprocess.run(command, cwd=ROOT, capture_output=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def runs(inbox, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("names_out")
    folder = str(inbox["folder"])
    cold = consolidate("consolidate", folder, "--out", str(out), "--share")
    first = snapshot(out)
    entries = sorted(p.name for p in (out / ".cache").glob("*.json"))
    warm = consolidate("consolidate", folder, "--out", str(out), "--share")
    second = snapshot(out)
    report = consolidate("report", folder, "--out", str(out), "--share")
    return {"out": out, "cold": cold, "warm": warm, "report": report, "first": first,
            "second": second, "entries": entries}  # fmt: skip


def consolidated_filename_of_run() -> str:
    from pipeline.form.load import load_form

    return consolidated_filename(load_form(FORM_PATH))


def workbook(out: Path, name: str | None = None) -> openpyxl.Workbook:
    path = out / (name or consolidated_filename_of_run())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def snapshot(out: Path) -> dict | None:
    """The outputs a second run must repeat; None when the run wrote no workbook."""
    if not (out / "manifest.json").exists():
        return None
    book = workbook(out)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}
    sheets.pop("说明")  # holds the run's start time
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("generated_at")
    feedback = sorted(os.listdir(os.fsencode(out / "反馈")))
    return {"sheets": sheets, "manifest": manifest, "feedback": feedback}


def test_every_run_finishes_without_a_crash(runs) -> None:
    for key in ("cold", "warm", "report"):
        done = runs[key]
        stderr = done.stderr.decode("utf-8")
        assert done.returncode == 3, (key, stderr)
        assert "Traceback" not in stderr and "程序内部错误" not in stderr, key


def test_screen_names_files_in_one_visible_line_each(runs) -> None:
    screen = runs["cold"].stdout.decode("utf-8")  # strict: raises on a byte that is not UTF-8
    assert f"退回  {shown(GBK_REJECTED)}：" in screen
    assert f"{shown(GBK_UNKNOWN)}：" in screen
    assert f"  {display_name(NOTE)}：" in screen
    assert "@说明\\u000a\\u001b[31m\\u202e.txt" in screen
    assert "\x1b" not in screen and "\u202e" not in screen


def test_status_sheet_names_every_file_and_counts_the_gbk_return(runs) -> None:
    rows = workbook(runs["out"])["报送情况"].iter_rows(min_row=2, values_only=True)
    status = {row[4]: (row[0], row[3]) for row in rows if row[4]}
    assert status[shown(GBK_ACCEPTED)] == ("LJ101", "已接收")
    assert status[shown(GBK_REJECTED)] == ("LJ102", "退回")
    assert status[shown(UNDECODABLE)] == ("LJ301", "已接收")
    assert status["LJ103\\u000a\\u001b[31m\\u202e报表.xlsx"] == ("LJ103", "已接收")
    assert status[shown(GBK_UNKNOWN)][1] == "退回"
    assert status[FORMULA_LIKE][1] == "退回"  # LJ104 is not a registered unit


def test_gbk_return_figures_are_in_the_totals(runs, inbox, form) -> None:
    rows = {r[0]: r for r in workbook(runs["out"])["汇总"].iter_rows(min_row=5, values_only=True)}
    checked = 0
    for ind in form.statistics_indicators:
        if ind.aggregation != "sum":
            continue
        values = [
            form.derived_value(ind.code, s.values) if ind.derived else s.values.get(ind.code)
            for s in inbox["accepted"].values()
        ]
        present = [v for v in values if v is not None]
        assert rows[ind.code][3] == (sum(present) if present else None), ind.code
        checked += 1
    assert checked > 100
    by_unit = workbook(runs["out"])["分单位"]
    units = {row[0]: row[2] for row in by_unit.iter_rows(min_row=4, values_only=True)}
    assert units["LJ101"] == "已接收"


def test_every_sheet_shows_display_names_as_text(runs, form) -> None:
    book = workbook(runs["out"])
    texts = [
        cell for ws in book for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)
    ]
    values = {cell.value for cell in texts}
    about = {row[0] for row in book["说明"].iter_rows(values_only=True)}
    for name in (shown(GBK_ACCEPTED), shown(GBK_REJECTED), shown(UNDECODABLE), FORMULA_LIKE):
        assert name in about, name
    problems = {row[2] for row in book["审核问题"].iter_rows(min_row=2, values_only=True)}
    assert {shown(GBK_REJECTED), shown(GBK_UNKNOWN), FORMULA_LIKE} <= problems
    sources = {
        row[3]
        for ledger in form.ledgers
        for row in book[ledger.sheet].iter_rows(min_row=2, values_only=True)
    }
    assert shown(GBK_ACCEPTED) in sources and shown(UNDECODABLE) in sources
    formula_like = [c for c in texts if c.value == FORMULA_LIKE]
    assert formula_like and all(c.data_type == "s" for c in formula_like)
    assert not any("\x1b" in v or "\u202e" in v for v in values)  # escaped, never raw


def test_manifest_maps_every_name_back_to_its_bytes(runs, inbox) -> None:
    files = runs["first"]["manifest"]["files"]
    on_disk = set(os.listdir(os.fsencode(inbox["folder"])))
    mapped = {
        bytes.fromhex(f["name_bytes_hex"]) if "name_bytes_hex" in f else f["name"].encode()
        for f in files
    }
    assert mapped == on_disk and len(files) == len(on_disk)
    entry = {f["name"]: f for f in files}
    gbk = entry[shown(GBK_ACCEPTED)]
    assert gbk["status"] == "accepted" and gbk["unit"] == "LJ101"
    assert gbk["name_bytes_hex"] == GBK_ACCEPTED.encode("gbk").hex()
    assert entry[shown(UNDECODABLE)]["name_bytes_hex"] == UNDECODABLE.hex()
    assert bytes.fromhex(entry[display_name(CONTROLS)]["name_bytes_hex"]) == CONTROLS.encode()
    assert "name_bytes_hex" not in entry["LJ000 报表.xlsx"]
    assert "name_bytes_hex" not in entry[FORMULA_LIKE]


def test_feedback_workbooks_get_valid_utf8_names(runs) -> None:
    names = runs["first"]["feedback"]
    for raw in names:
        assert len(raw) <= MAX_NAME_BYTES
        raw.decode("utf-8")
    decoded = [raw.decode("utf-8") for raw in names]
    assert "LJ102_临江市供水集团城西水厂_审核意见.xlsx" in decoded
    [unknown] = [n for n in decoded if n.startswith("未识别单位_很长的文件名很长的文件名")]
    assert unknown.endswith("_审核意见.xlsx")
    sheet = workbook(runs["out"] / "反馈", unknown)["审核意见"]
    assert shown(GBK_UNKNOWN) in str(sheet["A1"].value)


def test_reminders_name_the_gbk_file(runs) -> None:
    out = runs["out"]
    text = (out / "催报清单.txt").read_text(encoding="utf-8")
    assert f"文件“{shown(GBK_REJECTED)}”" in text
    rows = workbook(out)["催报"].iter_rows(min_row=5, values_only=True)
    files = {row[0]: row[4] for row in rows}
    assert files["LJ102"] == shown(GBK_REJECTED)


def test_share_copy_report_and_rollup_are_written(runs) -> None:
    out = runs["out"]
    screen = runs["report"].stdout.decode("utf-8")
    for label in ("脱敏汇总表", "报告稿（Word）", "报告稿（Markdown）", "上报表"):
        assert label in screen
    share = next(out.glob("*脱敏.xlsx"))
    cells = {c.value for ws in workbook(out, share.name) for r in ws.iter_rows() for c in r}
    assert not {shown(GBK_ACCEPTED), shown(GBK_REJECTED), FORMULA_LIKE} & cells  # masked
    assert next(out.glob("*.docx")).stat().st_size and next(out.glob("*统计情况.md")).stat().st_size
    assert next(out.glob("上报_*.xlsx")).stat().st_size


def test_warm_run_gives_the_same_from_the_cache(runs) -> None:
    assert runs["first"] == runs["second"]
    assert len(runs["entries"]) == 9  # every file read: 8 returns and the note
    after = sorted(p.name for p in (runs["out"] / ".cache").glob("*.json"))
    assert after == runs["entries"]  # exact-bytes keys found again: nothing read twice


def test_previous_workbook_with_a_gbk_name_is_named_in_chinese(runs, tmp_path) -> None:
    from pipeline.publish.readback import read_previous

    raw = "上期汇总.xlsx".encode("gbk")
    copy = os.path.join(os.fsencode(tmp_path), raw)
    with open(copy, "wb") as handle:
        handle.write((runs["out"] / consolidated_filename_of_run()).read_bytes())
    previous = read_previous(Path(os.fsdecode(copy)))
    assert previous.file == f"上期汇总.xlsx{GBK_MARK}"  # it reaches 汇总's comparison note


def test_feedback_names_taken_twice_get_a_number(tmp_path) -> None:
    from pipeline.run.feedback import unused_name

    first = tmp_path / "未识别单位_a_审核意见.xlsx"
    assert unused_name(first, []) == first
    second = unused_name(first, [first])
    assert second.name == "未识别单位_a_审核意见_2.xlsx"
    assert unused_name(first, [first, second]).name == "未识别单位_a_审核意见_3.xlsx"


def test_inputs_are_unchanged(runs, inbox) -> None:
    folder = inbox["folder"]
    now = {raw: (folder / disk_name(raw)).read_bytes() for raw in os.listdir(os.fsencode(folder))}
    assert now == inbox["before"]
