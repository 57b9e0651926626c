"""The facts the report draft's sentences are built from, and how a sentence is built. Pure.

Generation rules (§6.2 of the indicator reference): zero or blank categories are left out
of enumerations and a whole-zero list becomes “未发生…”; enumerations follow the official
order; plan figures only after “计划”; the period phrase comes from the definition's period;
a per-person minimum (“均在N篇以上”) only when every unit reported it; names are never read,
so never printed (列席人 is always “***”). Every number printed is traced to its indicator
codes. The wording of each section lives in wording.py, the assembly in draft.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.combine.consolidate import Consolidation
from pipeline.form.model import Form, Period
from pipeline.form.registry import Registry

_CODE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


@dataclass(frozen=True)
class Sentence:
    ref: str  # "三-2": section and number, for the trace table
    text: str
    codes: tuple[str, ...]  # indicator codes (or ledger ids) whose figures the text prints


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    sentences: tuple[Sentence, ...]
    table: tuple[tuple[str, str, object, str], ...]  # (code, label, value, unit)


@dataclass(frozen=True)
class Trace:
    ref: str
    code: str
    label: str
    value: object
    aggregation: str
    source: str


@dataclass(frozen=True)
class ReportDraft:
    title: str
    note: str
    sections: tuple[Section, ...]
    traces: tuple[Trace, ...]


def period_phrase(period: Period) -> str:
    """YTD → “截至9月30日” (§6.2 rule 7); every other period by its name (“2022年上半年”,
    “2022年”, “2026年第三季度”, “2026年3月”)."""
    if period.type == "截至某日":
        return f"截至{period.end.month}月{period.end.day}日"
    return period.label


def join_dates(dates: list[str]) -> str:
    """“3月5日、4月2日和6月1日” (§6.2 rule 4)."""
    if len(dates) <= 1:
        return "".join(dates)
    return "、".join(dates[:-1]) + "和" + dates[-1]


class Facts:
    """The consolidated figures, and the bookkeeping of which codes a sentence prints."""

    def __init__(self, form: Form, registry: Registry, result: Consolidation):
        self.form, self.registry, self.result = form, registry, result
        self.root = registry.root
        self.period = period_phrase(form.period)
        self.year = form.period.start.year
        self.printed: list[str] = []  # codes printed by the sentence being built
        self.mentioned: list[str] = []  # codes a section speaks of, printed or not (its table)
        self._positions = {ind.code: n for n, ind in enumerate(form.indicators)}

    def value(self, code: str) -> int | None:
        return self.result.number(code)

    def own(self, code: str) -> object:
        """The office's own (本级) value of a text or yes/no indicator; never a pii field."""
        matrix = self.result.matrix
        if self.root.code not in matrix.index or code not in matrix.columns:
            return None
        value = matrix.at[self.root.code, code]
        return None if value is None or (isinstance(value, float) and pd.isna(value)) else value

    def order(self, code: str) -> int:
        """Definition order (the order of the template), ledgers after indicators."""
        codes = self._positions
        return codes.get(code, len(codes))

    def n(self, code: str) -> int:
        return self.value(code) or 0

    def part(self, template: str, *extras: str | None) -> str | None:
        """The template with its figures, or None when any of them is 0 or blank.

        Extras follow the main text: templates (“（其中…{CODE}次）”), each left out on its
        own when its figures are 0, or plain text. None of them is printed without the main.
        """
        codes = _CODE.findall(template)
        self._mention(codes)
        for extra in extras:
            self._mention(_CODE.findall(extra or ""))
        if not all(self.n(c) for c in codes):
            return None
        text = self._fill(template, codes)
        for extra in extras:
            extra_codes = _CODE.findall(extra or "")
            if extra and all(self.n(c) for c in extra_codes):
                text += self._fill(extra, extra_codes)
        return text

    def _fill(self, template: str, codes: list[str]) -> str:
        self.printed.extend(c for c in codes if c not in self.printed)
        return _CODE.sub(lambda m: str(self.n(m.group(1))), template)

    def join(self, parts: list[str | None], sep: str = "、") -> str | None:
        present = [p for p in parts if p]
        return sep.join(present) if present else None

    def percent(self, part: int, whole: int) -> str:
        return f"{part / whole * 100:.1f}%" if whole else "—"

    def note(self, *codes: str) -> None:
        """Record figures printed in a form `part` cannot express (sums, percentages)."""
        self._mention(codes)
        self.printed.extend(c for c in codes if c not in self.printed)

    def _mention(self, codes) -> None:
        self.mentioned.extend(c for c in codes if c not in self.mentioned)


class SectionBuilder:
    def __init__(self, facts: Facts, number: str):
        self.facts, self.number = facts, number
        self.sentences: list[Sentence] = []
        facts.mentioned = []
        facts.printed = []

    def add(
        self,
        lead: str,
        parts: Sequence[str | None],
        sep: str = "，",
        end: str = "。",
        empty: str | None = None,
    ) -> None:
        """lead + parts + end; `empty` (or nothing) when every part is left out."""
        present = [p for p in parts if p]
        if present:
            text = lead + sep.join(present) + end
        elif empty:
            text = empty
        else:
            self.facts.printed = []
            return
        ref = f"{self.number}-{len(self.sentences) + 1}"
        codes = sorted(self.facts.printed, key=self.facts.order)
        self.sentences.append(Sentence(ref, text, tuple(codes)))
        self.facts.printed = []

    def section(self, title: str) -> Section:
        form = self.facts.form
        table = tuple(
            (c, form.indicator(c).label, self.facts.value(c), form.indicator(c).unit)
            for c in sorted(self.facts.mentioned, key=self.facts.order)
            if form.has_indicator(c)
        )
        return Section(self.number, title, tuple(self.sentences), table)
