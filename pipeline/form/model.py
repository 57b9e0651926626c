"""The form definition as frozen dataclasses: periods, sections, indicators, ledgers, rules.

Built from the YAML by load.py and checked by check.py; every problem found is listed in one
DefinitionError, in Chinese, because the clerk may be the one who edited the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from pipeline.form.expr import Expr
from pipeline.form.registry import Registry

TYPES = {"int", "text", "date", "bool", "choice"}
AGGREGATIONS = {"sum", "max", "min", "self", "none"}
AGGREGATION_LABEL = {
    "sum": "求和",
    "max": "取最大值",
    "min": "取最小值",
    "self": "仅本级",
    "none": "不汇总",
}
SEVERITIES = {"error", "warning"}
# 期别: what form/period.py derives from a period's name (its 期别 code list must hold them).
PERIOD_TYPES = ("全年", "上半年", "下半年", "第一季度", "第二季度", "第三季度", "第四季度", "月度",
                "截至某日")  # fmt: skip
# Period comparison: a change larger than this share of the previous figure needs an
# explanation (需说明), as official reporting systems require. Overridden in form.yaml.
DEFAULT_COMPARE_THRESHOLD = 0.2
REGISTRY_LISTS = {"UNITS", "UNITS_CODE"}  # choice lists built from the unit registry
BOOL_CHOICES = ("是", "否")
# The ledger column that names the unit a row came from, in a 上报 return (层层汇总).
ORIGIN_UNIT_COLUMN = "origin_unit"
# Cover fields the template presets for the round (the units never fill them).
COVER_COUNTS_TITLE = "基本情况"
PRESET_COVER = frozenset({"PERIOD", "PERIOD_TYPE", "PERIOD_START", "PERIOD_END"})
# A unit's own template names the unit it was made for; a return from it must be that unit's.
TEMPLATE_UNIT = "TEMPLATE_UNIT"
# Names on the cover that say which form (and, in a unit's own file, which unit) a return is.
IDENTITY_NAMES = ("FORM_ID", "FORM_VERSION", TEMPLATE_UNIT)
IDENTITY_LABELS = {"FORM_ID": "表样标识", "FORM_VERSION": "表样版本", TEMPLATE_UNIT: "下发单位编码"}
# A unit's own template has, beside each figure, a cell named EXPLAIN_<code> for the reason a
# figure moved against last period (变动说明); the pipeline reads it into Submission.explanations.
EXPLANATION_PREFIX = "EXPLAIN_"


class DefinitionError(ValueError):
    """The definition or registry is invalid; `problems` lists every finding."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source} 有 {len(problems)} 处错误：\n" + "\n".join(problems))


@dataclass(frozen=True)
class Period:
    label: str
    type: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class LegalMarks:
    """法定标识: what the 统计法 requires on a statistical survey form, printed at the top of
    the cover and of every section sheet."""

    table_number: str  # 表号
    made_by: str  # 制定机关
    approved_by: str  # 批准机关 (or 备案机关)
    approval_kind: str  # 批准文号 or 备案号
    approval_number: str
    valid_until: dt.date  # 有效期至

    def lines(self) -> tuple[str, ...]:
        return (
            f"表号：{self.table_number}",
            f"制定机关：{self.made_by}",
            f"{'备案机关' if self.approval_kind == '备案号' else '批准机关'}：{self.approved_by}",
            f"{self.approval_kind}：{self.approval_number}",
            f"有效期至：{self.valid_until.year}年{self.valid_until.month}月{self.valid_until.day}日",
        )


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    section: str
    unit: str = ""
    type: str = "int"
    aggregation: str = "sum"
    required: bool = True
    min: int | None = None
    max: int | None = None
    group: str = ""
    note: str = ""
    choices: str = ""
    derived: Expr | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """Codes a derived total adds up."""
        return self.derived.names if self.derived else ()


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    sheet: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str = "text"
    required: bool = False
    pii: bool = False
    choices: str = ""
    multi: bool = False
    in_period: bool = False
    min: int | None = None
    max: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    expr: Expr
    severity: str
    message: str
    anchor: str = ""


@dataclass(frozen=True)
class Ledger:
    id: str
    title: str
    sheet: str
    columns: tuple[Column, ...]
    note: str = ""
    row_rules: tuple[Rule, ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Form:
    id: str
    version: str
    title: str
    period: Period
    instructions: tuple[str, ...]
    code_lists: dict[str, tuple[str, ...]]
    sections: tuple[Section, ...]
    ledgers: tuple[Ledger, ...]
    rules: tuple[Rule, ...]
    compare_threshold: float = DEFAULT_COMPARE_THRESHOLD
    legal: LegalMarks | None = None
    _by_code: dict[str, Indicator] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_code.update({i.code: i for s in self.sections for i in s.indicators})

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for s in self.sections for i in s.indicators)

    @cached_property
    def return_names(self) -> frozenset[str]:
        """Every defined name a return's reader looks for: the indicators, the identity
        names and each figure's 变动说明 (a unit's own template)."""
        explained = {EXPLANATION_PREFIX + i.code for i in self.statistics_indicators
                     if i.type == "int"}  # fmt: skip
        return frozenset({i.code for i in self.indicators} | set(IDENTITY_NAMES) | explained)

    @cached_property
    def choice_keys(self) -> frozenset[str]:
        """Ledger columns whose values come from a code list: 230,000 rows at 10,000 units
        repeat a handful of texts, kept once each by the process that holds every return."""
        return frozenset(c.key for lg in self.ledgers for c in lg.columns if c.choices)

    @property
    def cover(self) -> Section:
        return self.sections[0]

    @property
    def statistics_sections(self) -> tuple[Section, ...]:
        return self.sections[1:]

    @property
    def statistics_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for s in self.statistics_sections for i in s.indicators)

    @cached_property
    def cover_counts(self) -> Section:
        """The cover's counts that add up across units (在职人数, 党员数…): consolidated with
        the statistics, shown first in 汇总 and 分单位 as 基本情况."""
        counts = tuple(
            i for i in self.cover.indicators if i.type == "int" and i.aggregation == "sum"
        )
        return Section("cover_counts", COVER_COUNTS_TITLE, self.cover.sheet, counts)

    @cached_property
    def consolidated_sections(self) -> tuple[Section, ...]:
        """What consolidation adds up: the cover's counts, then every statistics section."""
        return (self.cover_counts, *self.statistics_sections)

    @cached_property
    def consolidated_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for s in self.consolidated_sections for i in s.indicators)

    def indicator(self, code: str) -> Indicator:
        return self._by_code[code]

    def has_indicator(self, code: str) -> bool:
        return code in self._by_code

    def derived_value(self, code: str, values: Mapping[str, object]) -> int | None:
        """A derived total from the entered values (totals of totals included).

        Totals are recomputed, never read: a formula cell's cached value may be stale. Blank
        parts count as 0; a total with every part blank is blank.
        """
        parts = [
            self.derived_value(p, values) if self._by_code[p].derived else values.get(p)
            for p in self._by_code[code].parts
        ]
        present = [p for p in parts if isinstance(p, int)]
        return sum(present) if present else None

    def ledger(self, ledger_id: str) -> Ledger:
        return next(lg for lg in self.ledgers if lg.id == ledger_id)

    def section_of(self, code: str) -> Section:
        section_id = self._by_code[code].section
        return next(s for s in self.sections if s.id == section_id)


def choices_for(form: Form, name: str, registry: Registry | None) -> tuple[str, ...]:
    """The values of a choice list, including the registry-backed lists."""
    if name == "UNITS":
        return tuple(u.name for u in registry.units) if registry else ()
    if name == "UNITS_CODE":
        return tuple(u.code for u in registry.units) if registry else ()
    return form.code_lists.get(name, ())
