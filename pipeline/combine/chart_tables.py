"""The figures behind the 图表 sheet, as small tables. Pure: `charts.py` draws them.

Each table is (title, column headers, rows); the first column holds the categories.
Categories follow the official order of the code lists (§3), never the order of size, except
the ranking of units.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.combine.consolidate import Consolidation
from pipeline.combine.select import counting
from pipeline.core.records import Status, Submission
from pipeline.form.categories import FORMS, GOV_LABELS, PARTY_LABELS
from pipeline.form.model import Form
from pipeline.form.registry import Registry

TOP_UNITS = 10


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]  # (category, value, value...)


def reporting_status(registry: Registry, submissions: list[Submission]) -> Table:
    """Registered units by the status of the return that counts for them."""
    groups = {
        Status.ACCEPTED: "已接收",
        Status.ACCEPTED_WITH_WARNINGS: "已接收（有警告）",
        Status.REJECTED: "退回（有错误）",
    }  # a unit without a return, or whose return counts as none of these: 未报送
    group = {code: groups.get(sub.status, "未报送") for code, sub in counting(submissions).items()}
    counts = {"已接收": 0, "已接收（有警告）": 0, "退回（有错误）": 0, "未报送": 0}
    for unit in registry.units:
        counts[group.get(unit.code, "未报送")] += 1
    return Table("报送情况（单位数）", ("报送状态", "单位数"), tuple(counts.items()))


PARTY = tuple(code for code, _ in PARTY_LABELS)  # official order, as in the report draft
GOVERNMENT = tuple(code for code, _ in GOV_LABELS)


def sanctions(result: Consolidation, form: Form) -> Table:
    """党纪处分 then 政务（及其他）处分, each kind in the official order (§3.1, §3.2)."""
    rows = [(f"党纪·{_kind(form, c)}", _total(result, c)) for c in PARTY if form.has_indicator(c)]
    rows += [
        (f"政务·{_kind(form, c)}", _total(result, c)) for c in GOVERNMENT if form.has_indicator(c)
    ]
    return Table("党纪处分和政务处分（按种类，人）", ("处分种类", "人数"), tuple(rows))


def _kind(form: Form, code: str) -> str:
    return form.indicator(code).label.split("：")[-1].split("（")[0]


def four_forms(result: Consolidation, form: Form) -> Table:
    rows = tuple(
        (form.indicator(c).label.removeprefix("运用"), _total(result, c))
        for c in FORMS
        if form.has_indicator(c)
    )
    return Table("监督执纪“四种形态”（人次）", ("形态", "人次"), rows)


def issues_by_source(result: Consolidation, form: Form) -> Table:
    """Rows of the 问题整改台账 by source: found, and of those rectified (已完成)."""
    frame = result.ledgers.get("ISSUES", pd.DataFrame(columns=["source", "status"]))
    sources = form.code_lists.get("问题来源", ())
    rows = tuple(
        (
            source,
            int((frame["source"] == source).sum()),
            int(((frame["source"] == source) & (frame["status"] == "已完成")).sum()),
        )
        for source in sources
    )
    return Table("发现问题和已整改问题（按来源，个）", ("问题来源", "发现问题", "已整改"), rows)


def top_units(result: Consolidation, registry: Registry, limit: int = TOP_UNITS) -> Table:
    """Units with the most problems in their 问题整改台账 (ties in registry order)."""
    frame = result.ledgers.get("ISSUES", pd.DataFrame(columns=["单位编码", "status"]))
    found = frame["单位编码"].value_counts().to_dict()
    done = frame.loc[frame["status"] == "已完成", "单位编码"].value_counts().to_dict()
    ranked = [
        (-found[unit.code], order, unit.name, found[unit.code], done.get(unit.code, 0))
        for order, (unit, _) in enumerate(registry.tree_order())
        if found.get(unit.code)
    ]
    rows = tuple((name, found, done) for _, _, name, found, done in sorted(ranked)[:limit])
    return Table(f"发现问题最多的单位（前{limit}位，个）", ("单位", "发现问题", "已整改"), rows)


def _total(result: Consolidation, code: str) -> int:
    return result.number(code) or 0
