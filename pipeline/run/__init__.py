"""run: one run of the pipeline, file I/O and processes included.

consolidation.py (inbox → outputs, the order of the stages), checking.py (every entry as a
Submission), pool.py (worker processes with limits: a hang or a crash costs one file),
cache.py with codec.py and cache_key.py (sealed per-file results), feedback.py (the
feedback workbooks of a run), manifest.py, safety.py (the shared output folder, --password),
progress.py.

May import: pipeline.core, form, read, check, combine, report, publish; pebble (pool.py only).
Never click.
"""
