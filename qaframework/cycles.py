"""Half-term cycle labels: reading them and counting back, with no term dates needed.

A cycle is named "2025-26 Autumn 1". Samples leave out what earlier cycles sampled and trends
read the last six cycles, so "the N cycles before this one" must not depend on which term dates
an area has configured: the order of the labels is enough. Pure functions, no I/O.
"""

from __future__ import annotations

import re

from qaframework.framework import HALF_TERMS

__all__ = ["cycle_index", "cycle_labels_before", "is_cycle_label", "parse_cycle_label"]

_LABEL = re.compile(r"(\d{4})-(\d{2}) (.+)")


def parse_cycle_label(label: str) -> tuple[int, int]:
    """(the calendar year the academic year starts in, the half term's position 0-5).

    ValueError naming the label when it is not like "2025-26 Autumn 1".
    """
    match = _LABEL.fullmatch(label.strip())
    if match is None:
        raise ValueError(f"{label!r} is not a half term like 2025-26 Autumn 1")
    start, end, half_term = int(match.group(1)), match.group(2), match.group(3)
    if f"{start + 1}"[-2:] != end:
        raise ValueError(f"{label!r} is not a half term like 2025-26 Autumn 1 (the years must follow each other)")
    if half_term not in HALF_TERMS:
        raise ValueError(f"{label!r} names no half term: use one of {', '.join(HALF_TERMS)}")
    return start, HALF_TERMS.index(half_term)


def is_cycle_label(label: str) -> bool:
    try:
        parse_cycle_label(label)
    except ValueError:
        return False
    return True


def cycle_index(label: str) -> int:
    """A number that orders cycles: one more for each half term later."""
    year, position = parse_cycle_label(label)
    return year * len(HALF_TERMS) + position


def _label_of(index: int) -> str:
    year, position = divmod(index, len(HALF_TERMS))
    return f"{year}-{str(year + 1)[-2:]} {HALF_TERMS[position]}"


def cycle_labels_before(label: str, count: int) -> list[str]:
    """The ``count`` cycles just before ``label``, most recent first (Autumn 1 follows Summer 2)."""
    index = cycle_index(label)
    return [_label_of(index - n) for n in range(1, max(0, count) + 1)]
