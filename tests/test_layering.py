"""Import rules: the pure core never touches Excel libraries or click; only the CLI uses click."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
EXCEL_OR_CLI = {"openpyxl", "xlsxwriter", "click", "docx"}
PURE = [
    "problems",
    "rules",
    "definition",
    "registry",
    "submission",
    "normalize",
    "validate",
    "consolidate",
    "sample",
    "extract",
    "filenames",
    # 层层汇总, checks, comparison, charts data, report text, 催报: pure logic of issue 5
    "rollup",
    "reconcile",
    "compare",
    "dashboard",
    "report",
    "report_text",
    "remind",
]
ONLY_HERE = {
    "openpyxl": {"fill", "feedback", "previous", "registry_file"},
    "xlsxwriter": {"template", "write", "share", "registry_book"},
    "click": {"cli"},
    "xlrd": {"xls_reader"},
    "pebble": {"workers"},
    "docx": {"report_docx"},  # python-docx
}


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(
                "." + (node.module or "") if node.level else (node.module or "").split(".")[0]
            )
    return found


def local_closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(name[1:] for name in imports_of(current) if name.startswith("."))
    return seen


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_never_import_excel_or_click(module: str) -> None:
    for dependency in local_closure(module):
        assert not imports_of(dependency) & EXCEL_OR_CLI, f"{module} reaches {dependency}"


@pytest.mark.parametrize("library", sorted(ONLY_HERE))
def test_each_io_library_has_its_own_modules(library: str) -> None:
    users = {p.stem for p in PACKAGE.glob("*.py") if library in imports_of(p.stem)}
    assert users <= ONLY_HERE[library]
