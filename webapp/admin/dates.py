"""Reading a date typed into one text box, with GOV.UK-style messages.

Term dates are twelve dates on one page; one box per date (3/9/2025, 2025-09-03 or 3 Sept 2025)
is quicker for an administrator than thirty-six day, month and year boxes.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    _MONTHS[calendar.month_name[_number].lower()] = _number
    _MONTHS[calendar.month_abbr[_number].lower()] = _number
_MONTHS["sept"] = 9

_NUMERIC = re.compile(r"(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d+)")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d+)")


def parse_date_text(text: str, what: str) -> date:
    """The date in ``text``; ValueError with a message naming ``what`` (e.g. "Autumn 1 start date")."""
    value = text.strip()
    if not value:
        raise ValueError(f"Enter the {what}")
    if match := _ISO.fullmatch(value):
        year, month, day = match.group(1), int(match.group(2)), int(match.group(3))
    elif match := _NUMERIC.fullmatch(value):
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    elif (match := _WORDS.fullmatch(value)) and match.group(2).lower() in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], match.group(3)
    else:
        raise ValueError(f"The {what} must be a real date, like 3/9/2025")
    if len(year) != 4:
        raise ValueError(f"The year of the {what} must include 4 numbers, like 3/9/2025")
    try:
        return date(int(year), month, day)
    except ValueError:
        raise ValueError(f"The {what} must be a real date, like 3/9/2025") from None


def format_date_text(value: date) -> str:
    """The form's own format, so a page redisplays dates the way people type them."""
    return f"{value.day}/{value.month}/{value.year}"
