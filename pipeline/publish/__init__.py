"""publish: every file the pipeline writes.

template.py (the unit template), consolidated.py with consolidated_sheets.py and
consolidated_charts.py (the consolidated workbook), share.py (the 脱敏 copy),
rollup_return.py (the 上报 return, filled at the XML level), report_files.py (the draft as
.docx and .md), outputs.py (what the outputs share, and the ones beside the workbook),
registry_book.py (units.xlsx), readback.py (an earlier consolidated workbook, read back for
--compare), encrypt.py (--password), xlsx_style.py (options, formats, print setup, row
heights), feedback/ (feedback workbooks).

May import: pipeline.core, form, read, check, combine, report; xlsxwriter (here only),
openpyxl (feedback/openpyxl_copy.py and readback.py), python-docx (report_files.py),
msoffcrypto (encrypt.py), lxml.
"""
