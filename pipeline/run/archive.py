"""The office's memory: every return received, what it said, and what each run made of it.

Each run records every inbox entry it saw (a sighting: name, status, problems, whether it
counted) and, once per distinct content, what the return said (values, cells, ledger rows,
problems: the Submission as the result cache's JSON, compressed). Seeing the same file again
adds a sighting, not a copy. The run itself is recorded with the definition it used, the
consolidated totals (for `--compare 上期`) and the outputs written with their sha256.

Never inside the inbox (the inbox is the units', and read-only to us); by default
`archive/报送档案.sqlite` in the folder the run starts in, readable by the clerk only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.combine.changes import PriorReturn
from pipeline.combine.compare import PreviousPeriod
from pipeline.core.records import Status, Submission
from pipeline.form.model import AGGREGATION_LABEL, Form
from pipeline.run import codec, json_bytes
from pipeline.run.archive_store import (
    GENESIS,
    ArchiveError,
    Verification,
    open_archive,
    record_hash,
    run_hash,
    transaction,
)

ARCHIVE_FOLDER, ARCHIVE_NAME = "archive", "报送档案.sqlite"  # in the folder the run starts in
ARCHIVE_ENV = "PIPELINE_ARCHIVE"  # the default archive file; empty: none
LAST_PERIOD = "上期"
COMPRESSION = 1  # zlib level: a return's JSON shrinks ~6x, at ~10 ms per 100 returns


@dataclass(frozen=True)
class RunRecord:
    """What a run says about itself."""

    started: str
    finished: str
    command: str
    version: str
    form_id: str
    form_version: str
    period: str
    period_start: str
    period_end: str
    spec: str  # the indicators' definitions (JSON): code -> label, unit, aggregation, type
    totals: str  # the consolidated totals (JSON): code -> value
    outputs: str  # output name -> sha256 (JSON)


@dataclass(frozen=True)
class Sighting:
    """One inbox entry as one run saw it (for history)."""

    run_id: int
    seen: str  # the run's start time
    sha256: str
    name: str
    unit: str
    status: str
    counted: bool
    reason: str
    problems: list[dict[str, str]]


class Archive:
    """An open, verified archive (ArchiveError when it cannot be trusted or used)."""

    def __init__(
        self,
        path: Path,
        create: bool = True,
        scope: tuple[str, str] | None = None,
        checked_later: bool = False,
    ) -> None:
        """`scope`: verify one period's records only (history); `checked_later`: verify in
        the background, and the run calls checked() before it uses what the archive says."""
        self.path = path
        existed = path.exists()
        self.db = open_archive(path, create, scope, verified=not checked_later)
        self._verification = Verification(path) if checked_later and existed else None
        self._failure: ArchiveError | None = None
        self.runs = self.db.execute("SELECT count(*) FROM runs").fetchone()[0]

    def checked(self) -> None:
        """Wait for the background check, if any (ArchiveError: the run must stop; asked
        again, the same answer)."""
        if self._failure is not None:
            raise self._failure
        verification, self._verification = self._verification, None
        if verification is not None:
            try:
                verification.result()
            except ArchiveError as exc:
                self._failure = exc
                raise

    def close(self) -> None:
        if self._verification is not None:  # the run stopped before it needed the archive
            self._verification.cancel()
        self.db.close()

    # Reading (every read waits for the background check: nothing unverified is used)

    def _read(self, query: str, args: tuple = ()) -> sqlite3.Cursor:
        self.checked()
        return self.db.execute(query, args)

    def known(self) -> set[str]:
        """The contents already kept (their sha256)."""
        return {row[0] for row in self._read("SELECT sha256 FROM contents")}

    def submission(self, sha256: str) -> Submission:
        (data,) = self._read("SELECT data FROM contents WHERE sha256 = ?", (sha256,)).fetchone()
        return codec.decode(json.loads(zlib.decompress(data)))

    def counted(self, form_id: str, period: str) -> dict[str, tuple[str, str]]:
        """unit -> (sha256, file name) of the return that counted for it in the latest run of
        this period. Not the returns themselves: a re-run needs only the few that changed."""
        last = self._latest_run(form_id, period)
        if last is None:
            return {}
        query = ("SELECT unit, sha256, name FROM sightings WHERE run_id = ? AND counted = 1"
                 " AND sha256 != ''")  # fmt: skip
        return {unit: (sha256, name) for unit, sha256, name in self._read(query, (last,))}

    def prior(self, sha256: str, name: str) -> PriorReturn:
        """A kept return, with when it first arrived."""
        return PriorReturn(sha256, name, self.first_seen(sha256), self.submission(sha256))

    def first_seen(self, sha256: str) -> str:
        row = self._read(
            "SELECT min(r.started) FROM sightings s JOIN runs r ON r.id = s.run_id"
            " WHERE s.sha256 = ?", (sha256,)
        ).fetchone()  # fmt: skip
        return row[0] or ""

    def returns_of(self, form_id: str, period: str) -> dict[str, list[tuple[str, str]]]:
        """unit -> its distinct returns for the period as (sha256, first seen), oldest first."""
        query = (
            "SELECT s.unit, s.sha256, min(r.started) FROM sightings s JOIN runs r ON r.id = s.run_id"
            " WHERE s.form_id = ? AND s.period = ? AND s.unit != '' AND s.sha256 != ''"
            " AND s.status != ? GROUP BY s.unit, s.sha256 ORDER BY min(s.id)"
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for unit, sha256, seen in self._read(query, (form_id, period, Status.IGNORED.value)):
            found.setdefault(unit, []).append((sha256, seen))
        return found

    def periods(self, form_id: str) -> list[tuple[str, str, str, int]]:
        """(period, start, end, latest run id) of every period consolidated, oldest first."""
        query = ("SELECT period, period_start, period_end, max(id) FROM runs WHERE form_id = ?"
                 " GROUP BY period ORDER BY period_start")  # fmt: skip
        return [(r[0], r[1], r[2], r[3]) for r in self._read(query, (form_id,))]

    def run_summary(self, run_id: int) -> tuple[str, dict[str, list], dict[str, object]]:
        """(form version, spec, totals) of a run."""
        version, spec, totals = self._read(
            "SELECT form_version, spec, totals FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        return version, json.loads(spec or "{}"), json.loads(totals or "{}")

    def sightings(self, form_id: str, period: str, unit: str | None = None) -> list[Sighting]:
        """Every entry of the period's runs (of one unit, when given), in the order seen."""
        query = (
            "SELECT s.run_id, r.started, s.sha256, s.name, s.unit, s.status, s.counted,"
            " s.reason, s.problems FROM sightings s JOIN runs r ON r.id = s.run_id"
            " WHERE s.form_id = ? AND s.period = ?" + (" AND s.unit = ?" if unit else "") +
            " ORDER BY s.id"
        )  # fmt: skip
        args = (form_id, period, unit) if unit else (form_id, period)
        return [
            Sighting(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7] or "", json.loads(r[8]))
            for r in self._read(query, args)
        ]

    def previous_period(self, form: Form, which: str) -> PreviousPeriod | None:
        """An earlier period's consolidated figures as the archive kept them: `which` is a
        period name, or 上期 (the latest period that ended before this one began)."""
        periods = self.periods(form.id)
        if which == LAST_PERIOD:
            earlier = [p for p in periods if p[2] < form.period.start.isoformat()]
            chosen = earlier[-1] if earlier else None
        else:
            chosen = next((p for p in periods if p[0] == which), None)
        if chosen is None:
            return None
        version, spec, totals = self.run_summary(chosen[3])
        return PreviousPeriod(
            file=f"报送档案：{chosen[0]}",
            form_id=form.id,
            version=version,
            period=chosen[0],
            totals={c: int(v) if isinstance(v, int | float) else None for c, v in totals.items()},
            labels={code: item[0] for code, item in spec.items()},
            definitions={
                code: (item[0], item[1], AGGREGATION_LABEL.get(item[2], item[2]))
                for code, item in spec.items()
            },  # fmt: skip
        )

    def _latest_run(self, form_id: str, period: str) -> int | None:
        row = self._read(
            "SELECT max(id) FROM runs WHERE form_id = ? AND period = ?", (form_id, period)
        ).fetchone()
        return row[0]

    # Writing

    def record(self, run: RunRecord, submissions: Iterable[Submission],
               contents: Mapping[str, bytes]) -> int:  # fmt: skip
        """The run, its new contents and a sighting per submission, in one transaction linked
        into the chain. `contents`: sha256 -> the encoded return, for those not kept yet."""
        self.checked()  # never link a run onto a chain not known to be whole
        with transaction(self.db):
            prev = self.db.execute("SELECT hash FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            run_id = (self.db.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]) + 1
            added = self._add_contents(run_id, run, submissions, contents)
            added += self._add_sightings(run_id, run, submissions)
            fields = {"id": run_id} | {k: getattr(run, k) for k in RunRecord.__dataclass_fields__}
            link = run_hash(prev[0] if prev else GENESIS, fields, added)
            self.db.execute(
                f"INSERT INTO runs ({', '.join(fields)}, prev_hash, hash)"
                f" VALUES ({', '.join('?' * len(fields))}, ?, ?)",
                (*fields.values(), prev[0] if prev else GENESIS, link),
            )
        self.runs += 1
        return run_id

    def _add_contents(self, run_id: int, run: RunRecord, submissions: Iterable[Submission],
                      contents: Mapping[str, bytes]) -> list[str]:  # fmt: skip
        hashes = []
        known = self.known()
        for sub in sorted({s.sha256: s for s in submissions if s.sha256 in contents}.values(),
                          key=lambda s: s.sha256):  # fmt: skip
            if sub.sha256 in known:
                continue
            fields = {"sha256": sub.sha256, "run_id": run_id, "size": _size(sub),
                      "unit": sub.unit_code, "period": run.period, "form_id": run.form_id,
                      "form_version": run.form_version, "data": contents[sub.sha256]}  # fmt: skip
            hashes.append(self._insert("contents", fields))
        return hashes

    def _add_sightings(self, run_id: int, run: RunRecord,
                       submissions: Iterable[Submission]) -> list[str]:  # fmt: skip
        hashes = []
        next_id = self.db.execute("SELECT coalesce(max(id), 0) FROM sightings").fetchone()[0]
        for sub in submissions:
            next_id += 1
            problems = [{"code": p.code.name, "severity": p.severity.value, "sheet": p.sheet,
                         "cell": p.cell, "message": p.message} for p in sub.problems]  # fmt: skip
            fields = {
                "id": next_id, "run_id": run_id, "sha256": sub.sha256, "name": sub.file,
                "name_bytes_hex": "", "mtime": sub.mtime, "unit": sub.unit_code,
                "period": run.period, "form_id": run.form_id, "status": sub.status.value,
                "counted": int(sub.status in COUNTING), "reason": sub.reason,
                "problems": json.dumps(problems, ensure_ascii=False),
            }  # fmt: skip
            hashes.append(self._insert("sightings", fields))
        return hashes

    def _insert(self, table: str, fields: dict[str, object]) -> str:
        digest = record_hash(fields)
        columns = ", ".join(fields)
        self.db.execute(
            f"INSERT INTO {table} ({columns}, hash) VALUES ({', '.join('?' * len(fields))}, ?)",
            (*fields.values(), digest),
        )
        return digest


COUNTING = (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS)


def encoded(sub: Submission) -> bytes:
    """A return as the archive keeps it: the result cache's JSON, compressed. Read back with
    the standard library (an archive may hold untagged big integers from before the codec
    tagged them)."""
    return zlib.compress(json_bytes.dumps(codec.encode(sub)), COMPRESSION)


def _size(sub: Submission) -> int:
    try:
        return Path(sub.source).stat().st_size if sub.source else 0
    except OSError:
        return 0


def now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")


def spec_json(indicators: Iterable) -> str:
    """What `--compare` needs to know of each indicator's definition (口径)."""
    return json.dumps(
        {i.code: [i.label, i.unit, i.aggregation, i.type] for i in indicators},
        ensure_ascii=False, sort_keys=True,
    )  # fmt: skip


def output_digests(paths: Iterable[Path]) -> str:
    digests = {}
    for path in paths:
        if path.is_file():
            digests[f"{path.parent.name}/{path.name}"] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return json.dumps(digests, ensure_ascii=False, sort_keys=True)
