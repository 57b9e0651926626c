"""cli: the thin click front door - parse options, call the library, print a Chinese summary,
set the exit status (0 every file accepted, 3 output written but a file rejected or an error
found, 2 usage or configuration error, 1 only for a bug).

main.py (the group and the entry point), options.py (options shared by commands, the exit
statuses, Refusal), screen.py (what a run prints), collect.py (consolidate, report, check),
definition.py (template, spec, units), tools.py (demo, bench).

May import: every package. click is imported here and nowhere else; nothing imports cli.
"""

from pipeline.cli.main import cli, main

__all__ = ["cli", "main"]
