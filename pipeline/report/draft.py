"""The report draft assembled: each section of the wording filled from the facts, then the
trace of every figure (indicator code, how it is summed, where it came from). Pure."""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.combine.consolidate import Consolidation
from pipeline.form.model import AGGREGATION_LABEL, Form
from pipeline.form.registry import Registry
from pipeline.report.facts import Facts, ReportDraft, Section, SectionBuilder, Trace
from pipeline.report.wording import SECTIONS


def build_report(
    form: Form,
    registry: Registry,
    result: Consolidation,
    cells: dict[str, str],
    explanations: Mapping[str, list[str]] | None = None,
) -> ReportDraft:
    """`cells`: indicator code -> where units type it (“二 学习教育!E12”), for the trace;
    `explanations`: code -> the units' 变动说明 of the figure (“临江市供水集团：…”)."""

    facts = Facts(form, registry, result)
    titles = {s.id: s.title for s in form.statistics_sections}
    sections = []
    for section_id, number, write in SECTIONS:
        builder = SectionBuilder(facts, number)
        write(facts, builder)
        sections.append(builder.section(titles.get(section_id, number)))
    accepted = len(result.units)
    title = f"{registry.root.name}{form.period.label}党风廉政建设和监督责任落实情况（统计部分）"
    note = (
        f"本稿由汇总程序根据 {accepted} 个单位已接收的报表（共 {len(registry.units)} 个报送单位）"
        f"自动生成，数字为{facts.period}全系统合计（注明“本级”的为{registry.root.name}本级数据），"
        "为0的项目已略去。请在此基础上补充工作情况和评价后使用；文末附数字来源表。"
    )
    return ReportDraft(
        title,
        note,
        tuple(sections),
        tuple(_traces(form, result, sections, cells, explanations or {})),
    )


def _traces(  # noqa: PLR0913 - the draft's parts and the two lookups of the trace
    form: Form,
    result: Consolidation,
    sections: list[Section],
    cells: dict[str, str],
    explanations: Mapping[str, list[str]],
):
    for section in sections:
        for sentence in section.sentences:
            for code in sentence.codes:
                if not form.has_indicator(code):
                    ledger = form.ledger(code)
                    yield Trace(
                        sentence.ref,
                        code,
                        ledger.title,
                        "",
                        "台账明细",
                        f"各单位“{ledger.sheet}”表",
                    )
                    continue
                ind = form.indicator(code)
                total = result.totals[code]
                where = f"，模板“{cells[code]}”" if code in cells else ""
                if explanations.get(code):  # why units say it moved against last period
                    where += "；变动说明：" + "；".join(explanations[code])
                yield Trace(
                    sentence.ref,
                    code,
                    ind.label,
                    total.value,
                    AGGREGATION_LABEL[ind.aggregation],
                    f"{total.reporting} 个单位填报{where}",
                )
