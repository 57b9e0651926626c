"""A hostile inbox of our own: the generator (generate.py) and its cases, one or more per rule
of RELIABILITY.md; tests/test_hostile_inbox.py runs the real `consolidate` over it."""
