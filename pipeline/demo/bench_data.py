"""The bench's returns: N returns from the real template for a registry of N units, varied as a
real inbox is (deterministic by seed).

A bench whose returns are all alike is kind to our reader: its structure cache always hits
and nothing is ever reported. So, as in real inboxes:
- ledgers of 0 to ~200 rows with a long tail (most returns small, a few large): a ledger
  longer than the template's table grows the table, so returns differ in structure too;
- about 10% re-saved by LibreOffice (another program's XML: shared strings, other styles),
  a LibreOffice start per hundred files, before anything is timed;
- 10% with warnings (numbers typed as text), 3% rejected (a mask instead of a number).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.demo.sample import SampleReturn, sample_return
from pipeline.form.model import Form
from pipeline.form.registry import Registry, Unit
from pipeline.publish.registry_book import write_registry_book
from pipeline.publish.rollup_return import FastFiller
from pipeline.publish.template import write_template

DISTINCT_SAMPLES = 100  # distinct contents, reused with each unit's own code and name
RESAVED_SHARE = 0.10
WARNING_SHARE = 0.10
REJECTED_SHARE = 0.03
# (most rows per ledger, weight) for each distinct sample: with the form's 12 ledgers a return
# has about 6 times that many rows, at most 12 times (192).
LEDGER_SIZES = ((0, 10), (1, 25), (2, 20), (3, 15), (5, 12), (8, 9), (12, 6), (16, 3))
SOFFICE_START_SECONDS, SOFFICE_FILE_SECONDS = 120, 2  # the most LibreOffice may take
# One soffice call converted only 247 of 1,000 files at N=10,000 (and exited without a word):
# a start per hundred files costs ~3 s each and converts them all.
RESAVE_BATCH = 100


@dataclass
class BenchData:
    inbox: Path
    units: Path
    files: int
    resaved: int = 0  # returns re-saved by LibreOffice
    libreoffice: str = ""  # why none or fewer were re-saved ("" when all were)
    planned: dict[str, int] = field(default_factory=dict)  # returns made to warn / be rejected
    ledger_rows: list[int] = field(default_factory=list)  # each return's ledger rows


def generate(form: Form, folder: Path, n: int, seed: int = 1, resave: bool = True) -> BenchData:
    """`resave`: re-save ~10% with LibreOffice (False: the smoke test, which must not wait
    for an office program)."""
    if folder.exists():
        shutil.rmtree(folder)
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    units = registry_units(n)
    registry = Registry(tuple(units))
    data = BenchData(inbox, write_registry_book(registry, folder / "units.xlsx"), n)
    filler = FastFiller(write_template(form, registry, folder), form)
    rng = random.Random(seed)
    sizes, weights = zip(*LEDGER_SIZES, strict=True)
    pool = [
        sample_return(form, registry, units[1], seed * 1000 + k, rng.choices(sizes, weights)[0])
        for k in range(min(n, DISTINCT_SAMPLES))
    ]
    spoiled = _spoiled(n, rng)
    data.planned = {kind: list(spoiled.values()).count(kind) for kind in ("warning", "rejected")}
    written = []
    for number, unit in enumerate(units):
        sample = pool[rng.randrange(len(pool))]
        values = _values(form, sample, unit, spoiled.get(number))
        path = filler.write(inbox / f"{unit.code}_{unit.name}.xlsx", values, sample.ledgers)
        data.ledger_rows.append(sum(len(rows) for rows in sample.ledgers.values()))
        written.append(path)
    if resave:
        chosen = rng.sample(written[1:], round(RESAVED_SHARE * n))
        data.resaved, data.libreoffice = _resave(chosen, folder / "resaved")
    else:
        data.libreoffice = "本次未用 LibreOffice 另存"
    return data


def registry_units(n: int) -> list[Unit]:
    root = Unit("B0000", "示范局", "", "王芳", "13900000000")
    parents = [
        Unit(f"B{p:04d}", f"示范局第{p}分局", root.code) for p in range(1, min(10, n - 1) + 1)
    ]
    rest = [
        Unit(
            f"B{k:04d}",
            f"示范局下属单位{k}",
            parents[k % len(parents)].code if parents else root.code,
        )
        for k in range(len(parents) + 1, n)
    ]
    return [root, *parents, *rest][:n]


def _spoiled(n: int, rng: random.Random) -> dict[int, str]:
    """Unit number -> "warning" or "rejected": exact shares, drawn among all but the root
    (the consolidating office's own return stays clean)."""
    others = list(range(1, n))
    rng.shuffle(others)
    rejected = round(REJECTED_SHARE * n)
    warned = round(WARNING_SHARE * n)
    return {number: "rejected" for number in others[:rejected]} | {
        number: "warning" for number in others[rejected : rejected + warned]
    }


def _values(form: Form, sample: SampleReturn, unit: Unit, spoil: str | None) -> dict:
    values = dict(sample.values, UNIT_CODE=unit.code, UNIT_NAME=unit.name)
    if unit.parent:  # `self` figures come from the consolidating office only
        values.update({i.code: None for i in form.statistics_indicators if i.aggregation == "self"})
    if spoil == "rejected":  # a mask copied from a draft report: not a number
        values["EDU_CG_STUDY"] = "*"
    elif spoil == "warning":  # a number typed with its unit: readable, but flagged
        values["ORG_HEART_TALK"] = f"{values.get('ORG_HEART_TALK') or 0}人次"
    return values


def _resave(files: list[Path], outdir: Path) -> tuple[int, str]:
    """Re-save `files` in place with LibreOffice, RESAVE_BATCH files to a start (with a private
    profile: another LibreOffice may be running). How many were re-saved, and why not all ("")."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return 0, "未找到 LibreOffice（soffice），没有用 LibreOffice 另存的报表"
    count = 0
    for start in range(0, len(files), RESAVE_BATCH):
        count += _resave_batch(soffice, files[start : start + RESAVE_BATCH], outdir)
    shutil.rmtree(outdir, ignore_errors=True)
    return count, "" if count == len(files) else f"LibreOffice 只另存了 {count}/{len(files)} 份"


def _resave_batch(soffice: str, files: list[Path], outdir: Path) -> int:
    profile = (outdir / ".profile").resolve().as_uri()
    command = [soffice, "--headless", f"-env:UserInstallation={profile}", "--convert-to",
               "xlsx", "--outdir", str(outdir), *(str(path) for path in files)]  # fmt: skip
    seconds = SOFFICE_START_SECONDS + SOFFICE_FILE_SECONDS * len(files)
    # On a timeout run() has killed it: whatever it converted counts.
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(command, capture_output=True, timeout=seconds, check=False)
    count = 0
    for path in files:
        converted = outdir / path.name
        if converted.exists():
            os.replace(converted, path)
            count += 1
    return count
