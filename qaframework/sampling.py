"""Reproducible stratified samples of cases or audits for a cycle.

A sample must be re-drawable from its recorded seed, whatever order the database returned the
rows in, so items are sorted by their key before any random choice. Strata are allocated seats in
proportion to their size (largest remainder), with every stratum represented when there are
enough seats, so small groups (e.g. looked-after children, PMLD) are never silently skipped.
Pure functions, no I/O.
"""

from __future__ import annotations

import itertools
import math
import random
import secrets
from collections.abc import Callable, Hashable, Sequence
from fractions import Fraction
from typing import Any, TypeVar

__all__ = ["allocate", "dip_sample", "draw_stratified", "new_seed", "top_up"]

T = TypeVar("T")


def new_seed() -> int:
    """A fresh random seed to record with a sample; below 2**31 so it fits any INTEGER column and Excel."""
    return secrets.randbelow(2**31)


def _sorted_by_key(items: Sequence[T], key: Callable[[T], Any]) -> list[T]:
    ordered = sorted(items, key=key)
    for before, after in itertools.pairwise(ordered):
        if key(before) == key(after):
            # Two items with one key would make the draw depend on the input order.
            raise ValueError(f"duplicate sampling key {key(before)!r}")
    return ordered


def _groups(ordered: list[T], by: Callable[[T], Hashable]) -> list[list[int]]:
    """Positions per group, groups in order of their lowest-key item, so strata need not be sortable."""
    groups: dict[Hashable, list[int]] = {}
    for position, item in enumerate(ordered):
        groups.setdefault(by(item), []).append(position)
    return list(groups.values())


def allocate(sizes: Sequence[int], size: int, rng: random.Random) -> list[int]:
    """Seats per stratum: proportional by largest remainder, at least one each when size allows.

    Ties between equal remainders are broken by ``rng`` so no stratum is favoured cycle after
    cycle. Never gives a stratum more seats than it has items.
    """
    total = sum(sizes)
    if size >= total:
        return list(sizes)
    seats = [size * n // total for n in sizes]
    remainders = [size * n % total for n in sizes]
    tiebreak = [rng.random() for _ in sizes]
    order = sorted(range(len(sizes)), key=lambda h: (-remainders[h], tiebreak[h]))
    for h in order[: size - sum(seats)]:
        seats[h] += 1
    non_empty = [h for h, n in enumerate(sizes) if n > 0]
    if size >= len(non_empty):
        for h in non_empty:
            if seats[h] == 0:
                # Take the seat from the stratum most over-represented against its exact quota.
                donor = max(
                    (d for d in non_empty if seats[d] > 1),
                    key=lambda d: (Fraction(seats[d]) - Fraction(size * sizes[d], total), -d),
                )
                seats[donor] -= 1
                seats[h] = 1
    return seats


def draw_stratified(
    items: Sequence[T],
    key: Callable[[T], Any],
    stratum: Callable[[T], Hashable],
    size: int,
    seed: int,
) -> list[T]:
    """A stratified random sample of ``size`` items (all of them if fewer), in key order.

    ``key`` must be unique and sortable (e.g. the case reference); the same seed gives the same
    sample for the same items in any order.
    """
    if size < 0:
        raise ValueError("sample size cannot be negative")
    ordered = _sorted_by_key(items, key)
    if size >= len(ordered):
        return ordered
    rng = random.Random(seed)
    strata = _groups(ordered, stratum)
    seats = allocate([len(members) for members in strata], size, rng)
    chosen: list[int] = []
    for members, k in zip(strata, seats, strict=True):
        chosen.extend(rng.sample(members, k))
    return [ordered[position] for position in sorted(chosen)]


def dip_sample(
    items: Sequence[T],
    key: Callable[[T], Any],
    group: Callable[[T], Hashable],
    share: float,
    minimum: int,
    seed: int,
) -> list[T]:
    """Per group (e.g. per auditor) a random ceil(share × n), but at least ``minimum``, in key order.

    The minimum makes sure every auditor's grading is moderated even when they did few audits.
    """
    if not 0 <= share <= 1:
        raise ValueError("share must be between 0 and 1")
    if minimum < 0:
        raise ValueError("minimum cannot be negative")
    # Fraction(str(...)) reads 0.1 as 1/10, so 0.1 × 30 is exactly 3, not 3.0000000000000004 → 4.
    exact_share = Fraction(str(share))
    ordered = _sorted_by_key(items, key)
    rng = random.Random(seed)
    chosen: list[int] = []
    for members in _groups(ordered, group):
        n = len(members)
        chosen.extend(rng.sample(members, min(n, max(math.ceil(exact_share * n), minimum))))
    return [ordered[position] for position in sorted(chosen)]


def top_up(
    items: Sequence[T],
    key: Callable[[T], Any],
    group: Callable[[T], Hashable],
    chosen: Sequence[T],
    minimum: int,
    seed: int,
) -> list[T]:
    """The items to add so every group (e.g. every auditor) has at least ``minimum`` in the sample.

    ``chosen`` is what is already drawn; a group short of the minimum gets a random pick of its
    other items (all of them if it has too few). In key order, independent of the input order.
    """
    if minimum < 0:
        raise ValueError("minimum cannot be negative")
    ordered = _sorted_by_key(items, key)
    taken = {key(item) for item in chosen}
    rng = random.Random(seed)
    added: list[int] = []
    for members in _groups(ordered, group):
        have = sum(key(ordered[position]) in taken for position in members)
        spare = [position for position in members if key(ordered[position]) not in taken]
        short = max(0, minimum - have)
        added.extend(rng.sample(spare, min(short, len(spare))))
    return [ordered[position] for position in sorted(added)]
