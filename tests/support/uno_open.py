"""Open a workbook in LibreOffice through its UNO bridge, as a person would, and print cells.

Run with the system Python that has Debian's python3-uno (not the project's virtualenv):
    UNO_PASSWORD=… /usr/bin/python3 tests/support/uno_open.py FILE SHEET CELL [CELL …]
The password, if any, comes from the environment, never the command line. Prints one JSON
object: {"opened": false} when LibreOffice cannot open the file (a wrong or missing password:
no dialog is shown headless), else {"opened": true, "cells": {"A1": "text shown", …}}.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def _property(name: str, value: object) -> PropertyValue:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _connect(pipe: str):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    for _ in range(240):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.25)
    raise SystemExit("LibreOffice did not start")


@contextlib.contextmanager
def office(name: str):
    """A headless LibreOffice of its own (a fresh profile), listening on a pipe; its desktop.
    It quits, and its profile goes, when the block ends."""
    profile = tempfile.mkdtemp(prefix="uno-profile-")
    pipe = f"pipeline-{name}-{os.getpid()}"
    process = subprocess.Popen(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
         "--nologo", "--norestore", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    desktop = None
    try:
        context = _connect(pipe)
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        yield desktop
    finally:
        if desktop is not None:
            with contextlib.suppress(Exception):  # the bridge closes as the office quits
                desktop.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    path, sheet, *cells = sys.argv[1:]
    with office("test") as desktop:
        properties = [_property("Hidden", True)]
        if os.environ.get("UNO_PASSWORD"):
            properties.append(_property("Password", os.environ["UNO_PASSWORD"]))
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        try:
            document = desktop.loadComponentFromURL(url, "_blank", 0, tuple(properties))
        except Exception:  # noqa: BLE001 - LibreOffice refuses the file: that is the answer
            document = None
        if document is None:
            print(json.dumps({"opened": False}))
            return
        found = document.Sheets.getByName(sheet)
        values = {cell: found.getCellRangeByName(cell).getString() for cell in cells}
        document.close(True)
        print(json.dumps({"opened": True, "cells": values}, ensure_ascii=False))


if __name__ == "__main__":
    main()
