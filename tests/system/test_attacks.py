"""Tests as an attacker who can write to the shared output folder (issue 14).

Everything here runs the real `consolidate` on the demo inbox, plants or forges files in the
output folder between runs, and checks that nothing is executed, no figure changes, and the
run says what it ignored. Also: personal-data outputs are readable by the clerk only, and
--password locks the internal workbooks so that LibreOffice opens them with the password only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import msoffcrypto
import openpyxl
import pytest

from pipeline.core.catalogue import ProblemCode
from pipeline.demo.inbox import make_demo_inbox
from pipeline.publish.consolidated import consolidated_filename
from pipeline.publish.encrypt import PASSWORD_ENV
from pipeline.publish.share import share_filename
from pipeline.read.decrypt import decrypt_workbook
from pipeline.read.returns import read_return
from tests.support.paths import FORM_PATH, ROOT, UNITS_PATH
from tests.support.programs import SYSTEM_PYTHON, UNO_OPEN, has_uno

pytestmark = pytest.mark.slow  # runs the real pipeline over a whole inbox

TAMPERED = "缓存文件被改动，已忽略并重新读取"


class Planted:
    """A pickle that creates a file when it is loaded (pickle runs `__reduce__`'s call)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def consolidate(inbox: Path, out: Path, *extra: str, env: dict | None = None):
    command = [sys.executable, "-m", "pipeline", "consolidate", str(inbox), "--out", str(out),
               "-q", "--form", str(FORM_PATH), "--units", str(UNITS_PATH), *extra]  # fmt: skip
    run = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})}
    )
    assert run.returncode == 3, run.stdout + run.stderr  # the demo rejects three files
    assert "Traceback" not in run.stderr and "程序内部错误" not in run.stderr
    return run


def totals(out: Path, form) -> dict[str, object]:
    sheet = openpyxl.load_workbook(out / consolidated_filename(form), read_only=True)["汇总"]
    return {row[0]: row[3] for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}


def statuses(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {entry["name"]: entry["status"] for entry in manifest["files"]}


def entries(out: Path) -> dict[str, dict]:
    """Cache entry path -> its JSON body (the line after the seal)."""
    found = {}
    for path in sorted((out / ".cache").glob("*.json")):
        found[str(path)] = json.loads(path.read_bytes().split(b"\n", 1)[1])
    return found


@pytest.fixture(scope="module")
def inbox(form, registry, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "inbox"
    make_demo_inbox(form, registry, folder)
    return folder


@pytest.fixture(scope="module")
def reference(inbox, form, tmp_path_factory) -> dict:
    """What the demo inbox gives with no cache at all."""
    out = tmp_path_factory.mktemp("reference") / "out"
    consolidate(inbox, out, "--no-cache")
    return {"totals": totals(out, form), "statuses": statuses(out)}


@pytest.fixture
def warm(inbox, tmp_path) -> Path:
    """An output folder whose cache a first run has filled."""
    out = tmp_path / "out"
    consolidate(inbox, out)
    assert entries(out)
    return out


def test_a_planted_pickle_is_never_loaded(inbox, form, reference, warm, tmp_path) -> None:
    marker, proof = tmp_path / "pwned", tmp_path / "proof"
    pickle.loads(pickle.dumps(Planted(proof)))  # the payload is live: loading it acts
    assert proof.exists()
    payload = pickle.dumps(Planted(marker))
    for path in (warm / ".cache").glob("*.json"):
        path.write_bytes(payload)
        path.with_suffix(".pickle").write_bytes(payload)  # the old cache's format
    run = consolidate(inbox, warm)
    assert not marker.exists()
    assert TAMPERED in run.stderr
    assert totals(warm, form) == reference["totals"]
    assert statuses(warm) == reference["statuses"]


def test_a_forged_entry_changes_no_figure(inbox, form, reference, warm) -> None:
    forged = 0
    for path, body in entries(warm).items():
        if body["result"]["unit_code"] in ("LJ102", "LJ103") and body["result"]["values"]:
            body["result"]["values"]["STAFF_COUNT"] += 1000
            seal = Path(path).read_bytes().split(b"\n", 1)[0]
            text = json.dumps(body, ensure_ascii=False).encode()
            if forged % 2:  # sealed again, but with a key that is not the clerk's
                seal = hmac.new(os.urandom(32), text, hashlib.sha256).hexdigest().encode()
            Path(path).write_bytes(seal + b"\n" + text)
            forged += 1
    assert forged >= 2  # LJ102 sent two returns
    run = consolidate(inbox, warm)
    assert TAMPERED in run.stderr
    assert totals(warm, form) == reference["totals"]


def test_a_planted_feedback_workbook_is_never_copied_out(inbox, warm, tmp_path) -> None:
    planted = openpyxl.Workbook()
    planted.active["A1"] = "PLANTED 请把汇总表发到 evil@example.com"
    planted.save(tmp_path / "planted.xlsx")
    sealed = [
        Path(p).with_suffix(".xlsx") for p, b in entries(warm).items() if b.get("feedback_seal")
    ]
    assert len(sealed) == 3  # the demo's three rejected or warned returns
    for path in sealed:
        shutil.copyfile(tmp_path / "planted.xlsx", path)
    run = consolidate(inbox, warm)
    assert TAMPERED in run.stderr
    feedback = sorted((warm / "反馈").glob("*.xlsx"))
    assert len(feedback) == 3
    for path in feedback:
        with zipfile.ZipFile(path) as zf:
            assert not any(b"PLANTED" in zf.read(name) for name in zf.namelist())


def test_a_cache_folder_that_is_a_symlink_is_not_used(inbox, form, reference, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "note.txt").write_text("an attacker's folder", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".cache").symlink_to(elsewhere, target_is_directory=True)
    run = consolidate(inbox, out)
    assert "符号链接" in run.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["note.txt"]  # nothing written there
    assert totals(out, form) == reference["totals"]


def test_an_output_folder_others_can_write_is_named_on_screen(inbox, tmp_path) -> None:
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(0o777)
    run = consolidate(inbox, out)
    assert "其他用户也可以写入" in run.stderr


PRIVATE = ["manifest.json", "催报清单.txt", "上报_临江市水务局_2022年上半年.xlsx"]


def test_personal_data_is_readable_by_the_clerk_only(inbox, form, tmp_path) -> None:
    out = tmp_path / "out"
    consolidate(inbox, out, "--share")
    subprocess.run([sys.executable, "-m", "pipeline", "report", str(inbox), "--out", str(out),
                    "-q", "--form", str(FORM_PATH), "--units", str(UNITS_PATH)], cwd=ROOT,
                   capture_output=True, check=False)  # fmt: skip
    files = [out / name for name in [consolidated_filename(form), *PRIVATE]]
    files += sorted((out / "反馈").iterdir()) + sorted((out / ".cache").iterdir())
    files += sorted(out.glob("*统计情况.*"))  # the report draft, .docx and .md
    assert len(files) > 15
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    for folder in (out, out / "反馈", out / ".cache"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder.name
    umask = os.umask(0)
    os.umask(umask)
    shared = out / share_filename(form)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o666 & ~umask  # the 脱敏 copy is for sharing


# Passwords


@pytest.fixture(scope="module")
def locked(inbox, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("locked") / "out"
    consolidate(inbox, out, "--password", env={PASSWORD_ENV: "临江-2022-密码"})
    return out


def _locked_workbooks(out: Path, form) -> list[Path]:
    return [out / consolidated_filename(form), out / PRIVATE[2], *sorted((out / "反馈").iterdir())]


def test_password_locks_every_internal_workbook(locked, form) -> None:
    books = _locked_workbooks(locked, form)
    assert len(books) == 5
    for path in books:
        with open(path, "rb") as handle:
            assert msoffcrypto.OfficeFile(handle).is_encrypted(), path.name
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do: it is not a zip
            openpyxl.load_workbook(path)
    share_free = locked / share_filename(form)
    assert not share_free.exists()  # --share was not asked for


def test_a_password_on_the_command_line_is_refused(inbox, tmp_path) -> None:
    command = [sys.executable, "-m", "pipeline", "consolidate", str(inbox), "--out",
               str(tmp_path / "o"), "--password", "secret"]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2 and not (tmp_path / "o").exists()


def uno_open(path: Path, cells: list[str], password: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "UNO_PASSWORD"}
    if password:
        env["UNO_PASSWORD"] = password
    run = subprocess.run([SYSTEM_PYTHON, str(UNO_OPEN), str(path), "汇总", *cells],
                         capture_output=True, text=True, env=env, timeout=180)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.libreoffice
@pytest.mark.skipif(
    not has_uno(), reason="needs LibreOffice and python3-uno (.ci/run installs both)"
)
def test_libreoffice_opens_a_locked_workbook_with_the_password_only(locked, form, reference):
    path = locked / consolidated_filename(form)
    opened = uno_open(path, ["A1", "D6"], "临江-2022-密码")
    assert opened["opened"] is True
    assert opened["cells"]["A1"].endswith("汇总")
    assert opened["cells"]["D6"] == str(reference["totals"]["STAFF_COUNT"])
    assert uno_open(path, ["A1"], None) == {"opened": False}
    assert uno_open(path, ["A1"], "wrong password") == {"opened": False}


def test_the_level_above_reads_a_locked_rollup_return_with_the_password(locked, form) -> None:
    path = locked / PRIVATE[2]
    plain = decrypt_workbook(path, "临江-2022-密码")
    assert zipfile.is_zipfile(plain)
    with_password = read_return(path, form, "", 0.0, "临江-2022-密码")
    without = read_return(path, form, "", 0.0)
    wrong = read_return(path, form, "", 0.0, "wrong")
    assert with_password.values["UNIT_CODE"].value == "LJ000" and not with_password.problems
    assert [p.code for p in without.problems] == [ProblemCode.FILE_WRONG_FORMAT]
    assert "加密" in without.problems[0].message
    assert [p.code for p in wrong.problems] == [ProblemCode.FILE_UNREADABLE]
    assert "密码无法打开" in wrong.problems[0].message


def test_the_pipeline_has_no_pickle_left() -> None:
    sources = (ROOT / "pipeline").rglob("*.py")
    assert not [p.name for p in sources if "import pickle" in p.read_text(encoding="utf-8")]
