"""The office remembers (issue 11): a resubmission's changes, 报送次数, history, and the
previous period taken from the archive. Real returns, the real CLI, workbooks read back."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest
import yaml

from pipeline.combine.changes import REQUESTED, UNASKED
from pipeline.demo.inbox import make_demo_inbox
from pipeline.form.load import load_form
from pipeline.publish.consolidated import consolidated_filename
from pipeline.publish.feedback.content import FIXED_HEADING
from tests.support.paths import FORM_PATH, ROOT, UNITS_PATH

pytestmark = pytest.mark.slow  # runs the real pipeline over a whole inbox

WARNED = ("ORG_BRANCH_CMTE", "E19")  # the demo's 水文站 typed full-width digits here: a warning
UNIT = "LJ302"


def cli(*args: str, form: Path = FORM_PATH) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipeline", *args, "--form", str(form),
               "--units", str(UNITS_PATH)]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)


def sheet_rows(path: Path, name: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path, read_only=True)[name].iter_rows(values_only=True))


def quiet_figure(form) -> str:
    """An int figure no rule, total or cover mentions: changing it raises no problem."""
    named = {n for rule in form.rules for n in rule.expr.names}
    parts = {p for i in form.indicators for p in i.parts}
    return next(
        i.code for s in form.statistics_sections for i in s.indicators
        if i.type == "int" and i.derived is None and i.code not in named | parts
        and i.aggregation == "sum"
    )  # fmt: skip


def edited(source: Path, target: Path, values: dict[str, object]) -> Path:
    """The unit's corrected file: named cells changed in a copy, a later 填报日期."""
    book = openpyxl.load_workbook(source)
    for name, value in values.items():
        sheet, ref = next(iter(book.defined_names[name].destinations))
        book[sheet][ref.replace("$", "")].value = value
    book.save(target)
    return target


@pytest.fixture(scope="module")
def resubmitted(form, registry, tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("resubmission")
    inbox, out, archive = base / "inbox", base / "out", base / "archive.sqlite"
    make_demo_inbox(form, registry, inbox)
    first = cli("consolidate", str(inbox), "--out", str(out), "-q", "--archive", str(archive))
    assert first.returncode == 3, first.stderr
    original = next(inbox.glob("水文站*.xlsx"))
    figure = quiet_figure(form)
    book = openpyxl.load_workbook(original, data_only=True)
    sheet, ref = next(iter(book.defined_names[figure].destinations))
    before = book[sheet][ref.replace("$", "")].value
    submit = book[next(iter(book.defined_names["SUBMIT_DATE"].destinations))[0]]
    date = submit[next(iter(book.defined_names["SUBMIT_DATE"].destinations))[1].replace("$", "")]
    warned_sheet, warned_ref = next(iter(book.defined_names[WARNED[0]].destinations))
    warned = int(
        unicodedata.normalize("NFKC", book[warned_sheet][warned_ref.replace("$", "")].value)
    )
    # fixed as asked (half-width digits), and one more: the rule ORG_BRANCH_CMTE >= 6 *
    # BRANCH_COUNT that held still holds
    changes = {WARNED[0]: warned + 1, figure: int(before) + 5,
               "SUBMIT_DATE": date.value + dt.timedelta(days=4)}  # fmt: skip
    edited(original, inbox / "水文站-修改后.xlsx", changes)
    original.unlink()  # the unit's old file is replaced; the archive remembers it
    second = cli("consolidate", str(inbox), "--out", str(out), "-q", "--archive", str(archive))
    assert second.returncode == 3, second.stderr
    return {"out": out, "archive": archive, "figure": figure, "before": int(before), "warned": warned,
            "first": first, "second": second}  # fmt: skip


def test_changes_sheet_lists_exactly_the_two_changed_cells(resubmitted, form) -> None:
    rows = sheet_rows(resubmitted["out"] / consolidated_filename(form), "修改情况")
    header = next(n for n, r in enumerate(rows) if r[0] == "单位编码")
    listed = [dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :]]
    figure, before = resubmitted["figure"], resubmitted["before"]
    _, figure_cell = next(iter(openpyxl.load_workbook(
        next((resubmitted["out"].parent / "inbox").glob("水文站*.xlsx"))
    ).defined_names[figure].destinations))  # fmt: skip
    shown = {(r["单位编码"], r["报送次数"], r["单元格"], r["指标编码"], r["原值"], r["新值"], r["类型"])
             for r in listed}  # fmt: skip
    assert len(listed) == 2
    assert shown == {
        (
            UNIT,
            2,
            WARNED[1],
            WARNED[0],
            str(resubmitted["warned"]),
            str(resubmitted["warned"] + 1),
            REQUESTED,
        ),
        (UNIT, 2, figure_cell.replace("$", ""), figure, str(before), str(before + 5), UNASKED),
    }


def test_status_sheet_shows_the_second_submission(resubmitted, form) -> None:
    rows = sheet_rows(resubmitted["out"] / consolidated_filename(form), "报送情况")
    header = rows[0]
    ordinal, previous = header.index("报送次数"), header.index("上次报送时间")
    mine = [r for r in rows[1:] if r[0] == UNIT]
    assert [(r[3], r[ordinal]) for r in mine] == [("已接收（有警告）", 2)]  # 9人次 is still there
    assert dt.datetime.fromisoformat(mine[0][previous])  # when the first one arrived
    others = [r[ordinal] for r in rows[1:] if r[0] and r[0] != UNIT and r[ordinal]]
    assert set(others) <= {1, 2}  # LJ102 sent two in the first inbox


def test_the_units_feedback_says_what_it_fixed_and_what_is_still_open(resubmitted) -> None:
    """The unit fixed the full-width 11 (a warning) and left its other warning alone."""
    path = next((resubmitted["out"] / "反馈").glob(f"{UNIT}_*审核意见.xlsx"))
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    title = str(rows[0][0])
    assert "第 2 次报送" in title and "已改正 1 处" in title and "仍未改正 1 处" in title
    assert "新出现 0 处" in title
    header = next(n for n, r in enumerate(rows) if r and "与上次相比" in r)
    column = rows[header].index("与上次相比")
    listed = [r for r in rows[header + 1 :] if r and r[column]]
    assert [r[column] for r in listed] == ["仍未改正"]
    fixed_at = next(n for n, r in enumerate(rows) if r and r[0] == FIXED_HEADING)
    fixed = [r for r in rows[fixed_at + 1 :] if r and r[0]]
    assert [(r[3], r[4]) for r in fixed] == [(WARNED[1], WARNED[0])]


def test_history_shows_both_submissions(resubmitted, form) -> None:
    run = cli("history", UNIT, "--json", "--archive", str(resubmitted["archive"]))
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)["units"][UNIT]
    assert [s["ordinal"] for s in found] == [1, 2]
    assert [s["counted"] for s in found] == [False, True]
    assert [c["kind"] for c in found[1]["changes"]] == sorted(
        [REQUESTED, UNASKED], key=[c["kind"] for c in found[1]["changes"]].index
    ) and len(found[1]["changes"]) == 2
    text = cli("history", UNIT, "--archive", str(resubmitted["archive"]))
    assert (
        "第 2 次" in text.stdout and "修改 2 处" in text.stdout and "按要求修改 1 处" in text.stdout
    )


def test_a_rerun_of_the_same_inbox_changes_nothing(resubmitted, form, tmp_path) -> None:
    """The same files again: no 修改情况, the same 报送次数 (a sighting, not a new return)."""
    out = tmp_path / "again"
    inbox = resubmitted["out"].parent / "inbox"
    run = cli("consolidate", str(inbox), "--out", str(out), "-q", "--archive",
              str(resubmitted["archive"]))  # fmt: skip
    assert run.returncode == 3, run.stderr
    book = openpyxl.load_workbook(out / consolidated_filename(form), read_only=True)
    assert "修改情况" not in book.sheetnames


# The previous period from the archive


def period_form(tmp_path: Path, label: str, start: str, end: str, relabel: str = "") -> Path:
    """A copy of the definition for another period (and, with `relabel`, one indicator
    renamed: its 口径 changed)."""
    data = yaml.safe_load(FORM_PATH.read_text(encoding="utf-8"))
    data["form"]["period"].update(label=label, type="全年", start=start, end=end)
    if relabel:
        for section in data["sections"]:
            for item in section.get("indicators", []):
                if item["code"] == relabel:
                    item["label"] += "（含线上）"
    path = tmp_path / f"form-{label}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def comparison_columns(path: Path) -> list[tuple]:
    rows = sheet_rows(path, "汇总")
    header = next(n for n, r in enumerate(rows) if r[0] == "指标编码")
    first = next(n for n, v in enumerate(rows[header]) if v and str(v).startswith("上期"))
    return [(r[0], *r[first : first + 4]) for r in rows[header:] if r[0]]


def test_compare_with_last_period_from_the_archive_equals_its_workbook(registry, tmp_path):
    archive = tmp_path / "archive.sqlite"
    earlier = period_form(tmp_path, "2021年", "2021-01-01", "2021-12-31")
    inbox_then = tmp_path / "inbox-2021"
    make_demo_inbox(load_form(earlier), registry, inbox_then)
    then = cli("consolidate", str(inbox_then), "--out", str(tmp_path / "out-2021"), "-q",
               "--archive", str(archive), form=earlier)  # fmt: skip
    assert then.returncode == 3, then.stderr
    workbook_then = next((tmp_path / "out-2021").glob("*_汇总.xlsx"))
    renamed = "EDU_CG_STUDY"
    now_form = period_form(tmp_path, "2022年", "2022-01-01", "2022-12-31", relabel=renamed)
    inbox_now = tmp_path / "inbox-2022"
    make_demo_inbox(load_form(now_form), registry, inbox_now)
    columns = {}
    for label, compare in (("archive", "上期"), ("workbook", str(workbook_then))):
        out = tmp_path / f"out-{label}"
        run = cli("consolidate", str(inbox_now), "--out", str(out), "-q", "--compare", compare,
                  "--archive", str(archive), form=now_form)  # fmt: skip
        assert run.returncode == 3, run.stderr
        columns[label] = comparison_columns(next(out.glob("*_汇总.xlsx")))
    assert columns["archive"] == columns["workbook"]
    assert columns["archive"][0][1] == "上期（2021年）"
    row = next(r for r in columns["archive"] if r[0] == renamed)
    assert row[1] is not None and row[2] is None and row[3] is None  # 上期 shown, no 增减
    assert row[4].startswith("口径变化")
    assert sum(1 for r in columns["archive"][1:] if r[4] and r[4].startswith("口径变化")) == 1


def test_compare_with_a_period_the_archive_does_not_hold_is_a_usage_error(tmp_path) -> None:
    archive = tmp_path / "archive.sqlite"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    run = cli("consolidate", str(inbox), "--out", str(tmp_path / "out"), "--compare", "上期",
              "--archive", str(archive))  # fmt: skip
    assert run.returncode == 2 and "报送档案中也没有这一期" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_archive_never_goes_inside_the_inbox(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    run = cli("consolidate", str(inbox), "--out", str(tmp_path / "out"),
              "--archive", str(inbox / "a.sqlite"))  # fmt: skip
    assert run.returncode == 2 and "收件文件夹" in run.stderr
    assert list(inbox.iterdir()) == []


def test_no_archive_writes_none(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FORM_PATH, tmp_path / "unrelated.yaml")  # the folder is not empty
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", "consolidate", str(inbox), "--out", "out", "-q",
         "--no-archive", "--form", str(FORM_PATH), "--units", str(UNITS_PATH)],
        capture_output=True, text=True, cwd=tmp_path, env={**_env(), "PIPELINE_ARCHIVE": "x.db"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "archive").exists()


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}
