"""层层汇总: three county offices report upward to a city; the city's totals must equal one
flat consolidation of every unit. Real returns, filled into the real template."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from pipeline.check.scope import is_scope_note
from pipeline.combine.levels import cut_totals, level_cut
from pipeline.combine.rollup import rollup_filename, rollup_values
from pipeline.core.catalogue import ProblemCode, Severity
from pipeline.core.records import Status
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import sample_return
from pipeline.read.inbox import discover
from pipeline.read.registry_file import load_registry
from pipeline.run import pool as workers_module
from pipeline.run.checking import check_files
from pipeline.run.consolidation import run_consolidation

HEADER = "单位编码,单位名称,上级单位编码,联系人,联系电话"
CITY = ["SJ000,江城市水务局,,周一,13900000000"]
COUNTIES = {
    "XA00": ("甲县水务局", ["XA01,甲县供水站", "XA02,甲县水利站"]),
    "XB00": ("乙县水务局", ["XB01,乙县供水站", "XB02,乙县水文站"]),
    "XC00": ("丙县水务局", ["XC01,丙县供水站", "XC02,丙县河道所", "XC03,丙县节水办"]),
}


def registry_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\ufeff" + "\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def levels(form, template, tmp_path_factory):
    """County inboxes -> county runs -> city inbox of 上报 files; and one flat inbox."""
    base = tmp_path_factory.mktemp("rollup")
    flat_rows = list(CITY)
    city_rows = list(CITY)
    flat_inbox, city_inbox = base / "flat_in", base / "city_in"
    flat_inbox.mkdir()
    city_inbox.mkdir()
    county_runs = {}
    for n, (code, (name, units)) in enumerate(COUNTIES.items()):
        county_row = f"{code},{name},SJ000,联系人{n},1390000000{n}"
        city_rows.append(county_row)
        flat_rows.append(county_row)
        rows = [f"{code},{name},,联系人{n},1390000000{n}"] + [f"{u},{code},," for u in units]
        flat_rows += [f"{u},{code},," for u in units]
        county = load_registry(registry_csv(base / f"{code}.csv", rows))
        inbox = base / f"{code}_in"
        inbox.mkdir()
        for m, (unit, _) in enumerate(county.tree_order()):
            sample = sample_return(form, county, unit, seed=500 + 10 * n + m)
            fill_return(form, template, inbox / f"{unit.code}.xlsx", sample.values, sample.ledgers)
            shutil.copy(inbox / f"{unit.code}.xlsx", flat_inbox / f"{unit.code}.xlsx")
        county_runs[code] = run_consolidation(inbox, base / f"{code}_out", form, county)
        shutil.copy(county_runs[code].outputs["rollup"], city_inbox / f"{code}_上报.xlsx")
    city = load_registry(registry_csv(base / "city.csv", city_rows))
    flat = load_registry(registry_csv(base / "flat.csv", flat_rows))
    own = sample_return(form, city, city.root, seed=499)
    for folder in (city_inbox, flat_inbox):
        fill_return(form, template, folder / "SJ000.xlsx", own.values, own.ledgers)
    return {
        "counties": county_runs,
        "city": run_consolidation(city_inbox, base / "city_out", form, city),
        "flat": run_consolidation(flat_inbox, base / "flat_out", form, flat),
        "city_registry": city,
    }


def test_every_county_return_is_accepted(levels) -> None:
    for run in levels["counties"].values():
        assert run.clean and not run.missing
        assert run.outputs["rollup"].name == rollup_filename(
            run.prepared.form, run.prepared.registry
        )


def test_county_rollup_returns_are_accepted_at_city_level(levels) -> None:
    status = {s.unit_code: s.status for s in levels["city"].submissions}
    assert set(status) == {"SJ000", *COUNTIES}
    for code in COUNTIES:
        assert status[code] in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS), code
        sub = next(s for s in levels["city"].submissions if s.unit_code == code)
        assert sub.values["SCOPE"] == "全系统"
        assert not sub.errors, [p.message for p in sub.problems if p.severity == "error"][:3]


def test_city_totals_equal_a_flat_consolidation_of_all_units(form, levels) -> None:
    city, flat = levels["city"].consolidation, levels["flat"].consolidation
    compared = 0
    for ind in form.statistics_indicators:
        if ind.aggregation in ("sum", "min", "max", "self"):
            assert city.totals[ind.code].value == flat.totals[ind.code].value, ind.code
            compared += 1
    assert compared > 150
    # The comparison means something: the figures are not all blank or zero.
    assert flat.totals["DISC_PERSONS"].value and flat.totals["EDU_NOTES_MIN_PP"].value is not None


def test_ledgers_roll_up_with_their_originating_unit(form, levels) -> None:
    city, flat = levels["city"].consolidation, levels["flat"].consolidation
    for ledger in form.ledgers:
        assert len(city.ledgers[ledger.id]) == len(flat.ledgers[ledger.id]), ledger.id
    rows = city.ledgers["DISC_CASES"]
    from_counties = rows[rows["单位编码"] != "SJ000"]
    assert len(from_counties)
    origins = {o.rsplit("（", 1)[1].rstrip("）") for o in from_counties["origin_unit"]}
    flat_units = set(flat.ledgers["DISC_CASES"]["单位编码"]) - {"SJ000"}
    assert origins == flat_units  # each row names the unit that first reported it


def test_rollup_return_is_the_standard_template_with_the_system_scope(form, levels) -> None:
    path = levels["counties"]["XA00"].outputs["rollup"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path)

    def named(name: str):
        sheet, ref = next(iter(book.defined_names[name].destinations))
        return book[sheet][ref.replace("$", "")].value

    assert (named("UNIT_CODE"), named("UNIT_NAME"), named("SCOPE")) == (
        "XA00",
        "甲县水务局",
        "全系统",
    )
    assert named("FORM_VERSION") == form.version
    total = levels["counties"]["XA00"].consolidation.totals["ORG_HEART_TALK"].value
    assert named("ORG_HEART_TALK") == total


def test_scope_notes_replace_errors_only_for_system_returns(levels) -> None:
    notes = [p for s in levels["city"].submissions for p in s.problems if is_scope_note(p)]
    assert notes, "the counties' 上报 returns carry scope notes at the city"
    assert {p.code for p in notes} == {ProblemCode.RULE_SCOPE_NOTE}
    assert all(p.severity is Severity.WARNING for p in notes)
    assert all(p.unit in COUNTIES for p in notes)
    assert all(p.message.startswith("汇总上报表口径不同，仅作提示：[") for p in notes)
    for county in levels["counties"].values():  # a unit's own return gets none
        assert not [p for s in county.submissions for p in s.problems if is_scope_note(p)]


def test_level_cut_covers_every_unit_once_and_adds_up(form, levels) -> None:
    registry = levels["city_registry"]
    flat = levels["flat"]
    flat_registry = flat.prepared.registry
    for level in range(3):
        columns = level_cut(flat_registry, level)
        covered = sorted(u for c in columns for u in c.units)
        assert covered == sorted(u.code for u in flat_registry.units), level
        totals = cut_totals(columns, flat.consolidation, form)
        for code in ("ORG_HEART_TALK", "DISC_PERSONS"):
            assert sum(t[code].value or 0 for t in totals) == flat.consolidation.totals[code].value
    assert [c.label for c in level_cut(registry, 1)][0] == "江城市水务局（本级）"


def test_reconciliation_of_the_city_shows_no_difference(levels) -> None:
    assert levels["city"].prepared.checks and not levels["city"].prepared.differences


def test_rollup_return_is_written_by_this_process_when_the_worker_fails(
    form, levels, tmp_path, monkeypatch
) -> None:
    """A worker writes the 上报 return while the parent writes the workbook; if that fails,
    the parent writes it, and it reads the same."""
    county = levels["counties"]["XA00"]
    inbox = Path(county.submissions[0].source).parent

    def broken(*args) -> None:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(workers_module, "fill_rollup_return", broken)
    registry = load_registry(inbox.parent / "XA00.csv")
    again = run_consolidation(inbox, tmp_path / "out", form, registry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        books = [openpyxl.load_workbook(r.outputs["rollup"]) for r in (county, again)]
    assert books[0].sheetnames == books[1].sheetnames
    for first, second in zip(*(b.worksheets for b in books), strict=True):
        assert [[c.value for c in row] for row in first.iter_rows()] == [
            [c.value for c in row] for row in second.iter_rows()
        ]


def test_cover_sums_count_only_the_returns_that_count(form, levels) -> None:
    county = levels["counties"]["XA00"]
    registry = load_registry(Path(county.submissions[0].source).parent.parent / "XA00.csv")
    counted = [s for s in county.submissions if s.status is Status.ACCEPTED]
    expected = sum(s.values["STAFF_COUNT"] for s in counted)
    extra = [
        replace(counted[0], file="old.xlsx", status=Status.SUPERSEDED),
        replace(counted[1], file="bad.xlsx", status=Status.REJECTED),
    ]
    today = dt.date(2022, 7, 10)
    values = rollup_values(form, registry, county.consolidation, counted + extra, today)
    assert values["STAFF_COUNT"] == expected


def test_checking_a_system_return_alone_gives_the_same_verdict(form, levels) -> None:
    """Scope notes come from validation itself, so `check` and `consolidate` agree."""
    city = levels["city"]
    inbox = Path(city.submissions[0].source).parent
    subs, _ = check_files(discover(inbox), form, levels["city_registry"])
    alone = {s.file: (s.status, [(p.severity, p.message) for p in s.problems]) for s in subs}
    together = {
        s.file: (s.status, [(p.severity, p.message) for p in s.problems]) for s in city.submissions
    }
    assert alone == together
    assert any(
        note.startswith("汇总上报表口径不同，仅作提示：")
        for _, problems in alone.values()
        for _, note in problems
    )
