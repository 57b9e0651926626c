"""Reporting periods from the names clerks write: 2026年, 2026年上半年, 2026年下半年,
2026年第三季度 (or 第3季度), 2026年3月, and 2026年1-9月 (截至某日). The dates follow from the
name, so a clerk collecting another period gives its name and nothing else."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from pipeline.form.model import Period

QUARTERS = ("第一季度", "第二季度", "第三季度", "第四季度")
HALVES = {"上半年": (1, 6), "下半年": (7, 12)}
PERIOD_KINDS = ("全年", *HALVES, *QUARTERS, "月度", "截至某日")
EXAMPLES = "2026年、2026年上半年、2026年第三季度、2026年3月、2026年1-9月"

_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PATTERNS = (
    (re.compile(r"(\d{4})年"), "year"),
    (re.compile(r"(\d{4})年(上半年|下半年)"), "half"),
    (re.compile(r"(\d{4})年第?([一二三四1-4])季度"), "quarter"),
    (re.compile(r"(\d{4})年(\d{1,2})月(?:份)?"), "month"),
    (re.compile(r"(\d{4})年(\d{1,2})(?:月)?[-－—~～至到](\d{1,2})月"), "to_date"),
)


class PeriodError(ValueError):
    """The text names no period we know (the message is Chinese, for the clerk)."""


def parse_period(text: str) -> Period:
    """The period a name stands for, its label normalised (第3季度 -> 第三季度, 03月 -> 3月)."""
    name = re.sub(r"\s+", "", str(text))
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        parts = match.groups()
        if kind == "year":
            return _year(parts[0])
        if kind == "half":
            return _half(parts[0], parts[1])
        if kind == "quarter":
            return _quarter(parts[0], parts[1])
        if kind == "month":
            return _month(parts[0], parts[1])
        return _to_date(parts[0], parts[1], parts[2])
    raise PeriodError(f"报告期“{text}”无法识别：请写成 {EXAMPLES} 这样的形式")


def _year(year: str) -> Period:
    y = int(year)
    return Period(f"{y}年", "全年", dt.date(y, 1, 1), dt.date(y, 12, 31))


def _half(year: str, half: str) -> Period:
    first, last = HALVES[half]
    return _months(int(year), first, last, f"{int(year)}年{half}", half)


def _quarter(year: str, number: str) -> Period:
    quarter = _CHINESE_DIGITS[number]
    kind = QUARTERS[quarter - 1]
    return _months(int(year), 3 * quarter - 2, 3 * quarter, f"{int(year)}年{kind}", kind)


def _month(year: str, month: str) -> Period:
    m = _checked_month(month)
    return _months(int(year), m, m, f"{int(year)}年{m}月", "月度")


def _to_date(year: str, first: str, last: str) -> Period:
    start, end = _checked_month(first), _checked_month(last)
    if start != 1 or end < start:
        raise PeriodError(
            f"“{year}年{first}-{last}月”：截至某日的报告期从 1 月开始，如 {year}年1-9月"
        )
    return _months(int(year), 1, end, f"{int(year)}年1-{end}月", "截至某日")


def _months(year: int, first: int, last: int, label: str, kind: str) -> Period:
    end = dt.date(year, last, calendar.monthrange(year, last)[1])
    return Period(label, kind, dt.date(year, first, 1), end)


def _checked_month(month: str) -> int:
    value = int(month)
    if not 1 <= value <= 12:
        raise PeriodError(f"月份“{month}”应在 1 至 12 之间")
    return value


def previous_period(period: Period) -> Period:
    """The period before this one, of the same kind: the year before, the half, quarter or
    month before; for 截至某日 (1-n月, counted from January) the same months a year earlier."""
    year, first, last = period.start.year, period.start.month, period.end.month
    if period.type == "全年":
        return _year(str(year - 1))
    if period.type == "截至某日":
        return _to_date(str(year - 1), "1", str(last))
    span = last - first + 1
    if first == 1:
        year, first = year - 1, 13 - span
    else:
        first -= span
    start = dt.date(year, first, 1)
    if period.type in HALVES:
        return _half(str(year), "上半年" if first == 1 else "下半年")
    if period.type in QUARTERS:
        return _quarter(str(year), str((first + 2) // 3))
    return _month(str(start.year), str(start.month))
