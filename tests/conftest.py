"""Shared fixtures: the real definition, the real template, and returns filled as units would."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.demo.fill import fill_return
from pipeline.demo.sample import SampleReturn, sample_return
from pipeline.form.load import load_form
from pipeline.form.model import Form
from pipeline.form.registry import Registry
from pipeline.publish.template import write_template
from pipeline.read.registry_file import load_registry
from tests.support.paths import FORM_PATH, UNITS_PATH


@pytest.fixture(scope="session", autouse=True)
def clerk_config(tmp_path_factory) -> Path:
    """The clerk's configuration folder (it holds the cache key) for this test session and
    the programs it starts: never the real home."""
    folder = tmp_path_factory.mktemp("clerk-config")
    os.environ["PIPELINE_CONFIG_DIR"] = str(folder)
    # No archive unless a test asks for one (--archive): runs of different tests must not
    # become one office's history.
    os.environ["PIPELINE_ARCHIVE"] = ""
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
