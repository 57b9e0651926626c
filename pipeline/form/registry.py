"""The unit registry: who reports to whom, built from the rows of a sheet and checked.

Pure: rows in, a Registry and a list of Chinese problems out. Reading a file (CSV or xlsx)
is registry_file.py's job, writing the editable workbook registry_book.py's. Every problem
is one sentence that names the row as the clerk sees it in Excel (the header is row 1) and
says how to fix it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

# The header, in the order the workbook is written; the first three are required.
HEADER = ("单位编码", "单位名称", "上级单位编码", "联系人", "联系电话")
REQUIRED = HEADER[:3]
FIELDS = dict(zip(HEADER, ("code", "name", "parent", "contact", "phone"), strict=True))
HEADER_TEXT = "、".join(HEADER)
# CSV encodings tried in this order: Excel's "CSV UTF-8" (with BOM), plain UTF-8, then what
# Excel's plain "CSV" is on a Chinese Windows (GBK, a subset of GB18030).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    parent: str = ""
    contact: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Registry:
    units: tuple[Unit, ...]

    def by_code(self, code: str) -> Unit | None:
        return self._by_code.get(code)

    def unit(self, code: str) -> Unit:
        """The unit of a code the registry holds (a parent, say); KeyError for any other."""
        return self._by_code[code]

    def by_name(self, name: str) -> Unit | None:
        return self._by_name.get(name)

    @cached_property
    def _by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in reversed(self.units)}  # the first of duplicates wins

    @cached_property
    def _by_name(self) -> dict[str, Unit]:
        return {u.name: u for u in reversed(self.units)}

    @property
    def root(self) -> Unit:
        """The consolidating office: the unit without a parent."""
        return next(u for u in self.units if not u.parent)

    def children(self, code: str) -> list[Unit]:
        return self._children_by_parent.get(code, [])

    @cached_property
    def _children_by_parent(self) -> dict[str, list[Unit]]:
        found: dict[str, list[Unit]] = {}
        for unit in self.units:
            found.setdefault(unit.parent, []).append(unit)
        return found

    def tree_order(self) -> list[tuple[Unit, int]]:
        """Units depth-first from the root, children in file order, with their depth."""
        ordered: list[tuple[Unit, int]] = []

        def visit(unit: Unit, depth: int) -> None:
            ordered.append((unit, depth))
            for child in self.children(unit.code):
                visit(child, depth + 1)

        visit(self.root, 0)
        return ordered

    def descendants(self, code: str) -> list[str]:
        """The unit itself and every unit below it."""
        found = [code]
        for child in self.children(code):
            found.extend(self.descendants(child.code))
        return found


# Rows -> Registry

Row = tuple[int, Sequence[object]]  # (row number as Excel shows it, cell values)


def cell_text(value: object) -> str:
    """A cell as the text it stands for: a code typed as 101 is "101", not 101.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def registry_from_rows(rows: Iterable[Row]) -> tuple[Registry, list[str]]:
    """The registry of a sheet whose first non-blank row is the header, and its problems.

    Columns are found by their header text (any order; other columns are ignored); blank
    rows are skipped; every value is trimmed.
    """
    texts = ((number, [cell_text(v) for v in values]) for number, values in rows)
    filled = [(number, cells) for number, cells in texts if any(cells)]
    if not filled:
        return Registry(()), [
            f"单位名单是空的：第 1 行应为表头（{HEADER_TEXT}），从第 2 行起每行填写一个单位。"
        ]
    (header_row, header), body = filled[0], filled[1:]
    problems = list(_header_problems(header_row, header))
    if problems:
        return Registry(()), problems
    columns = {field: header.index(title) for title, field in FIELDS.items() if title in header}
    units = tuple(
        Unit(**{field: cells[i] if i < len(cells) else "" for field, i in columns.items()})
        for _, cells in body
    )
    if not units:
        return Registry(()), [
            f"单位名单中没有单位：请从第 {header_row + 1} 行起每行填写一个单位（{HEADER_TEXT}）。"
        ]
    registry = Registry(units)
    return registry, check_registry(registry, [number for number, _ in body])


def _header_problems(row: int, header: list[str]) -> Iterable[str]:
    missing = [title for title in REQUIRED if title not in header]
    if missing:
        names = "".join(f"“{title}”" for title in missing)
        yield (
            f"第 {row} 行（表头）缺少{names}列：表头应为 {HEADER_TEXT}，请补上后保存"
            "（列的顺序不限）。"
        )
    for title in HEADER:
        if header.count(title) > 1:
            yield f"第 {row} 行（表头）有 {header.count(title)} 列都叫“{title}”：请删除或改名多余的列。"


# CSV


def decode_csv(data: bytes) -> str | None:
    """The text of a CSV file in UTF-8 (with or without BOM) or GB18030; None if neither.

    Text with control characters (NUL and the like) is not taken: it is some other file,
    and decoding it anyway would give mojibake.
    """
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ch < " " and ch not in "\t\r\n" for ch in text):
            return None
        return text
    return None


def csv_rows(text: str) -> list[Row]:
    """The records of a CSV text, numbered as Excel shows them (record 1 is row 1)."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return list(enumerate(reader, start=1))


# Check


def check_registry(registry: Registry, rows: Sequence[int] | None = None) -> list[str]:
    """Every problem of a registry; rows[i] is the sheet row of units[i] (default i + 2)."""
    units = registry.units
    rows = list(rows) if rows is not None else [i + 2 for i in range(len(units))]
    numbered = list(zip(rows, units, strict=True))
    problems = [p for row, unit in numbered if (p := _empty_fields(unit, row))]
    problems += _duplicates(numbered, "code", "单位编码", " {}")
    problems += _duplicates(numbered, "name", "单位名称", "“{}”")
    problems += _roots(numbered)
    codes = {u.code for u in units}
    problems += [
        f"第 {row} 行（单位 {u.code}）的上级单位编码 {u.parent} 不在名单中："
        "请改为名单中某个单位的编码（可从下拉列表中选择），"
        f"或先在名单中添加编码为 {u.parent} 的单位。"
        for row, u in numbered
        if u.parent and u.parent not in codes
    ]
    if len(codes) == len(units):  # with duplicate codes, "the parent" is ambiguous
        problems += _cycles(numbered)
    return problems


def _empty_fields(unit: Unit, row: int) -> str:
    if not unit.code and not unit.name:
        return f"第 {row} 行的单位编码和单位名称都是空的：请填写这两项，或删除这一行。"
    if not unit.code:
        return f"第 {row} 行（{unit.name}）的单位编码是空的：请填写一个不与其他单位重复的编码。"
    if not unit.name:
        return f"第 {row} 行（单位 {unit.code}）的单位名称是空的：请填写单位全称。"
    return ""


def _duplicates(numbered: list[tuple[int, Unit]], field: str, title: str, shown: str) -> list[str]:
    where: dict[str, list[int]] = {}
    for row, unit in numbered:
        if value := getattr(unit, field):
            where.setdefault(value, []).append(row)
    return [
        f"{_rows_text(found)}的{title}都是{shown.format(value)}：{title}不能重复，请改正其中"
        f"{'一' if len(found) == 2 else '多余的'}行。"
        for value, found in where.items()
        if len(found) > 1
    ]


def _roots(numbered: list[tuple[int, Unit]]) -> list[str]:
    roots = [(row, unit) for row, unit in numbered if not unit.parent]
    if not roots:
        return [
            "名单中没有上级单位编码为空的单位：汇总单位（本单位）的上级单位编码应留空，"
            "请清空它那一行的上级单位编码。"
        ]
    if len(roots) == 1:
        return []
    codes = "、".join(unit.code or unit.name for _, unit in roots)
    return [
        f"{_rows_text([row for row, _ in roots])}（单位 {codes}）都没有填上级单位编码："
        "只有汇总单位（本单位）可以不填，请为其余单位填写上级单位编码。"
    ]


def _cycles(numbered: list[tuple[int, Unit]]) -> list[str]:
    """Units whose chain of parents comes back to itself, one sentence per cycle."""
    parent = {u.code: u.parent for _, u in numbered if u.code}
    row_of = {u.code: row for row, u in numbered}
    done: set[str] = set()
    problems = []
    for _, unit in numbered:
        path: list[str] = []
        code = unit.code
        while code in parent and code not in done and code not in path:
            path.append(code)
            code = parent[code]
        if code in path:  # the walk came back to a unit on its own path
            cycle = path[path.index(code) :]
            first = cycle.index(min(cycle, key=row_of.__getitem__))
            cycle = cycle[first:] + cycle[:first]  # told from the unit highest in the sheet
            chain = " → ".join([*cycle, cycle[0]])
            in_rows = sorted(cycle, key=row_of.__getitem__)
            problems.append(
                f"{_rows_text([row_of[c] for c in in_rows])}（单位 {'、'.join(in_rows)}）"
                f"的上级关系形成循环（{chain}）："
                "请改正其中一个单位的上级单位编码，使每个单位都能逐级归到汇总单位。"
            )
        done.update(path)
    return problems


def _rows_text(rows: Sequence[int]) -> str:
    if len(rows) == 1:
        return f"第 {rows[0]} 行"
    if len(rows) == 2:
        return f"第 {rows[0]} 行和第 {rows[1]} 行"
    return f"第 {'、'.join(str(r) for r in rows)} 行"
