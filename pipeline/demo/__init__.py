"""demo: returns filled as units would (for the demo, the tests and the benchmark).

sample.py (plausible figures and ledger rows from the definition), fill.py (a template copy
filled through openpyxl, as a person's program would), inbox.py (the demo inbox with its
deliberate mistakes), bench.py (make bench).

May import: every package but cli; openpyxl (fill.py).
"""
