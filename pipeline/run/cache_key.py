"""The key that seals the result cache, kept where only the clerk can read it.

The output folder is often on a shared drive, and everything in it can be read or replaced
by others; the program's code and the definition are the same in every office. A cache entry
is therefore trusted only if it carries an HMAC made with a key that never lives in the
output folder: a random key in the clerk's configuration directory (mode 0700), in a file of
mode 0600, made on first use.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

KEY_FILE = "cache.key"
APP_FOLDER = "dangfeng-tongji"
KEY_BYTES = 32


class KeyUnavailable(Exception):
    """No key can be read or made (no home, a read-only home, a key file that is not ours)."""


def config_dir() -> Path:
    """$PIPELINE_CONFIG_DIR, else $XDG_CONFIG_HOME/dangfeng-tongji, else ~/.config/…"""
    if os.environ.get("PIPELINE_CONFIG_DIR"):
        return Path(os.environ["PIPELINE_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / APP_FOLDER


def cache_key(folder: Path | None = None) -> bytes:
    """The clerk's cache key, made (0600, in a 0700 folder) the first time it is asked for."""
    folder = folder or config_dir()
    path = folder / KEY_FILE
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            return _read(path)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(KEY_BYTES))
        return _read(path)
    except OSError as exc:
        raise KeyUnavailable(f"无法建立或读取缓存密钥 {path}：{exc.strerror or exc}") from None


def _read(path: Path) -> bytes:
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(handle, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise KeyUnavailable(f"缓存密钥 {path} 不是本人的文件")
        if info.st_mode & 0o077:
            raise KeyUnavailable(
                f"缓存密钥 {path} 其他用户可以读取（权限 {info.st_mode & 0o777:o}）"
            )
        text = source.read(4 * KEY_BYTES).decode("ascii", "replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyUnavailable(f"缓存密钥 {path} 内容不正确") from None
    if len(key) != KEY_BYTES:
        raise KeyUnavailable(f"缓存密钥 {path} 内容不正确")
    return key
