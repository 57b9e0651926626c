"""The archive's checks, on an archive of two periods written through Archive.record: the full
check (every run), the check of one period (history) and the check in the background (a run
reads its inbox meanwhile). Each finds an edit made outside the program where it looks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeline.core.records import Status, Submission
from pipeline.run.archive import Archive, RunRecord, encoded
from pipeline.run.archive_store import (
    ArchiveError,
    Verification,
    _connect,
    _migrate,
    open_archive,
    verify,
)

FORM = "F1"


def record_period(archive: Archive, period: str) -> None:
    subs = [Submission(file=f"{unit}.xlsx", sha256=f"{period}-{unit}", mtime=0.0, unit_code=unit,
                       values={"A": n}, status=Status.ACCEPTED)
            for n, unit in enumerate(("U1", "U2"))]  # fmt: skip
    run = RunRecord("2026-01-01 10:00:00", "2026-01-01 10:00:01", "consolidate", "1", FORM, "1",
                    period, "2021-01-01", "2021-12-31", "{}", "{}", "{}")  # fmt: skip
    archive.record(run, subs, {s.sha256: encoded(s) for s in subs})


@pytest.fixture
def two_periods(tmp_path: Path) -> Path:
    path = tmp_path / "a.sqlite"
    archive = Archive(path)
    record_period(archive, "2021年")
    record_period(archive, "2022年")
    archive.close()
    return path


def edited(path: Path, statement: str) -> sqlite3.Connection:
    with sqlite3.connect(path) as db:
        db.execute(statement)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def test_a_whole_archive_checks(two_periods: Path) -> None:
    reader = sqlite3.connect(two_periods)
    assert verify(reader) == 2 and verify(reader, (FORM, "2021年")) == 2


def test_the_check_of_one_period_finds_an_edit_in_that_period(two_periods: Path) -> None:
    reader = edited(two_periods, "UPDATE sightings SET status = 'rejected' WHERE period = '2022年'")
    with pytest.raises(ArchiveError, match="sightings"):
        verify(reader, (FORM, "2022年"))
    verify(reader, (FORM, "2021年"))  # not looked at by a reader of 2021 ...
    with pytest.raises(ArchiveError):
        verify(reader)  # ... and found by the next run


def test_the_check_of_one_period_finds_a_return_it_points_to(two_periods: Path) -> None:
    reader = edited(two_periods, "UPDATE contents SET size = 7 WHERE sha256 = '2022年-U1'")
    with pytest.raises(ArchiveError, match="contents"):
        verify(reader, (FORM, "2022年"))


def test_a_stored_hash_changed_anywhere_breaks_the_chain_for_every_reader(two_periods) -> None:
    reader = edited(two_periods, "UPDATE sightings SET hash = 'x' WHERE period = '2021年'")
    with pytest.raises(ArchiveError, match="第 1 次汇总"):
        verify(reader, (FORM, "2022年"))


def test_the_background_check_answers_like_the_full_one(two_periods: Path) -> None:
    Verification(two_periods).result()
    edited(two_periods, "UPDATE contents SET unit = 'U9' WHERE sha256 = '2021年-U2'").close()
    with pytest.raises(ArchiveError, match="在本程序之外被改动过"):
        Verification(two_periods).result()


def test_a_run_cannot_read_or_write_before_the_background_check_passed(two_periods) -> None:
    edited(two_periods, "DELETE FROM sightings WHERE id = 1").close()
    archive = Archive(two_periods, checked_later=True)  # opens: the check is under way
    try:
        with pytest.raises(ArchiveError):
            archive.counted(FORM, "2022年")
        with pytest.raises(ArchiveError):  # asked again, the same answer: nothing is added
            record_period(archive, "2023年")
    finally:
        archive.close()
    reader = sqlite3.connect(two_periods)
    assert reader.execute("SELECT count(*) FROM runs").fetchone() == (2,)


def test_a_run_that_stops_early_ends_the_check_with_it(two_periods: Path) -> None:
    archive = Archive(two_periods, checked_later=True)
    process = archive._verification._process  # type: ignore[union-attr]
    archive.close()
    assert not process.is_alive()


def test_two_runs_making_the_archive_at_the_same_moment_both_go_on(tmp_path: Path) -> None:
    """Both found no archive; the second takes the write lock after the first made it (the
    order test_two_runs_at_once met now and then: "table meta already exists")."""
    path = tmp_path / "a.sqlite"
    first, second = _connect(path, path), _connect(path, path)
    _migrate(first, 0)
    _migrate(second, 0)  # read version 0 before the first committed
    first.close()
    second.close()
    assert open_archive(path, create=False) is not None
