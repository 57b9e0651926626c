"""demo: returns filled as units would (for the demo, the tests and the benchmark).

sample.py (plausible figures and ledger rows from the definition), fill.py (a template copy
filled through openpyxl, as a person's program would), inbox.py (the demo inbox with its
deliberate mistakes), bench.py (make bench) with bench_data.py (its varied returns),
baseline.py (the naive program) and floor.py (the lower bound, from the reader's own parts),
archive_bench.py (make bench-archive).

May import: every package but cli; openpyxl (fill.py).
"""
