"""The output folder treated as shared: warn when others can write to it, close our own
folders in it, and lock the internal workbooks when a password is given."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.filenames import display_name
from pipeline.core.files import close_folder, open_to_others, private_folder
from pipeline.publish.encrypt import encrypt_workbook
from pipeline.publish.feedback.content import (
    FEEDBACK_FOLDER,
)
from pipeline.run.cache import CACHE_FOLDER

SHARED_OUTDIR = (
    "输出文件夹“{folder}”其他用户也可以写入：放在其中的文件可能被他人替换。"
    "汇总表等含个人信息的文件只有本人可以读取，建议改用只有本人能写入的文件夹"
)


def guard_outdir(outdir: Path, notices: list[str]) -> None:
    """Warn when others can write to the output folder; close the folders of ours in it."""
    private_folder(outdir)  # made 0700 when it does not exist yet
    if open_to_others(outdir):
        notices.append(SHARED_OUTDIR.format(folder=display_name(outdir)))
    for folder in (outdir / FEEDBACK_FOLDER, outdir / CACHE_FOLDER):
        if folder.is_dir() and not folder.is_symlink():
            close_folder(folder)


def encrypt_outputs(paths: list[Path], password: str | None) -> None:
    """Lock the internal workbooks with the password (the 脱敏 copy stays open)."""
    if password:
        for path in paths:
            encrypt_workbook(path, password)
