"""The dashboard's chart geometry (``webapp.charts``): scales, bars, columns and lines, by hand."""

from __future__ import annotations

import pytest

from webapp import charts
from webapp.charts import BarPart


@pytest.mark.parametrize(
    ("span", "count", "step"),
    [(100, 4, 25), (100, 5, 20), (7, 5, 2), (0.9, 4, 0.25), (40, 4, 10), (3, 5, 1), (0, 5, 1)],
)
def test_round_steps(span: float, count: int, step: float) -> None:
    assert charts.nice_step(span, count) == pytest.approx(step)


@pytest.mark.parametrize(("largest", "maximum"), [(0, 1), (7, 8), (23, 25), (100, 100), (101, 125)])
def test_axis_maximum_is_the_first_round_step_at_or_above(largest: float, maximum: float) -> None:
    assert charts.nice_maximum(largest) == pytest.approx(maximum)


def test_ticks_map_values_linearly_and_upside_down_for_a_value_axis() -> None:
    scale = charts.ticks(100, 300, 100, count=4, suffix="%")
    assert [(t.value, t.position, t.label) for t in scale] == [
        (0, 300, "0%"), (25, 250, "25%"), (50, 200, "50%"), (75, 150, "75%"), (100, 100, "100%"),
    ]
    assert [t.label for t in charts.ticks(1, 0, 10, count=4)] == ["0", "0.25", "0.5", "0.75", "1"]


def test_stacked_bars_share_one_count_scale() -> None:
    chart = charts.stacked_bars([
        ("Tier 2", 10, [BarPart("good", "Good", 6), BarPart("inadequate", "Inadequate", 4)]),
        ("Tier 3", 20, [BarPart("good", "Good", 20), BarPart("inadequate", "Inadequate", 0)]),
    ], width=212)
    two, three = chart.rows
    span = chart.right - chart.left  # 212 - 12 - 8 = 192, and the scale runs to 20
    assert span == 192
    good, inadequate = two.segments
    assert good.x == 8 and good.width == pytest.approx(192 * 6 / 20) and good.text == "6"
    assert inadequate.x == pytest.approx(8 + 192 * 6 / 20) and inadequate.width == pytest.approx(192 * 4 / 20)
    assert [s.key for s in three.segments] == ["good"]  # a zero draws nothing
    assert three.segments[0].x + three.segments[0].width == pytest.approx(chart.right)
    assert two.hidden_x is None and two.note is None
    assert [t.label for t in chart.ticks] == ["0", "5", "10", "15", "20"]


def test_a_withheld_cell_is_left_out_and_marked_after_the_bar_never_drawn_as_zero() -> None:
    chart = charts.stacked_bars([
        ("Tier 1", None, [BarPart("outstanding", "Outstanding", None), BarPart("good", "Good", 15),
                          BarPart("requires_improvement", "Requires improvement", None)]),
    ], width=254)
    (row,) = chart.rows
    assert chart.right == 254 - 12 - charts.HIDDEN_MARK_ROOM  # room for the "[c]"
    assert [s.key for s in row.segments] == ["good"]
    assert row.segments[0].width == pytest.approx(200)  # the scale runs to the 15 shown
    assert row.hidden_x == pytest.approx(8 + 200 + 6)


def test_rows_with_nothing_to_draw_carry_a_note_and_no_bar() -> None:
    chart = charts.stacked_bars([("Tier 3", None, [BarPart("good", "Good", None)]), ("Tier 4", 0, [])])
    assert [(r.note, r.segments, r.hidden_x) for r in chart.rows] == [
        ("Too few to show", (), None), ("None in this period", (), None)]
    assert chart.rows[1].y > chart.rows[0].y + chart.rows[0].height


def test_a_narrow_segment_is_not_labelled_inside() -> None:
    chart = charts.stacked_bars([("Tier 2", 100, [BarPart("good", "Good", 99), BarPart("inadequate", "I", 1)])])
    assert [s.text for s in chart.rows[0].segments] == ["99", None]


@pytest.mark.parametrize(
    ("label", "lines"),
    [("2025-26 Autumn 1", ("Autumn 1", "2025-26")), ("2026-03", ("Mar", "2026")), ("2026", ("2026", "")),
     ("Health", ("Health", "")), ("2026-13", ("2026-13", "")), ("2026-²1", ("2026-²1", ""))],
)
def test_category_labels_split_in_two_short_lines(label: str, lines: tuple[str, str]) -> None:
    assert charts.split_label(label) == lines


def test_columns_rise_from_the_baseline_in_proportion() -> None:
    chart = charts.column_chart([("2025-26 Autumn 1", 50.0), ("2025-26 Autumn 2", None), ("2025-26 Spring 1", 100.0)],
                                width=200, plot_height=100)
    half, missing, full = chart.columns
    assert (half.height, half.y) == (50, chart.baseline - 50)
    assert (full.height, full.y) == (100, chart.top)
    assert (missing.height, missing.text, missing.value) == (0, "–", None)
    assert (half.text, half.label, half.sublabel) == ("50%", "Autumn 1", "2025-26")
    # evenly spaced slots across the plot
    slot = (chart.right - chart.left) / 3
    assert [c.centre for c in chart.columns] == pytest.approx([chart.left + slot * (i + 0.5) for i in range(3)])
    assert chart.ticks[0].position == chart.baseline and chart.ticks[-1].position == chart.top


def test_column_values_are_rounded_to_one_decimal_place() -> None:
    chart = charts.column_chart([("2026", 61.04), ("2027", 61.06), ("2028", 40.0)])
    assert [c.text for c in chart.columns] == ["61%", "61.1%", "40%"]


def test_lines_break_at_a_missing_half_term_and_differ_by_marker_and_dash() -> None:
    chart = charts.line_chart(
        ["A", "B", "C", "D"],
        [("t1", "Tier 1", [0.0, 50.0, None, 100.0]), ("t2", "Tier 2", [None, None, 25.0, 25.0])],
        width=144, plot_height=100,
    )
    one, two = chart.series
    xs = [category.x for category in chart.categories]
    assert xs == pytest.approx([55, 77, 99, 121])  # 88 px of plot from x=44, four slots of 22
    assert [(p.x, p.y) for p in one.points] == [(55, chart.baseline), (77, chart.baseline - 50), (121, chart.top)]
    assert one.path.count("M") == 2 and one.path.count("L") == 1  # the gap at C is not bridged
    assert two.path.startswith("M99.00") and two.path.count("L") == 1
    assert (one.marker, two.marker) != (two.marker, one.marker) and one.dash != two.dash


def test_a_series_must_have_one_value_per_half_term() -> None:
    with pytest.raises(ValueError, match="Tier 1"):
        charts.line_chart(["A", "B"], [("t1", "Tier 1", [1.0])])


@pytest.mark.parametrize("kind", charts.MARKERS)
def test_markers_are_closed_paths_around_their_point(kind: str) -> None:
    path = charts.marker_path(kind, 100, 50)
    assert path.startswith("M") and path.endswith("Z")


def test_labels_shrink_to_fit_their_slot_and_never_grow_past_the_body_size() -> None:
    twelve = charts.column_chart([(f"2026-{m:02d}", 77.8) for m in range(1, 13)])
    two = charts.column_chart([("2026-01", 77.8), ("2026-02", 50.0)])
    slot = (twelve.right - twelve.left) / 12
    assert two.font == charts.FONT
    assert twelve.font < charts.FONT and 0.62 * len("77.8%") * twelve.font <= slot
