"""A unit's submissions for a period, from the archive: when each arrived, its file, what the
last run made of it, and what it changed against the one before."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.combine.changes import Change, changes
from pipeline.form.model import Form
from pipeline.run.archive import Archive, Sighting


@dataclass
class Submitted:
    """One distinct return of a unit (its latest sighting's verdict)."""

    ordinal: int
    received: str
    file: str
    sha256: str
    status: str
    counted: bool  # counted in the period's latest run
    errors: int
    warnings: int
    reason: str
    changes: list[Change] = field(default_factory=list)  # against the one before


def history(
    archive: Archive, form: Form, period: str, unit: str | None = None
) -> dict[str, list[Submitted]]:
    """unit -> its returns for the period, oldest first (one unit when `unit` is given)."""
    latest: dict[tuple[str, str], Sighting] = {}
    first: dict[tuple[str, str], str] = {}
    seen = archive.sightings(form.id, period, unit)
    last_run = max((s.run_id for s in seen), default=0)  # "counted": in the latest run
    for sighting in seen:
        if not sighting.unit or not sighting.sha256 or sighting.status == "ignored":
            continue
        key = (sighting.unit, sighting.sha256)
        first.setdefault(key, sighting.seen)
        latest[key] = sighting
    found: dict[str, list[Submitted]] = {}
    for (code, sha256), sighting in latest.items():
        returns = found.setdefault(code, [])
        errors = sum(1 for p in sighting.problems if p.get("severity") == "error")
        returns.append(Submitted(len(returns) + 1, first[(code, sha256)], sighting.name, sha256,
                                 sighting.status, sighting.counted and sighting.run_id == last_run,
                                 errors,
                                 len(sighting.problems) - errors, sighting.reason))  # fmt: skip
    for returns in found.values():
        for before, after in zip(returns, returns[1:], strict=False):
            earlier, later = archive.submission(before.sha256), archive.submission(after.sha256)
            after.changes = changes(form, earlier, later, after.ordinal)
    return found
