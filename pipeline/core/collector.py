"""The cycle collector's settings for a whole run: the CLI sets them, and the bench's floor
writes the consolidated workbook with them, so that both are timed alike."""

from __future__ import annotations

import gc

# A run keeps millions of small objects alive to its end (results, then the workbook's
# cells): with the default thresholds the cycle collector rescans them again and again,
# a quarter of the writing time. Collections still happen, 140x less often.
THRESHOLDS = (100_000, 50, 100)


def tune_collector() -> None:
    gc.set_threshold(*THRESHOLDS)
