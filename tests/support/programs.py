"""Real spreadsheet programs as our tests' other clients: LibreOffice (`soffice`) and
Gnumeric (`ssconvert`) re-save returns as another office would and open our outputs.

Each is called with an argument list, never a shell, and LibreOffice with a private profile.
Tests that need them carry the `libreoffice` marker (`-m "not libreoffice"` leaves them
out) and are skipped only when the program is missing (.ci/run installs both).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SSCONVERT = shutil.which("ssconvert")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-uno lives there, not in the venv
UNO_OPEN = Path(__file__).with_name("uno_open.py")

LIBREOFFICE_MARKS = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(
        SOFFICE is None, reason="LibreOffice is not installed (.ci/run installs it)"
    ),
]
GNUMERIC_MARKS = [
    pytest.mark.libreoffice,  # the same family of slow external programs
    pytest.mark.skipif(SSCONVERT is None, reason="Gnumeric is not installed (.ci/run installs it)"),
]


def needs_libreoffice(test):
    """A test that runs LibreOffice."""
    for mark in LIBREOFFICE_MARKS:
        test = mark(test)
    return test


def needs_gnumeric(test):
    """A test that runs Gnumeric."""
    for mark in GNUMERIC_MARKS:
        test = mark(test)
    return test


def has_uno() -> bool:
    if SOFFICE is None:
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False)
    return probe.returncode == 0


needs_uno = pytest.mark.skipif(not has_uno(), reason="python3-uno is missing (.ci/run installs it)")
UNO_FILL = Path(__file__).parent / "uno_fill.py"


def uno_fill(request: dict) -> list[dict]:
    """Fill copies of a template in one LibreOffice (tests/support/uno_fill.py: its request and
    answer); what it read from each after recalculating."""
    done = subprocess.run(
        [SYSTEM_PYTHON, str(UNO_FILL)], input=json.dumps(request, ensure_ascii=False),
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def soffice_start(sources: list[Path], target_format: str, outdir: Path):
    """LibreOffice converts copies, all in one start; the caller may work meanwhile and
    then call soffice_finish."""
    assert SOFFICE is not None
    outdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{outdir.resolve()}/.profile",
         "--convert-to", target_format, "--outdir", str(outdir),
         *(str(source.resolve()) for source in sources)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    extension = target_format.split(":")[0]
    return process, [outdir / f"{source.stem}.{extension}" for source in sources]


def soffice_finish(process: subprocess.Popen, converted: list[Path]) -> list[Path]:
    try:
        out, err = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()  # only the one started above, after a timeout
    assert process.returncode == 0, err
    assert all(path.exists() for path in converted), out
    shutil.rmtree(converted[0].parent / ".profile", ignore_errors=True)
    return converted


def soffice(sources: list[Path], target_format: str, outdir: Path) -> list[Path]:
    """Copies of `sources` converted by LibreOffice to `target_format` ("xlsx", "xls", "pdf")."""
    return soffice_finish(*soffice_start(sources, target_format, outdir))


def soffice_convert(source: Path, target_format: str, outdir: Path) -> Path:
    return soffice([source], target_format, outdir)[0]


def ssconvert(source: Path, target: Path, export_type: str) -> Path:
    """Gnumeric converts a copy (export types: `ssconvert --list-exporters`)."""
    assert SSCONVERT is not None
    done = subprocess.run(
        [SSCONVERT, f"--export-type={export_type}", str(source), str(target)],
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and target.exists(), done.stderr
    return target
