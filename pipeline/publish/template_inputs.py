"""What a template cell accepts: xlsxwriter data validations with Chinese prompts."""

from __future__ import annotations

import datetime as dt

from pipeline.form.model import Period


def validation(  # noqa: PLR0913 - the item's type, label, bounds, note and list
    kind: str, label: str, low: int | None, high: int | None, note: str, list_source: str
) -> dict:
    """xlsxwriter's data validation for an input of this type, with a Chinese prompt and
    error message (`list_source`: the dropdown's range, for choice and yes/no items)."""
    title = label[:32]
    if kind == "int":
        low = 0 if low is None else low
        rule = {"validate": "integer", "criteria": ">=", "value": low}
        if high is not None:
            rule = {
                "validate": "integer",
                "criteria": "between",
                "minimum": low,
                "maximum": high,
            }
        message = "请填写整数（阿拉伯数字），未发生填 0"
    elif kind == "date":
        rule = {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.datetime(2000, 1, 1),
            "maximum": dt.datetime(2099, 12, 31),
        }
        message = "请填写日期，格式 2022-03-05"
    elif kind in ("choice", "bool"):
        rule = {"validate": "list", "source": list_source}
        message = "请从下拉列表中选择"
    else:
        rule = {"validate": "any"}
        message = note[:200] or "请填写文字"
    rule.update(
        {
            "input_title": title,
            "input_message": message[:255],
            "error_title": "填写有误",
            "error_message": f"{label}：{message}"[:255],
        }
    )
    return rule


def in_period(rule: dict, period: Period) -> dict:
    """A date that must lie inside the reporting period (V04), checked as it is typed."""
    start, end = (dt.datetime.combine(d, dt.time()) for d in (period.start, period.end))
    message = f"请填写报告期内的日期（{period.start} 至 {period.end}）"
    return rule | {"minimum": start, "maximum": end, "input_message": message,
                   "error_message": f"{rule['input_title']}：{message}"[:255]}  # fmt: skip
