"""What a feedback workbook says and where it goes, shared by both ways of making one (the
XML edit and the openpyxl copy): texts, colours, sheet and file names. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.core.catalogue import SEVERITY_LABEL, Severity, Tag
from pipeline.core.filenames import GBK_MARK, output_file_name
from pipeline.core.problems import Problem
from pipeline.core.records import Submission

FEEDBACK_FOLDER = "反馈"


FEEDBACK_SUFFIX = "_审核意见.xlsx"


FEEDBACK_SHEET = "审核意见"
FILL_COLORS = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C"}  # red: must fix; yellow: check


HEADERS = ["序号", "严重程度", "工作表", "单元格", "指标", "问题说明", "填写值"]


WIDTHS = [6, 9, 22, 8, 26, 80, 18]


NOTE = "红色单元格为错误（必须修改），黄色为警告（请核实）。改正后请整份重新报送。"


LINK_COLOR = "0563C1"


COMMENT_AUTHOR = "审核意见"


COMMENT_SIZE = (320, 140)  # width, height in pixels


def feedback_name(sub: Submission) -> str:
    """Named after the unit, or the unit's file when the unit is not known: valid UTF-8 and
    legal on Windows whatever that file was called (a GBK name, a newline, 300 bytes...)."""
    if sub.unit_code:
        who = f"{sub.unit_code}_{sub.unit_name}"
    else:
        who = f"未识别单位_{Path(sub.file.removesuffix(GBK_MARK)).stem}"
    return output_file_name(who, FEEDBACK_SUFFIX)


def feedback_path(outdir: Path, sub: Submission) -> Path:
    return outdir / FEEDBACK_FOLDER / feedback_name(sub)


def staged_path(outdir: Path, sha256: str) -> Path:
    """Where a worker writes a feedback workbook before the run knows which files count."""
    return outdir / FEEDBACK_FOLDER / f".{sha256}.xlsx"


def wants_feedback(sub: Submission) -> bool:
    """Returns with problems get feedback; files that are not spreadsheets at all do not
    (there is nobody to send those back to)."""
    return bool(sub.problems) and not any(Tag.NO_FEEDBACK in p.code.tags for p in sub.problems)


def worst_severity(found: list[Problem]) -> Severity:
    return Severity.ERROR if any(p.severity is Severity.ERROR for p in found) else Severity.WARNING


def comment_text(found: list[Problem]) -> str:
    """The comment on a problem cell: every problem found there, one a line."""
    return "\n".join(f"【{SEVERITY_LABEL[p.severity]}】{p.message}" for p in found)[:2000]


@dataclass(frozen=True)
class Resubmitted:
    """A resubmission against the unit's return before it: the problems that return had and
    this one no longer has, and the ones both have (the rest of this return's are new)."""

    ordinal: int  # 报送次数
    fixed: tuple[Problem, ...]
    still_open: frozenset[tuple[str, str, str, str]]  # Problem.key of the problems both have

    def compared(self, problem: Problem) -> str:
        return STILL_OPEN if problem.key in self.still_open else NEWLY_FOUND


STILL_OPEN, NEWLY_FOUND = "仍未改正", "新出现"
COMPARED_HEADER, COMPARED_WIDTH = "与上次相比", 10
FIXED_HEADING = "上次报送中的以下问题，本次已改正："


def feedback_title(sub: Submission, resubmitted: Resubmitted | None = None) -> str:
    title = (
        f"{sub.unit_name or sub.file} 报表审核意见：错误 {sub.errors} 处，警告 {sub.warnings} 处"
    )
    if resubmitted is None:
        return title
    still = sum(1 for p in sub.problems if resubmitted.compared(p) == STILL_OPEN)
    return (
        f"{title}（第 {resubmitted.ordinal} 次报送，与上次相比：已改正 {len(resubmitted.fixed)} 处，"
        f"仍未改正 {still} 处，新出现 {len(sub.problems) - still} 处）"
    )


def list_headers(resubmitted: Resubmitted | None) -> tuple[list[str], list[int]]:
    """The 审核意见 table's headers and widths: a resubmission's says which problems are new."""
    if resubmitted is None:
        return HEADERS, WIDTHS
    return [*HEADERS, COMPARED_HEADER], [*WIDTHS, COMPARED_WIDTH]


def link_target(problem: Problem) -> str:
    return f"'{problem.sheet}'!{problem.cell}"
