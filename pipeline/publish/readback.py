"""I/O in: read an earlier consolidated workbook (its 汇总 and 说明 sheets) for 同比/环比.

Columns are found by their header text, not their position, so a workbook written by an
older or newer version of the pipeline (with more columns) is read the same way.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from pipeline.combine.compare import CompareError, PreviousPeriod
from pipeline.core.filenames import display_name

SUMMARY_SHEET = "汇总"
ABOUT_SHEET = "说明"
HEADER_ROWS = 10  # the header row is near the top


def read_previous(path: Path) -> PreviousPeriod:
    """The earlier workbook, named by its display name (it reaches 汇总's note and messages)."""
    name = display_name(path.name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError):
        raise CompareError(f"无法读取上期汇总表“{name}”：文件已损坏或不是 Excel 工作簿") from None
    try:
        if SUMMARY_SHEET not in workbook.sheetnames or ABOUT_SHEET not in workbook.sheetnames:
            raise CompareError(f"“{name}”不是本工具生成的汇总表（缺少“汇总”或“说明”工作表）")
        about = {
            str(row[0]): str(row[1] or "")
            for row in workbook[ABOUT_SHEET].iter_rows(max_col=2, values_only=True)
            if row and row[0]
        }
        totals, labels, definitions = _summary(workbook[SUMMARY_SHEET], name)
    finally:
        workbook.close()
    return PreviousPeriod(
        file=name,
        form_id=about.get("表样标识", ""),
        version=about.get("表样版本", ""),
        period=about.get("报告期", "").split("（")[0],
        totals=totals,
        labels=labels,
        definitions=definitions,
    )


def _summary(
    ws, name: str
) -> tuple[dict[str, int | None], dict[str, str], dict[str, tuple[str, str, str]]]:
    rows = ws.iter_rows(values_only=True)
    header: tuple = ()
    for _, row in zip(range(HEADER_ROWS), rows, strict=False):
        if row and row[0] == "指标编码":
            header = row
            break
    if "合计" not in header:
        raise CompareError(f"“{name}”的“汇总”表找不到“指标编码”和“合计”列")
    code_col, label_col, total_col = 0, header.index("指标名称"), header.index("合计")
    unit_col = header.index("计量单位") if "计量单位" in header else None
    how_col = header.index("汇总方式") if "汇总方式" in header else None
    totals: dict[str, int | None] = {}
    labels: dict[str, str] = {}
    definitions: dict[str, tuple[str, str, str]] = {}
    for row in rows:
        if not row or not row[code_col] or not row[label_col]:
            continue  # section headings, blank rows, notes below the table
        value = row[total_col]
        code = str(row[code_col])
        totals[code] = int(value) if isinstance(value, int | float) else None
        labels[code] = str(row[label_col])
        if unit_col is not None and how_col is not None:
            definitions[code] = (labels[code], str(row[unit_col] or ""), str(row[how_col] or ""))
    return totals, labels, definitions
