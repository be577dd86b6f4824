"""Gwet's AC2, Krippendorff's ordinal alpha and the bootstrap interval for kappa.

AC2 and alpha are checked against two established implementations, installed for the tests only
(pinned in pyproject's ``dev`` extra): ``irrCAC`` (Gwet's own package, ported to Python) and
``krippendorff`` (Castro's implementation of Krippendorff 2011). Neither is needed at run time.
"""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.framework import OFSTED4
from qaframework.moderation import (
    Interval,
    ac2,
    agreement,
    agreement_of_matrix,
    bootstrap_kappa,
    confusion_matrix,
    kappa_from_matrix,
    krippendorff_alpha_ordinal,
    undefined_reason,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pandas and numpy deprecation notices on import
    import krippendorff
    import pandas as pd
    from irrCAC.raw import CAC

HAND = [[1, 1, 0, 0], [0, 3, 1, 0], [0, 1, 2, 1], [0, 0, 0, 1]]


def _pairs(matrix: list[list[int]]) -> list[tuple[int, int]]:
    return [(i, j) for i, row in enumerate(matrix) for j, count in enumerate(row) for _ in range(count)]


def _irr_gwet(matrix: list[list[int]], weights: str) -> float:
    pairs = _pairs(matrix)
    frame = pd.DataFrame({"original": [p[0] for p in pairs], "moderated": [p[1] for p in pairs]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CAC(frame, weights=weights, categories=list(range(len(matrix))), digits=12).gwet()
    return float(result["est"]["coefficient_value"])


def _castro_alpha(matrix: list[list[int]]) -> float:
    pairs = _pairs(matrix)
    data = [[float(p[0]) for p in pairs], [float(p[1]) for p in pairs]]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                    value_domain=list(range(len(matrix)))))


def test_ac2_and_alpha_match_the_reference_implementations_on_the_hand_worked_matrix() -> None:
    assert ac2(HAND, "linear") == pytest.approx(_irr_gwet(HAND, "linear"), abs=1e-9)
    assert ac2(HAND, "quadratic") == pytest.approx(_irr_gwet(HAND, "quadratic"), abs=1e-9)
    assert krippendorff_alpha_ordinal(HAND) == pytest.approx(_castro_alpha(HAND), abs=1e-12)
    assert (round(ac2(HAND) or 0, 4), round(krippendorff_alpha_ordinal(HAND) or 0, 4)) == (0.7365, 0.7726)


matrices = st.lists(st.lists(st.integers(0, 6), min_size=4, max_size=4), min_size=4, max_size=4).filter(
    lambda m: sum(map(sum, m)) >= 2 and sum(1 for row in m for c in row if c) >= 2
)


@settings(max_examples=40, deadline=None)
@given(matrices)
def test_ac2_and_alpha_match_the_references_on_random_tables(matrix: list[list[int]]) -> None:
    assert ac2(matrix, "linear") == pytest.approx(_irr_gwet(matrix, "linear"), abs=1e-9)
    alpha = krippendorff_alpha_ordinal(matrix)
    assert alpha is not None
    assert alpha == pytest.approx(_castro_alpha(matrix), abs=1e-9)


def test_skewed_grades_kappa_paradox_ac2_stays_high() -> None:
    """48 of 50 plans Good on both sides and two one-band disagreements: agreement is 96 %, kappa
    is near zero (the paradox), AC2 stays close to what was observed."""
    matrix = [[0, 1, 0, 0], [0, 48, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    kappa = kappa_from_matrix(matrix)
    assert kappa is not None and kappa < 0.05
    assert (ac2(matrix) or 0) > 0.95
    assert ac2(matrix) == pytest.approx(_irr_gwet(matrix, "linear"), abs=1e-9)


def test_one_grade_everywhere_is_defined_not_nan() -> None:
    """All Good on both sides: kappa and alpha undefined (None, with the reason), AC2 is 1."""
    matrix = confusion_matrix([("good", "good")] * 5, OFSTED4)
    result = agreement_of_matrix(matrix)
    assert (result.exact, result.kappa_linear, result.alpha_ordinal, result.ac2_linear) == (1.0, None, None, 1.0)
    assert undefined_reason(5, 1) is not None and "same one" in (undefined_reason(5, 1) or "")
    assert bootstrap_kappa(matrix) is None


def test_one_item() -> None:
    agreed = agreement_of_matrix(confusion_matrix([("good", "good")], OFSTED4))
    assert (agreed.n, agreed.exact, agreed.kappa_linear, agreed.alpha_ordinal) == (1, 1.0, None, None)
    apart = agreement_of_matrix(confusion_matrix([("good", "inadequate")], OFSTED4))
    assert (apart.n, apart.exact, apart.within_one) == (1, 0.0, 0.0)
    assert apart.alpha_ordinal == pytest.approx(_castro_alpha(confusion_matrix([("good", "inadequate")], OFSTED4)))
    assert bootstrap_kappa(confusion_matrix([("good", "inadequate")], OFSTED4)) is None  # one pair: no interval
    for value in (apart.kappa_linear, apart.ac2_linear, apart.mean_shift):
        assert value is None or not math.isnan(value)


def test_unused_grades_change_neither_kappa_nor_alpha() -> None:
    """The same pairs on a 4-grade table and its used 2x2 corner: kappa and alpha are equal (unused grades
    add nothing); AC2 counts the scale's grades, as Gwet defines it, and still matches irrCAC."""
    four = [[0, 0, 0, 0], [0, 5, 2, 0], [0, 1, 4, 0], [0, 0, 0, 0]]
    two = [[5, 2], [1, 4]]
    assert kappa_from_matrix(four) == pytest.approx(kappa_from_matrix(two))
    assert krippendorff_alpha_ordinal(four) == pytest.approx(krippendorff_alpha_ordinal(two))
    assert ac2(four) == pytest.approx(_irr_gwet(four, "linear"), abs=1e-9)


def test_agreement_from_a_matrix_equals_agreement_from_pairs() -> None:
    pairs = [(OFSTED4.codes[i], OFSTED4.codes[j]) for i, j in _pairs(HAND)]
    assert agreement_of_matrix(HAND) == agreement(pairs, OFSTED4)


def test_bootstrap_interval_is_seeded_contains_kappa_and_narrows_with_n() -> None:
    small = bootstrap_kappa(HAND)
    assert isinstance(small, Interval)
    assert small == bootstrap_kappa([row[:] for row in HAND])  # same counts, same seed: same interval
    kappa = kappa_from_matrix(HAND)
    assert kappa is not None and small.low <= kappa <= small.high
    assert (small.replicates, small.seed) == (1000, 20261127)
    other_seed = bootstrap_kappa(HAND, seed=7)
    assert other_seed is not None and other_seed != small
    big = bootstrap_kappa([[c * 20 for c in row] for row in HAND])
    assert big is not None and big.high - big.low < (small.high - small.low) / 2
    quadratic = bootstrap_kappa(HAND, "quadratic")
    assert quadratic is not None and quadratic.low <= (kappa_from_matrix(HAND, "quadratic") or 0) <= quadratic.high
