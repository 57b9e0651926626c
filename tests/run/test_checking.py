"""Every inbox entry becomes a Submission: what is not a return is skipped with a reason, an
exact copy counts once, and of one unit's returns the latest counts."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from pipeline.core.catalogue import ProblemCode
from pipeline.core.problems import make_problem
from pipeline.core.records import Status
from pipeline.read.inbox import discover
from pipeline.run import checking
from pipeline.run.checking import check_files


@pytest.fixture(params=[checking.HASHED_AT_ONCE, 1])
def slices(request, monkeypatch) -> None:
    """The inbox hashed in one slice, or one file at a time (a copy then comes in another
    slice than its original): the same entries either way."""
    monkeypatch.setattr(checking, "HASHED_AT_ONCE", request.param)


def test_skipped_copied_and_superseded_entries(
    form, registry, sample, write_return, tmp_path, slices
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    new, old = sample("LJ101", 1), sample("LJ101", 2)
    new.values["SUBMIT_DATE"] = dt.date(2022, 7, 10)
    old.values["SUBMIT_DATE"] = dt.date(2022, 7, 1)
    write_return(inbox, "LJ101.xlsx", new)
    write_return(inbox, "LJ101_旧.xlsx", old)
    shutil.copy(inbox / "LJ101.xlsx", inbox / "LJ101_副本.xlsx")
    (inbox / "~$LJ101.xlsx").write_bytes(b"\0" * 165)  # the lock file Excel leaves

    subs, _ = check_files(discover(inbox), form, registry)

    found = {s.file: (s.status, [p.code for p in s.problems], s.reason) for s in subs}
    assert found == {
        "LJ101.xlsx": (Status.ACCEPTED, [], ""),
        "LJ101_副本.xlsx": (
            Status.IGNORED,
            [ProblemCode.FILE_DUPLICATE],
            make_problem(ProblemCode.FILE_DUPLICATE, other="LJ101.xlsx").message,
        ),
        "LJ101_旧.xlsx": (
            Status.SUPERSEDED,
            [],  # its own problems (none): the reason says why it does not count
            make_problem(ProblemCode.FILE_SUPERSEDED, other="LJ101.xlsx").message,
        ),
        "~$LJ101.xlsx": (
            Status.IGNORED,
            [ProblemCode.FILE_IGNORED],
            "Excel/WPS 打开文件时产生的临时锁定文件",
        ),
    }
    copy = next(s for s in subs if s.file == "LJ101_副本.xlsx")
    assert copy.problems[0].file == "LJ101_副本.xlsx"


def test_a_file_gone_since_the_inbox_was_listed_costs_that_file_only(
    form, registry, sample, write_return, tmp_path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_return(inbox, "LJ101.xlsx", sample("LJ101", 1))
    write_return(inbox, "LJ102.xlsx", sample("LJ102", 1))
    listed = discover(inbox)
    (inbox / "LJ101.xlsx").unlink()  # moved away by the clerk while the run started

    subs, _ = check_files(listed, form, registry)

    gone, kept = subs
    assert (gone.file, gone.status, gone.transient) == ("LJ101.xlsx", Status.REJECTED, True)
    assert [p.code for p in gone.problems] == [ProblemCode.FILE_UNREADABLE]
    assert "移走" in gone.problems[0].message
    assert (kept.file, kept.status) == ("LJ102.xlsx", Status.ACCEPTED)
