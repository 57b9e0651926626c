"""The bench's naive baseline: the obvious pandas program a clerk's colleague would write,
pandas.read_excel (openpyxl) per file, concat, groupby, to_excel.

It reads only the sheets it uses (reading all 21 would also read the hidden code list of
every unit's name, and make it look twice as slow as it is). At ~10 files/s it is timed on
an even spread of at most BASELINE_MAX_FILES files (so the large, re-saved and spoiled returns
are in it as often as in the inbox) and scaled to the inbox; the bench says so.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from pipeline.form.model import Form

BASELINE_MAX_FILES = 300


def spread(files: list[Path], most: int) -> list[Path]:
    """At most `most` of the files, evenly spaced through the list."""
    if len(files) <= most:
        return files
    return [files[k * len(files) // most] for k in range(most)]


def run_baseline(inbox: Path, form: Form, out: Path) -> tuple[float, int]:
    """Seconds for the files it timed, and how many files that was."""
    files = spread(sorted(inbox.iterdir()), BASELINE_MAX_FILES)
    sheets = [s.sheet for s in form.statistics_sections]
    ledgers = [lg.sheet for lg in form.ledgers]
    wanted = list(dict.fromkeys([*sheets, *ledgers]))
    started = time.perf_counter()
    figures, rows = [], []
    for path in files:
        book = pd.read_excel(path, sheet_name=wanted, engine="openpyxl", header=None)
        for name in sheets:
            frame = book[name].iloc[4:, [1, 4]].dropna()
            frame.columns = ["code", "value"]
            frame["file"] = path.name
            figures.append(frame)
        for name in ledgers:
            frame = book[name].iloc[3:].dropna(how="all")
            frame["file"] = path.name
            rows.append(frame)
    figures_all = pd.concat(figures)
    figures_all["value"] = pd.to_numeric(figures_all["value"], errors="coerce")
    totals = figures_all.groupby("code")["value"].sum()
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        totals.to_frame().to_excel(writer, sheet_name="汇总")
        figures_all.pivot_table(
            index="file", columns="code", values="value", aggfunc="sum"
        ).to_excel(writer, sheet_name="分单位")
        pd.concat(rows).to_excel(writer, sheet_name="台账")
    return time.perf_counter() - started, len(files)
