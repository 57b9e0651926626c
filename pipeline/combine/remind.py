"""催报: registered units still owing the office something, each with a ready-to-send
message. Pure: the 催报 sheet and 催报清单.txt are written by the callers.

A unit is listed when its return is missing, when its counting return was rejected, or when
it was accepted with rule warnings (请核实, tag needs-explanation) that the unit has not
explained. Warnings about how a value was read (“12人” read as 12) ask for nothing and do not
list a unit, nor do the scope notes a 上报 return gets at the next level (RULE_SCOPE_NOTE).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.combine.select import counting
from pipeline.core.catalogue import Severity, Tag
from pipeline.core.problems import Problem
from pipeline.core.records import Status, Submission
from pipeline.form.model import Form
from pipeline.form.registry import Registry, Unit

MISSING, REJECTED, TO_EXPLAIN = "未报送", "退回修改", "警告需说明"
SHOWN_PROBLEMS = 5  # problems quoted in one message; the rest are counted


@dataclass(frozen=True)
class Reminder:
    unit: Unit
    parent: str
    situation: str  # MISSING / REJECTED / TO_EXPLAIN
    file: str
    problems: tuple[Problem, ...]
    message: str


@dataclass(frozen=True)
class _Sender:
    """Who writes the reminders, about which form, on which day: one for all of a run's."""

    form: Form
    root: Unit
    today: dt.date


def reminders(
    form: Form, registry: Registry, submissions: list[Submission], today: dt.date
) -> list[Reminder]:
    """One reminder per registered unit that needs one, in registry order."""
    counted = counting(submissions)
    found = []
    sender = _Sender(form, registry.root, today)
    for unit, _ in registry.tree_order():
        if unit.code == sender.root.code:
            continue  # the office does not remind itself
        sub = counted.get(unit.code)
        parent = registry.by_code(unit.parent)
        parent_name = parent.name if parent else ""
        if sub is None:
            found.append(_reminder(sender, unit, parent_name, MISSING, None, ()))
        elif sub.status is Status.REJECTED:
            errors = tuple(p for p in sub.problems if p.severity is Severity.ERROR)
            found.append(_reminder(sender, unit, parent_name, REJECTED, sub, errors))
        else:
            asks = tuple(
                p
                for p in sub.problems
                if p.severity is Severity.WARNING and Tag.NEEDS_EXPLANATION in p.code.tags
            )
            if asks:
                found.append(_reminder(sender, unit, parent_name, TO_EXPLAIN, sub, asks))
    return found


def _reminder(
    sender: _Sender,
    unit: Unit,
    parent: str,
    situation: str,
    sub: Submission | None,
    problems: tuple[Problem, ...],
) -> Reminder:
    file = sub.file if sub else ""
    message = _message(sender, unit, situation, file, problems)
    return Reminder(unit, parent, situation, file, problems, message)


def _message(
    sender: _Sender, unit: Unit, situation: str, file: str, problems: tuple[Problem, ...]
) -> str:
    form, root, today = sender.form, sender.root, sender.today
    greeting = f"{unit.contact}同志：您好！" if unit.contact else f"{unit.name}：您好！"
    subject = f"《{form.title}》（{form.period.label}）"
    if situation == MISSING:
        body = (
            f"{root.name}正在汇总{subject}，截至{today.month}月{today.day}日尚未收到贵单位的报表。"
            "请按下发的模板填报，经审核后尽快报送。"
        )
    elif situation == REJECTED:
        body = (
            f"贵单位报送的{subject}（文件“{file}”）审核未通过，有 {len(problems)} 处错误需要修改："
            f"{_listed(problems)}请逐项修改后整份重新报送。"
        )
    else:
        body = (
            f"贵单位报送的{subject}（文件“{file}”）已接收，但有 {len(problems)} 处数据需要核实："
            f"{_listed(problems)}请核实后回复说明；如数据有误，请修改后整份重新报送。"
        )
    contact = f"联系人：{root.contact}，电话：{root.phone}。" if root.contact else ""
    return f"{greeting}{body}{contact}谢谢！——{root.name}"


def _listed(problems: tuple[Problem, ...]) -> str:
    lines = []
    for number, problem in enumerate(problems[:SHOWN_PROBLEMS], start=1):
        where = f"“{problem.sheet}”表 {problem.cell}：" if problem.sheet and problem.cell else ""
        lines.append(f"{number}. {where}{problem.message.rstrip('。')}；")
    more = (
        f"另有 {len(problems) - SHOWN_PROBLEMS} 处，详见反馈。"
        if len(problems) > SHOWN_PROBLEMS
        else ""
    )
    return "".join(lines) + more


def reminder_text(form: Form, registry: Registry, found: list[Reminder], today: dt.date) -> str:
    """催报清单.txt: one block per unit, the message ready to copy into a chat or SMS."""
    head = [
        f"{form.title}（{form.period.label}）催报清单",
        f"{registry.root.name}，{today.isoformat()} 生成，共 {len(found)} 个单位需要催报或核实。",
        "",
    ]
    if not found:
        return "\n".join(head + ["全部报送单位均已报送且无需核实的问题。", ""])
    blocks = []
    for number, item in enumerate(found, start=1):
        blocks += [
            f"{number}. {item.unit.name}（{item.unit.code}） {item.situation}",
            f"   联系人：{item.unit.contact or '（名单中未填）'}  电话：{item.unit.phone or '（名单中未填）'}",
            f"   消息：{item.message}",
            "",
        ]
    return "\n".join(head + blocks)
