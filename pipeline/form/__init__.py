"""form: the declarative definition that drives template, validation and consolidation.

model.py (dataclasses), load.py (YAML → model), check.py (the definition checked as a whole),
spec.py (as JSON), expr.py (the safe expression evaluator of the rules), registry.py (the
unit tree), categories.py (official category order and wording).

May import: pipeline.core and the standard library (PyYAML in load.py). Never a spreadsheet,
CLI or process library.
"""
