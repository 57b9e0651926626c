"""Whether openpyxl reads workbooks through defusedxml: the program refuses to start without
it (RELIABILITY.md). Its own module so that the start-up check loads openpyxl alone, not
the feedback writer and the template writer behind it."""

from __future__ import annotations

import openpyxl


def xml_is_guarded() -> bool:
    """openpyxl refuses XML entities only when defusedxml is installed (RELIABILITY.md)."""
    return bool(openpyxl.DEFUSEDXML)
