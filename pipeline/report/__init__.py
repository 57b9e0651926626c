"""report: the report draft's statistical sentences from the consolidated figures. Pure.

facts.py (figures and the sentence builder), wording.py (each section's sentences in the
seeds' order), draft.py (assembly and the trace of every figure). Writing it as .docx and .md
is publish/'s.

May import: pipeline.core, pipeline.form, pipeline.combine, pandas. Never a file format
library.
"""
