"""How far moderated grades agree with the original auditors' grades.

Moderation keeps the original grade unchanged so these statistics can always be recomputed
(docs/domain-notes.md §4): exact and within-one-band agreement, Cohen's weighted kappa
over the scale's ordered grades, and the mean shift that shows an auditor grading systematically
too generously or too severely. Arithmetic is exact (fractions) so that reports and tests agree to
the last digit. Pure functions, no I/O.

Kappa is unstable on the dozen plans a panel moderates a term and collapses when nearly every grade
is the same ("the kappa paradox"), so two chance-robust statistics sit beside it: Gwet's AC2 and
Krippendorff's ordinal alpha; and kappa carries a seeded percentile-bootstrap 95 % interval, so a
reader sees how little a small sample can say. Each statistic is ``None`` exactly when it is
undefined, and :func:`undefined_reason` says why in words a report can print.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import accumulate
from typing import Literal, TypeVar

from qaframework.framework import GradeScale

__all__ = [
    "Agreement",
    "Direction",
    "Interval",
    "ac2",
    "agreement",
    "agreement_by",
    "agreement_of_matrix",
    "bootstrap_kappa",
    "confusion_matrix",
    "drift_by",
    "drift_direction",
    "flag_drift",
    "kappa_from_matrix",
    "krippendorff_alpha_ordinal",
    "undefined_reason",
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
    #: Gwet's AC2 (linear weights) and Krippendorff's ordinal alpha: robust where grades are skewed.
    ac2_linear: float | None = None
    alpha_ordinal: float | None = None


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


def _linear(d: int) -> int:
    return d


def _quadratic(d: int) -> int:
    return d * d


WEIGHTS: dict[str, Callable[[int], int]] = {"linear": _linear, "quadratic": _quadratic}


def kappa_from_matrix(matrix: list[list[int]], weights: Literal["linear", "quadratic"] = "linear") -> float | None:
    """Cohen's weighted kappa of a confusion matrix (None when undefined: empty, or one grade on both sides)."""
    return _weighted_kappa(matrix, WEIGHTS[weights])


def ac2(matrix: list[list[int]], weights: Literal["linear", "quadratic"] = "linear") -> float | None:
    """Gwet's AC2 for two raters on an ordinal scale (Gwet 2014, *Handbook of Inter-Rater Reliability*, ch. 3).

    Agreement weights ``1 - |i-j|/(q-1)`` (linear) or ``1 - (i-j)²/(q-1)²`` (quadratic) over the
    scale's ``q`` grades, used or not. Chance agreement is ``T_w / (q(q-1)) · Σ π_k(1-π_k)`` with
    ``π_k`` the mean of the two raters' shares of grade k, so it stays small when almost every plan
    gets the same grade: AC2 is then near the observed agreement, where kappa collapses. Exact
    (fractions). None only for no pairs or a one-grade scale.
    """
    q = len(matrix)
    n = sum(map(sum, matrix))
    if n == 0 or q < 2:
        return None
    power = 1 if weights == "linear" else 2
    w = [[1 - Fraction(abs(i - j) ** power, (q - 1) ** power) for j in range(q)] for i in range(q)]
    observed = sum((w[i][j] * matrix[i][j] for i in range(q) for j in range(q)), Fraction(0)) / n
    rows = [sum(row) for row in matrix]
    cols = [sum(matrix[i][j] for i in range(q)) for j in range(q)]
    pi = [Fraction(rows[k] + cols[k], 2 * n) for k in range(q)]
    total_weight = sum((w[i][j] for i in range(q) for j in range(q)), Fraction(0))
    chance = total_weight / (q * (q - 1)) * sum((p * (1 - p) for p in pi), Fraction(0))
    if chance == 1:  # cannot happen with these weights (Σπ(1-π) < 1 - 1/q); kept as a guard, not a NaN
        return None
    return float((observed - chance) / (1 - chance))


def krippendorff_alpha_ordinal(matrix: list[list[int]]) -> float | None:
    """Krippendorff's alpha with the ordinal metric, two coders, no missing values (Krippendorff 2011,
    "Computing Krippendorff's alpha-reliability", §C).

    Each pair (i, j) adds one to the coincidences o[i][j] and o[j][i]; ``n_g`` are their totals and
    the ordinal distance between grades c and k is ``(Σ_{g=c..k} n_g - (n_c + n_k)/2)²``, so grades
    nobody used add nothing. ``alpha = 1 - (n-1) Σ o·δ² / Σ n_c n_k δ²`` with ``n = 2 × pairs``.
    None when there are no pairs or a single grade was used by both (no variation to reproduce).
    """
    q = len(matrix)
    pairs = sum(map(sum, matrix))
    if pairs == 0:
        return None
    coincidence = [[matrix[i][j] + matrix[j][i] for j in range(q)] for i in range(q)]
    totals = [sum(row) for row in coincidence]
    n = 2 * pairs

    def delta(c: int, k: int) -> Fraction:
        low, high = min(c, k), max(c, k)
        return (sum(totals[low : high + 1]) - Fraction(totals[c] + totals[k], 2)) ** 2

    observed = sum((coincidence[c][k] * delta(c, k) for c in range(q) for k in range(q)), Fraction(0))
    expected = sum((totals[c] * totals[k] * delta(c, k) for c in range(q) for k in range(q)), Fraction(0))
    if expected == 0:
        return None
    return float(1 - (n - 1) * observed / expected)


@dataclass(frozen=True)
class Interval:
    """A percentile bootstrap confidence interval, with how it was made so it can be reproduced."""

    low: float
    high: float
    replicates: int
    seed: int


BOOTSTRAP_REPLICATES = 1000
BOOTSTRAP_SEED = 20261127


def bootstrap_kappa(
    matrix: list[list[int]],
    weights: Literal["linear", "quadratic"] = "linear",
    *,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> Interval | None:
    """Percentile bootstrap interval for weighted kappa: resample the moderated pairs with replacement.

    Seeded (the same matrix always gives the same interval) and cached on the matrix, since the
    pairs enter only through their counts. Replicates where kappa is undefined (every resampled pair
    one grade) are skipped; None when fewer than 2 pairs or more than half the replicates are undefined.
    """
    frozen = tuple(tuple(row) for row in matrix)
    return _bootstrap(frozen, weights, replicates, seed, level)


@lru_cache(maxsize=512)
def _bootstrap(
    matrix: tuple[tuple[int, ...], ...], weights: str, replicates: int, seed: int, level: float
) -> Interval | None:
    q = len(matrix)
    n = sum(map(sum, matrix))
    if n < 2:
        return None
    weight = WEIGHTS[weights]
    cells = [(i, j) for i in range(q) for j in range(q) if matrix[i][j]]
    cum_weights = list(accumulate(matrix[i][j] for i, j in cells))
    rng = random.Random(seed)
    indices = range(len(cells))
    values: list[float] = []
    for _ in range(replicates):
        counts = [0] * len(cells)
        for index in rng.choices(indices, cum_weights=cum_weights, k=n):
            counts[index] += 1
        resampled = [[0] * q for _ in range(q)]
        for (i, j), count in zip(cells, counts, strict=True):
            resampled[i][j] = count
        value = _weighted_kappa_float(resampled, weight)
        if value is not None:
            values.append(value)
    if len(values) * 2 < replicates:
        return None
    values.sort()
    tail = (1 - level) / 2
    low = values[max(0, int(tail * len(values)))]
    high = values[min(len(values) - 1, int((1 - tail) * len(values)))]
    return Interval(low, high, replicates, seed)


def _weighted_kappa_float(matrix: list[list[int]], weight: Callable[[int], int]) -> float | None:
    """As :func:`_weighted_kappa` in floating point: the bootstrap's thousand replicates need speed, not
    the last digit (the interval's ends are read to two places)."""
    k = len(matrix)
    n = sum(map(sum, matrix))
    rows = [sum(row) for row in matrix]
    cols = [sum(matrix[i][j] for i in range(k)) for j in range(k)]
    observed = sum(weight(abs(i - j)) * matrix[i][j] for i in range(k) for j in range(k))
    expected = sum(weight(abs(i - j)) * rows[i] * cols[j] for i in range(k) for j in range(k))
    if n == 0 or expected == 0:
        return None
    return 1 - n * observed / expected


def undefined_reason(pairs: int, grades_used: int) -> str | None:
    """Why kappa and alpha have no value for these pairs, in words a report prints beside the blank."""
    if pairs == 0:
        return "No moderated grades yet."
    if grades_used <= 1:
        return "Every grade, original and moderated, is the same one: kappa and alpha measure nothing here."
    return None


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
        ac2_linear=ac2(matrix, "linear"),
        alpha_ordinal=krippendorff_alpha_ordinal(matrix),
    )


def agreement_of_matrix(matrix: list[list[int]]) -> Agreement:
    """The same statistics from a confusion matrix (rows original, columns moderated, best → worst),
    for reports that count pairs in SQL instead of loading them.

    Cached by the counts: the agreement page works out some thirty matrices per request, and the
    exact (fraction) arithmetic of AC2 and alpha made that most of its time; the counts only change
    when a grade is agreed, and the result is immutable.
    """
    return _agreement_of_counts(tuple(tuple(row) for row in matrix))


@lru_cache(maxsize=2048)
def _agreement_of_counts(counts: tuple[tuple[int, ...], ...]) -> Agreement:
    matrix = [list(row) for row in counts]
    n = sum(map(sum, matrix))
    if n == 0:
        return Agreement(0, None, None, None, None, None)
    q = len(matrix)
    cells = [(i, j, matrix[i][j]) for i in range(q) for j in range(q)]
    # rank runs worst → best while indices run best → worst, so rank(i) - rank(j) = j - i.
    return Agreement(
        n=n,
        exact=float(Fraction(sum(c for i, j, c in cells if i == j), n)),
        within_one=float(Fraction(sum(c for i, j, c in cells if abs(i - j) <= 1), n)),
        kappa_linear=_weighted_kappa(matrix, _linear),
        kappa_quadratic=_weighted_kappa(matrix, _quadratic),
        mean_shift=float(Fraction(sum((j - i) * c for i, j, c in cells), n)),
        ac2_linear=ac2(matrix, "linear"),
        alpha_ordinal=krippendorff_alpha_ordinal(matrix),
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
