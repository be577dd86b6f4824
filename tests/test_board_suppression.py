"""Small-cell suppression of the board's figures, against tables worked by hand."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.reports.suppression import (
    SUPPRESSED,
    Count,
    SuppressedTable,
    suppress_count,
    suppress_rate,
    suppress_table,
)

C = SUPPRESSED


def test_counts_of_one_to_four_are_hidden_and_zero_and_five_are_shown() -> None:
    assert [suppress_count(n) for n in range(7)] == [0, C, C, C, C, 5, 6]
    assert str(SUPPRESSED) == "[c]"


def test_a_rate_is_hidden_when_its_base_is_under_five_or_its_count_is_hidden() -> None:
    assert suppress_rate(0, 0) is None  # nothing to divide by: no rate, nothing hidden
    assert suppress_rate(2, 4) is C  # base under 5
    assert suppress_rate(3, 40) is C  # the count is small: rate x base would give it back
    assert suppress_rate(0, 7) == Decimal("0.0")
    assert suppress_rate(5, 7) == Decimal("71.4")
    assert suppress_rate(1, 8) is C
    assert suppress_rate(2, 16) is C


def test_a_single_small_cell_takes_the_smallest_other_cell_of_its_row_and_column() -> None:
    # Hand-worked: 3 is hidden (primary). Row 1 then has one hidden figure, so its smallest other
    # cell, 10, goes too (a cell before a total); column 1 has one (3), so 20 goes; column 2 has
    # one (10), so 30 goes. Every line now has two hidden cells; the totals all stay.
    table = suppress_table([[3, 10], [20, 30]])
    assert table == SuppressedTable(cells=[[C, C], [C, C]], row_totals=[13, 50], column_totals=[23, 40], total=63)


def test_no_small_cell_means_nothing_hidden() -> None:
    table = suppress_table([[5, 10, 0], [20, 30, 7]])
    assert table.cells == [[5, 10, 0], [20, 30, 7]]
    assert table.row_totals == [15, 57] and table.column_totals == [25, 40, 7] and table.total == 72
    assert table.hidden == 0


def test_grades_by_tier_worked_by_hand() -> None:
    # Rows Tier 1, 2, 3; columns Outstanding, Good, Requires improvement, Inadequate.
    counts = [[1, 3, 1, 1], [0, 5, 2, 0], [0, 1, 1, 0]]
    table = suppress_table(counts)
    # Primary: every 1-4 (Tier 1's four cells; Tier 2's 2; Tier 3's 1, 1 and its total 2; the
    # Outstanding, RI and Inadequate column totals 1, 4, 1). Secondary: Tier 2's row had only the
    # 2 hidden, so its 5 goes (a cell before the total 7); the totals column had only Tier 3's 2
    # hidden, so the smallest other total, Tier 1's 6, goes. Zeros stay shown.
    assert table.cells == [[C, C, C, C], [0, C, C, 0], [0, C, C, 0]]
    assert table.row_totals == [C, 7, C]
    assert table.column_totals == [C, 9, C, C]
    assert table.total == 15


def _derivable(table: SuppressedTable, counts: list[list[int]]) -> bool:
    """Whether some line of the published table has exactly one hidden figure."""
    grid: list[list[Count]] = [[*row, total] for row, total in zip(table.cells, table.row_totals, strict=True)]
    grid.append([*table.column_totals, table.total])
    lines = [list(r) for r in grid] + [list(c) for c in zip(*grid, strict=True)]
    return any(sum(v is C for v in line) == 1 for line in lines)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=1, max_size=4))
def test_no_hidden_figure_is_alone_in_its_row_or_column(counts: list[list[int]]) -> None:
    table = suppress_table(counts)
    assert not _derivable(table, counts)
    # Every figure shown is the true figure, and every small one is hidden.
    for row, shown in zip(counts, table.cells, strict=True):
        for true, value in zip(row, shown, strict=True):
            assert value is C or value == true
            if 0 < true < 5:
                assert value is C
    flat = list(itertools.chain.from_iterable(counts))
    assert table.total is C or table.total == sum(flat)


def test_rows_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same number of cells"):
        suppress_table([[1, 2], [3]])
