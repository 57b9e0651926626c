"""Which return counts for each unit: the latest of a unit's returns (by 填报日期, then file
time); the others are superseded. Pure."""

from __future__ import annotations

import datetime as dt

from pipeline.core.catalogue import ProblemCode
from pipeline.core.problems import make_problem
from pipeline.core.records import Status, Submission
from pipeline.form.registry import Registry

# As the reason of a superseded return only: its own problems stay what they were, and a
# superseded return gets no feedback, so nothing is added to them.
EMITS = (ProblemCode.FILE_SUPERSEDED,)


def settle_duplicates(submissions: list[Submission]) -> None:
    """Mark all but the latest return of each unit as superseded (by 填报日期, then mtime)."""
    by_unit: dict[str, list[Submission]] = {}
    for sub in submissions:
        if sub.unit_code and sub.status is not Status.IGNORED:
            by_unit.setdefault(sub.unit_code, []).append(sub)
    for subs in by_unit.values():
        if len(subs) < 2:
            continue
        latest = max(subs, key=lambda s: (s.submitted or dt.date.min, s.mtime, s.file))
        for sub in subs:
            if sub is not latest:
                sub.status = Status.SUPERSEDED
                sub.reason = make_problem(ProblemCode.FILE_SUPERSEDED, other=latest.file).message


def counting(submissions: list[Submission]) -> dict[str, Submission]:
    """The return that counts for each unit that sent one (accepted or rejected): after
    settle_duplicates there is one per unit code (before it, the first one)."""
    found: dict[str, Submission] = {}
    for sub in submissions:
        if sub.unit_code and sub.status not in (Status.SUPERSEDED, Status.IGNORED):
            found.setdefault(sub.unit_code, sub)
    return found


def accepted(submissions: list[Submission], registry: Registry) -> list[Submission]:
    """Accepted returns in registry order."""
    order = {u.code: n for n, (u, _) in enumerate(registry.tree_order())}
    chosen = [
        s
        for s in submissions
        if s.status in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS) and s.unit_code in order
    ]
    return sorted(chosen, key=lambda s: order[s.unit_code])
