"""core: the shared vocabulary every stage speaks.

Problems and their catalogue, the records that pass between stages (RawSubmission,
Submission, Status), cell references and Excel date serials, display names of files, the
guards' limits and atomic private output files.

May import: the standard library only. Everything else may import it.
"""
