"""Reading whole numbers typed by people or carried in URLs, without surprises.

``str.isdigit`` is true for ``²``, ``٣`` and other Unicode digits that ``int()`` refuses or
reads differently, and an id of 2^63 overflows SQLite's integer (2^31 PostgreSQL's). Every number
that comes from a request goes through :func:`whole_number`, so a strange value is "no number"
(a form error, a 404 or a default), never a crash.
"""

from __future__ import annotations

__all__ = ["MAX_ID", "whole_number"]

#: The largest id any table can hold on every supported database (PostgreSQL's ``integer``).
MAX_ID = 2**31 - 1


def whole_number(text: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """The ASCII digits in ``text`` (surrounding spaces allowed) as an int in ``low..high``, else None."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > len(str(high)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None
