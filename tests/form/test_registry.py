"""The unit registry clerks edit (issue 9): units.xlsx or a CSV in UTF-8, UTF-8 with BOM or
GB18030 give the same registry; every problem is one Chinese sentence naming the row (as
Excel numbers it, header = row 1) and the fix; the CLI says it and exits 2, no traceback."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.cli import cli
from pipeline.form.model import DefinitionError
from pipeline.form.registry import HEADER, HEADER_TEXT, Registry, Unit, check_registry
from pipeline.publish.registry_book import GUIDE_SHEET, SHEET
from pipeline.read.registry_file import load_registry
from tests.support.paths import FORM_PATH, ROOT, UNITS_PATH
from tests.support.programs import needs_libreoffice, soffice_convert

SAVE_AS = "请在 Excel 或 WPS 中打开，另存为“Excel 工作簿（*.xlsx）”后再运行"


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def as_rows(registry: Registry) -> list[list[str]]:
    return [list(HEADER)] + [[u.code, u.name, u.parent, u.contact, u.phone] for u in registry.units]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_registry(path)
    return caught.value.problems


def registry_csv(tmp_path: Path, *rows: str) -> Path:
    """A CSV registry with the standard header and these comma-separated rows."""
    return write_csv(tmp_path / "units.csv", [list(HEADER)] + [r.split(",") for r in rows])


# The same registry from every format


def test_the_shipped_registry_is_the_workbook(registry: Registry) -> None:
    assert UNITS_PATH.name == "units.xlsx"
    assert not (ROOT / "input_templates" / "units.csv").exists()
    assert registry.root.code == "LJ000"
    assert len(registry.units) == 14


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_gives_the_workbooks_registry(
    registry: Registry, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "units.csv", as_rows(registry), encoding)
    assert load_registry(path).units == registry.units


def test_registry_tree(tmp_path: Path) -> None:
    registry = load_registry(registry_csv(tmp_path, "R0,总局,", "R1,分局,R0", "R2,所,R1"))
    assert registry.root.code == "R0"
    assert [(u.code, depth) for u, depth in registry.tree_order()] == [
        ("R0", 0),
        ("R1", 1),
        ("R2", 2),
    ]
    assert registry.descendants("R1") == ["R1", "R2"]


def test_workbook_is_read_by_header_names(tmp_path: Path) -> None:
    """Columns reordered, an extra column, blank rows, codes typed as numbers, spaces."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = SHEET
    ws.append(["备注", "上级单位编码", "单位名称", "单位编码", "联系电话"])
    ws.append(["总局", None, " 总局 ", 100, 13900000000])
    ws.append([None, None, None, None, None])
    ws.append(["", 100.0, "一分局\u3000", 101, None])
    ws.append([])
    ws.append(["", "101", "所", " S1 ", "0571-1"])
    book.save(tmp_path / "units.xlsx")
    assert load_registry(tmp_path / "units.xlsx").units == (
        Unit("100", "总局", "", "", "13900000000"),
        Unit("101", "一分局", "100"),
        Unit("S1", "所", "101", "", "0571-1"),
    )


def test_csv_rows_are_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "单位编码,单位名称,上级单位编码\nR0,总局,\n\nR1,分局,R0\n,,\nR1,所,R0\n", encoding="gb18030"
    )
    assert problems_of(path) == [
        "第 4 行和第 6 行的单位编码都是 R1：单位编码不能重复，请改正其中一行。"
    ]


def test_the_workbook_has_dropdown_frozen_header_and_guide(registry: Registry) -> None:
    book = openpyxl.load_workbook(UNITS_PATH)
    assert book.sheetnames == [SHEET, GUIDE_SHEET]
    ws = book[SHEET]
    assert [c.value for c in ws[1]] == list(HEADER)
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[c].width >= 10 for c in "ABCDE")
    assert ws.column_dimensions["B"].width > ws.column_dimensions["D"].width
    lists = [v for v in ws.data_validations.dataValidation if v.type == "list"]
    assert len(lists) == 1
    assert str(lists[0].sqref).startswith("C2:C") and lists[0].allow_blank
    assert lists[0].formula1.startswith("$A$2:$A$")
    assert all(isinstance(c.value, str) for row in ws.iter_rows(min_row=2) for c in row if c.value)
    guide = "\n".join(str(c.value) for c in book[GUIDE_SHEET]["A"] if c.value)
    for words in (
        "每行填写一个单位",
        "上级单位编码留空",
        "不能与其他单位重复",
        "新增单位",
        "make template",
    ):
        assert words in guide


def test_units_command_writes_the_workbook_from_a_csv(registry: Registry, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "名单.csv", as_rows(registry), "gb18030")
    out = tmp_path / "units.xlsx"
    done = CliRunner().invoke(cli, ["units", "--from", str(source), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "已生成单位名单" in done.output
    assert load_registry(out) == registry
    assert out.read_bytes() == UNITS_PATH.read_bytes()  # the shipped file is reproducible


def test_units_command_refuses_a_broken_csv(tmp_path: Path) -> None:
    source = registry_csv(tmp_path, "R0,总局,", "R1,分局,R9")
    out = tmp_path / "units.xlsx"
    done = CliRunner().invoke(cli, ["units", "--from", str(source), "--out", str(out)])
    assert done.exit_code == 2
    assert "第 3 行（单位 R1）的上级单位编码 R9 不在名单中" in done.output
    assert not out.exists()


@needs_libreoffice
def test_units_xlsx_resaved_by_libreoffice_reads_the_same(registry: Registry, tmp_path) -> None:
    copy = tmp_path / "in" / "units.xlsx"
    copy.parent.mkdir()
    shutil.copy(UNITS_PATH, copy)
    resaved = soffice_convert(copy, "xlsx", tmp_path / "out")
    assert resaved.read_bytes() != UNITS_PATH.read_bytes()
    assert load_registry(resaved) == registry


# Files that are not a registry


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    assert problems_of(path) == [
        f"找不到单位名单“{path}”：请检查文件位置，或用 --units 指定单位名单文件（.xlsx 或 .csv）。"
    ]


def test_a_folder(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [
        f"“{tmp_path}”是文件夹，不是单位名单：请用 --units 指定单位名单文件（.xlsx 或 .csv）。"
    ]


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_bytes(b"")
    assert problems_of(tmp_path / "units.csv") == [
        "单位名单“units.csv”是空文件（0 字节）：请重新保存单位名单后再运行。"
    ]


@pytest.mark.parametrize(
    "data",
    [
        "单位编码,单位名称".encode("gb18030") + b"\x80\xff",  # neither UTF-8 nor GB18030
        "code,name\r\n".encode("utf-16-le"),  # valid UTF-8, but NULs: text saved as UTF-16
    ],
)
def test_undecodable_csv(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "units.csv").write_bytes(data)
    assert problems_of(tmp_path / "units.csv") == [
        "单位名单“units.csv”不是 UTF-8 或 GBK（GB18030）编码的 CSV 文件，也不是 Excel 工作簿："
        f"{SAVE_AS}（或另存为“CSV UTF-8（逗号分隔）”）。"
    ]


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "units.xlsx", "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert problems_of(tmp_path / "units.xlsx") == [
        f"单位名单“units.xlsx”不是 CSV 文件或 Excel 工作簿（.xlsx）：{SAVE_AS}。"
    ]


def test_a_damaged_workbook(tmp_path: Path) -> None:
    data = UNITS_PATH.read_bytes()
    (tmp_path / "units.xlsx").write_bytes(data[: len(data) // 2])
    assert problems_of(tmp_path / "units.xlsx") == [
        f"单位名单“units.xlsx”已损坏，无法作为 Excel 工作簿打开：{SAVE_AS}。"
    ]


def test_a_password_protected_workbook(tmp_path: Path) -> None:
    with open(UNITS_PATH, "rb") as source, open(tmp_path / "units.xlsx", "wb") as target:
        OOXMLFile(source).encrypt("1234", target)
    assert problems_of(tmp_path / "units.xlsx") == [
        "单位名单“units.xlsx”设置了打开密码，程序无法读取：请在 Excel 中打开，在“文件 → 信息 → "
        "保护工作簿 → 用密码进行加密”中清空密码后保存。"
    ]


@needs_libreoffice
def test_an_excel_97_2003_workbook(tmp_path: Path) -> None:
    copy = tmp_path / "units.xlsx"
    shutil.copy(UNITS_PATH, copy)
    xls = soffice_convert(copy, "xls", tmp_path / "out")
    assert problems_of(xls) == [
        f"单位名单“units.xls”是 Excel 97-2003 格式（.xls），程序不能读取：{SAVE_AS}。"
    ]


# The header


def test_missing_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "units.csv", [["单位名称", "单位编码", "联系人"], ["总局", "R0", ""]]
    )
    assert problems_of(path) == [
        f"第 1 行（表头）缺少“上级单位编码”列：表头应为 {HEADER_TEXT}，请补上后保存（列的顺序不限）。"
    ]


def test_two_missing_columns_in_one_sentence(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "units.csv", [["编码", "名称", "上级单位编码"], ["R0", "总局", ""]])
    assert problems_of(path) == [
        f"第 1 行（表头）缺少“单位编码”“单位名称”列：表头应为 {HEADER_TEXT}，请补上后保存（列的顺序不限）。"
    ]


def test_a_column_twice(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "units.csv", [[*HEADER, "单位编码"], ["R0", "总局", "", "", "", "R0"]]
    )
    assert problems_of(path) == ["第 1 行（表头）有 2 列都叫“单位编码”：请删除或改名多余的列。"]


def test_only_a_header(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path)) == [
        f"单位名单中没有单位：请从第 2 行起每行填写一个单位（{HEADER_TEXT}）。"
    ]


def test_nothing_but_blank_cells(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text(",,\n\n", encoding="utf-8")
    assert problems_of(tmp_path / "units.csv") == [
        f"单位名单是空的：第 1 行应为表头（{HEADER_TEXT}），从第 2 行起每行填写一个单位。"
    ]


# The rows


def test_duplicate_code_names_both_rows(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", "R1,甲,R0", "R1,乙,R0")) == [
        "第 3 行和第 4 行的单位编码都是 R1：单位编码不能重复，请改正其中一行。"
    ]


def test_a_code_three_times(tmp_path: Path) -> None:
    path = registry_csv(tmp_path, "R0,总局,", "R1,甲,R0", "R1,乙,R0", "R1,丙,R0")
    assert problems_of(path) == [
        "第 3、4、5 行的单位编码都是 R1：单位编码不能重复，请改正其中多余的行。"
    ]


def test_duplicate_name(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", "R1,分局,R0", "R2,分局,R0")) == [
        "第 3 行和第 4 行的单位名称都是“分局”：单位名称不能重复，请改正其中一行。"
    ]


def test_empty_code(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", ",分局,R0")) == [
        "第 3 行（分局）的单位编码是空的：请填写一个不与其他单位重复的编码。"
    ]


def test_empty_name(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", "R1,,R0")) == [
        "第 3 行（单位 R1）的单位名称是空的：请填写单位全称。"
    ]


def test_empty_code_and_name(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", ",,R0")) == [
        "第 3 行的单位编码和单位名称都是空的：请填写这两项，或删除这一行。"
    ]


def test_unknown_parent(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", "R1,分局,R9")) == [
        "第 3 行（单位 R1）的上级单位编码 R9 不在名单中：请改为名单中某个单位的编码（可从下拉列表中"
        "选择），或先在名单中添加编码为 R9 的单位。"
    ]


def test_more_than_one_root(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", "R1,分局,", "R2,所,R0")) == [
        "第 2 行和第 3 行（单位 R0、R1）都没有填上级单位编码：只有汇总单位（本单位）可以不填，"
        "请为其余单位填写上级单位编码。"
    ]


def test_no_root(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,R1", "R1,分局,R0")) == [
        "名单中没有上级单位编码为空的单位：汇总单位（本单位）的上级单位编码应留空，"
        "请清空它那一行的上级单位编码。",
        "第 2 行和第 3 行（单位 R0、R1）的上级关系形成循环（R0 → R1 → R0）："
        "请改正其中一个单位的上级单位编码，使每个单位都能逐级归到汇总单位。",
    ]


def test_cycle_below_the_root(tmp_path: Path) -> None:
    path = registry_csv(tmp_path, "R0,总局,", "R3,丙,R2", "R1,甲,R3", "R2,乙,R1", "R4,丁,R2")
    assert problems_of(path) == [
        "第 3、4、5 行（单位 R3、R1、R2）的上级关系形成循环（R3 → R2 → R1 → R3）："
        "请改正其中一个单位的上级单位编码，使每个单位都能逐级归到汇总单位。"
    ]


def test_a_unit_that_is_its_own_parent(tmp_path: Path) -> None:
    assert problems_of(registry_csv(tmp_path, "R0,总局,", "R1,分局,R1")) == [
        "第 3 行（单位 R1）的上级关系形成循环（R1 → R1）："
        "请改正其中一个单位的上级单位编码，使每个单位都能逐级归到汇总单位。"
    ]


def test_check_registry_without_rows_counts_from_row_2() -> None:
    registry = Registry((Unit("R0", "总局"), Unit("R1", "分局", "R9")))
    assert check_registry(registry) == [
        "第 3 行（单位 R1）的上级单位编码 R9 不在名单中：请改为名单中某个单位的编码（可从下拉列表中"
        "选择），或先在名单中添加编码为 R9 的单位。"
    ]


# The CLI and a whole run


def test_cli_says_the_problem_in_chinese_and_exits_2(tmp_path: Path) -> None:
    path = registry_csv(tmp_path, "R0,总局,", "R1,分局,R0", "R1,所,R0")
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "spec", "--units", str(path), "--form", str(FORM_PATH)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"配置错误：{path} 有 1 处错误：",
        "第 3 行和第 4 行的单位编码都是 R1：单位编码不能重复，请改正其中一行。",
    ]
    assert "Traceback" not in done.stdout + done.stderr


def test_cli_on_a_gbk_csv_that_used_to_fail(registry: Registry, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "units.csv", as_rows(registry), "gb18030")
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "spec", "--units", str(path), "--form", str(FORM_PATH)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "报送单位 14 个" in done.stdout


def run_summary(inbox: Path, out: Path, units: Path) -> tuple[list, list]:
    """Manifest statuses and the 汇总 sheet of one `consolidate` run."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "consolidate", str(inbox), "--out", str(out),
         "--quiet", "--no-cache", "--units", str(units), "--form", str(FORM_PATH)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    statuses = sorted((f["name"], f["unit"], f["status"], f["errors"]) for f in manifest["files"])
    workbook = openpyxl.load_workbook(next(out.glob("*_汇总.xlsx")), read_only=True)
    summary = [row for row in workbook["汇总"].iter_rows(values_only=True)]
    workbook.close()
    return statuses, summary


def test_a_run_is_the_same_with_each_registry_format(
    registry: Registry, sample, write_return, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_return(inbox, "城东水厂.xlsx", sample("LJ101"))
    write_return(inbox, "排水管理处.xlsx", sample("LJ200", seed=2))
    broken = sample("LJ102", seed=3)
    write_return(inbox, "城西水厂.xlsx", replace(broken, values=broken.values | {"UNIT_CODE": "X"}))
    registries = {
        "utf8": write_csv(tmp_path / "utf8.csv", as_rows(registry), "utf-8"),
        "gb18030": write_csv(tmp_path / "gbk.csv", as_rows(registry), "gb18030"),
        "xlsx": UNITS_PATH,
    }
    runs = {key: run_summary(inbox, tmp_path / key, path) for key, path in registries.items()}
    statuses, summary = runs["utf8"]
    assert {status for _, _, status, _ in statuses} >= {"accepted", "rejected"}
    assert any(isinstance(v, int) and v > 0 for row in summary for v in row)
    assert runs["gb18030"] == runs["utf8"]
    assert runs["xlsx"] == runs["utf8"]
