"""Reports for the Strategic SEND Board and the area's analysts, written with openpyxl.

The board pack (aggregates only, small cells suppressed) and the analysts' extract (one row per
response, pseudonymous case keys) live in their own modules here; neither imports Flask, so the
CLI, the background job queue and the tests build exactly the same workbook.
"""

from collections.abc import Callable

#: Told ``(done, total)`` as a long report is built, so the CLI can draw a progress bar and the
#: background job can record how far it has got. ``total`` may grow as work is discovered.
Progress = Callable[[int, int], None]
