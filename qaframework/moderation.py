"""How far moderated grades agree with the original auditors' grades.

Moderation keeps the original grade unchanged so these statistics can always be recomputed
(docs/domain-notes.md §4): exact and within-one-band agreement, Cohen's weighted kappa
over the scale's ordered grades, and the mean shift that shows an auditor grading systematically
too generously or too severely. Arithmetic is exact (fractions) so that reports and tests agree to
the last digit. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, TypeVar

from qaframework.framework import GradeScale

__all__ = [
    "Agreement",
    "Direction",
    "agreement",
    "agreement_by",
    "confusion_matrix",
    "drift_by",
    "drift_direction",
    "flag_drift",
]

K = TypeVar("K", bound=Hashable)
Direction = Literal["generous", "severe"]


@dataclass(frozen=True)
class Agreement:
    """Agreement between original and moderated grades; shares are 0..1, None when undefined."""

    n: int
    exact: float | None
    within_one: float | None
    #: Cohen's kappa with linear / quadratic disagreement weights; None when n == 0 or when every
    #: grade on both sides is the same single grade (chance disagreement 0, kappa undefined).
    kappa_linear: float | None
    kappa_quadratic: float | None
    #: Mean of rank(original) - rank(moderated): positive = originals graded too generously.
    mean_shift: float | None


def _index(scale: GradeScale, grade: str) -> int:
    try:
        return scale.codes.index(grade)
    except ValueError:
        raise ValueError(f"{grade!r} is not a grade on the {scale.code} scale {list(scale.codes)}") from None


def confusion_matrix(pairs: Iterable[tuple[str, str]], scale: GradeScale) -> list[list[int]]:
    """Counts with rows = original grade, columns = moderated grade, both ordered best → worst."""
    k = len(scale.codes)
    matrix = [[0] * k for _ in range(k)]
    for original, moderated in pairs:
        matrix[_index(scale, original)][_index(scale, moderated)] += 1
    return matrix


def _weighted_kappa(matrix: list[list[int]], weight: Callable[[int], int]) -> float | None:
    """1 - observed / expected weighted disagreement; weights depend only on |i - j|.

    Weights are left unnormalised (|i-j| or (i-j)²): the normalising constant cancels.
    """
    k = len(matrix)
    n = sum(map(sum, matrix))
    if n == 0:
        return None
    rows = [sum(row) for row in matrix]
    cols = [sum(matrix[i][j] for i in range(k)) for j in range(k)]
    observed = sum(weight(abs(i - j)) * matrix[i][j] for i in range(k) for j in range(k))
    expected = sum(weight(abs(i - j)) * rows[i] * cols[j] for i in range(k) for j in range(k))
    if expected == 0:
        return None
    # observed is a count and expected a count × n, so scale observed by n to compare proportions.
    return float(1 - Fraction(n * observed, expected))


def agreement(pairs: Sequence[tuple[str, str]], scale: GradeScale) -> Agreement:
    """Agreement statistics for (original, moderated) grade pairs on one scale."""
    n = len(pairs)
    matrix = confusion_matrix(pairs, scale)
    if n == 0:
        return Agreement(0, None, None, None, None, None)
    shifts = [scale.rank(original) - scale.rank(moderated) for original, moderated in pairs]
    return Agreement(
        n=n,
        exact=float(Fraction(sum(s == 0 for s in shifts), n)),
        within_one=float(Fraction(sum(abs(s) <= 1 for s in shifts), n)),
        kappa_linear=_weighted_kappa(matrix, lambda d: d),
        kappa_quadratic=_weighted_kappa(matrix, lambda d: d * d),
        mean_shift=float(Fraction(sum(shifts), n)),
    )


def agreement_by(pairs_with_key: Iterable[tuple[K, str, str]], scale: GradeScale) -> dict[K, Agreement]:
    """Agreement per key (auditor, section, agency, cycle …), keys in order of first appearance."""
    grouped: dict[K, list[tuple[str, str]]] = {}
    for key, original, moderated in pairs_with_key:
        grouped.setdefault(key, []).append((original, moderated))
    return {key: agreement(pairs, scale) for key, pairs in grouped.items()}


def drift_direction(result: Agreement, threshold: float = 0.5, min_n: int = 3) -> Direction | None:
    """Which way grades drift, if the mean shift is ``threshold`` bands or more over ``min_n`` pairs.

    ``min_n`` stops one disputed audit from labelling an auditor; the threshold is in grade bands.
    """
    if result.mean_shift is None or result.n < min_n or abs(result.mean_shift) < threshold:
        return None
    return "generous" if result.mean_shift > 0 else "severe"


def drift_by(
    pairs_with_key: Iterable[tuple[K, str, str]], scale: GradeScale, threshold: float = 0.5, min_n: int = 3
) -> dict[K, Agreement]:
    """Agreement for only those keys whose grades drift systematically (see ``drift_direction``)."""
    return {
        key: result
        for key, result in agreement_by(pairs_with_key, scale).items()
        if drift_direction(result, threshold, min_n) is not None
    }


def flag_drift(
    pairs_with_key: Iterable[tuple[K, str, str]], scale: GradeScale, threshold: float = 0.5, min_n: int = 3
) -> dict[K, Direction]:
    """Which keys (typically auditors) drift, and which way, for the moderation report."""
    flags: dict[K, Direction] = {}
    for key, result in agreement_by(pairs_with_key, scale).items():
        direction = drift_direction(result, threshold, min_n)
        if direction is not None:
            flags[key] = direction
    return flags
