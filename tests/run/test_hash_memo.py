"""A re-run hashes only the inbox files that changed since a run hashed them; whatever a
file's times say, a file rewritten since is hashed again, and a memo someone else wrote or
altered is never believed."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.read.inbox import discover
from pipeline.run import hash_memo
from pipeline.run.cache import HASHES_FILE
from pipeline.run.checking import check_files
from pipeline.run.hash_memo import HashMemo


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The names of the files hashed (the others came from the memo)."""
    names: list[str] = []
    original = hash_memo.file_sha256

    def counting(path: Path) -> str:
        names.append(path.name)
        return original(path)

    monkeypatch.setattr(hash_memo, "file_sha256", counting)
    return names


@pytest.fixture
def settled(monkeypatch) -> None:
    """Files written a moment ago count as settled (a test cannot wait RECENT_SECONDS)."""
    monkeypatch.setattr(hash_memo, "RECENT_SECONDS", 0)
    time.sleep(0.05)  # past the timestamp tick of the files just written


@pytest.fixture
def inbox(write_return, sample, tmp_path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for code in ("LJ101", "LJ102", "LJ103"):
        write_return(folder, f"{code}.xlsx", sample(code, 5))
    return folder


@pytest.fixture
def run(inbox, form, registry) -> Callable[[Path], dict[str, tuple[str, str]]]:
    """Check the inbox with the cache in `out`: each file's sha256 and status."""

    def check(out: Path) -> dict[str, tuple[str, str]]:
        subs, _ = check_files(discover(inbox), form, registry, outdir=out, use_cache=True)
        return {s.file: (s.sha256, s.status.value) for s in subs}

    return check


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.usefixtures("settled")
def test_a_rerun_hashes_only_the_file_that_changed(
    run, inbox, sample, write_return, tmp_path, hashed
) -> None:
    first = run(tmp_path / "out")
    assert sorted(hashed) == ["LJ101.xlsx", "LJ102.xlsx", "LJ103.xlsx"]
    hashed.clear()
    assert run(tmp_path / "out") == first
    assert hashed == []
    write_return(inbox, "LJ102.xlsx", sample("LJ102", 6))  # resubmitted
    again = run(tmp_path / "out")
    assert hashed == ["LJ102.xlsx"]
    assert again["LJ102.xlsx"][0] == sha256(inbox / "LJ102.xlsx") != first["LJ102.xlsx"][0]


@pytest.mark.usefixtures("settled")
def test_a_file_rewritten_with_its_size_and_times_kept_is_hashed_again(
    run, inbox, tmp_path, hashed
) -> None:
    """Only the change time gives the rewrite away: os.utime cannot set it back."""
    first = run(tmp_path / "out")
    target, other = inbox / "LJ101.xlsx", inbox / "LJ103.xlsx"
    info = target.stat()
    data = other.read_bytes()
    target.write_bytes(data[: info.st_size].ljust(info.st_size, b"\0"))
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    hashed.clear()
    again = run(tmp_path / "out")
    assert hashed == ["LJ101.xlsx"]
    assert again["LJ101.xlsx"][0] == sha256(target) != first["LJ101.xlsx"][0]


def test_a_file_changed_a_moment_before_it_was_hashed_is_not_remembered(tmp_path) -> None:
    """A second change within the same timestamp tick would keep every time as it was."""
    path = tmp_path / "LJ101.xlsx"
    path.write_bytes(b"PK\3\4 a return")
    memo = HashMemo({})
    assert memo.digest(path) == sha256(path)
    assert memo.seen == {}
    old = time.time_ns() - (hash_memo.RECENT_SECONDS + 60) * 1_000_000_000
    os.utime(path, ns=(old, old))  # the change time stays now: still not remembered
    assert memo.digest(path) == sha256(path)
    assert memo.seen == {}


def test_without_a_change_time_the_memo_is_not_used(monkeypatch, tmp_path) -> None:
    """On Windows st_ctime is when the file was made, which a rewrite keeps."""
    monkeypatch.setattr(hash_memo, "RECENT_SECONDS", 0)
    path = tmp_path / "LJ101.xlsx"
    path.write_bytes(b"PK\3\4 a return")
    time.sleep(0.05)
    key = hash_memo.identity(path, os.lstat(path))
    monkeypatch.setattr(hash_memo, "TRUSTS_CHANGE_TIME", False)
    memo = HashMemo({key: "0" * 64})
    assert memo.digest(path) == sha256(path)
    assert memo.seen == {}


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize("forged", ["resealed", "pickle", "cut"])
def test_a_forged_memo_is_never_believed(run, tmp_path, hashed, forged) -> None:
    """Someone with the output folder maps one unit's file to another file's content (whose
    stored result would then count for it): the seal fails, every file is hashed."""
    out = tmp_path / "out"
    first = run(out)
    memo = out / ".cache" / HASHES_FILE
    seal, body = memo.read_bytes().split(b"\n", 1)
    lj101, lj103 = first["LJ101.xlsx"][0], first["LJ103.xlsx"][0]
    if forged == "resealed":  # sealed again, with a key that is not the clerk's
        body = body.replace(lj101.encode(), lj103.encode())
        seal = hashlib.sha256(os.urandom(32) + body).hexdigest().encode()
        memo.write_bytes(seal + b"\n" + body)
    elif forged == "pickle":
        memo.write_bytes(b"\x80\x04\x95" + os.urandom(64))
    else:
        memo.write_bytes(seal + b"\n" + body[: len(body) // 2])
    hashed.clear()
    assert run(out) == first
    assert sorted(hashed) == ["LJ101.xlsx", "LJ102.xlsx", "LJ103.xlsx"]
