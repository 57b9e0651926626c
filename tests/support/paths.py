"""Where the project's real definition, registry and folders are."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORM_PATH = ROOT / "input_templates" / "form.yaml"
UNITS_PATH = ROOT / "input_templates" / "units.xlsx"
