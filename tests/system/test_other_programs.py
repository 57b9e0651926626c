"""Same return, same verdict, whichever program saved it (issue 9).

A filled return re-saved by Gnumeric (its .xlsx keeps the defined names but drops the Excel
tables; .xls never has tables) and by LibreOffice (.xlsx and .xls), and the same return with
its tables, its names or both stripped programmatically, each reads as the original: same
status, same values, same ledger rows, and exactly one warning per program-side loss. The
demo inbox re-saved by both programs consolidates to the same totals.

Conversions take seconds: every file is converted once per session, and only on demand, so
a machine without Gnumeric or LibreOffice skips those variants (.ci/run installs both).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.check.validate import validate
from pipeline.core.catalogue import ProblemCode
from pipeline.core.problems import make_problem
from pipeline.core.records import RawSubmission, Status
from pipeline.demo.fill import fill_return
from pipeline.demo.inbox import make_demo_inbox
from pipeline.demo.sample import sample_return
from pipeline.publish import template as template_module
from pipeline.read.locate import TEMPLATE_LEDGER_ROWS, extract
from pipeline.read.returns import read_return
from pipeline.read.types import WorkbookData
from pipeline.read.xlsx import read_xlsx
from pipeline.run.consolidation import run_consolidation
from tests.support.programs import (
    GNUMERIC_MARKS,
    LIBREOFFICE_MARKS,
    needs_gnumeric,
    needs_libreoffice,
    soffice,
    soffice_finish,
    soffice_start,
    ssconvert,
)

pytestmark = pytest.mark.slow  # runs the real pipeline over a whole inbox

# variant -> the warnings its return carries (the original carries none)
EXPECTED_WARNINGS = {
    "original": [],
    "tables-stripped": [ProblemCode.TABLES_LOST],
    "names-stripped": [ProblemCode.NAMES_LOST],
    # values pasted into a fresh workbook
    "both-stripped": [ProblemCode.NAMES_LOST, ProblemCode.TABLES_LOST],
    "gnumeric-xlsx": [ProblemCode.TABLES_LOST],  # Gnumeric keeps the names, drops the tables
    "gnumeric-xls": [],  # .xls cannot hold tables: an accepted format, nothing lost
    "libreoffice-xlsx": [],
    "libreoffice-xls": [],
}
MARKS = {"gnumeric": GNUMERIC_MARKS, "libreoffice": LIBREOFFICE_MARKS}


def variant_params() -> list:
    return [
        pytest.param(name, marks=MARKS.get(name.split("-")[0], [])) for name in EXPECTED_WARNINGS
    ]


def rewrite(source: Path, target: Path, edit: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of an .xlsx with each member passed through `edit` (None drops the member)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
    return target


def without_tables(name: str, data: bytes) -> bytes | None:
    if name.startswith("xl/tables/"):
        return None
    if name.startswith("xl/worksheets/_rels/"):
        return re.sub(rb"<Relationship [^>]*?/table\"[^>]*/>", b"", data)
    if name.startswith("xl/worksheets/"):
        return re.sub(rb"<tableParts\b.*?(?:/>|</tableParts>)", b"", data, flags=re.S)
    if name == "[Content_Types].xml":
        return re.sub(rb'<Override PartName="/xl/tables/[^>]*/>', b"", data)
    return data


def without_names(name: str, data: bytes) -> bytes | None:
    if name == "xl/workbook.xml":
        return re.sub(rb"<definedNames>.*?</definedNames>", b"", data, flags=re.S)
    return data


def without_both(name: str, data: bytes) -> bytes | None:
    kept = without_tables(name, data)
    return None if kept is None else without_names(name, kept)


# One return, saved every way


@pytest.fixture(scope="session")
def saved(form, registry, template, tmp_path_factory) -> Callable[[str], Path]:
    """The variant's file, made (converted) on first use only."""
    folder = tmp_path_factory.mktemp("other_programs")
    s = sample_return(form, registry, registry.by_code("LJ000"), seed=31)
    # A blank row inside a ledger table: read past by the table, and by the header fallback.
    rows = next(rows for rows in s.ledgers.values() if len(rows) >= 2)
    rows.insert(1, {})
    original = fill_return(form, template, folder / "original.xlsx", s.values, s.ledgers)
    makers: dict[str, Callable[[], Path]] = {
        "original": lambda: original,
        "tables-stripped": lambda: rewrite(original, folder / "tables.xlsx", without_tables),
        "names-stripped": lambda: rewrite(original, folder / "names.xlsx", without_names),
        "both-stripped": lambda: rewrite(original, folder / "both.xlsx", without_both),
        "gnumeric-xlsx": lambda: ssconvert(
            original, folder / "gnumeric.xlsx", "Gnumeric_Excel:xlsx2"
        ),
        "gnumeric-xls": lambda: ssconvert(
            original, folder / "gnumeric.xls", "Gnumeric_Excel:excel_biff8"
        ),
        "libreoffice-xlsx": lambda: soffice([original], "xlsx", folder / "lo-xlsx")[0],
        "libreoffice-xls": lambda: soffice([original], "xls", folder / "lo-xls")[0],
    }
    made: dict[str, Path] = {}

    def get(variant: str) -> Path:
        if variant not in made:
            made[variant] = makers[variant]()
        return made[variant]

    return get


@pytest.fixture(scope="session")
def reference(form, registry, saved):
    sub = validate(read_return(saved("original"), form, "", 0), form, registry)
    assert sub.status is Status.ACCEPTED, [p.message for p in sub.problems]
    assert sum(len(rows) for rows in sub.ledgers.values()) > 10
    return sub


@pytest.mark.parametrize("variant", variant_params())
def test_every_save_gives_the_originals_verdict_and_values(
    form, registry, saved, reference, variant
) -> None:
    path = saved(variant)
    sub = validate(read_return(path, form, "", 0), form, registry)
    warnings = EXPECTED_WARNINGS[variant]
    assert [p.code for p in sub.problems] == warnings, [p.message for p in sub.problems]
    assert sub.status is (Status.ACCEPTED_WITH_WARNINGS if warnings else reference.status)
    for code in [i.code for i in form.indicators] + ["FORM_ID", "FORM_VERSION"]:
        assert sub.values.get(code) == reference.values.get(code), code
    assert sub.values == reference.values
    assert sub.ledgers == reference.ledgers  # same rows, same sheet and row numbers


def test_tables_lost_warning_is_one_sentence_for_the_unit() -> None:
    problem = make_problem(ProblemCode.TABLES_LOST)
    assert problem.severity == "warning"
    assert "台账" in problem.message and "表头" in problem.message and "\n" not in problem.message


# What the reader reads


def wanted(form) -> tuple[set[str], set[str]]:
    names = {i.code for i in form.indicators} | {"FORM_ID", "FORM_VERSION"}
    return names, {ledger.id for ledger in form.ledgers}


def test_a_normal_return_reads_only_named_cells_and_table_areas(form, saved) -> None:
    data = read_xlsx(str(saved("original")), *wanted(form))
    named = {(s, r, c) for s, r, c in data.names.values()}
    for sheet, cells in data.cells.items():
        for row, col in cells:
            in_table = any(
                s == sheet and row >= r1 and c1 <= col <= c2
                for s, r1, c1, _, c2 in data.tables.values()
            )
            assert (sheet, row, col) in named or in_table, (sheet, row, col)
    assert "填报说明" not in data.cells and "代码表" not in data.cells


def test_a_return_without_tables_has_its_ledger_sheets_read_whole(form, saved) -> None:
    data = read_xlsx(str(saved("tables-stripped")), *wanted(form))
    assert not data.tables and not data.complete
    for ledger in form.ledgers:
        labels = {c.label for c in ledger.columns}
        assert labels <= {v for v in data.cells[ledger.sheet].values() if isinstance(v, str)}


def test_rows_typed_past_the_table_end_are_read_when_the_table_is_dropped(
    form, registry, template, tmp_path
) -> None:
    """More rows than the template's table: fill_return extends the table as Excel does; with
    the table gone, the reader still reads the whole sheet and every row is found."""
    s = sample_return(form, registry, registry.by_code("LJ000"), seed=31)
    ledger_id, rows = next((k, rows) for k, rows in s.ledgers.items() if rows)
    s.ledgers[ledger_id] = rows[:1] * (TEMPLATE_LEDGER_ROWS + 5)
    original = fill_return(form, template, tmp_path / "long.xlsx", s.values, s.ledgers)
    stripped = rewrite(original, tmp_path / "stripped.xlsx", without_tables)
    a = read_return(original, form, "", 0)
    b = read_return(stripped, form, "", 0)
    assert len(a.ledgers[ledger_id].rows) == TEMPLATE_LEDGER_ROWS + 5
    assert a.ledgers == b.ledgers
    assert [p.code for p in b.problems] == [ProblemCode.TABLES_LOST]


# The header fallback, on plain data


def test_template_ledger_rows_match_the_template() -> None:
    assert TEMPLATE_LEDGER_ROWS == template_module.LEDGER_ROWS


def ledger_cells(ledger, top: int, rows: dict[int, str]) -> dict[tuple[int, int], object]:
    """A header at `top` and, for each row number, the first column filled with `text`."""
    cells: dict[tuple[int, int], object] = {
        (top, col): c.label for col, c in enumerate(ledger.columns, start=1)
    }
    cells.update({(row, 1): text for row, text in rows.items()})
    return cells


def read_ledgers(form, data: WorkbookData) -> RawSubmission:
    raw = RawSubmission(file="x.xlsx", sha256="", mtime=0.0)
    extract(data, form, raw)
    return raw


def named(form) -> dict[str, tuple[str, int, int]]:
    return {"FORM_ID": ("封面", 1, 2), form.indicators[0].code: ("封面", 2, 2)}


def test_header_fallback_reads_as_the_table_would(form) -> None:
    """Blank rows inside the table are skipped; below it rows go on until a blank one."""
    ledger = form.ledger("TALKS")
    last = 3 + TEMPLATE_LEDGER_ROWS
    rows = {4: "a", 6: "b", last - 1: "c", last: "d", last + 1: "e", last + 2: "f", last + 4: "x"}
    cells = {ledger.sheet: ledger_cells(ledger, 3, rows)}
    right = len(ledger.columns)
    with_table = WorkbookData(
        names=named(form), tables={"TALKS": (ledger.sheet, 3, 1, last, right)}, cells=cells
    )
    without = WorkbookData(names=named(form), cells=cells)
    a, b = read_ledgers(form, with_table), read_ledgers(form, without)
    assert [r for r, _ in a.ledgers["TALKS"].rows] == [4, 6, last - 1, last, last + 1, last + 2]
    assert a.ledgers["TALKS"] == b.ledgers["TALKS"]
    assert [p.code for p in a.problems] == []
    assert [p.code for p in b.problems] == [ProblemCode.TABLES_LOST]


def test_header_fallback_prefers_each_ledgers_own_sheet(form) -> None:
    """Two ledgers with the same header labels: each is read from its own sheet, whatever
    the sheet order; a renamed sheet is taken only if no other ledger owns it."""
    talks = form.ledger("TALKS")
    twin = dataclasses.replace(talks, id="TALKS_TWIN", sheet="谈话台账（二）")
    two = dataclasses.replace(form, ledgers=(talks, twin))
    twin_cells = ledger_cells(twin, 3, {4: "twin"})
    own_cells = ledger_cells(talks, 5, {6: "own", 7: "own2"})
    for cells in (
        {twin.sheet: twin_cells, talks.sheet: own_cells},
        {talks.sheet: own_cells, twin.sheet: twin_cells},
        {twin.sheet: twin_cells, "改名的谈话台账": own_cells},  # TALKS's sheet renamed
        {"改名的谈话台账": own_cells, twin.sheet: twin_cells},
    ):
        raw = read_ledgers(two, WorkbookData(names=named(form), cells=cells))
        assert [v[talks.columns[0].label] for _, v in raw.ledgers["TALKS"].rows] == [
            "own",
            "own2",
        ]
        assert [v[twin.columns[0].label] for _, v in raw.ledgers["TALKS_TWIN"].rows] == ["twin"]
        assert raw.ledgers["TALKS_TWIN"].sheet == twin.sheet
        assert [p.code for p in raw.problems] == [ProblemCode.TABLES_LOST]


def test_an_xls_finds_ledgers_by_header_without_a_warning(form) -> None:
    ledger = form.ledger("TALKS")
    cells = {ledger.sheet: ledger_cells(ledger, 3, {4: "a"})}
    xls = WorkbookData(names=named(form), cells=cells, complete=True, holds_tables=False)
    raw = read_ledgers(form, xls)
    assert len(raw.ledgers["TALKS"].rows) == 1 and raw.problems == []


# The demo inbox, re-saved by other programs


@needs_gnumeric
@needs_libreoffice
def test_demo_returns_saved_by_other_programs_consolidate_to_the_same_totals(
    form, registry, tmp_path
) -> None:
    inbox = tmp_path / "demo"
    expected = make_demo_inbox(form, registry, inbox)
    returns = sorted(
        inbox / name
        for name, status in expected.items()
        if name.endswith(".xlsx") and status is not Status.IGNORED
    )
    assert sum(expected[p.name] is Status.ACCEPTED for p in returns) >= 8
    inboxes = {
        "gnumeric-xlsx": tmp_path / "gx",
        "gnumeric-xls": tmp_path / "gs",
        "libreoffice-xlsx": tmp_path / "lo",
    }
    libreoffice = soffice_start(returns, "xlsx", inboxes["libreoffice-xlsx"])
    inboxes["gnumeric-xlsx"].mkdir(), inboxes["gnumeric-xls"].mkdir()
    jobs = [(p, inboxes["gnumeric-xlsx"] / p.name, "Gnumeric_Excel:xlsx2") for p in returns]
    jobs += [
        (p, inboxes["gnumeric-xls"] / f"{p.stem}.xls", "Gnumeric_Excel:excel_biff8")
        for p in returns
    ]
    with ThreadPoolExecutor(2) as pool:  # two at a time while LibreOffice works
        list(pool.map(lambda job: ssconvert(*job), jobs))
    soffice_finish(*libreoffice)
    originals = tmp_path / "originals"
    originals.mkdir()
    for path in returns:
        shutil.copy2(path, originals / path.name)

    def plain(frame) -> list[dict]:
        return frame.astype(object).where(frame.notna(), None).to_dict("records")

    def run(folder: Path, name: str):
        out = tmp_path / f"out-{name}"
        result = run_consolidation(folder, out, form, registry, use_cache=False)
        verdicts, lost = {}, set()
        for sub in result.submissions:
            codes = [p.code for p in sub.problems]
            verdicts[Path(sub.file).stem] = (
                sub.status,
                [c for c in codes if c is not ProblemCode.TABLES_LOST],
            )
            if ProblemCode.TABLES_LOST in codes:
                lost.add(Path(sub.file).stem)
        c = result.consolidation
        ledgers = {k: plain(frame.drop(columns=["来源文件"])) for k, frame in c.ledgers.items()}
        totals = {k: (t.value, t.reporting) for k, t in c.totals.items()}
        subtotals = {
            p: {k: (t.value, t.reporting) for k, t in by.items()} for p, by in c.subtotals.items()
        }
        figures = (c.units, plain(c.matrix.reset_index()), totals, subtotals, ledgers)
        return verdicts, lost, figures

    verdicts, lost, figures = run(originals, "original")
    assert {v[0] for v in verdicts.values()} >= {Status.ACCEPTED, Status.REJECTED}
    assert not lost
    for how, folder in inboxes.items():
        their_verdicts, their_lost, their_figures = run(folder, how)
        for stem, (status, codes) in verdicts.items():
            theirs = their_verdicts[stem]
            if stem in their_lost and status is Status.ACCEPTED:
                status = Status.ACCEPTED_WITH_WARNINGS  # the one warning of the lost tables
            assert theirs == (status, codes), (how, stem)
        assert their_lost == (set(verdicts) if how == "gnumeric-xlsx" else set()), how
        assert their_figures == figures, how
