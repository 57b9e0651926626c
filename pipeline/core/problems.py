"""Problems are data: one record per thing wrong with a return, and the catalogue of codes.

Each code has a fixed severity and a Chinese message template. Templates name the place
first, then what is wrong, then what to do; they are formatted with the keyword arguments
given to `make_problem`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    severity: Severity
    message: str
    file: str = ""
    unit: str = ""
    sheet: str = ""
    cell: str = ""
    indicator: str = ""
    value: str = ""

    def located(self, **where: str) -> Problem:
        """Return a copy with location fields (file, unit, ...) filled in."""
        return replace(self, **where)


# code -> (severity, template)
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # Files
    "FILE_IGNORED": (Severity.WARNING, "已忽略：{reason}"),
    "FILE_UNREADABLE": (Severity.ERROR, "文件无法读取：{reason}"),
    "FILE_WRONG_FORMAT": (Severity.ERROR, "文件格式不受支持：{reason}"),
    "FILE_DUPLICATE": (Severity.WARNING, "与文件“{other}”内容完全相同，只计一次"),
    "FILE_SUPERSEDED": (Severity.WARNING, "本单位另有较新的报表“{other}”，本文件不参与汇总"),
    # Structure
    "FORM_NOT_TEMPLATE": (
        Severity.ERROR,
        "不是本套统计表（找不到 FORM_ID 标识）。请使用下发的模板“{title}”填报",
    ),
    "FORM_WRONG_ID": (
        Severity.ERROR,
        "报表种类为“{found}”，应为“{expected}”。请使用下发的模板“{title}”填报",
    ),
    "FORM_WRONG_VERSION": (
        Severity.ERROR,
        "模板版本为“{found}”，当前版本为“{expected}”。请下载最新模板重新填报",
    ),
    "NAME_MISSING": (
        Severity.ERROR,
        "找不到指标“{label}”（{code}）的填报单元格，模板结构可能被改动。请使用下发的模板填报",
    ),
    "NAMES_LOST": (
        Severity.WARNING,
        "文件中没有模板的名称定义（可能是把数据复制到了新的工作簿），已按指标编码列和封面项目读取。"
        "请使用下发的模板填报",
    ),
    "TABLES_LOST": (
        Severity.WARNING,
        "文件中的台账表格（Excel 表）已丢失（可能用其他软件另存过），已按表头行读取台账。"
        "请核对台账内容，今后请用 Excel 或 WPS 在下发的模板中填报",
    ),
    "LEDGER_MISSING": (
        Severity.ERROR,
        "找不到台账“{label}”（表格 {code}）。请使用下发的模板填报，不要删除台账表格",
    ),
    "LEDGER_COLUMN_MISSING": (
        Severity.ERROR,
        "台账“{ledger}”缺少列“{column}”。请不要删除或改名台账的列标题",
    ),
    # Identification
    "UNIT_UNKNOWN": (
        Severity.ERROR,
        "单位“{found}”不在报送单位名单中{hint}。请在封面从下拉列表选择本单位",
    ),
    "UNIT_MISMATCH": (
        Severity.ERROR,
        "单位编码“{code}”与单位名称“{name}”不一致（名单中 {code} 是“{expected}”）。请核对封面",
    ),
    "PERIOD_MISMATCH": (
        Severity.ERROR,
        "{label}为“{found}”，本次汇总为“{expected}”。请使用本期下发的模板填报",
    ),
    # Values
    "VALUE_REQUIRED": (
        Severity.ERROR,
        "“{label}”不能为空。{hint}",
    ),
    "VALUE_NOT_INTEGER": (
        Severity.ERROR,
        "“{label}”应填写非负整数，实际为“{value}”。{advice}",
    ),
    "VALUE_BELOW_MIN": (Severity.ERROR, "“{label}”不能小于 {bound}，实际为 {value}"),
    "VALUE_ABOVE_MAX": (Severity.ERROR, "“{label}”不能大于 {bound}，实际为 {value}"),
    "VALUE_COERCED": (
        Severity.WARNING,
        "“{label}”的值“{value}”已按 {result} 读取（{how}）。请在报表中直接填写数字",
    ),
    "CHOICE_COERCED": (
        Severity.WARNING,
        "“{label}”的值“{value}”已按“{result}”读取（{how}）。请从下拉列表中选择",
    ),
    "VALUE_NOT_DATE": (
        Severity.ERROR,
        "“{label}”应为日期（如 2022-03-05），实际为“{value}”。{advice}",
    ),
    "DATE_COERCED": (
        Severity.WARNING,
        "“{label}”的值“{value}”已按日期 {result} 读取。请按 年-月-日 格式填写日期",
    ),
    "DATE_OUT_OF_PERIOD": (
        Severity.ERROR,
        "“{label}”{value} 不在本报告期（{start} 至 {end}）内。本期报表只统计本期发生的事项",
    ),
    "VALUE_NOT_CHOICE": (
        Severity.ERROR,
        "“{label}”的值“{value}”不在可选项中。可选：{choices}",
    ),
    "CELL_ERROR_VALUE": (Severity.ERROR, "“{label}”是错误值 {value}。{advice}"),
    "FORMULA_NOT_CALCULATED": (Severity.ERROR, "“{label}”{advice}"),
    "VALUE_NOT_BOOL": (Severity.ERROR, "“{label}”应填“是”或“否”，实际为“{value}”"),
    "SELF_FILLED_BY_SUBORDINATE": (
        Severity.WARNING,
        "“{label}”只由{root}本级填报，下属单位填写的值不参与汇总",
    ),
    # Rules
    "RULE_FAILED": (Severity.ERROR, "{message}（{detail}）"),
    "ROW_RULE_FAILED": (Severity.ERROR, "{message}"),
}


def make_problem(code: str, /, *, severity: Severity | None = None, **context: object) -> Problem:
    """Build a Problem from the catalogue.

    Location keywords (file, unit, sheet, cell, indicator, value) are stored on the record;
    every keyword is also available to the message template.
    """
    default_severity, template = CATALOGUE[code]
    location = {
        key: str(context[key])
        for key in ("file", "unit", "sheet", "cell", "indicator", "value")
        if key in context and context[key] is not None
    }
    return Problem(
        code=code,
        severity=severity or default_severity,
        message=template.format(**context),
        **location,
    )


def count_by_severity(problems: list[Problem]) -> tuple[int, int]:
    """Return (errors, warnings)."""
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    return errors, len(problems) - errors
