"""Shared fixtures: the real definition, the real template, and returns filled as units would."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.core.records import RawLedger, RawSubmission, RawValue
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import SampleReturn, sample_return
from pipeline.form.load import load_form
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.publish.template import write_template
from pipeline.read.registry_file import load_registry

ROOT = Path(__file__).resolve().parent.parent
FORM_PATH = ROOT / "input_templates" / "form.yaml"
UNITS_PATH = ROOT / "input_templates" / "units.xlsx"


@pytest.fixture(scope="session", autouse=True)
def clerk_config(tmp_path_factory) -> Path:
    """The clerk's configuration folder (it holds the cache key) for this test session and
    the programs it starts: never the real home."""
    folder = tmp_path_factory.mktemp("clerk-config")
    os.environ["PIPELINE_CONFIG_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form(FORM_PATH)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(UNITS_PATH)


@pytest.fixture(scope="session")
def template(form: Form, registry: Registry, tmp_path_factory) -> Path:
    return write_template(form, registry, tmp_path_factory.mktemp("template"))


@pytest.fixture
def sample(form: Form, registry: Registry) -> Callable[..., SampleReturn]:
    def make(unit_code: str, seed: int = 1) -> SampleReturn:
        unit = registry.by_code(unit_code)
        assert unit is not None
        return sample_return(form, registry, unit, seed)

    return make


@pytest.fixture
def write_return(form: Form, template: Path) -> Callable[..., Path]:
    """Fill a copy of the real template with a sample's values, as a unit would."""

    def write(folder: Path, name: str, sample: SampleReturn) -> Path:
        return fill_return(form, template, folder / name, sample.values, sample.ledgers)

    return write


def raw_from_sample(form: Form, sample: SampleReturn) -> RawSubmission:
    """The RawSubmission a reader would return for this sample, without any file."""
    raw = RawSubmission(file=f"{sample.unit.code}.xlsx", sha256="0" * 64, mtime=0.0)
    preset = {
        "FORM_ID": form.id,
        "FORM_VERSION": form.version,
        "PERIOD": form.period.label,
        "PERIOD_TYPE": form.period.type,
        "PERIOD_START": form.period.start,
        "PERIOD_END": form.period.end,
    }
    for row, ind in enumerate(form.indicators, start=1):
        raw.values[ind.code] = RawValue(sample.values.get(ind.code), ind.section, f"E{row}")
    for code, value in preset.items():
        raw.values[code] = RawValue(value, "封面", "B1")
    for ledger in form.ledgers:
        letters = {c.label: chr(ord("A") + n) for n, c in enumerate(ledger.columns)}
        rows = tuple(
            (number, {c.label: _cell(r.get(c.key)) for c in ledger.columns})
            for number, r in enumerate(sample.ledgers.get(ledger.id, []), start=4)
        )
        raw.ledgers[ledger.id] = RawLedger(ledger.id, ledger.sheet, letters, rows)
    return raw


def _cell(value: object) -> object:
    if isinstance(value, tuple):
        return "、".join(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return value
