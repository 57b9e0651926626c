"""同比/环比: the consolidated figures against an earlier consolidated workbook of the same
form. Pure: the earlier workbook is read by `previous.py`.

A change larger than the definition's `compare_threshold` (share of the earlier figure) is
flagged 需说明, as official reporting systems ask for an explanation of large changes. A
figure that grew from 0 is flagged too: no percentage describes it. When the definition
changed between the periods, only indicators present in both are compared; the others are
listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.form.model import AGGREGATION_LABEL, Form, Indicator

if TYPE_CHECKING:  # pandas is not loaded for `history`, which reads the archive only
    from pipeline.combine.consolidate import Consolidation

NEEDS_EXPLANATION = "需说明"


@dataclass(frozen=True)
class PreviousPeriod:
    """What an earlier consolidated workbook says: identity and 合计 by indicator code."""

    file: str
    form_id: str
    version: str
    period: str
    totals: dict[str, int | None]
    labels: dict[str, str] = field(default_factory=dict)
    # code -> (label, unit of measure, aggregation label): the 口径 of each figure then
    definitions: dict[str, tuple[str, str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    code: str
    current: int | None
    previous: int | None
    flagged: bool
    redefined: bool = False  # 口径变化: label, unit or aggregation differ; never a 增减%

    @property
    def difference(self) -> int | None:
        if self.current is None or self.previous is None or self.redefined:
            return None
        return self.current - self.previous

    @property
    def ratio(self) -> float | None:
        """增减% as a fraction of the earlier figure; None when it is blank or 0."""
        if self.difference is None or not self.previous:
            return None
        return self.difference / self.previous


@dataclass(frozen=True)
class Comparison:
    previous: PreviousPeriod
    threshold: float
    changes: dict[str, Change]  # code -> change, for indicators present in both periods
    new: list[str]  # codes only in this period's definition
    dropped: list[tuple[str, str]]  # (code, label) only in the earlier workbook

    @property
    def flagged(self) -> list[Change]:
        return [c for c in self.changes.values() if c.flagged]

    @property
    def redefined(self) -> list[Change]:
        return [c for c in self.changes.values() if c.redefined]

    @property
    def version_changed(self) -> bool:
        return bool(self.new or self.dropped)


class CompareError(ValueError):
    """The earlier workbook cannot be compared with this round (message in Chinese)."""


def check_comparable(previous: PreviousPeriod, form: Form) -> None:
    if previous.form_id != form.id:
        raise CompareError(
            f"上期工作簿“{previous.file}”的表样为“{previous.form_id or '未知'}”，"
            f"本期为“{form.id}”，不是同一套报表，无法比较"
        )
    if previous.period == form.period.label:
        raise CompareError(
            f"上期工作簿“{previous.file}”的报告期也是“{form.period.label}”，请选择更早一期的汇总表"
        )


def compare(result: Consolidation, form: Form, previous: PreviousPeriod) -> Comparison:
    check_comparable(previous, form)
    threshold = form.compare_threshold
    numeric = [i for i in form.consolidated_indicators if i.type == "int"]
    changes, new = {}, []
    for ind in numeric:
        if ind.code not in previous.totals:
            new.append(ind.code)
            continue
        current = _int(result.totals[ind.code].value)
        earlier = previous.totals[ind.code]
        if _redefined(ind, previous):
            changes[ind.code] = Change(ind.code, current, earlier, False, redefined=True)
            continue
        changes[ind.code] = Change(ind.code, current, earlier, _flag(current, earlier, threshold))
    codes = {i.code for i in numeric}
    dropped = [(c, previous.labels.get(c, "")) for c in previous.totals if c not in codes]
    return Comparison(previous, threshold, changes, new, dropped)


def _redefined(ind: Indicator, previous: PreviousPeriod) -> bool:
    """The indicator's 口径 changed between the periods (when the earlier one is known)."""
    then = previous.definitions.get(ind.code)
    return then is not None and then != (ind.label, ind.unit, AGGREGATION_LABEL[ind.aggregation])


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _flag(current: int | None, previous: int | None, threshold: float) -> bool:
    if current is None or previous is None:
        return False
    if previous == 0:
        return current != 0
    return abs(current - previous) / previous > threshold
