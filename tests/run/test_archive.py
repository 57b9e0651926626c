"""The archive holds (issue 11): a killed run, two runs at once, an edit made outside the
program, a corrupt file, a foreign database and a newer schema. Each bad archive stops the run
with one Chinese sentence and exit status 2, the file untouched."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.demo.fill import fill_return
from pipeline.demo.sample import sample_return
from pipeline.run.archive import Archive
from pipeline.run.archive_store import SCHEMA_VERSION, ArchiveError
from tests.support.paths import FORM_PATH, ROOT, UNITS_PATH

SQLITE3 = shutil.which("sqlite3")


def consolidate(inbox: Path, out: Path, archive: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline", "consolidate", str(inbox), "--out", str(out), "-q",
               "--archive", str(archive), "--form", str(FORM_PATH), "--units", str(UNITS_PATH)]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=600)
    return process.returncode, out + err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def inbox(form, registry, template, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    for code in ("LJ101", "LJ102", "LJ201", "LJ302"):
        made = sample_return(form, registry, registry.by_code(code), 5)
        fill_return(form, template, folder / f"{code}.xlsx", made.values, made.ledgers)
    return folder


def counts(path: Path) -> tuple[int, int, int]:
    """(runs, contents, sightings), after the archive has been verified."""
    archive = Archive(path, create=False)
    try:
        found = [archive.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("runs", "contents", "sightings")]  # fmt: skip
    finally:
        archive.close()
    return found[0], found[1], found[2]


def test_a_missing_archive_is_made_and_every_entry_recorded(inbox, tmp_path) -> None:
    archive = tmp_path / "档案" / "a.sqlite"
    code, output = finish(consolidate(inbox, tmp_path / "out", archive))
    assert code == 0, output
    assert counts(archive) == (1, 4, 4)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    code, output = finish(consolidate(inbox, tmp_path / "out", archive))
    assert code == 0, output
    assert counts(archive) == (2, 4, 8)  # the same files again: sightings, not copies


def test_a_killed_run_leaves_the_archive_as_it_was_or_whole(inbox, tmp_path) -> None:
    archive = tmp_path / "a.sqlite"
    assert finish(consolidate(inbox, tmp_path / "out", archive))[0] == 0
    base = counts(archive)
    for delay in (0.5, 1.5, 2.5, 3.5, 5.0):
        process = consolidate(inbox, tmp_path / f"out{delay}", archive)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        runs, contents, sightings = counts(archive)  # verifies the chain
        assert (contents, sightings - 4 * (runs - base[0])) == (base[1], base[2])
    assert finish(consolidate(inbox, tmp_path / "after", archive))[0] == 0
    runs, _, sightings = counts(archive)
    assert sightings == 4 * runs


def test_two_runs_at_once_are_both_recorded_whole(inbox, tmp_path) -> None:
    archive = tmp_path / "a.sqlite"
    first = consolidate(inbox, tmp_path / "one", archive)
    second = consolidate(inbox, tmp_path / "two", archive)
    assert finish(first)[0] == 0 and finish(second)[0] == 0
    assert counts(archive) == (2, 4, 8)


@pytest.mark.skipif(
    SQLITE3 is None, reason="the sqlite3 program is not installed (.ci/run installs it)"
)
def test_an_edit_made_outside_the_program_is_found(inbox, tmp_path) -> None:
    archive = tmp_path / "a.sqlite"
    assert finish(consolidate(inbox, tmp_path / "out", archive))[0] == 0
    edit = "UPDATE sightings SET status = 'rejected', reason = '已退回' WHERE id = 2;"
    subprocess.run([SQLITE3, str(archive), edit], check=True)
    before = digest(archive)
    code, output = finish(consolidate(inbox, tmp_path / "out2", archive))
    assert code == 2 and "在本程序之外被改动过" in output and "Traceback" not in output
    assert digest(archive) == before
    # The check runs while the inbox is read: the stop comes before any output is written
    # (the result cache of what was read is all the folder holds).
    assert [p.name for p in (tmp_path / "out2").iterdir()] == [".cache"]


@pytest.mark.skipif(
    SQLITE3 is None, reason="the sqlite3 program is not installed (.ci/run installs it)"
)
def test_a_deleted_run_is_found(inbox, tmp_path) -> None:
    archive = tmp_path / "a.sqlite"
    for _ in range(2):
        assert finish(consolidate(inbox, tmp_path / "out", archive))[0] == 0
    subprocess.run([SQLITE3, str(archive), "DELETE FROM runs WHERE id = 1;"], check=True)
    with pytest.raises(ArchiveError, match="本程序之外"):
        Archive(archive, create=False)


def test_a_corrupt_archive_file_stops_the_run(inbox, tmp_path) -> None:
    archive = tmp_path / "a.sqlite"
    archive.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    before = digest(archive)
    code, output = finish(consolidate(inbox, tmp_path / "out", archive))
    assert code == 2 and "已损坏" in output and "Traceback" not in output
    assert digest(archive) == before


def test_another_programs_database_is_refused(inbox, tmp_path) -> None:
    archive = tmp_path / "other.sqlite"
    db = sqlite3.connect(archive)
    db.execute("CREATE TABLE customers (name TEXT)")
    db.commit()
    db.close()
    before = digest(archive)
    code, output = finish(consolidate(inbox, tmp_path / "out", archive))
    assert code == 2 and "其他程序的数据库" in output
    assert digest(archive) == before


def test_a_newer_schema_is_refused(inbox, tmp_path) -> None:
    archive = tmp_path / "a.sqlite"
    assert finish(consolidate(inbox, tmp_path / "out", archive))[0] == 0
    db = sqlite3.connect(archive)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = digest(archive)
    code, output = finish(consolidate(inbox, tmp_path / "out2", archive))
    assert code == 2 and "较新版本" in output
    assert digest(archive) == before
