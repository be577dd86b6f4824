"""Small-cell suppression for published figures: counts under 5 hidden, and enough others that a
hidden count cannot be worked out from the totals beside it.

Board papers are often published, and a count of 1 to 4 children in a small group can identify a
child. The rule (stated on the pack's Definitions sheet):

- **primary**: a count of 1, 2, 3 or 4 is not shown (0 is shown: it identifies nobody);
- **secondary**: in a table published with totals, every row and every column (the totals
  included) that holds a hidden cell holds at least two, so no hidden cell is the difference
  between a total and the cells shown. The smallest other count of the row or column is hidden
  next, a cell before a total;
- a **rate** is not shown when what it is a share of is under 5, or the count it is made of is
  hidden (a rate and its base give the count back).

Figures carry :data:`SUPPRESSED` in place of a hidden number, so the pack and the dashboard show
exactly the same cells. Pure functions, no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "SUPPRESSED",
    "THRESHOLD",
    "Count",
    "Rate",
    "Suppressed",
    "SuppressedTable",
    "is_small",
    "suppress_count",
    "suppress_rate",
    "suppress_table",
]

#: Counts below this (and above 0) are not published.
THRESHOLD = 5


class Suppressed(enum.Enum):
    """The one value that stands for a hidden figure (an enum member, so types can name it)."""

    MARK = "[c]"

    def __str__(self) -> str:
        return self.value


#: A hidden figure; shown as "[c]" ("confidential", as official statistics mark it).
SUPPRESSED = Suppressed.MARK

#: A published count: the number, or SUPPRESSED.
Count = int | Suppressed
#: A published percentage to one decimal place: None when there is nothing to divide by.
Rate = Decimal | Suppressed | None


def is_small(count: int, threshold: int = THRESHOLD) -> bool:
    """1 to threshold-1: a count that could identify someone."""
    return 0 < count < threshold


def suppress_count(count: int, threshold: int = THRESHOLD) -> Count:
    """A count standing alone (no total beside it): hidden if small."""
    return SUPPRESSED if is_small(count, threshold) else count


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` as a percentage to one decimal place, halves up; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def suppress_rate(part: int, whole: int, threshold: int = THRESHOLD) -> Rate:
    """``part`` of ``whole`` as a percentage, hidden when the base is under ``threshold`` or the part is small."""
    if whole == 0:
        return None
    if whole < threshold or is_small(part, threshold):
        return SUPPRESSED
    return percent(part, whole)


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts as published: its cells, row totals, column totals and grand total."""

    cells: list[list[Count]]
    row_totals: list[Count]
    column_totals: list[Count]
    total: Count

    @property
    def hidden(self) -> int:
        """How many figures are hidden (cells and totals)."""
        figures = [c for row in self.cells for c in row] + self.row_totals + self.column_totals + [self.total]
        return sum(f is SUPPRESSED for f in figures)


def suppress_table(counts: Sequence[Sequence[int]], threshold: int = THRESHOLD) -> SuppressedTable:
    """Primary and secondary suppression of a table published with its row, column and grand totals.

    The table and its totals are treated as one grid with a totals row and column; every line of it
    (each row, each column) is an equation "cells add up to the total". A line with exactly one
    hidden figure gives that figure away, so the smallest other figure of the line is hidden too
    (cells before totals), repeating until no line has exactly one.
    """
    rows = [list(r) for r in counts]
    width = len(rows[0]) if rows else 0
    if any(len(r) != width for r in rows):
        raise ValueError("every row of the table must have the same number of cells")
    # The grid: rows + totals row, columns + totals column.
    grid = [[*r, sum(r)] for r in rows]
    grid.append([sum(r[c] for r in rows) for c in range(width)] + [sum(map(sum, rows))])
    height = len(grid)
    hidden = [[is_small(v, threshold) for v in line] for line in grid]

    def lines() -> list[list[tuple[int, int]]]:
        found = [[(i, j) for j in range(width + 1)] for i in range(height)]
        found += [[(i, j) for i in range(height)] for j in range(width + 1)]
        return found

    changed = True
    while changed:
        changed = False
        for line in lines():
            if sum(hidden[i][j] for i, j in line) != 1:
                continue
            shown = [(i, j) for i, j in line if not hidden[i][j]]
            if not shown:
                continue

            def order(cell: tuple[int, int]) -> tuple[bool, bool, int, int, int]:
                i, j = cell
                is_total = i == height - 1 or j == width
                # Prefer a real cell, then a non-zero one (hiding a 0 protects little), then the smallest.
                return is_total, grid[i][j] == 0, grid[i][j], i, j

            i, j = min(shown, key=order)
            hidden[i][j] = True
            changed = True

    published: list[list[Count]] = [
        [SUPPRESSED if hidden[i][j] else grid[i][j] for j in range(width + 1)] for i in range(height)
    ]
    return SuppressedTable(
        cells=[line[:width] for line in published[:-1]],
        row_totals=[line[width] for line in published[:-1]],
        column_totals=published[-1][:width],
        total=published[-1][width],
    )
