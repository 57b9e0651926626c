"""Which return counts for each unit: the latest of a unit's returns (by 填报日期, then file
time); the others are superseded. Pure."""

from __future__ import annotations

import datetime as dt

from pipeline.core.records import Status, Submission
from pipeline.form.registry import Registry


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
                sub.reason = f"本单位另有较新的报表“{latest.file}”，本文件不参与汇总"


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
