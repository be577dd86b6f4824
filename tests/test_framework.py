"""The domain vocabulary: year groups to phases."""

from __future__ import annotations

import pytest

from qaframework.framework import phase_for_year_group


@pytest.mark.parametrize(("year_group", "phase"), [
    ("N2", "early_years"), ("R", "primary"), ("6", "primary"), ("Year 9", "secondary"), ("Y11", "secondary"),
    ("12", "post_16"), ("14", "post_16"), ("", None), ("Z", None),
])
def test_phase_for_year_group(year_group: str, phase: str | None) -> None:
    assert phase_for_year_group(year_group) == phase
