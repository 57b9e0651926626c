"""Each return's place in its unit's history for the period, and what a resubmission changed
against the return that counted before (from the archive, or an earlier return of the same
unit in this inbox)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipeline.combine.changes import Change, Place, PriorReturn, changes, progress
from pipeline.core.records import Status, Submission
from pipeline.form.model import Form
from pipeline.publish.feedback.content import Resubmitted
from pipeline.run.archive import Archive

COUNTING = (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS, Status.REJECTED)


@dataclass
class Resubmissions:
    places: dict[str, Place] = field(default_factory=dict)  # sha256 -> its place
    changes: list[Change] = field(default_factory=list)  # 修改情况, in registry order
    earlier: dict[str, PriorReturn] = field(default_factory=dict)  # unit -> counted before
    notes: dict[str, Resubmitted] = field(default_factory=dict)  # sha256 -> its feedback's


def resubmissions(form: Form, submissions: list[Submission], archive: Archive) -> Resubmissions:
    found = Resubmissions()
    period = form.period.label
    counted_before = archive.counted(form.id, period)
    archived = archive.returns_of(form.id, period)
    for unit, subs in _by_unit(submissions).items():
        history = list(archived.get(unit, []))
        known = {sha for sha, _ in history}
        history += [(s.sha256, _mtime(s)) for s in subs if s.sha256 not in known]
        order = [sha for sha, _ in history]
        for sub in subs:
            ordinal = order.index(sub.sha256) + 1
            previous = history[ordinal - 2][1] if ordinal > 1 else ""
            found.places[sub.sha256] = Place(ordinal, previous)
        counting = next((s for s in subs if s.status in COUNTING), None)
        if counting is None:
            continue
        sha256, name = counted_before.get(unit, ("", ""))
        if sha256 == counting.sha256:
            continue  # the same return counts again: nothing changed
        earlier = archive.prior(sha256, name) if sha256 else _earlier_in_inbox(subs, counting)
        if earlier is not None:
            found.earlier[unit] = earlier
            ordinal = found.places[counting.sha256].ordinal
            found.changes.extend(changes(form, earlier.submission, counting, ordinal))
            done = progress(earlier.submission, counting)
            found.notes[counting.sha256] = Resubmitted(
                ordinal, tuple(done.fixed), frozenset(p.key for p in done.still_open)
            )
    return found


def _by_unit(submissions: list[Submission]) -> dict[str, list[Submission]]:
    """A unit's returns in this inbox, in the order settle_duplicates ranks them (oldest
    first); ignored entries (exact copies, lock files) are not returns."""
    found: dict[str, list[Submission]] = {}
    for sub in submissions:
        if sub.unit_code and sub.sha256 and sub.status is not Status.IGNORED:
            found.setdefault(sub.unit_code, []).append(sub)
    for subs in found.values():
        subs.sort(key=lambda s: (s.submitted or dt.date.min, s.mtime, s.file))
    return found


def _earlier_in_inbox(subs: list[Submission], counting: Submission) -> PriorReturn | None:
    before = [
        s for s in subs if s.status is Status.SUPERSEDED and subs.index(s) < subs.index(counting)
    ]
    if not before:
        return None
    last = before[-1]
    return PriorReturn(last.sha256, last.file, _mtime(last), last)


def _mtime(sub: Submission) -> str:
    """When a return not yet in the archive was received, as well as we know: its file's time."""
    return dt.datetime.fromtimestamp(sub.mtime).replace(microsecond=0).isoformat(sep=" ")
