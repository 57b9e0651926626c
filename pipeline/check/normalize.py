"""Raw cell values -> typed values. Pure functions; each returns a Normalized result.

A result carries the typed value (None = blank), and either `coerced` (how a readable but
irregular value was read: a warning) or `advice` (why it cannot be read: an error).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.core.cells import serial_to_moment
from pipeline.core.records import ErrorValue, NoCachedValue

BLANK_CHARS = " \t\r\n\u00a0\u3000\u200b\ufeff"
MASK = re.compile(r"^[*＊×xX]+$")
VAGUE_WORDS = ("若干", "多次", "数次", "几", "约", "左右", "余", "多")
DASHES = {"-", "—", "——", "–", "－", "/", "／", "\\", "无", "暂无", "空", "不适用", "N/A", "n/a"}
CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
MEASURE_UNITS = (
    "人次",
    "件次",
    "人",
    "次",
    "项",
    "个",
    "条",
    "份",
    "家",
    "起",
    "件",
    "篇",
    "场",
    "名",
    "期",
)
_NUMBER_WITH_UNIT = re.compile(r"^([+-]?\d[\d,]*)\s*(" + "|".join(MEASURE_UNITS) + r")$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_DATE_NO_YEAR = re.compile(r"^(\d{1,2})月(\d{1,2})日?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( 00:00:00)?$")
FLOAT_NOISE = 1e-9
TRUE_WORDS = {"是", "TRUE", "True", "true"}
FALSE_WORDS = {"否", "FALSE", "False", "false"}
TRUE_LOOSE = {"Y", "y", "YES", "Yes", "yes", "有", "√", "✓", "✔", "对"}
FALSE_LOOSE = {"N", "n", "NO", "No", "no", "无", "×", "✗", "不"}


@dataclass(frozen=True, slots=True)
class Normalized:
    value: object = None
    coerced: str = ""  # how an irregular value was read (warning)
    advice: str = ""  # why it could not be read, and what to write instead (error)

    @property
    def ok(self) -> bool:
        return not self.advice


BLANK = Normalized()


def _unreadable_cell(raw: object) -> Normalized | None:
    """Error values and formulas without a result are problems at their cell, never blanks."""
    if isinstance(raw, ErrorValue):
        return Normalized(advice=f"单元格是错误值 {raw.code}，请改正公式或直接填写数字")
    if isinstance(raw, NoCachedValue):
        return Normalized(
            advice="单元格是公式但文件中没有计算结果（保存文件的软件没有重新计算），"
            "请在 Excel 或 WPS 中打开后保存再报送，或直接填写数值"
        )
    return None


def clean_text(raw: object) -> str:
    """Text without blank edges, line breaks as LF: Excel keeps a cell's CR LF, LibreOffice and
    Gnumeric save it as LF, and one return must read the same whichever program saved it."""
    text = str(raw).strip(BLANK_CHARS)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def is_blank(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and clean_text(raw) == ""


# Integers


def to_int(raw: object) -> Normalized:
    if (marker := _unreadable_cell(raw)) is not None:
        return marker
    if is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return Normalized(advice="请填写数字，不要填写勾选或 TRUE/FALSE")
    if isinstance(raw, int):
        return Normalized(raw)
    if isinstance(raw, float):
        return _float_to_int(raw)
    if isinstance(raw, dt.date | dt.datetime | dt.time):
        return Normalized(advice="这里应填写数字，不是日期，请检查单元格格式")
    return _text_to_int(str(raw))


def _float_to_int(raw: float) -> Normalized:
    if not math.isfinite(raw):
        return Normalized(advice="请填写整数")
    nearest = round(raw)
    if raw == nearest:
        # Excel stores every number as a double: 3 and 3.0 are the same cell value.
        return Normalized(int(nearest))
    if abs(raw - nearest) < FLOAT_NOISE:
        return Normalized(int(nearest), coerced="去除计算误差")
    return Normalized(advice="不能填写小数，请填写整数")


def _text_to_int(raw: str) -> Normalized:
    text = clean_text(raw)
    if MASK.match(text):
        return Normalized(advice="不得用 * 号代替数字，请填写实际数字，未发生填 0")
    if text in DASHES:
        return Normalized(advice="未发生请填 0，不适用请留空，不要填写横线或“无”")
    chinese = parse_chinese_numeral(text)
    if chinese is not None:
        return Normalized(advice=f"请改为阿拉伯数字 {chinese}")
    if any(word in text for word in VAGUE_WORDS):
        return Normalized(advice="请填写具体数字，不要填写“若干”“约”等字样")
    how = []
    folded = unicodedata.normalize("NFKC", text).strip()
    if folded != text:
        how.append("全角字符转为半角")
    unit_match = _NUMBER_WITH_UNIT.match(folded)
    if unit_match:
        folded = unit_match.group(1)
        how.append(f"去掉单位“{unit_match.group(2)}”")
    if _THOUSANDS.match(folded):
        folded = folded.replace(",", "")
        how.append("去掉千位分隔符")
    try:
        value = int(folded)
    except ValueError:
        try:
            number = float(folded)
        except ValueError:
            return Normalized(advice="请填写阿拉伯数字，不要加文字说明")
        if not math.isfinite(number) or not number.is_integer():
            return Normalized(advice="不能填写小数，请填写整数")
        value = int(number)
    how.insert(0, "文本格式的数字")
    return Normalized(value, coerced="，".join(how))


def parse_chinese_numeral(text: str) -> int | None:
    """Value of a plain Chinese numeral below 10,000 ('三', '十二', '一百零五'), else None."""
    if not text or any(ch not in CHINESE_DIGITS and ch not in CHINESE_UNITS for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in CHINESE_DIGITS:
            digit = CHINESE_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * CHINESE_UNITS[ch]
            digit = None
    return total + (digit or 0)


# Dates


def to_date(raw: object, year: int | None = None) -> Normalized:
    """A date from a date cell, an Excel serial, or text; `year` completes '3月5日'."""
    if (marker := _unreadable_cell(raw)) is not None:
        return marker
    if is_blank(raw):
        return BLANK
    if isinstance(raw, dt.datetime):
        return Normalized(raw.date())
    if isinstance(raw, dt.date):
        return Normalized(raw)
    if isinstance(raw, bool):
        return Normalized(advice="请填写日期")
    if isinstance(raw, int | float):
        if 1 <= raw < 2958466 and float(raw).is_integer():
            value = serial_to_moment(int(raw)).date()
            return Normalized(value, coerced=f"数字 {int(raw)} 按 Excel 日期序号")
        return Normalized(advice="请按 年-月-日 格式填写日期")
    return _date_from_text(unicodedata.normalize("NFKC", clean_text(str(raw))), year)


def _date_from_text(text: str, year: int | None) -> Normalized:
    if _ISO_DATE.match(text):
        try:
            return Normalized(dt.date.fromisoformat(text[:10]))
        except ValueError:
            return Normalized(advice="日期不存在，请核对年月日")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year_written, month, day = (int(g) for g in match.groups())
            return _date_from_parts(year_written, month, day, how="文本日期")
    match = _DATE_NO_YEAR.match(text)
    if match and year:
        return _date_from_parts(year, int(match[1]), int(match[2]), how=f"未写年份，按 {year} 年")
    if "*" in text or "＊" in text:
        return Normalized(advice="不得用 * 号代替日期，请填写具体日期")
    return Normalized(advice="请填写具体日期（如 2022-03-05）；“上旬”“节前”等请填在说明或节日列")


def _date_from_parts(year: int, month: int, day: int, how: str) -> Normalized:
    try:
        return Normalized(dt.date(year, month, day), coerced=how)
    except ValueError:
        return Normalized(advice="日期不存在，请核对年月日")


# Text, yes/no, choices


def to_text(raw: object) -> Normalized:
    if (marker := _unreadable_cell(raw)) is not None:
        return marker
    if is_blank(raw):
        return BLANK
    if isinstance(raw, float) and raw.is_integer():
        return Normalized(str(int(raw)))
    if isinstance(raw, dt.datetime | dt.date):
        return Normalized(raw.strftime("%Y-%m-%d"))
    return Normalized(clean_text(str(raw)))


def to_bool(raw: object) -> Normalized:
    """'是' / '否' (the template's dropdown); checkbox booleans and common spellings too."""
    if (marker := _unreadable_cell(raw)) is not None:
        return marker
    if is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return Normalized("是" if raw else "否")
    text = clean_text(str(raw))
    if text in TRUE_WORDS:
        return Normalized("是")
    if text in FALSE_WORDS:
        return Normalized("否")
    if text in TRUE_LOOSE:
        return Normalized("是", coerced="非标准写法")
    if text in FALSE_LOOSE:
        return Normalized("否", coerced="非标准写法")
    return Normalized(advice="请从下拉列表选择“是”或“否”")


MULTI_SEPARATORS = re.compile(r"[、，,；;／/\s]+")


def to_choice(raw: object, choices: Sequence[str], multi: bool = False) -> Normalized:
    """One of `choices` (or several, for multi columns), matched after width folding."""
    if (marker := _unreadable_cell(raw)) is not None:
        return marker
    if is_blank(raw):
        return BLANK
    text = to_text(raw).value
    assert isinstance(text, str)
    parts = [p for p in MULTI_SEPARATORS.split(text) if p] if multi else [text]
    folded = _folded(tuple(choices))
    found = []
    for part in parts:
        canonical = folded.get(_fold(part))
        if canonical is None:
            return Normalized(advice=f"可选：{'、'.join(choices)}")
        found.append(canonical)
    value: object = tuple(found) if multi else found[0]
    coerced = "" if "、".join(found) == text else "与下拉选项的写法不完全一致"
    return Normalized(value, coerced=coerced)


@functools.lru_cache(maxsize=256)
def _folded(choices: tuple[str, ...]) -> dict[str, str]:
    return {_fold(c): c for c in choices}


def _fold(text: str) -> str:
    return (
        re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("“", '"').replace("”", '"')
    )
