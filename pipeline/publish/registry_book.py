"""I/O out: the unit registry as a workbook clerks edit in Excel or WPS (input_templates/units.xlsx).

One sheet 报送单位 (header row frozen, codes and phone numbers formatted as text, a dropdown
of the registered codes on 上级单位编码) and one sheet 填写说明. Everything is written as text.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from pipeline.core.files import atomic_output
from pipeline.form.registry import FIELDS, HEADER, Registry
from pipeline.publish import xlsx_style as styles
from pipeline.publish.xlsx_style import FIXED_CREATED, WORKBOOK_OPTIONS, display_width, row_height

SHEET = "报送单位"
GUIDE_SHEET = "填写说明"
SPARE_ROWS = 500  # rows below the last unit that still get the dropdown and the checks
MIN_WIDTH, MAX_WIDTH = 10, 60
GUIDE_WIDTH = 100
GUIDE = (
    "报送单位名单填写说明",
    "1. 在“报送单位”工作表中每行填写一个单位；第 1 行是表头，请不要修改表头文字。",
    "2. 单位编码：每个单位一个编码，不能为空，也不能与其他单位重复（如 LJ101）。",
    "3. 单位名称：填写单位全称，不能为空，也不能与其他单位重复。",
    "4. 上级单位编码：填写该单位上级单位的编码，可从下拉列表中选择；汇总单位（本单位）的上级单位编码留空，"
    "名单中只能有这一个单位留空。",
    "5. 新增单位：在最后一个单位下面的空行填写单位编码、单位名称和上级单位编码；撤销单位：删除它所在的整行"
    "（先改好以它为上级的单位）。",
    "6. 联系人、联系电话：可以不填，填写后用于催报清单。",
    "7. 修改后保存为 Excel 工作簿（.xlsx），然后运行 make template 重新生成填报模板，再下发给各单位。",
    "8. 也可以使用 CSV 文件（UTF-8 或 GBK 编码均可，列名同上）：运行时加 --units 文件.csv。",
)


def write_registry_book(registry: Registry, path: Path) -> Path:
    """Write the workbook (atomically: a half-written file never takes the real name)."""
    path = Path(path)
    with atomic_output(path, private=False) as tmp:  # the clerk's own list, kept with the template
        workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        workbook.set_properties({"title": "报送单位名单", "created": FIXED_CREATED, "author": ""})
        _units_sheet(workbook, registry)
        _guide_sheet(workbook)
        workbook.close()
    return path


def _units_sheet(workbook: xlsxwriter.Workbook, registry: Registry) -> None:
    ws = workbook.add_worksheet(SHEET)
    header = workbook.add_format(styles.HEADER)
    text = workbook.add_format({"num_format": "@"})  # 0101 typed in Excel stays 0101
    rows = [[getattr(unit, field) for field in FIELDS.values()] for unit in registry.units]
    for col, title in enumerate(HEADER):
        width = max(display_width(str(v)) for v in [title, *(row[col] for row in rows)]) + 2
        ws.set_column(col, col, min(max(width, MIN_WIDTH), MAX_WIDTH), text)
        ws.write_string(0, col, title, header)
    for number, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value:
                ws.write_string(number, col, value)
    ws.freeze_panes(1, 0)
    last = len(rows) + SPARE_ROWS  # zero-based row of the last checked line
    codes = f"$A$2:$A${last + 1}"
    ws.data_validation(1, 0, last, 0, {
        "validate": "custom",
        "value": f"=COUNTIF({codes},A2)=1",
        "error_title": "单位编码重复",
        "error_message": "名单中已有这个单位编码，请换一个不重复的编码。",
        "input_title": "单位编码",
        "input_message": "每个单位一个编码，不能重复。",
    })  # fmt: skip
    ws.data_validation(1, 2, last, 2, {
        "validate": "list",
        "source": f"={codes}",
        "ignore_blank": True,
        "error_title": "上级单位编码",
        "error_message": "请从下拉列表中选择名单中已有的单位编码；汇总单位（本单位）留空。",
        "input_title": "上级单位编码",
        "input_message": "从下拉列表中选择上级单位的编码；汇总单位（本单位）留空。",
    })  # fmt: skip
    ws.activate()


def _guide_sheet(workbook: xlsxwriter.Workbook) -> None:
    ws = workbook.add_worksheet(GUIDE_SHEET)
    ws.set_column(0, 0, GUIDE_WIDTH, workbook.add_format({"text_wrap": True, "valign": "top"}))
    ws.write_string(0, 0, GUIDE[0], workbook.add_format(styles.TITLE))
    for number, line in enumerate(GUIDE[1:], start=1):
        ws.set_row(number, row_height((line, GUIDE_WIDTH)))
        ws.write_string(number, 0, line)
