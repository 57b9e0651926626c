"""Every guard's limit, in one place. Each one has a test in tests/read/test_guards.py.

Real returns are far below these (a filled template is ~80 KB zipped, ~1 MB of XML, a few
thousand cells); the limits stop hostile or broken files before they cost memory or time.
"""

MAX_FILE_BYTES = 50 * 1024 * 1024  # on disk (checked with lstat, before opening)
MAX_ZIP_MEMBERS = 2_000
MAX_MEMBER_BYTES = 200 * 1024 * 1024  # one inflated XML part
MAX_TOTAL_BYTES = 500 * 1024 * 1024  # all inflated parts together
MAX_COMPRESSION_RATIO = 100  # inflated / compressed, as Apache POI's ZipSecureFile (1/100)
RATIO_CHECK_FROM_BYTES = 1024 * 1024  # small parts may compress better; only big ones count
MAX_SHEETS = 200
MAX_ROWS_READ = 100_000  # rows of one sheet looked at
MAX_CELLS_READ = 2_000_000  # cells of one workbook looked at
MAX_TEXT_CHARS = 32_767  # Excel's own limit per cell
SECONDS_PER_FILE = 60  # wall clock for reading and checking one file in a worker
WORKER_MEMORY_BYTES = (
    1536 * 1024 * 1024
)  # address space a worker may add to what it inherited (RLIMIT_AS)
WORKER_CPU_SECONDS = 120  # CPU time one task in a worker may use (RLIMIT_CPU, renewed per task)
