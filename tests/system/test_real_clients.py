"""Real spreadsheet programs: a return re-saved by LibreOffice as .xlsx and as legacy .xls
reads the same as the original, and every output workbook opens in LibreOffice."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.check.validate import validate
from pipeline.cli import cli
from pipeline.core.records import Status
from pipeline.demo.fill import fill_return
from pipeline.demo.sample import sample_return
from pipeline.publish.consolidated import consolidated_filename
from pipeline.read.returns import read_return
from tests.support.programs import LIBREOFFICE_MARKS, soffice_convert

pytestmark = [*LIBREOFFICE_MARKS, pytest.mark.slow]


@pytest.fixture(scope="module")
def saved_three_ways(form, registry, template, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clients")
    s = sample_return(form, registry, registry.by_code("LJ000"), seed=31)
    original = fill_return(form, template, folder / "original.xlsx", s.values, s.ledgers)
    return {
        "openpyxl": original,
        "libreoffice-xlsx": soffice_convert(original, "xlsx", folder / "xlsx"),
        "libreoffice-xls": soffice_convert(original, "xls", folder / "xls"),
    }


def contents(sub) -> tuple:
    ledgers = {k: [{c: v for c, v in row.items() if not c.startswith("_")} for row in rows]
               for k, rows in sub.ledgers.items()}  # fmt: skip
    return sub.values, ledgers


def test_same_values_from_every_save(form, registry, saved_three_ways) -> None:
    subs = {
        how: validate(read_return(path, form, "", 0), form, registry)
        for how, path in saved_three_ways.items()
    }
    for how, sub in subs.items():
        assert sub.status is Status.ACCEPTED, (how, [p.message for p in sub.problems])
    reference = contents(subs["openpyxl"])
    assert sum(len(rows) for rows in reference[1].values()) > 10
    for how in ("libreoffice-xlsx", "libreoffice-xls"):
        assert contents(subs[how]) == reference, how


def test_every_output_opens_in_libreoffice(
    form, registry, template, saved_three_ways, tmp_path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    s = sample_return(form, registry, registry.by_code("LJ101"), seed=32)
    fill_return(form, template, inbox / "bad.xlsx", s.values | {"EDU_CG_STUDY": "若干"}, s.ledgers)
    shutil.copy(saved_three_ways["libreoffice-xls"], inbox / "old.xls")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(out), "-q"])
    assert result.exit_code == 3, result.output  # bad.xlsx is rejected, old.xls accepted
    outputs = [out / consolidated_filename(form), *sorted((out / "反馈").iterdir())]
    assert len(outputs) == 2
    for path in outputs:
        pdf = soffice_convert(path, "pdf", tmp_path / f"pdf_{outputs.index(path)}")
        assert pdf.stat().st_size > 1000
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert openpyxl.load_workbook(path).sheetnames
