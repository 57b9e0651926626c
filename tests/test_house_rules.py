"""House rules that no linter checks: how long a module and a function of pipeline/ may be.

A module has at most 400 lines. A function has at most 60, counted from its `def` to its last
line (decorators are not counted: a click command's options are not its body), unless the line
just above it, or above its decorators, is a comment `# long: <the reason>`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON = "# long:"


def _modules() -> list[Path]:
    return sorted(PIPELINE.rglob("*.py"))


def long_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, line of its def, lines) of each function over the limit without a reason."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        above = lines[first - 2].strip() if first >= 2 else ""
        excused = above.startswith(REASON) and above.removeprefix(REASON).strip()
        if length > MAX_FUNCTION_LINES and not excused:
            found.append((node.name, node.lineno, length))
    return found


def test_no_module_is_over_400_lines() -> None:
    sizes = {
        str(path.relative_to(PIPELINE.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in _modules()
    }
    assert len(sizes) > 50  # the package was found
    assert {path: n for path, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_is_over_60_lines_without_a_reason() -> None:
    too_long = {
        f"{path.relative_to(PIPELINE.parent)}:{line} {name}": length
        for path in _modules()
        for name, line, length in long_functions(path.read_text(encoding="utf-8"))
    }
    assert too_long == {}


def test_a_long_function_is_found_and_excused_only_by_a_reason() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    function = "def f():\n" + body  # 61 lines
    assert long_functions(function) == [("f", 1, 61)]
    assert long_functions("def f():\n" + body[body.index("\n") + 1 :]) == []  # 60 lines
    assert long_functions("# long: a table of cases, one line each\n" + function) == []
    assert long_functions("# long:\n" + function) == [("f", 2, 61)]  # no reason given
    decorated = "# long: one branch per node type\n@cache\n@wraps(g)\n" + function
    assert long_functions(decorated) == []
    assert long_functions("@cache\n# long: too late\n" + function) == [("f", 3, 61)]
    nested = "class C:\n" + "".join(f"    {line}\n" for line in function.splitlines())
    assert long_functions(nested) == [("f", 2, 61)]
