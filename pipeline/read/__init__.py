"""read: a file in the inbox → RawSubmission. Never interprets a value (that is check/).

inbox.py (list the inbox with lstat only), sniff.py (what a file is, from its content),
package.py (zip inspection, capped inflation, DTD/entity refusal), xlsx.py and xls.py (the
readers), locate.py (values by name, ledgers by table, the template layout as fallback),
returns.py (one file end to end), decrypt.py (password-protected workbooks, in memory),
registry_file.py (the unit registry as .xlsx or .csv), types.py (WorkbookData, ReadError).

May import: pipeline.core, pipeline.form; lxml, xlrd, olefile, msoffcrypto, openpyxl (the
registry workbook only). Never pipeline.check (reading and checking are independent).
"""
