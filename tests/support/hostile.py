"""Build a hostile inbox from the rules of ../shared/RELIABILITY.md and issue 9.

Every entry is one case: a short id, its exact name on disk (bytes), the status the pipeline
must give it, a Chinese word its one-line reason must contain, and the rule it stands for.
`CASES` is the specification; `build()` makes every case in a fresh folder, next to a second
inbox holding only the valid returns (the originals of every return that must count), so
that a test can compare the totals of both runs.

Valid returns are the project's own: the real template filled by pipeline.demo.fill with
pipeline.demo.sample's values. Every return that must count belongs to its own registered unit
(two returns of one unit would supersede each other); returns that must be rejected for their
name or a part they carry belong to unregistered units (ZZ9xx) so that they never touch a
registered unit's figures, and still go the whole way: validation, 审核问题, feedback workbook.

Re-saves by other programs need LibreOffice (`soffice`) or Gnumeric (`ssconvert`); without
them, those cases are not built (their tests skip) and their originals stay out of the valid
inbox. Programs are always called with an argument list and absolute paths, never a shell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from pipeline.demo.fill import fill_return
from pipeline.demo.sample import SampleReturn, sample_return
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from tests.support import badfiles
from tests.support.programs import SOFFICE, SSCONVERT

PROGRAMS = {"soffice": SOFFICE, "ssconvert": SSCONVERT}

ACCEPTED = "accepted"
WARNED = "accepted_with_warnings"
REJECTED = "rejected"
IGNORED = "ignored"
SUPERSEDED = "superseded"

# Formula triggers (OWASP CSV injection, CWE-1236, ASVS 1.2.10) and a DDE payload.
INJECTIONS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-1+1",
    "@SUM(1)",
    "\tcmd",
    "=cmd|' /C calc'!A0",
)
# Free-text ledger columns: no rule looks inside them, so the return stays valid.
FREE_TEXT = {"topic", "remark", "title", "description", "measures_text", "domain", "platform"}
PLAIN_NAME = "水务局-2022年上半年党风廉政建设统计表.xlsx"
LATER = "水务局-统计表（更正）.xlsx"  # LJ000 again, dated later: counts only if it is read


@dataclass(frozen=True)
class Case:
    id: str
    name: bytes  # the entry's exact name in the inbox
    status: str  # manifest status
    word: str  # the reason must contain it ("" for a return that counts: no reason)
    rule: str  # the rule of RELIABILITY.md or the failure class of issue 9
    needs: str = ""  # "soffice" or "ssconvert" when a program makes it


def _case(id: str, name: str | bytes, status: str, word: str, rule: str, needs: str = "") -> Case:
    return Case(id, name if isinstance(name, bytes) else name.encode(), status, word, rule, needs)


UNKNOWN = "名单"  # an unregistered unit: "单位“…”不在报送单位名单中"

CASES: tuple[Case, ...] = (
    # Valid returns and duplicates
    _case("valid-plain", PLAIN_NAME, ACCEPTED, "",
          "a valid return, its text in shared strings as Excel writes it"),
    _case("exact-copy", "水务局-统计表 - 副本.xlsx", IGNORED, "完全相同",
          "exact duplicates are rejected by sha256"),
    _case("resubmission", "LJ201 修改后.xlsx", ACCEPTED, "", "a unit resubmits: the later counts"),
    _case("superseded", "LJ201 旧版.XLSX", SUPERSEDED, "较新",
          "the earlier return of a unit is superseded (extension in capitals: compared "
          "case-insensitively)"),
    # File names
    _case("gbk-name", "水文站副本.xlsx".encode("gbk"), ACCEPTED, "",
          "a GBK file name (Windows zip, USB stick): shown in Chinese, its figures count"),
    _case("undecodable-name", b"\xff\xfe\x80" + "报表".encode("gbk") + b".xlsx", REJECTED,
          UNKNOWN, "name bytes neither UTF-8 nor GB18030: escaped, never a crash"),
    _case("newline-name", "报表\n第二行.xlsx", REJECTED, UNKNOWN,
          "a newline in a name cannot break a line"),
    _case("ansi-name", "\x1b[31m红色报表\x1b[0m.xlsx", REJECTED, UNKNOWN,
          "an ANSI escape in a name is escaped"),
    _case("bidi-name", "报表\u202excod.xlsx", REJECTED, UNKNOWN,
          "a bidi override in a name is escaped"),
    _case("formula-name", '=HYPERLINK("x","y")报表.xlsx', REJECTED, UNKNOWN,
          "a name that looks like a formula is text in every output"),
    _case("dash-name", "-rf.xlsx", REJECTED, UNKNOWN,
          "a name never reaches a command line as an option"),
    _case("shell-name", "$(touch pwned).xlsx", REJECTED, UNKNOWN,
          "a name never reaches a shell"),
    _case("long-name", ("很长的文件名" * 14)[:83] + ".xlsx", REJECTED, UNKNOWN,
          "a 254-byte name: feedback names stay within 255 bytes"),
    # XML
    _case("utf16-entity", "utf16-entity.xlsx", REJECTED, "DTD",
          "a DTD with an entity in a UTF-16 part is refused at the parser"),
    _case("utf16be-external-entity", "utf16be-xxe.xlsx", REJECTED, "DTD",
          "an external entity in a UTF-16BE part without BOM is refused"),
    _case("billion-laughs", "laughs.xlsx", REJECTED, "DTD", "entity expansion is refused"),
    _case("external-entity", "xxe.xlsx", REJECTED, "DTD", "an external entity is refused"),
    _case("namespace-prefix", "LJ101 前缀命名空间.xlsx", ACCEPTED, "",
          "sheets and shared strings with the main namespace bound to x: (<x:c>)"),
    _case("namespace-prefix-all", "LJ306 全部前缀.xlsx", ACCEPTED, "",
          "every SpreadsheetML part prefixed (workbook, styles, tables), as the .NET SDK writes"),
    _case("utf16-shared-strings", "LJ102 UTF-16.xlsx", ACCEPTED, "",
          "a UTF-16 part without a DTD reads as a UTF-8 one"),
    # Zip
    _case("zip-bomb", "bomb.xlsx", REJECTED, "压缩炸弹", "per-member compression ratio"),
    _case("member-count", "members.xlsx", REJECTED, "文件过多", "zip member count"),
    _case("path-traversal", "traversal.xlsx", REJECTED, "路径", "member names with .."),
    _case("absolute-member", "absolute.xlsx", REJECTED, "路径", "absolute member names"),
    _case("duplicate-member", "duplicate-member.xlsx", REJECTED, "路径",
          "two members of one name"),
    _case("zip-encrypted-flag", "zip-password.xlsx", REJECTED, "加密",
          "the zip encryption flag"),
    _case("lying-member-size", "lying-size.xlsx", REJECTED, "损坏",
          "declared sizes lie: the cap holds while streaming"),
    _case("bzip2-member", "bzip2.xlsx", REJECTED, "压缩方式", "compression methods 8/0 only"),
    _case("encrypted", "加密报表.xlsx", REJECTED, "加密", "OLE2 encrypted xlsx: password-protected"),
    _case("truncated", "下载不完整.xlsx", REJECTED, "损坏", "half a file"),
    _case("far-cell", "far-cell.xlsx", REJECTED, "行数过多",
          "cells A1 and XFD1048576: rows and columns capped"),
    _case("many-sheets", "many-sheets.xlsx", REJECTED, "工作表过多", "sheet count capped"),
    _case("lying-dimension", "LJ103 dimension.xlsx", ACCEPTED, "",
          "<dimension> is not trusted: every value read"),
    # Wrong content
    _case("docx-renamed", "通知.xlsx", REJECTED, "Word", "sniff content: a Word document"),
    _case("pdf-renamed", "扫描件.xlsx", REJECTED, "PDF", "sniff content: %PDF"),
    _case("html-renamed", "网页下载.xlsx", REJECTED, "网页", "sniff content: <html"),
    _case("png", "截图.png", REJECTED, "图片", "a screenshot of the return"),
    _case("rtf", "说明.rtf", REJECTED, "RTF", "an RTF document"),
    _case("csv", "报表数据.csv", REJECTED, "文本", "a CSV saved by Excel (GBK)"),
    _case("ods", "表格.ods", REJECTED, ".ods", "OpenDocument spreadsheet"),
    _case("xlsb", "二进制.xlsb", REJECTED, ".xlsb", "Excel binary workbook"),
    _case("empty", "空白.xlsx", REJECTED, "空文件", "a 0-byte file"),
    _case("sparse-3gib", "巨大的报表.xlsx", REJECTED, "过大",
          "size from lstat before reading (3 GiB, no disk)"),
    _case("excel-2003-xml", "excel2003.xml", REJECTED, "XML", "SpreadsheetML 2003"),
    # Entries that are not regular files, and files that are not returns
    _case("fifo", "管道.xlsx", IGNORED, "普通文件", "a FIFO is never opened"),
    _case("symlink-return", "快捷方式.xlsx", IGNORED, "链接", "a link is never followed"),
    _case("symlink-passwd", "passwd.xlsx", IGNORED, "链接", "a link to /etc/passwd"),
    _case("symlink-dangling", "失效链接.xlsx", IGNORED, "链接", "a dangling link"),
    _case("subfolder", "子文件夹", IGNORED, "文件夹", "no recursion into folders"),
    _case("excel-owner-file", f"~${PLAIN_NAME}", IGNORED, "锁定", "Excel's owner file"),
    _case("libreoffice-lock", f".~lock.{PLAIN_NAME}#", IGNORED, "锁定", "LibreOffice's lock"),
    _case("thumbs-db", "Thumbs.db", IGNORED, "系统", "Windows' thumbnail cache"),
    _case("desktop-ini", "desktop.ini", IGNORED, "系统", "Windows' folder settings"),
    _case("hidden", f".{LATER}", IGNORED, "隐藏", "a hidden file"),
    # Formulas, macros, links
    _case("formula-injection", "LJ200 公式注入.xlsx", WARNED, "",
          "formula-looking text (=, +, -, @, TAB, DDE) stays text in every output"),
    _case("injection-in-number", "数字格中的公式文本.xlsx", REJECTED, "整数",
          "formula-looking text in a number cell: an error shown as text"),
    _case("formula-without-value", "LJ304 公式未计算.xlsx", REJECTED, "计算结果",
          "a formula without a cached value is an error, not an empty cell"),
    _case("error-value", "LJ305 错误值.xlsx", REJECTED, "错误值",
          "an error value (#REF!) is an error, not an empty cell"),
    _case("macro", "带宏的报表.xlsx", REJECTED, UNKNOWN,
          "a VBA project: never in an output (feedback copy included)"),
    _case("external-link", "外部链接.xlsx", REJECTED, UNKNOWN,
          "external workbook and DDE links: never in an output"),
    # Other programs
    _case("libreoffice-xlsx", "LJ202 LibreOffice另存.xlsx", ACCEPTED, "",
          "re-saved by LibreOffice as .xlsx", "soffice"),
    _case("gnumeric-xlsx", "LJ301 Gnumeric另存.xlsx", WARNED, "",
          "re-saved by Gnumeric as .xlsx (tables dropped, names kept)", "ssconvert"),
    _case("gnumeric-xls", "LJ302 Gnumeric另存.xls", ACCEPTED, "",
          "re-saved by Gnumeric as .xls", "ssconvert"),
    _case("legacy-xls", "LJ303 Excel97-2003.xls", ACCEPTED, "",
          ".xls legacy return (BIFF8, saved by LibreOffice)", "soffice"),
)  # fmt: skip

# The registered unit of each return that must count (or that carries its own error).
UNITS = {
    "valid-plain": "LJ000",
    "gbk-name": "LJ100",
    "namespace-prefix": "LJ101",
    "utf16-shared-strings": "LJ102",
    "lying-dimension": "LJ103",
    "formula-injection": "LJ200",
    "resubmission": "LJ201",
    "libreoffice-xlsx": "LJ202",
    "gnumeric-xlsx": "LJ301",
    "gnumeric-xls": "LJ302",
    "legacy-xls": "LJ303",
    "formula-without-value": "LJ304",
    "error-value": "LJ305",
    "namespace-prefix-all": "LJ306",
}


# Cases made by another program from a valid return: program, target format.
CONVERSIONS = {
    "libreoffice-xlsx": ("soffice", "xlsx"),
    "legacy-xls": ("soffice", "xls"),
    "gnumeric-xlsx": ("ssconvert", "Gnumeric_Excel:xlsx2"),
    "gnumeric-xls": ("ssconvert", "Gnumeric_Excel:excel_biff8"),
}


def available(case: Case) -> bool:
    return not case.needs or PROGRAMS[case.needs] is not None


@dataclass
class HostileInbox:
    inbox: Path  # the hostile inbox
    valid: Path  # the valid returns alone: the originals of every return that must count
    outside: Path  # link targets, originals and conversions; never in the inbox
    cases: dict[str, Case]  # id -> case, the cases built (those a program makes may be absent)


def build(root: Path, form: Form, registry: Registry, template: Path) -> HostileInbox:
    """Every case of CASES (whose program is installed) in `root`/inbox, the valid returns
    alone in `root`/valid."""
    return _Maker(root, form, registry, template).make()


class _Maker:
    def __init__(self, root: Path, form: Form, registry: Registry, template: Path):
        self.form, self.registry, self.template = form, registry, template
        self.inbox, self.valid, self.outside = root / "inbox", root / "valid", root / "outside"
        for folder in (self.inbox, self.valid, self.outside):
            folder.mkdir(parents=True)
        self.cases = {c.id: c for c in CASES if available(c)}
        self.seed = 900

    def make(self) -> HostileInbox:
        builders = {
            name.removeprefix("case_").replace("_", "-"): getattr(self, name)
            for name in dir(self)
            if name.startswith("case_")
        }
        made = set(builders) | set(CONVERSIONS)
        assert made == {c.id for c in CASES}, made ^ {c.id for c in CASES}
        self.good = self.fill(self.outside / "good.xlsx", "LJ000", 1)  # a return to break
        self.later = self.fill(
            self.outside / LATER, "LJ000", 7, edit=lambda s: _later(s, days=30)
        )  # read, it would supersede valid-plain
        started = self.start_programs()
        for case in self.cases.values():
            if case.needs:
                continue
            builders[case.id](self.target(case))
        self.finish_programs(started)
        return HostileInbox(self.inbox, self.valid, self.outside, self.cases)

    # Helpers

    def target(self, case: Case) -> Path:
        return Path(os.fsdecode(os.path.join(os.fsencode(self.inbox), case.name)))

    def fill(
        self,
        path: Path,
        code: str,
        seed: int,
        edit: Callable[[SampleReturn], None] | None = None,
        literal_text: bool = True,
    ) -> Path:
        """The real template filled with a valid sample of unit `code` (then `edit`ed)."""
        unit = self.registry.by_code(code)
        assert unit is not None, code
        sample = sample_return(self.form, self.registry, unit, seed)
        if edit is not None:
            edit(sample)
        return fill_return(
            self.form,
            self.template,
            path,
            sample.values,
            sample.ledgers,
            literal_text=literal_text,
        )

    def original(self, case_id: str, seed: int, edit=None, literal_text: bool = True) -> Path:
        """The valid return of the case's unit, also placed in the valid inbox."""
        code = UNITS[case_id]
        path = self.fill(self.outside / f"{code}.xlsx", code, seed, edit, literal_text)
        shutil.copyfile(path, self.valid / f"{code}.xlsx")
        return path

    def unknown(self, path: Path, edit=None) -> Path:
        """A complete return of an unregistered unit (rejected, with a feedback workbook)."""
        self.seed += 1
        code = f"ZZ{self.seed}"

        def unregistered(sample: SampleReturn) -> None:
            sample.values |= {"UNIT_CODE": code, "UNIT_NAME": f"某某单位{self.seed}"}
            if edit is not None:
                edit(sample)

        return self.fill(path, "LJ000", self.seed, unregistered)

    # Valid returns and duplicates

    def case_valid_plain(self, path: Path) -> None:
        shutil.copyfile(self.with_shared_strings("valid-plain", 1), path)

    def case_exact_copy(self, path: Path) -> None:
        shutil.copyfile(self.target(self.cases["valid-plain"]), path)

    def case_resubmission(self, path: Path) -> None:
        shutil.copyfile(self.original("resubmission", 3, edit=lambda s: _later(s, days=3)), path)

    def case_superseded(self, path: Path) -> None:
        self.fill(path, "LJ201", 3)

    # File names

    def case_gbk_name(self, path: Path) -> None:
        shutil.copyfile(self.original("gbk-name", 4), path)

    def case_undecodable_name(self, path: Path) -> None:
        self.unknown(path)

    case_newline_name = case_ansi_name = case_bidi_name = case_undecodable_name
    case_formula_name = case_dash_name = case_shell_name = case_long_name = case_undecodable_name

    # XML

    def case_utf16_entity(self, path: Path) -> None:
        badfiles.utf16_entity(path)

    def case_utf16be_external_entity(self, path: Path) -> None:
        badfiles.utf16_external_entity(path)

    def case_billion_laughs(self, path: Path) -> None:
        badfiles.billion_laughs(path)

    def case_external_entity(self, path: Path) -> None:
        badfiles.external_entity(path)

    def with_shared_strings(self, case_id: str, seed: int) -> Path:
        """The case's valid return with its text in a shared strings part, as Excel writes
        it (openpyxl writes inline strings)."""
        original = self.original(case_id, seed)
        return badfiles.shared_strings(self.outside / f"{original.stem}-sst.xlsx", original)

    def case_namespace_prefix(self, path: Path) -> None:
        source = self.with_shared_strings("namespace-prefix", 5)
        badfiles.namespace_prefixed(path, source, ("xl/worksheets/", "xl/sharedStrings.xml"))

    def case_namespace_prefix_all(self, path: Path) -> None:
        badfiles.namespace_prefixed(
            path, self.with_shared_strings("namespace-prefix-all", 6), ("xl/",)
        )

    def case_utf16_shared_strings(self, path: Path) -> None:
        source = self.with_shared_strings("utf16-shared-strings", 8)
        badfiles.utf16_shared_strings(path, source)

    # Zip

    def case_zip_bomb(self, path: Path) -> None:
        badfiles.zip_bomb(path)

    def case_member_count(self, path: Path) -> None:
        badfiles.many_members(path)

    def case_path_traversal(self, path: Path) -> None:
        badfiles.traversal(path)

    def case_absolute_member(self, path: Path) -> None:
        badfiles.absolute_member(path)

    def case_duplicate_member(self, path: Path) -> None:
        badfiles.duplicate_member(path)

    def case_zip_encrypted_flag(self, path: Path) -> None:
        badfiles.zip_encryption_flag(path)

    def case_lying_member_size(self, path: Path) -> None:
        badfiles.lying_member_size(path)

    def case_bzip2_member(self, path: Path) -> None:
        badfiles.bzip2_member(path)

    def case_encrypted(self, path: Path) -> None:
        badfiles.encrypted(path, self.good)

    def case_truncated(self, path: Path) -> None:
        badfiles.truncated(path, self.good)

    def case_far_cell(self, path: Path) -> None:
        badfiles.far_cell(path)

    def case_many_sheets(self, path: Path) -> None:
        badfiles.many_sheets(path)

    def case_lying_dimension(self, path: Path) -> None:
        badfiles.lying_dimension(path, self.original("lying-dimension", 9))

    # Wrong content

    def case_docx_renamed(self, path: Path) -> None:
        badfiles.docx(path)

    def case_pdf_renamed(self, path: Path) -> None:
        path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    def case_html_renamed(self, path: Path) -> None:
        path.write_bytes(
            b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>502</title></head>"
            b"<body>502 Bad Gateway</body></html>"
        )

    def case_png(self, path: Path) -> None:
        badfiles.png(path)

    def case_rtf(self, path: Path) -> None:
        badfiles.rtf(path)

    def case_csv(self, path: Path) -> None:
        path.write_bytes("单位编码,单位名称,党组会议\r\nLJ000,临江市水务局,10\r\n".encode("gbk"))

    def case_ods(self, path: Path) -> None:
        badfiles.ods(path)

    def case_xlsb(self, path: Path) -> None:
        badfiles.xlsb(path)

    def case_empty(self, path: Path) -> None:
        path.write_bytes(b"")

    def case_sparse_3gib(self, path: Path) -> None:
        badfiles.sparse(path)

    def case_excel_2003_xml(self, path: Path) -> None:
        badfiles.excel_2003_xml(path)

    # Not regular files, not returns

    def case_fifo(self, path: Path) -> None:
        os.mkfifo(path)  # every reader blocks forever on it

    def case_symlink_return(self, path: Path) -> None:
        path.symlink_to(self.later)

    def case_symlink_passwd(self, path: Path) -> None:
        path.symlink_to("/etc/passwd")

    def case_symlink_dangling(self, path: Path) -> None:
        path.symlink_to(self.outside / "不存在.xlsx")

    def case_subfolder(self, path: Path) -> None:
        path.mkdir()
        shutil.copyfile(self.later, path / LATER)

    def case_excel_owner_file(self, path: Path) -> None:
        # Excel's owner file: the user's name, length-prefixed, padded to 165 bytes.
        name = "王芳".encode("utf-16-le")
        path.write_bytes((bytes([2]) + b"wf".ljust(53, b" ") + name).ljust(165, b"\x20"))

    def case_libreoffice_lock(self, path: Path) -> None:
        path.write_text("王芳,wf,PC-01,27.11.2026 09:00,file:///home/wf/.config/libreoffice/4;")

    def case_thumbs_db(self, path: Path) -> None:
        path.write_bytes(badfiles.OLE_HEADER)

    def case_desktop_ini(self, path: Path) -> None:
        path.write_bytes("[.ShellClassInfo]\r\nLocalizedResourceName=报表\r\n".encode("gbk"))

    def case_hidden(self, path: Path) -> None:
        shutil.copyfile(self.later, path)

    # Formulas, macros, links

    def case_formula_injection(self, path: Path) -> None:
        def inject(sample: SampleReturn) -> None:
            sample.values["FILLER"] = INJECTIONS[0]
            sample.values["APPROVER"] = INJECTIONS[3]
            n = 0
            for rows in sample.ledgers.values():
                for row in rows:
                    for key in sorted(FREE_TEXT & set(row)):
                        row[key] = INJECTIONS[n % len(INJECTIONS)]
                        n += 1
            assert n >= 2 * len(INJECTIONS), "too few ledger rows to carry every payload"
            _warn(sample)  # a warning: the return gets a feedback workbook too

        shutil.copyfile(self.original("formula-injection", 10, inject), path)

    def case_injection_in_number(self, path: Path) -> None:
        def inject(sample: SampleReturn) -> None:
            codes = [i.code for i in self.form.statistics_indicators if i.derived is None]
            for code, text in zip(codes, INJECTIONS, strict=False):
                sample.values[code] = text

        self.unknown(path, inject)

    def case_formula_without_value(self, path: Path) -> None:
        code = UNITS["formula-without-value"]
        first = self.form.statistics_indicators[0].code
        # openpyxl writes the formula with an empty cached value, as a program that does
        # not recalculate would.
        self.fill(path, code, 11, lambda s: s.values.update({first: "=1+1"}), literal_text=False)

    def case_error_value(self, path: Path) -> None:
        code = UNITS["error-value"]
        first = self.form.statistics_indicators[0].code
        self.fill(path, code, 12, lambda s: s.values.update({first: "#REF!"}))

    def case_macro(self, path: Path) -> None:
        badfiles.with_macro(path, self.unknown(self.outside / "macro-source.xlsx"))

    def case_external_link(self, path: Path) -> None:
        badfiles.with_external_links(path, self.unknown(self.outside / "link-source.xlsx"))

    # Other programs: started together, converted in parallel with the rest

    def start_programs(self) -> list:
        started = []
        for case_id, (program, target) in CONVERSIONS.items():
            if case_id not in self.cases:
                continue
            source = self.original(case_id, 20 + len(started))
            work = self.outside / case_id
            work.mkdir()
            if program == "soffice":
                command = [
                    SOFFICE, "--headless", f"-env:UserInstallation=file://{work}/profile",
                    "--convert-to", target, "--outdir", str(work), str(source.resolve()),
                ]  # fmt: skip
                made = work / f"{source.stem}.{target}"
            else:
                made = work / f"{source.stem}.{'xls' if 'biff' in target else 'xlsx'}"
                command = [SSCONVERT, f"--export-type={target}", str(source), str(made)]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            started.append((case_id, process, made))
        return started

    def finish_programs(self, started: list) -> None:
        for case_id, process, made in started:
            try:
                out, err = process.communicate(timeout=300)
            finally:
                if process.poll() is None:
                    process.kill()  # only the one started above, after a timeout
            assert process.returncode == 0 and made.exists(), (case_id, out, err)
            shutil.copyfile(made, self.target(self.cases[case_id]))


def _later(sample: SampleReturn, days: int) -> None:
    sample.values["SUBMIT_DATE"] = sample.values["SUBMIT_DATE"] + dt.timedelta(days=days)


def _warn(sample: SampleReturn) -> None:
    """A number typed with its unit ("5人次"): read, counted, and flagged as a warning."""
    sample.values["ORG_HEART_TALK"] = f"{sample.values.get('ORG_HEART_TALK') or 0}人次"


# Inputs other than the inbox


def registry_as_gbk_csv(units: Path, target: Path) -> Path:
    """The unit registry as Excel on a Chinese Windows saves a CSV: GB18030, CRLF."""
    if units.suffix.lower() == ".csv":
        rows = list(csv.reader(io.StringIO(units.read_bytes().decode("utf-8-sig"))))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(units, read_only=True, data_only=True)
        sheet = book["报送单位"] if "报送单位" in book.sheetnames else book.worksheets[0]
        rows = [
            ["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True)
            if any(v is not None for v in row)
        ]
        book.close()
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    target.write_bytes(text.getvalue().encode("gb18030"))
    return target
