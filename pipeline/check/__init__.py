"""check: RawSubmission → Submission (typed values, ledgers, problems, status). Pure.

validate.py (the order: structure, values, identity, ledgers, rules), structure.py,
values.py and normalize.py (raw cell → typed value), identity.py (unit, period), ledgers.py,
rules.py (the definition's cross-field rules), scope.py (the 全系统 scope policy).

May import: pipeline.core, pipeline.form and the standard library. Never pipeline.read
(reading and checking are independent), never a spreadsheet, CLI or process library.
"""
