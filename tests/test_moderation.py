"""Agreement statistics checked against values worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.framework import FAMILY_EXPERIENCE3, OFSTED4, GradeScale
from qaframework.moderation import (
    Agreement,
    agreement,
    agreement_by,
    confusion_matrix,
    drift_by,
    drift_direction,
    flag_drift,
)

OUT, G, RI, INAD = "outstanding", "good", "requires_improvement", "inadequate"
YES_NO = GradeScale(code="yn", name="Yes or no", codes=("yes", "no"), labels=("Yes", "No"))


def pairs_from(matrix: list[list[int]], scale: GradeScale) -> list[tuple[str, str]]:
    return [
        (scale.codes[i], scale.codes[j])
        for i, row in enumerate(matrix)
        for j, count in enumerate(row)
        for _ in range(count)
    ]


def test_textbook_two_by_two() -> None:
    # Observed [[20, 5], [10, 15]], n = 50. p_o = 35/50 = 0.7.
    # Row totals 25, 25; column totals 30, 20 → p_e = (25*30 + 25*20) / 50² = 1250/2500 = 0.5.
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4. With two categories every disagreement has weight 1,
    # so linear and quadratic weighted kappa equal the unweighted one.
    result = agreement(pairs_from([[20, 5], [10, 15]], YES_NO), YES_NO)
    assert result.n == 50
    assert result.exact == pytest.approx(0.7)
    assert result.within_one == 1.0
    assert result.kappa_linear == pytest.approx(0.4)
    assert result.kappa_quadratic == pytest.approx(0.4)
    # shift = rank(original) - rank(moderated): yes→no is +1 (5 pairs), no→yes is -1 (10 pairs).
    assert result.mean_shift == pytest.approx(-5 / 50)


def test_four_grades_worked_by_hand() -> None:
    # Rows original, columns moderated, both Outstanding, Good, RI, Inadequate (indices 0..3).
    matrix = [
        [1, 1, 0, 0],
        [0, 3, 1, 0],
        [0, 1, 2, 1],
        [0, 0, 0, 1],
    ]
    # n = 11; row totals r = (2, 4, 4, 1); column totals c = (1, 5, 3, 2).
    # Observed disagreements: four pairs, each one band apart → Σ|i-j|·O = 4 and Σ(i-j)²·O = 4.
    # Expected, Σ|i-j|·r_i·c_j:
    #   i=0: 1·2·5 + 2·2·3 + 3·2·2 = 10 + 12 + 12 = 34
    #   i=1: 1·4·1 + 1·4·3 + 2·4·2 = 4 + 12 + 16 = 32
    #   i=2: 2·4·1 + 1·4·5 + 1·4·2 = 8 + 20 + 8 = 36
    #   i=3: 3·1·1 + 2·1·5 + 1·1·3 = 3 + 10 + 3 = 16       total 118
    # kappa_linear = 1 - (4/11) / (118/121) = 1 - 44/118 = 37/59.
    # Expected, Σ(i-j)²·r_i·c_j:
    #   i=0: 1·2·5 + 4·2·3 + 9·2·2 = 10 + 24 + 36 = 70
    #   i=1: 1·4·1 + 1·4·3 + 4·4·2 = 4 + 12 + 32 = 48
    #   i=2: 4·4·1 + 1·4·5 + 1·4·2 = 16 + 20 + 8 = 44
    #   i=3: 9·1·1 + 4·1·5 + 1·1·3 = 9 + 20 + 3 = 32       total 194
    # kappa_quadratic = 1 - 44/194 = 75/97.
    pairs = pairs_from(matrix, OFSTED4)
    assert confusion_matrix(pairs, OFSTED4) == matrix
    result = agreement(pairs, OFSTED4)
    assert replace(result, ac2_linear=None, alpha_ordinal=None) == Agreement(
        n=11,
        exact=7 / 11,
        within_one=1.0,
        kappa_linear=37 / 59,
        kappa_quadratic=75 / 97,
        # O→G +1, G→RI +1, RI→G -1, RI→I +1: originals two bands too generous over 11 audits.
        mean_shift=2 / 11,
    )


def test_perfect_agreement() -> None:
    result = agreement([(OUT, OUT), (G, G), (RI, RI), (INAD, INAD), (G, G)], OFSTED4)
    assert (result.exact, result.within_one, result.kappa_linear, result.kappa_quadratic, result.mean_shift) == (
        1.0,
        1.0,
        1.0,
        1.0,
        0.0,
    )


def test_complete_reversal_is_minus_one() -> None:
    # r = c = (0, 1, 1, 0); observed Σ w·O = 2, expected Σ w·r·c = 1·1·1 + 1·1·1 = 2 → 1 - 2·2/2 = -1.
    result = agreement([(G, RI), (RI, G)], OFSTED4)
    assert result.kappa_linear == pytest.approx(-1.0)
    assert result.kappa_quadratic == pytest.approx(-1.0)
    assert result.mean_shift == 0.0


def test_kappa_undefined_when_everything_is_one_grade() -> None:
    result = agreement([(G, G), (G, G)], OFSTED4)
    assert result.exact == 1.0
    assert result.kappa_linear is None and result.kappa_quadratic is None


def test_empty() -> None:
    assert agreement([], OFSTED4) == Agreement(0, None, None, None, None, None)
    assert confusion_matrix([], FAMILY_EXPERIENCE3) == [[0, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_exact_and_within_one_shares() -> None:
    result = agreement([(OUT, OUT), (OUT, G), (OUT, RI), (OUT, INAD)], OFSTED4)
    assert result.exact == 0.25
    assert result.within_one == 0.5
    assert result.mean_shift == 1.5  # (0 + 1 + 2 + 3) / 4, originals too generous


def test_mean_shift_sign() -> None:
    assert agreement([(G, RI)], OFSTED4).mean_shift == 1.0  # auditor said Good, panel said RI: generous
    assert agreement([(RI, G)], OFSTED4).mean_shift == -1.0  # auditor harsher than the panel: severe


def test_unknown_grade_is_named() -> None:
    with pytest.raises(ValueError, match="'excellent' is not a grade on the ofsted4 scale"):
        agreement([("excellent", G)], OFSTED4)


def test_confusion_matrix_best_to_worst() -> None:
    assert confusion_matrix([("positive", "negative"), ("mixed", "mixed")], FAMILY_EXPERIENCE3) == [
        [0, 0, 1],
        [0, 1, 0],
        [0, 0, 0],
    ]


class TestDrift:
    PAIRS: ClassVar = [
        ("ann", G, RI), ("ann", G, RI), ("ann", OUT, G), ("ann", G, G),  # shift 3/4 → generous
        ("bob", RI, G), ("bob", INAD, RI), ("bob", RI, RI),  # shift -2/3 → severe
        ("cat", G, INAD), ("cat", G, INAD),  # shift 2 but only 2 pairs
        ("dev", G, G), ("dev", RI, G), ("dev", G, G),  # shift -1/3: within tolerance
    ]  # fmt: skip

    def test_agreement_by_keeps_first_seen_order(self) -> None:
        by = agreement_by(self.PAIRS, OFSTED4)
        assert list(by) == ["ann", "bob", "cat", "dev"]
        assert by["ann"].n == 4 and by["ann"].mean_shift == 0.75
        assert by["cat"].mean_shift == 2.0

    def test_flags(self) -> None:
        assert flag_drift(self.PAIRS, OFSTED4) == {"ann": "generous", "bob": "severe"}
        assert list(drift_by(self.PAIRS, OFSTED4)) == ["ann", "bob"]
        assert flag_drift(self.PAIRS, OFSTED4, min_n=2) == {"ann": "generous", "bob": "severe", "cat": "generous"}
        assert flag_drift(self.PAIRS, OFSTED4, threshold=0.7) == {"ann": "generous"}

    def test_threshold_is_inclusive(self) -> None:
        half = agreement([(G, RI), (G, G), (G, RI), (G, G)], OFSTED4)
        assert half.mean_shift == 0.5
        assert drift_direction(half) == "generous"
        assert drift_direction(half, min_n=5) is None
        assert drift_direction(agreement([], OFSTED4), min_n=0) is None


# --- properties ----------------------------------------------------------------------------------

pairs_strategy = st.lists(st.tuples(st.sampled_from(OFSTED4.codes), st.sampled_from(OFSTED4.codes)), max_size=30)


def float_kappa(pairs: list[tuple[str, str]], power: int) -> float | None:
    """Textbook form with normalised weights, as an independent check."""
    k, n = len(OFSTED4.codes), len(pairs)
    idx = OFSTED4.codes.index
    p = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        p[idx(a)][idx(b)] += 1 / n
    rows = [sum(r) for r in p]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    w = [[(abs(i - j) / (k - 1)) ** power for j in range(k)] for i in range(k)]
    obs = sum(w[i][j] * p[i][j] for i in range(k) for j in range(k))
    exp = sum(w[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    return None if exp < 1e-12 else 1 - obs / exp


@settings(max_examples=200, deadline=None)
@given(pairs_strategy)
def test_kappa_matches_textbook_formula_and_is_symmetric(pairs: list[tuple[str, str]]) -> None:
    result = agreement(pairs, OFSTED4)
    swapped = agreement([(b, a) for a, b in pairs], OFSTED4)
    if not pairs:
        assert result.kappa_linear is None
        return
    for got, power in ((result.kappa_linear, 1), (result.kappa_quadratic, 2)):
        expected = float_kappa(pairs, power)
        assert (got is None) == (expected is None)
        if got is not None:
            assert got == pytest.approx(expected)
            assert -1.0 - 1e-9 <= got <= 1.0 + 1e-9
    assert swapped.kappa_linear == result.kappa_linear
    assert swapped.kappa_quadratic == result.kappa_quadratic
    assert result.mean_shift is not None
    assert swapped.mean_shift == -result.mean_shift
    assert result.exact is not None and result.within_one is not None
    assert 0.0 <= result.exact <= result.within_one <= 1.0
    assert sum(map(sum, confusion_matrix(pairs, OFSTED4))) == len(pairs)

