"""The archive's database: one SQLite file (standard library), append-only, each run written in
one transaction, every record bound into a hash chain so that an edit made outside the program
is found on the next run.

Why SQLite: one file the clerk can back up, transactions that survive a killed run (WAL), and
a lock that keeps two runs from writing at once. Why a hash chain: the 统计法 asks offices to
keep what was received (审核、签署、交接、归档); a chain shows that nothing kept was changed
afterwards. Each record's hash covers its fields; each run's hash covers the run's record, the
hashes of every record the run added, and the previous run's hash.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

from pipeline.core.files import private_folder

SCHEMA_VERSION = 1
APPLICATION_ID = 0x44464C5A  # "DFLZ": tells our archive from another program's SQLite file
BUSY_SECONDS = 60  # a second run waits this long for the first one's write to finish

# Every version's schema, applied in order: an archive of version n is migrated by running
# MIGRATIONS[n:] in one transaction.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,"
        " command TEXT, version TEXT, form_id TEXT, form_version TEXT, period TEXT,"
        " period_start TEXT, period_end TEXT, spec TEXT, totals TEXT, outputs TEXT,"
        " prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        "CREATE TABLE contents (sha256 TEXT PRIMARY KEY, run_id INTEGER NOT NULL, size INTEGER,"
        " unit TEXT, period TEXT, form_id TEXT, form_version TEXT, data BLOB NOT NULL,"
        " hash TEXT NOT NULL)",
        "CREATE TABLE sightings (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,"
        " sha256 TEXT NOT NULL, name TEXT, name_bytes_hex TEXT, mtime REAL, unit TEXT,"
        " period TEXT, form_id TEXT, status TEXT, counted INTEGER, reason TEXT,"
        " problems TEXT, hash TEXT NOT NULL)",
        "CREATE INDEX sightings_by_unit ON sightings (period, unit)",
        "CREATE INDEX sightings_by_content ON sightings (sha256)",  # when a return first arrived
        "CREATE INDEX runs_by_period ON runs (form_id, period)",
    ),
]
RUN_FIELDS = ("id", "started", "finished", "command", "version", "form_id", "form_version",
              "period", "period_start", "period_end", "spec", "totals", "outputs")  # fmt: skip
CONTENT_FIELDS = ("sha256", "run_id", "size", "unit", "period", "form_id", "form_version", "data")
SIGHTING_FIELDS = ("id", "run_id", "sha256", "name", "name_bytes_hex", "mtime", "unit", "period",
                   "form_id", "status", "counted", "reason", "problems")  # fmt: skip
GENESIS = "0" * 64


class ArchiveError(Exception):
    """The archive cannot be used: one Chinese sentence saying why and what to do."""


def open_archive(
    path: Path,
    create: bool = True,
    scope: tuple[str, str] | None = None,
    verified: bool = True,
) -> sqlite3.Connection:
    """The archive at `path`, checked (ours, a schema we know, every record as written) and
    migrated; made when missing and `create`. Raises ArchiveError, leaving the file exactly as
    it was: the checks read through a read-only connection, which never writes (not even
    the checkpoint a closing read-write connection makes in WAL mode). `scope`: see verify;
    not `verified`: the caller checks the records with Verification (a migrated archive is
    checked here all the same)."""
    if not path.exists():
        if not create:
            raise ArchiveError(f"档案文件“{path}”不存在：还没有汇总过，或请用 --archive 指定档案")
        private_folder(path.parent)
        connection = _connect(path, path)
        _migrate(connection, 0)
        os.chmod(path, 0o600)  # names of disciplined persons: the clerk's eyes only
        return connection
    if not path.is_file() or path.is_symlink():
        raise ArchiveError(f"档案“{path}”不是普通文件：请用 --archive 指定档案文件")
    reader = _connect(path, f"{path.resolve().as_uri()}?mode=ro")
    try:
        version = _checked_version(reader, path)
        if version == SCHEMA_VERSION and verified:
            verify(reader, scope)
    finally:
        reader.close()
    connection = _connect(path, path)
    if version < SCHEMA_VERSION:
        _migrate(connection, version)
        verify(connection)
    return connection


class Verification:
    """verify() in a process of its own, started when a run opens the archive and awaited
    before the run uses what the archive holds: the check (~0.05 s per 1,000 returns and
    per 1,000 sightings) overlaps the reading of the inbox instead of adding to it."""

    def __init__(self, path: Path) -> None:
        context = multiprocessing.get_context("fork")  # the parent's modules, no re-import
        self._answer, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_verify_into, args=(path, sender), daemon=True)
        self._process.start()
        sender.close()

    def result(self) -> None:
        """Wait for the check; ArchiveError when the archive cannot be trusted."""
        try:
            message = self._answer.recv()
        except EOFError:  # the process died (killed, out of memory): not a verdict
            message = "档案核验进程意外退出，未能确认档案完好：请重新运行"
        finally:
            self._process.join()
        if message:
            raise ArchiveError(message)

    def cancel(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def _verify_into(path: Path, sender: Connection) -> None:
    """In the child: a connection of its own (the parent's is never used across the fork)."""
    message = ""
    try:
        reader = _connect(path, f"{path.resolve().as_uri()}?mode=ro")
        try:
            verify(reader)
        finally:
            reader.close()
    except ArchiveError as exc:
        message = str(exc)
    except sqlite3.DatabaseError:
        message = str(_damaged(path))
    sender.send(message)
    sender.close()


def _connect(path: Path, target: Path | str) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(
            target, timeout=BUSY_SECONDS, isolation_level=None, uri=isinstance(target, str)
        )
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        raise _damaged(path) from None
    return connection


def _checked_version(connection: sqlite3.Connection, path: Path) -> int:
    try:
        application, version = _identity(connection)
    except sqlite3.DatabaseError:
        raise _damaged(path) from None
    if application not in (0, APPLICATION_ID) or (application == 0 and version):
        raise ArchiveError(f"“{path}”是其他程序的数据库，不是报送档案：请用 --archive 指定档案文件")
    if version > SCHEMA_VERSION:
        raise ArchiveError(
            f"档案“{path}”由较新版本的程序建立（档案格式 {version}，本程序支持 {SCHEMA_VERSION}）："
            "请更新程序后再运行"
        )
    return version


def _damaged(path: Path) -> ArchiveError:
    return ArchiveError(
        f"档案文件“{path}”已损坏或不是数据库：请从备份恢复，或用 --archive 指定新的档案文件"
    )


def _identity(connection: sqlite3.Connection) -> tuple[int, int]:
    application = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if application == 0 and version == 0:  # a new file, or a database that is not ours
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            return -1, 0
    return application, version


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    connection.execute("PRAGMA journal_mode = WAL")  # a killed run leaves the last commit
    with transaction(connection):
        # Read again under the write lock: a run started at the same moment may have made
        # (or migrated) the archive since `version` was read ("table meta already exists").
        version = max(version, connection.execute("PRAGMA user_version").fetchone()[0])
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                connection.execute(statement)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT: the write lock is taken first, so two runs never interleave;
    anything that goes wrong (a kill included) leaves the archive as it was."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


# Hashes


def record_hash(fields: Mapping[str, object]) -> str:
    """The hash of one record's fields (canonical JSON; blobs as their own hash)."""
    plain = {k: (hashlib.sha256(v).hexdigest() if isinstance(v, bytes) else v)
             for k, v in fields.items()}  # fmt: skip
    text = json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_hash(prev: str, run: Mapping[str, object], added: list[str]) -> str:
    """A run's link in the chain: the previous link, the run's record, what it added."""
    digest = hashlib.sha256(prev.encode())
    digest.update(record_hash(run).encode())
    for item in added:
        digest.update(item.encode())
    return digest.hexdigest()


def verify(connection: sqlite3.Connection, scope: tuple[str, str] | None = None) -> int:
    """Recompute every record's hash and every link; the number of runs. ArchiveError when a
    record was changed, added or removed outside the program.

    With `scope` (form id, period) only the records of that period, and the returns they
    point to, are rehashed; every link is still recomputed from the records' stored hashes,
    so a changed stored hash anywhere is still found. `history` reads one period and answers
    in a fraction of the time; every run checks everything."""
    contents = _rehashed(connection, "contents", CONTENT_FIELDS, "sha256", scope)
    sightings = _rehashed(connection, "sightings", SIGHTING_FIELDS, "id", scope)
    columns = ", ".join(RUN_FIELDS)
    prev, runs = GENESIS, 0
    for row in connection.execute(f"SELECT {columns}, prev_hash, hash FROM runs ORDER BY id"):
        run = dict(zip(RUN_FIELDS, row[: len(RUN_FIELDS)], strict=True))
        stored_prev, stored = row[-2], row[-1]
        added = contents.pop(run["id"], []) + sightings.pop(run["id"], [])
        if stored_prev != prev or run_hash(prev, run, added) != stored:
            raise _tampered(f"第 {run['id']} 次汇总的记录")
        prev, runs = stored, runs + 1
    if contents or sightings:
        raise _tampered("不属于任何一次汇总的记录")
    return runs


# The records of one period, and the returns its sightings point to.
IN_SCOPE = {
    "sightings": "form_id = ? AND period = ?",
    "contents": "sha256 IN (SELECT sha256 FROM sightings WHERE form_id = ? AND period = ?)",
}


def _rehashed(
    connection: sqlite3.Connection,
    table: str,
    fields: tuple[str, ...],
    order: str,
    scope: tuple[str, str] | None,
) -> dict[int, list[str]]:
    """run id -> the hashes of the table's records that run added, in order (recomputed for
    every record, or for those in `scope`); ArchiveError when a stored hash does not match."""
    where = f" WHERE {IN_SCOPE[table]}" if scope else ""
    query = f"SELECT {', '.join(fields)}, hash FROM {table}{where}"
    for row in connection.execute(query, scope or ()):
        if record_hash(dict(zip(fields, row[:-1], strict=True))) != row[-1]:
            raise _tampered(f"表 {table} 中的一条记录")
    found: dict[int, list[str]] = {}
    for run_id, digest in connection.execute(
        f"SELECT run_id, hash FROM {table} ORDER BY run_id, {order}"
    ):
        found.setdefault(int(run_id), []).append(digest)
    return found


def _tampered(what: str) -> ArchiveError:
    return ArchiveError(
        f"报送档案中{what}在本程序之外被改动过，已停止运行（档案未作任何修改）：请从备份恢复档案，"
        "或把改动情况报告技术支持"
    )
