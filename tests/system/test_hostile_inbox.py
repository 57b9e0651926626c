"""The hostile inbox (tests/support/hostile.py), end to end through the real CLI.

One inbox holds at least one entry per rule of ../shared/RELIABILITY.md and per failure
class of issue 9, mixed with valid returns. `consolidate` runs over it once with the result
cache on (the default), then again with the cache warm (same output folder), and once over
the valid returns alone. The contract of RELIABILITY.md is checked on those runs:

1. exit status 3, never 1, no traceback;
2. every entry named exactly once in manifest.json (mapped back to its exact bytes) and in
   报送情况, the rejected and ignored ones on screen, each with its status and a reason that
   contains the case's word (one parametrized test per case);
3. no hang (a time limit on each run);
4. inputs unchanged (sha256, mtime, the inbox listing and its folders' mtimes), nothing
   created outside the output folder (the child's temporary folder, its working folder, /tmp),
   no `pwned` file anywhere;
5. no formula, macro, external link or DDE link from an input in any output workbook;

and the totals of the valid returns are those of the run over them alone, cold and warm.
The generator and the contract are the spec: a later change to intake, the cache, the reader
or a writer is checked against every case at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from pipeline.run.cache import HASHES_FILE
from pipeline.run.hash_memo import RECENT_SECONDS
from tests.support import hostile as generate
from tests.support.hostile import CASES, INJECTIONS, UNITS, Case
from tests.support.paths import FORM_PATH, ROOT, UNITS_PATH

pytestmark = pytest.mark.slow  # runs the real pipeline over a whole inbox

RUN_SECONDS = 600  # a hang fails the test instead of blocking it
LISTED_ON_SCREEN = 20  # rejected and ignored entries listed before "……另有 N 个文件"
STATUS_LABELS = {"rejected": "退回", "ignored": "忽略"}
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
BIG_FILE = 64 * 1024 * 1024  # hashed by size, blocks and mtime instead (the sparse 3 GiB one)


def case_params() -> list:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=pytest.mark.skipif(
                not generate.available(case), reason=f"{case.needs} is not installed"
            ),
        )
        for case in CASES
    ]


# Running the CLI


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    out: Path

    @property
    def manifest(self) -> dict:
        return json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))


def consolidate(inbox: Path, out: Path, sandbox: dict, units: Path = UNITS_PATH) -> Run:
    """The real CLI in a child process: an argument list, never a shell. Its temporary folder
    and working folder are empty folders of the test's, so that anything it leaves there is
    seen; the package is taken from this tree (PYTHONPATH), whichever is installed."""
    command = [sys.executable, "-m", "pipeline", "consolidate", str(inbox), "--out", str(out),
               "--form", str(FORM_PATH), "--units", str(units)]  # fmt: skip
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, TMPDIR=str(sandbox["tmp"]), PYTHONPATH=path)
    env.pop("PIPELINE_DEBUG", None)
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=sandbox["cwd"], env=env, capture_output=True, timeout=RUN_SECONDS
    )
    return Run(
        done.returncode,
        done.stdout.decode("utf-8"),  # strict: a byte that is not UTF-8 fails here
        done.stderr.decode("utf-8"),
        time.monotonic() - started,
        out,
    )


# What must not change


def tree_state(folder: Path) -> dict[bytes, tuple]:
    """Every entry under `folder` by exact relative name: its type and what identifies its
    content (sha256, link target), and its mtime; folders are listed, links never followed,
    a FIFO never opened."""
    state: dict[bytes, tuple] = {}
    base = os.fsencode(folder)

    def walk(directory: bytes) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                key = os.path.relpath(entry.path, base)
                kind = stat.S_IFMT(info.st_mode)
                if stat.S_ISREG(info.st_mode):
                    content = digest(entry.path, info)
                elif stat.S_ISLNK(info.st_mode):
                    content = os.readlink(entry.path)
                else:
                    content = None
                state[key] = (kind, info.st_size, info.st_mtime_ns, content)
                if stat.S_ISDIR(info.st_mode):
                    walk(entry.path)

    state[b"."] = (stat.S_IFDIR, 0, os.lstat(base).st_mtime_ns, None)
    walk(base)
    return state


def digest(path: bytes, info: os.stat_result) -> object:
    if info.st_size > BIG_FILE:
        return ("blocks", info.st_blocks)
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def tmp_listing() -> set[str]:
    return set(os.listdir(tempfile.gettempdir()))


# tempfile's names: a prefix ("tmp", or one ending in a separator) and 8 random characters.
TEMPFILE_NAME = re.compile(r"(tmp|.*[._-])[a-z0-9_]{8}")


def others_in_tmp(name: str) -> bool:
    """New entries of /tmp that cannot be the child's, made by other programs running on this
    machine: pytest's own, tempfile's random names (the child's tempfile writes to its own
    TMPDIR, which must stay empty) and LibreOffice's (the pipeline never starts it)."""
    libreoffice = name.startswith("OSL_PIPE_") or (name.startswith("lu") and name.endswith(".tmp"))
    return bool(TEMPFILE_NAME.fullmatch(name)) or libreoffice or name.startswith("pytest-of-")


# The runs, shared by every test of this module


@pytest.fixture(scope="module")
def hostile(form, registry, template, tmp_path_factory) -> generate.HostileInbox:
    return generate.build(tmp_path_factory.mktemp("hostile"), form, registry, template)


@pytest.fixture(scope="module")
def runs(hostile, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("hostile_runs")
    sandbox = {"tmp": work / "tmp", "cwd": work / "cwd"}
    for folder in sandbox.values():
        folder.mkdir()
    inbox_before = tree_state(hostile.inbox)
    outside_before = tree_state(hostile.outside)
    tmp_before = tmp_listing()
    out = work / "out"
    # Files changed this recently are hashed again by the next run (hash_memo.py): once they
    # are older, the cold run remembers their sha256 and the warm one takes it from there.
    time.sleep(RECENT_SECONDS + 0.5)
    cold = consolidate(hostile.inbox, out, sandbox)
    entries = sorted(p.name for p in (out / ".cache").glob("*.json"))
    remembered = memo_keys(out)
    cold_snapshot = snapshot(cold)
    warm = consolidate(hostile.inbox, out, sandbox)
    warm_snapshot = snapshot(warm)
    valid = consolidate(hostile.valid, work / "valid_out", sandbox)
    return {
        "cold": cold,
        "warm": warm,
        "valid": valid,
        "snapshots": {"cold": cold_snapshot, "warm": warm_snapshot, "valid": snapshot(valid)},
        "entries": entries,
        "entries_after_warm": sorted(p.name for p in (out / ".cache").glob("*.json")),
        "remembered": remembered,
        "remembered_after_warm": memo_keys(out),
        "inbox_before": inbox_before,
        "inbox_after": tree_state(hostile.inbox),
        "outside_before": outside_before,
        "outside_after": tree_state(hostile.outside),
        "tmp_new": {n for n in tmp_listing() - tmp_before if not others_in_tmp(n)},
        "sandbox": sandbox,
        "work": work,
    }


def snapshot(run: Run) -> dict | None:
    """What a run says about each file and its totals; None when it wrote no manifest."""
    if not (run.out / "manifest.json").exists():
        return None
    manifest = run.manifest
    book = load(run.out / manifest["outputs"]["consolidated"])
    return {"manifest": manifest, "totals": totals(book), "status_sheet": status_names(book)}


def load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, data_only=False)


def totals(book: openpyxl.Workbook) -> dict[str, object]:
    """汇总's 合计 column by 指标编码."""
    rows = list(book["汇总"].iter_rows(values_only=True))
    top = next(n for n, row in enumerate(rows) if row and row[0] == "指标编码")
    column = rows[top].index("合计")
    found = {row[0]: row[column] for row in rows[top + 1 :] if isinstance(row[0], str)}
    return found


def status_names(book: openpyxl.Workbook) -> list[str]:
    """The 文件名 column of 报送情况 (one row per file; a unit without any has an empty one)."""
    rows = list(book["报送情况"].iter_rows(values_only=True))
    column = rows[0].index("文件名")
    return [row[column] for row in rows[1:] if row[column]]


def every_cell(path: Path):
    """(sheet title, cell) for every cell the file holds, formulas as formulas; the stored
    <dimension> is not trusted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for ws in book.worksheets:
            ws.reset_dimensions()
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        yield ws.title, cell
    finally:
        book.close()


def exact_name(entry: dict) -> bytes:
    """The bytes on disk of a manifest entry (name_bytes_hex when the name shown differs)."""
    if "name_bytes_hex" in entry:
        return bytes.fromhex(entry["name_bytes_hex"])
    return entry["name"].encode("utf-8")


def entries_of(manifest: dict, case: Case) -> list[dict]:
    return [e for e in manifest["files"] if exact_name(e) == case.name]


def screen_listing(manifest: dict) -> list[dict]:
    """The entries the screen lists, in its order: rejected, then ignored."""
    files = manifest["files"]
    return [f for status in STATUS_LABELS for f in files if f["status"] == status]


def cold_manifest(runs) -> dict:
    snap = runs["snapshots"]["cold"]
    assert snap is not None, "the run wrote no manifest: " + runs["cold"].stderr[-2000:]
    return snap["manifest"]


# The whole run


def test_each_run_finishes_with_status_3_and_no_traceback(runs) -> None:
    for key, expected in (("cold", 3), ("warm", 3), ("valid", 0)):
        run = runs[key]
        both = run.stdout + run.stderr
        assert "Traceback" not in both and "程序内部错误" not in both, (key, both[-3000:])
        assert run.returncode == expected, (key, run.returncode, run.stderr[-3000:])


def test_every_entry_is_named_once_in_the_manifest(runs, hostile) -> None:
    names = sorted(exact_name(e) for e in cold_manifest(runs)["files"])
    assert names == sorted(os.listdir(os.fsencode(hostile.inbox)))
    for entry in cold_manifest(runs)["files"]:  # each one visible line of valid text
        assert not any(unicodedata.category(ch) in HIDDEN_CATEGORIES for ch in entry["name"])
        if entry["status"] in STATUS_LABELS:
            assert entry["reason"] and "\n" not in entry["reason"], entry


def test_every_entry_is_named_once_in_the_status_sheet(runs) -> None:
    listed = runs["snapshots"]["cold"]["status_sheet"]
    names = [e["name"] for e in cold_manifest(runs)["files"]]
    assert sorted(listed) == sorted(names)


def test_screen_lists_rejected_and_ignored_entries_then_counts_the_rest(runs) -> None:
    screen = runs["cold"].stdout
    assert not any(ch in screen for ch in "\x1b\u202e\r"), "a name reached the screen raw"
    listing = screen_listing(cold_manifest(runs))
    lines = [line for line in screen.splitlines() if line.startswith(("  退回  ", "  忽略  "))]
    assert len(lines) == min(len(listing), LISTED_ON_SCREEN)
    for line, entry in zip(lines, listing, strict=False):
        assert line.startswith(f"  {STATUS_LABELS[entry['status']]}  {entry['name']}："), line
    more = len(listing) - LISTED_ON_SCREEN
    assert more > 0  # the inbox is hostile enough to need the count
    assert f"……另有 {more} 个文件" in screen


def test_inputs_are_unchanged_and_nothing_is_created_in_the_inbox(runs) -> None:
    before, after = runs["inbox_before"], runs["inbox_after"]
    assert sorted(after) == sorted(before)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed
    assert runs["outside_after"] == runs["outside_before"]  # link targets never written


def test_nothing_is_created_outside_the_output_folder(runs, hostile) -> None:
    sandbox = runs["sandbox"]
    assert os.listdir(sandbox["tmp"]) == [], "left in the child's temporary folder"
    assert os.listdir(sandbox["cwd"]) == [], "created in the child's working folder"
    assert not runs["tmp_new"], f"new in {tempfile.gettempdir()}: {runs['tmp_new']}"
    places = [runs["work"], hostile.inbox, hostile.outside, ROOT, Path.home()]
    for place in places:
        assert not list(Path(place).glob("pwned")), place
    assert not list(runs["work"].rglob("pwned")) and not list(hostile.inbox.rglob("pwned"))


def output_workbooks(run: Run) -> list[Path]:
    return sorted(p for p in run.out.rglob("*.xlsx") if ".cache" not in p.parts)


@pytest.fixture(scope="module")
def template_formulas(template) -> set[tuple[str, str, str]]:
    """The formulas of our own template (derived indicators): the only ones allowed."""
    book = load(template)
    return {
        (ws.title, cell.coordinate, str(cell.value))
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }


def test_no_formula_from_an_input_reaches_any_output(runs, template_formulas) -> None:
    for key in ("cold", "warm"):
        texts: set[str] = set()
        workbooks = output_workbooks(runs[key])
        assert len(workbooks) >= 3  # 汇总, 上报, feedback workbooks
        for path in workbooks:
            for sheet, cell in every_cell(path):
                if cell.data_type == "f":
                    where = (sheet, cell.coordinate, str(cell.value))
                    assert where in template_formulas, (path.name, where)
                elif isinstance(cell.value, str):
                    texts.add(cell.value)
        for payload in INJECTIONS:  # they did reach the outputs, as text
            assert any(payload.strip() in text for text in texts), payload


def test_no_macro_external_link_or_dde_reaches_any_output(runs, hostile) -> None:
    run = runs["cold"]
    feedback = [p.name for p in (run.out / "反馈").iterdir()]
    for case_id in ("macro", "external-link", "formula-injection"):
        # Their feedback workbooks are copies of those files: without one, the check below
        # would look at nothing of theirs.
        stem = Path(entries_of(run.manifest, hostile.cases[case_id])[0]["name"]).stem
        made = [n for n in feedback if stem in n or UNITS.get(case_id, "?") in n]
        assert made, f"{case_id}: no feedback workbook made from it: {run.stdout[-1500:]}"
    for path in output_workbooks(run):
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            assert not [n for n in names if "vbaProject" in n or "externalLink" in n], path
            assert not [n for n in names if "activeX" in n or n.endswith(".bin")], path
            types = zf.read("[Content_Types].xml")
            assert b"macroEnabled" not in types and b"vbaProject" not in types, path
            for name in names:
                data = zf.read(name)
                assert b"ddeLink" not in data and b"ddeService" not in data, (path, name)
                if name.endswith(".rels"):
                    assert b"evil-share" not in data and b'Target="http://x' not in data


def test_valid_returns_count_exactly_as_alone(runs) -> None:
    snaps = runs["snapshots"]
    reference = snaps["valid"]["totals"]
    assert sum(isinstance(v, int | float) and v > 0 for v in reference.values()) > 50
    for key in ("cold", "warm"):
        assert snaps[key] is not None, key
        differ = {
            code: (snaps[key]["totals"].get(code), value)
            for code, value in reference.items()
            if snaps[key]["totals"].get(code) != value
        }
        assert not differ, (key, differ)


def test_warm_run_gives_the_same_verdicts_from_the_cache(runs) -> None:
    def verdicts(snap: dict) -> list:
        return [
            (e["name"], e.get("name_bytes_hex"), e["status"], e["unit"], e["reason"])
            for e in snap["manifest"]["files"]
        ]

    snaps = runs["snapshots"]
    assert snaps["warm"] is not None
    assert verdicts(snaps["warm"]) == verdicts(snaps["cold"])
    assert snaps["warm"]["status_sheet"] == snaps["cold"]["status_sheet"]
    assert runs["entries"], "the cold run cached nothing"
    assert runs["entries_after_warm"] == runs["entries"]  # every result found again
    assert runs["remembered"], "the cold run remembered no file's sha256"
    assert runs["remembered_after_warm"] == runs["remembered"]  # every file found again


def memo_keys(out: Path) -> list[str]:
    """The file identities the hash memo holds (the body after its seal)."""
    data = (out / ".cache" / HASHES_FILE).read_bytes()
    return sorted(json.loads(data.split(b"\n", 1)[1]))


def test_runs_do_not_hang(runs) -> None:
    for key in ("cold", "warm", "valid"):
        assert runs[key].seconds < RUN_SECONDS / 2, (key, runs[key].seconds)


# One test per case


@pytest.mark.parametrize("case", case_params())
def test_case(runs, hostile, case: Case) -> None:
    manifest = cold_manifest(runs)
    found = entries_of(manifest, case)
    assert len(found) == 1, f"{case.id} ({case.rule}): named {len(found)} times in manifest.json"
    entry = found[0]
    hidden = [ch for ch in entry["name"] if unicodedata.category(ch) in HIDDEN_CATEGORIES]
    assert not hidden, f"{case.id}: the name shown is not one visible line: {entry['name']!r}"
    assert entry["status"] == case.status, (case.rule, entry)
    if case.word:
        assert case.word in (entry["reason"] or ""), (case.rule, entry)
    if case.id in UNITS and case.status != "rejected":
        assert entry["unit"] == UNITS[case.id], entry
    assert runs["snapshots"]["cold"]["status_sheet"].count(entry["name"]) == 1
    listing = screen_listing(manifest)
    if entry in listing[:LISTED_ON_SCREEN]:
        label = STATUS_LABELS[entry["status"]]
        assert f"\n  {label}  {entry['name']}：" in "\n" + runs["cold"].stdout, entry
    warm = entries_of(runs["snapshots"]["warm"]["manifest"], case)
    assert [(e["status"], e["reason"]) for e in warm] == [(entry["status"], entry["reason"])]


# The rest of RELIABILITY.md's rules, on their own runs


def test_registry_saved_by_excel_as_gbk_csv_gives_the_same_run(runs, hostile, tmp_path) -> None:
    """CSV from Excel: a clerk's registry in GB18030 reads as the workbook does."""
    units = generate.registry_as_gbk_csv(UNITS_PATH, tmp_path / "units.csv")
    sandbox = runs["sandbox"]
    run = consolidate(hostile.valid, tmp_path / "out", sandbox, units=units)
    assert run.returncode == 0, run.stderr[-2000:]
    assert snapshot(run)["totals"] == runs["snapshots"]["valid"]["totals"]
    assert os.listdir(sandbox["tmp"]) == []


def test_refuses_to_run_without_defusedxml(runs, hostile, tmp_path, monkeypatch) -> None:
    """openpyxl without defusedxml expands entities: the CLI refuses to start (exit 2)."""
    monkeypatch.setenv("OPENPYXL_DEFUSEDXML", "False")
    run = consolidate(hostile.inbox, tmp_path / "out", runs["sandbox"])
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    assert "defusedxml" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
