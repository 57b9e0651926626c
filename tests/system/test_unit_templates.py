"""One template per unit (issue 12): `templates` writes a file for every registered unit with
its identity locked, its contact prefilled and, from the archive, last period's figures beside
this period's; a return filled from unit A's file counts for A whatever its file is called, a
return from A's file with B typed over it is refused naming both, and the 变动说明 a unit
types reaches 审核问题 and the report's trace."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.core.catalogue import ProblemCode
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import sample_return
from pipeline.form.load import load_form
from pipeline.form.model import EXPLANATION_PREFIX
from pipeline.publish.template import template_filename, write_template
from pipeline.publish.template_unit import NEEDS_EXPLANATION
from tests.support.paths import FORM_PATH, UNITS_PATH
from tests.support.programs import needs_libreoffice, soffice
from tests.support.workbooks import named_cell as place
from tests.support.workbooks import opened

BEFORE = "2021年下半年"  # the period before the definition's default, 2022年上半年
A, B = "LJ102", "LJ103"
REASON = "本期新增专项整治，谈话次数增加"


def run(*args: str) -> str:
    result = CliRunner().invoke(
        cli, [*args, "--form", str(FORM_PATH), "--units", str(UNITS_PATH)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def office(registry, tmp_path_factory) -> dict:
    """Last period consolidated into an archive, then this period's templates written."""
    root = tmp_path_factory.mktemp("office")
    before = load_form(FORM_PATH, BEFORE)
    generic = write_template(before, registry, root / "template-before")
    samples = {}
    for code in (A, B):
        unit = registry.by_code(code)
        samples[code] = sample_return(before, registry, unit, seed=3)
        fill_return(before, generic, root / "inbox-before" / f"{code}.xlsx",
                    samples[code].values, samples[code].ledgers)  # fmt: skip
    archive = root / "档案.sqlite"
    run("consolidate", str(root / "inbox-before"), "--out", str(root / "out-before"),
        "--period", BEFORE, "--archive", str(archive), "-q")  # fmt: skip
    output = run("templates", "--archive", str(archive), "--out", str(root / "分发"))
    return {"root": root, "before": samples, "archive": archive, "output": output}


def test_every_registered_unit_gets_its_own_file(office, form, registry) -> None:
    folder = office["root"] / "分发"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        template_filename(form, unit) for unit in registry.units
    )
    assert f"已为 {len(registry.units)} 个单位生成专用模板" in office["output"]
    assert f"其中 2 个列出了上期（{BEFORE}）的数" in office["output"]
    book = opened(folder / template_filename(form, registry.by_code(A)))
    unit = registry.by_code(A)
    for name, value in (("UNIT_CODE", A), ("UNIT_NAME", unit.name)):
        cell = place(book, name)
        assert cell.value == value and cell.protection.locked and cell.parent.protection.sheet
    assert place(book, "FILLER").value == unit.contact
    assert place(book, "FILLER_PHONE").value == unit.phone
    assert not place(book, "FILLER").protection.locked  # prefilled, still the unit's to change
    codes = book["代码表"]
    listed = {c.value for row in codes.iter_rows() for c in row}
    others = {u.name for u in registry.units if u.code != A}
    assert not listed & others and "UNITS" not in book.defined_names  # no list of other units


def test_last_periods_figures_stand_beside_this_periods(office, form, registry) -> None:
    folder = office["root"] / "分发"
    before = office["before"][A].values
    book = opened(folder / template_filename(form, registry.by_code(A)))
    shown = 0
    for ind in form.statistics_indicators:
        if ind.type != "int" or ind.derived:
            continue
        now = place(book, ind.code)
        previous = now.offset(column=2)
        assert previous.value == before.get(ind.code), ind.code
        assert previous.protection.locked and previous.fill.fgColor.rgb.endswith("EDEDED")
        mark, explain = now.offset(column=3), now.offset(column=4)
        assert NEEDS_EXPLANATION in str(mark.value) and str(mark.value).startswith("=IF(")
        assert not explain.protection.locked
        assert place(book, EXPLANATION_PREFIX + ind.code).coordinate == explain.coordinate
        shown += 1
    assert shown > 100
    for ind in form.cover_counts.indicators:  # 在职人数…: prefilled from last period, editable
        cell = place(book, ind.code)
        assert cell.value == before[ind.code] and not cell.protection.locked
    unit_without = next(u for u in registry.units if u.code not in (A, B))
    plain = opened(folder / template_filename(form, unit_without))
    assert not any(EXPLANATION_PREFIX in name for name in plain.defined_names)
    assert plain[form.statistics_sections[0].sheet].max_column == 6  # no 上期 columns


@pytest.fixture(scope="module")
def consolidated(office, form, registry) -> dict:
    """This period: A's return filled from A's file but named like B's, with a 变动说明; and
    A's file again, with B's code and name typed over A's."""
    root, folder = office["root"], office["root"] / "分发"
    own = folder / template_filename(form, registry.by_code(A))
    a = sample_return(form, registry, registry.by_code(A), seed=5)
    # A reason beside every figure: the report's trace must carry each figure it prints
    explained = {i.code: f"{REASON}（{i.code}）" for i in form.statistics_indicators
                 if i.type == "int" and not i.derived}  # fmt: skip
    values = a.values | {EXPLANATION_PREFIX + code: text for code, text in explained.items()}
    inbox = root / "inbox"
    renamed = fill_return(form, own, inbox / template_filename(form, registry.by_code(B)),
                          values, a.ledgers)  # fmt: skip
    b = sample_return(form, registry, registry.by_code(B), seed=5)
    taken = fill_return(form, own, inbox / "借用的文件.xlsx", b.values, b.ledgers)
    out = root / "out"
    CliRunner().invoke(cli, ["report", str(inbox), "--out", str(out), "-q",
                             "--form", str(FORM_PATH), "--units", str(UNITS_PATH)])  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {f["name"]: f for f in manifest["files"]}
    return {"out": out, "renamed": files[renamed.name], "taken": files[taken.name],
            "explained": explained, "template": opened(own)}  # fmt: skip


def test_a_return_from_as_file_named_like_bs_counts_for_a(consolidated) -> None:
    assert consolidated["renamed"]["unit"] == A
    assert consolidated["renamed"]["status"] in ("accepted", "accepted_with_warnings")


def test_bs_identity_typed_over_as_file_is_refused_naming_both(consolidated, registry) -> None:
    taken = consolidated["taken"]
    assert taken["status"] == "rejected"
    book = opened(next(consolidated["out"].glob("*_汇总.xlsx")))
    rows = [[c.value for c in row] for row in book["审核问题"].iter_rows(min_row=2)]
    code = ProblemCode.UNIT_OTHER_TEMPLATE.name
    refused = [r for r in rows if r[2] == taken["name"] and r[6] == code]
    assert len(refused) == 1
    message = refused[0][8]
    assert registry.by_code(A).name in message and registry.by_code(B).name in message
    assert (refused[0][3], refused[0][5]) == ("封面", "TEMPLATE_UNIT")


def test_the_units_reason_reaches_the_problem_list_and_the_reports_trace(
    consolidated, form
) -> None:
    book = opened(next(consolidated["out"].glob("*_汇总.xlsx")))
    rows = [[c.value for c in row] for row in book["审核问题"].iter_rows(min_row=2)]
    listed = {r[5]: r for r in rows if r[6] == "变动说明"}
    explained = consolidated["explained"]
    assert {code: r[9] for code, r in listed.items()} == explained
    for code, row in listed.items():
        cell = place(consolidated["template"], EXPLANATION_PREFIX + code)
        assert (row[0], row[3], row[4]) == (A, cell.parent.title, cell.coordinate)
        assert form.indicator(code).label in row[8]
    report = next(consolidated["out"].glob("*.md")).read_text(encoding="utf-8")
    traced = [(code, line) for line in report.splitlines() for code in explained
              if f"| {code} |" in line]  # fmt: skip
    assert len(traced) > 10
    assert all(explained[code] in line for code, line in traced)


@needs_libreoffice
def test_libreoffice_opens_every_units_file(office, form, registry, tmp_path) -> None:
    sources = sorted((office["root"] / "分发").iterdir())
    converted = soffice(sources, "xlsx", tmp_path)
    assert len(converted) == len(registry.units)
    for path in converted:
        book = opened(path)
        code = place(book, "UNIT_CODE").value
        assert path.name == template_filename(form, registry.by_code(code))
        assert place(book, "TEMPLATE_UNIT").value == code
