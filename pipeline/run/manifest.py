"""manifest.json: one entry per inbox entry (its display name, and the exact bytes when they
differ), its status and reason, and the outputs written. Other programs read it."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.filenames import is_exact, name_bytes_hex
from pipeline.core.files import atomic_output
from pipeline.core.records import Submission
from pipeline.form.model import Form
from pipeline.run.result import RunResult

MANIFEST_NAME = "manifest.json"


def manifest_data(result: RunResult, form: Form) -> dict:
    return {
        "form": {"id": form.id, "version": form.version, "title": form.title},
        "period": form.period.label,
        "generated_at": result.started.isoformat(),
        "files": [_manifest_file(s) for s in result.submissions],
        "missing_units": result.missing,
        "outputs": {"consolidated": result.workbook.name, "manifest": MANIFEST_NAME}
        | {key: path.name for key, path in result.outputs.items()}
        | {"feedback": [f"{p.parent.name}/{p.name}" for p in result.feedback]},
    }


def _manifest_file(sub: Submission) -> dict:
    """One file of the manifest. `name` is the display name; when that is not the name on
    disk (not UTF-8, or with characters shown escaped), `name_bytes_hex` gives the exact
    bytes of the name on disk."""
    entry = {
        "name": sub.file,
        "sha256": sub.sha256,
        "unit": sub.unit_code or None,
        "status": sub.status.value,
        "errors": sub.errors,
        "warnings": sub.warnings,
        "reason": sub.reason or None,
    }
    on_disk = Path(sub.source).name if sub.source else ""
    if on_disk and not is_exact(on_disk):
        entry["name_bytes_hex"] = name_bytes_hex(on_disk)
    return entry


def write_manifest(result: RunResult, form: Form) -> Path:
    """manifest.json at `result.manifest`."""
    data = manifest_data(result, form)
    with atomic_output(result.manifest) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return result.manifest
