"""Half-term labels: read, ordered and counted back without term dates."""

from __future__ import annotations

import pytest

from qaframework.cycles import cycle_index, cycle_labels_before, is_cycle_label, parse_cycle_label


def test_a_label_reads_as_its_year_and_half_term() -> None:
    assert parse_cycle_label("2025-26 Autumn 1") == (2025, 0)
    assert parse_cycle_label(" 2025-26 Summer 2 ") == (2025, 5)
    assert cycle_index("2025-26 Summer 2") + 1 == cycle_index("2026-27 Autumn 1")
    assert is_cycle_label("2099-00 Autumn 1")  # a century turning is still the following year


@pytest.mark.parametrize(("label", "message"), [
    ("2025 Autumn 1", "'2025 Autumn 1' is not a half term like 2025-26 Autumn 1"),
    ("2025-27 Autumn 1", "(the years must follow each other)"),
    ("2025-26 Winter 1", "names no half term: use one of Autumn 1, Autumn 2, Spring 1, Spring 2, Summer 1, Summer 2"),
])
def test_bad_labels_say_what_a_label_looks_like(label: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_cycle_label(label)
    assert not is_cycle_label(label)


def test_counting_back_crosses_the_academic_year() -> None:
    assert cycle_labels_before("2026-27 Autumn 2", 3) == ["2026-27 Autumn 1", "2025-26 Summer 2", "2025-26 Summer 1"]
    assert cycle_labels_before("2026-27 Autumn 2", 0) == []
