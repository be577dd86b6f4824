"""How big a case file (CSV, Excel or SEN2 XML) may be, checked before the work that would cost memory.

Case files come from case-management exports the administrator did not write, so the readers
refuse a file by what it *claims* before reading it: the zip members' uncompressed sizes and
compression ratios (Python's zipfile stops at the declared size, so a member cannot inflate past
it), the shared-strings size, a sheet's declared used range, a CSV line's length, and the XML's
depth and element counts as it streams. The same limits hold for ``qa cases import`` and the admin
page; each can be changed with an environment variable ``QA_IMPORT_<NAME>`` (e.g.
``QA_IMPORT_MAX_ROWS=150000``), read when a file is checked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    #: Data rows of a CSV or the first sheet (the header is not counted).
    max_rows: int = 100_000
    #: Columns of any row (a case file has fewer than 40).
    max_columns: int = 100
    #: Characters in one cell.
    max_cell_chars: int = 10_000
    #: Characters in one physical line of a CSV (a header of millions of columns is refused unparsed).
    max_line_chars: int = 100_000
    #: The file as uploaded or read from disk.
    max_file_bytes: int = 64 * MB
    #: All members of a workbook, uncompressed, as the zip declares them.
    max_uncompressed_bytes: int = 200 * MB
    #: Uncompressed to compressed size of a workbook member over 1 MB (zip bombs compress 1000:1).
    max_compression_ratio: int = 100
    #: The workbook's shared strings, uncompressed (openpyxl holds them all in memory).
    max_shared_strings_bytes: int = 32 * MB
    #: Nesting of elements in a SEN2 return (a return nests about 7 deep).
    max_xml_depth: int = 32
    #: Elements in one Person of a SEN2 return.
    max_person_elements: int = 10_000
    #: Elements outside every Person (the header and the wrappers: a few dozen in a real return).
    max_other_elements: int = 10_000
    #: Problems kept and listed; the rest are counted ("and N more problems").
    max_problems: int = 200

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ImportLimits:
        """The defaults, with any ``QA_IMPORT_<NAME>`` set to a positive whole number instead."""
        environ = os.environ if environ is None else environ
        changes: dict[str, int] = {}
        for item in fields(cls):
            text = environ.get(f"QA_IMPORT_{item.name.upper()}", "").strip().replace("_", "")
            if text.isascii() and text.isdigit() and int(text) > 0:
                changes[item.name] = int(text)
        return replace(cls(), **changes)


def size_text(size: int) -> str:
    """A byte count as people read it ("64 MB", "512 KB")."""
    if size >= MB:
        return f"{size / MB:,.0f} MB"
    return f"{max(1, size // 1024):,} KB"
