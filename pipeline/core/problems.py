"""Problems are data: one record per thing wrong with a return, made from the catalogue
(catalogue.py). Templates name the place first, then what is wrong, then what to do; they are
formatted with the keywords given to `make_problem`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.core.catalogue import ProblemCode, Severity, Tag


@dataclass(frozen=True, slots=True)
class Problem:
    code: ProblemCode
    severity: Severity
    message: str
    file: str = ""
    unit: str = ""
    sheet: str = ""
    cell: str = ""
    indicator: str = ""
    value: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, ProblemCode):  # the plain code string: a known one only
            object.__setattr__(self, "code", ProblemCode[self.code])

    def located(self, file: str, unit: str | None = None) -> Problem:
        """Return a copy with the file, and the unit once it is known, filled in."""
        return replace(self, file=file, unit=self.unit if unit is None else unit)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes a problem of one return the same problem in the unit's next return
        (the message may differ: it quotes the value typed)."""
        return (self.code.name, self.sheet, self.cell, self.indicator)


def make_problem(
    code: ProblemCode, /, *, severity: Severity | None = None, **context: object
) -> Problem:
    """Build a Problem from the catalogue.

    Location keywords (file, unit, sheet, cell, indicator, value) are stored on the record;
    every keyword is also available to the message template. `severity` is given for the
    codes whose rule says it (tag rule-severity), and only for those.
    """
    if severity is not None and Tag.RULE_SEVERITY not in code.tags:
        raise ValueError(f"{code.name} has a fixed severity")
    location = {
        key: str(context[key])
        for key in ("file", "unit", "sheet", "cell", "indicator", "value")
        if key in context and context[key] is not None
    }
    return Problem(
        code=code,
        severity=severity or code.severity,
        message=code.template.format(**context),
        **location,
    )
