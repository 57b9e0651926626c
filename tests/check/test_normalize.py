"""Raw cell values to typed values: one table per type."""

import datetime as dt

import pytest

from pipeline.check.normalize import (
    parse_chinese_numeral,
    to_bool,
    to_choice,
    to_date,
    to_int,
    to_text,
)

D = dt.date


@pytest.mark.parametrize(
    ("raw", "value", "coerced"),
    [
        (None, None, False),
        ("", None, False),
        ("  \u00a0\u3000", None, False),
        (float("nan"), None, False),
        (0, 0, False),
        (12, 12, False),
        (12.0, 12, False),  # Excel stores every number as a double
        (2.9999999999999996, 3, True),  # formula noise
        ("12", 12, True),
        (" 12 ", 12, True),
        ("１２", 12, True),
        ("12人", 12, True),
        ("3 次", 3, True),
        ("5人次", 5, True),
        ("1,234", 1234, True),
        ("12\u00a0", 12, True),
        ("-3", -3, True),  # readable; the bound check rejects it
    ],
)
def test_int_readable(raw: object, value: int | None, coerced: bool) -> None:
    result = to_int(raw)
    assert result.ok
    assert result.value == value
    assert bool(result.coerced) is coerced


@pytest.mark.parametrize(
    ("raw", "advice_contains"),
    [
        ("*", "* 号"),
        ("**", "* 号"),
        ("＊", "* 号"),
        ("若干", "具体数字"),
        ("约10", "具体数字"),
        ("10余", "具体数字"),
        ("—", "填 0"),
        ("无", "填 0"),
        ("三", "阿拉伯数字 3"),
        ("十二", "阿拉伯数字 12"),
        ("一百零五", "阿拉伯数字 105"),
        ("2.5", "小数"),
        (2.5, "小数"),
        ("12个左右", "具体数字"),
        ("abc", "阿拉伯数字"),
        (True, "数字"),
        (dt.datetime(2022, 3, 1), "日期"),
    ],
)
def test_int_unreadable(raw: object, advice_contains: str) -> None:
    result = to_int(raw)
    assert not result.ok
    assert advice_contains in result.advice


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("两百", 200),
        ("一千零一", 1001),
        ("3", None),
    ],
)
def test_chinese_numerals(text: str, value: int | None) -> None:
    assert parse_chinese_numeral(text) == value


@pytest.mark.parametrize(
    ("raw", "value", "coerced"),
    [
        (dt.datetime(2022, 3, 5, 0, 0), D(2022, 3, 5), False),
        (D(2022, 3, 5), D(2022, 3, 5), False),
        ("2022-03-05", D(2022, 3, 5), False),
        ("2022-03-05 00:00:00", D(2022, 3, 5), False),
        ("2022.3.5", D(2022, 3, 5), True),
        ("2022/3/5", D(2022, 3, 5), True),
        ("2022年3月5日", D(2022, 3, 5), True),
        ("20220305", D(2022, 3, 5), True),
        ("3月5日", D(2022, 3, 5), True),
        (44625, D(2022, 3, 5), True),  # an Excel serial in a cell without date format
        (None, None, False),
    ],
)
def test_date_readable(raw: object, value: dt.date | None, coerced: bool) -> None:
    result = to_date(raw, year=2022)
    assert result.ok and result.value == value and bool(result.coerced) is coerced


@pytest.mark.parametrize("raw", ["*月**日", "上旬", "端午节前", "2022-02-30", "2022.13.1", 1.5])
def test_date_unreadable(raw: object) -> None:
    assert not to_date(raw, year=2022).ok


@pytest.mark.parametrize(
    ("raw", "value", "coerced"),
    [
        ("是", "是", False),
        ("否", "否", False),
        (True, "是", False),
        ("√", "是", True),
        ("N", "否", True),
    ],
)
def test_bool(raw: object, value: str, coerced: bool) -> None:
    result = to_bool(raw)
    assert result.ok and result.value == value and bool(result.coerced) is coerced


def test_bool_unreadable() -> None:
    assert not to_bool("也许").ok


def test_choice_matches_after_width_folding() -> None:
    choices = ["党组（党委）会议", "其他"]
    assert to_choice("党组（党委）会议", choices).value == "党组（党委）会议"
    folded = to_choice("党组(党委)会议 ", choices)
    assert folded.value == "党组（党委）会议" and folded.coerced
    assert not to_choice("党委会", choices).ok


def test_multi_choice_splits_on_common_separators() -> None:
    choices = ["政治纪律", "廉洁纪律", "工作纪律"]
    assert to_choice("政治纪律、廉洁纪律", choices, multi=True).value == ("政治纪律", "廉洁纪律")
    assert to_choice("政治纪律,工作纪律", choices, multi=True).value == ("政治纪律", "工作纪律")
    assert not to_choice("政治纪律、其他", choices, multi=True).ok


def test_text_strips_and_formats() -> None:
    assert to_text("  甲 \u00a0").value == "甲"
    assert to_text(12.0).value == "12"
    assert to_text(dt.datetime(2022, 1, 2)).value == "2022-01-02"
    assert to_text("=1+1").value == "=1+1"  # kept as text; the writer never makes it a formula
    # CR LF (Excel) and LF (LibreOffice, Gnumeric) read alike; a lone CR is a line break too.
    assert to_text("一\r\n二\r三\n四").value == "一\n二\n三\n四"
