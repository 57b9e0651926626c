"""The problem catalogue: every code is described, emitted by some module and asserted by some
test; groups are tags, never lists of codes; no code is written as a bare string.

Requirements:
  C1 every code has a Chinese title and description, and its template formats with dummy
     values for exactly the keywords it names;
  C2 every code is declared in the EMITS of a module that names it (ProblemCode.X) in its
     source, and every module that names a code declares it;
  C3 every code is asserted by a test: `ProblemCode.X` appears in a test module other than
     this one;
  C4 pipeline/ writes no code as a string literal (outside the catalogue itself);
  C5 every tag is carried by some code, and the groups the rest of the program relies on
     are exactly these codes.
"""

from __future__ import annotations

import importlib
import re
import string
from pathlib import Path

import pytest

from pipeline.core.catalogue import CODE_TABLE_HEADERS, ProblemCode, Severity, Tag, code_table
from pipeline.core.problems import Problem, make_problem
from tests.support.paths import ROOT

PIPELINE = ROOT / "pipeline"
TESTS = ROOT / "tests"
CATALOGUE = PIPELINE / "core" / "catalogue.py"
NAMED = re.compile(r"\bProblemCode\.([A-Z][A-Z_]*)\b")


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def sources(folder: Path, *leave_out: Path) -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*.py"))
        if path not in leave_out
    }


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


# C1


@pytest.mark.parametrize("code", list(ProblemCode), ids=lambda c: c.name)
def test_every_code_is_described(code: ProblemCode) -> None:
    assert re.fullmatch(r"[A-Z]+(_[A-Z]+)+", code.name)
    assert has_chinese(code.title) and len(code.title) <= 12
    assert has_chinese(code.description) and code.description.endswith("。")
    assert not code.template.endswith("。")  # a sentence may follow it (reason, 等 N 处错误)
    assert code.tags and all(isinstance(tag, Tag) for tag in code.tags)
    assert isinstance(code.severity, Severity)


@pytest.mark.parametrize("code", list(ProblemCode), ids=lambda c: c.name)
def test_every_template_formats_with_the_keywords_it_names(code: ProblemCode) -> None:
    fields = [f for _, f, spec, conv in string.Formatter().parse(code.template) if f is not None]
    assert all(re.fullmatch(r"[a-z]+", f) for f in fields), fields  # no {0}, {x.y}, {x[0]}
    context = {name: f"<{name}>" for name in fields}
    severity = Severity.WARNING if Tag.RULE_SEVERITY in code.tags else None
    problem = make_problem(code, severity=severity, **context)
    assert all(f"<{name}>" in problem.message for name in fields)
    assert "{" not in problem.message and "}" not in problem.message
    if fields:
        with pytest.raises(KeyError):
            make_problem(code, severity=severity)


def test_only_a_rule_says_its_own_severity() -> None:
    assert {c for c in ProblemCode if Tag.RULE_SEVERITY in c.tags} == {
        ProblemCode.RULE_FAILED,
        ProblemCode.ROW_RULE_FAILED,
    }
    with pytest.raises(ValueError, match="fixed severity"):
        make_problem(ProblemCode.RULE_SCOPE_NOTE, severity=Severity.ERROR, message="m", detail="d")
    ruled = make_problem(
        ProblemCode.RULE_FAILED, severity=Severity.WARNING, message="m", detail="d"
    )
    assert ruled.severity is Severity.WARNING


def test_a_problem_holds_the_member_and_refuses_an_unknown_code() -> None:
    assert Problem("TABLES_LOST", Severity.WARNING, "m").code is ProblemCode.TABLES_LOST
    with pytest.raises(KeyError):
        Problem("TABLE_LOST", Severity.WARNING, "m")


def test_the_code_table_lists_every_code_for_the_clerk() -> None:
    table = code_table()
    assert CODE_TABLE_HEADERS == ("问题代码", "严重程度", "名称", "说明")
    assert [row[0] for row in table] == [c.name for c in ProblemCode]
    assert {row[1] for row in table} == {"错误", "警告", "错误或警告（按审核规则）"}
    assert all(has_chinese(row[2]) and has_chinese(row[3]) for row in table)


# C2


def emitting_modules() -> dict[str, tuple[set[str], tuple[ProblemCode, ...]]]:
    """module -> (codes its source names, its EMITS), for every module naming a code."""
    found = {}
    for path, text in sources(PIPELINE, CATALOGUE).items():
        named = set(NAMED.findall(text))
        if named:
            module = importlib.import_module(module_name(path))
            found[module.__name__] = (named, getattr(module, "EMITS", None))
    return found


def test_every_module_naming_a_code_declares_what_it_emits() -> None:
    for module, (named, emits) in emitting_modules().items():
        assert emits is not None, f"{module} names {sorted(named)} but has no EMITS"
        assert all(isinstance(code, ProblemCode) for code in emits), module
        assert named <= {code.name for code in emits}, module


def test_every_code_is_emitted_by_a_module_that_names_it() -> None:
    emitted = set()
    for named, emits in emitting_modules().values():
        emitted |= named & {code.name for code in emits}
    assert sorted(c.name for c in ProblemCode if c.name not in emitted) == []


# C3


def test_every_code_is_asserted_by_some_test() -> None:
    named = set()
    for text in sources(TESTS, Path(__file__).resolve()).values():
        named |= set(NAMED.findall(text))
    assert sorted(c.name for c in ProblemCode if c.name not in named) == []


# C4


def test_no_code_is_written_as_a_string_in_the_program() -> None:
    names = "|".join(c.name for c in ProblemCode)
    quoted = re.compile(rf"""["']({names})["']""")
    found = [
        f"{path.relative_to(ROOT)}: {match[1]}"
        for path, text in sources(PIPELINE, CATALOGUE).items()
        for match in quoted.finditer(text)
    ]
    assert found == []


# C5


def tagged(tag: Tag) -> set[ProblemCode]:
    return {code for code in ProblemCode if tag in code.tags}


def test_every_tag_is_carried_by_some_code() -> None:
    assert [tag for tag in Tag if not tagged(tag)] == []


def test_the_groups_the_program_relies_on() -> None:
    # Feedback cannot mark a copy of a file that was not read as the template.
    assert tagged(Tag.NO_COPY) == {
        ProblemCode.FILE_UNREADABLE,
        ProblemCode.FILE_WRONG_FORMAT,
        ProblemCode.FORM_NOT_TEMPLATE,
        ProblemCode.FORM_WRONG_ID,
    }
    assert tagged(Tag.NO_FEEDBACK) == {ProblemCode.FILE_WRONG_FORMAT}
    # 催报 asks a unit to explain a rule warning, never a scope note or a value read loosely.
    assert tagged(Tag.NEEDS_EXPLANATION) == {ProblemCode.RULE_FAILED, ProblemCode.ROW_RULE_FAILED}
    assert tagged(Tag.SCOPE_NOTE) == {ProblemCode.RULE_SCOPE_NOTE}
    assert tagged(Tag.COERCED) == {
        ProblemCode.VALUE_COERCED,
        ProblemCode.CHOICE_COERCED,
        ProblemCode.DATE_COERCED,
    }
    assert all(code.severity is Severity.WARNING for code in tagged(Tag.COERCED))
    assert not tagged(Tag.FILE) & tagged(Tag.CELL)
