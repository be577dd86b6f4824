"""Samples are reproducible from their seed, proportional, and never skip a stratum."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.sampling import allocate, dip_sample, draw_stratified, new_seed, top_up


@dataclass(frozen=True)
class Case:
    case_ref: str
    phase: str


def population(sizes: dict[str, int]) -> list[Case]:
    return [Case(f"{phase[:3].upper()}{i:04d}", phase) for phase, n in sizes.items() for i in range(n)]


def ref(c: Case) -> str:
    return c.case_ref


def phase(c: Case) -> str:
    return c.phase


class TestAllocate:
    def test_largest_remainder_worked_example(self) -> None:
        # 100 cases, 10 seats. Quotas 4.6, 3.2, 1.5, 0.7 → floors 4, 3, 1, 0 (8 seats);
        # the 2 left go to the largest remainders, 0.7 and 0.6 → 5, 3, 1, 1.
        assert allocate([46, 32, 15, 7], 10, random.Random(0)) == [5, 3, 1, 1]

    def test_exact_quotas(self) -> None:
        assert allocate([60, 40], 10, random.Random(0)) == [6, 4]

    def test_every_stratum_gets_one_when_seats_allow(self) -> None:
        # Quotas 9, 0.6, 0.4 → 9, 1, 0; the empty stratum takes a seat from the largest → 8, 1, 1.
        assert allocate([90, 6, 4], 10, random.Random(0)) == [8, 1, 1]

    def test_fewer_seats_than_strata(self) -> None:
        seats = allocate([5, 5, 5, 5], 2, random.Random(0))
        assert sorted(seats) == [0, 0, 1, 1]

    def test_ties_are_broken_by_the_seed_not_by_position(self) -> None:
        winners = {tuple(allocate([5, 5, 5, 5], 1, random.Random(seed))) for seed in range(40)}
        assert len(winners) == 4

    def test_everything_when_size_covers_the_population(self) -> None:
        assert allocate([3, 2], 9, random.Random(0)) == [3, 2]


class TestDrawStratified:
    CASES = population({"early_years": 7, "primary": 46, "secondary": 32, "post_16": 15})

    def test_proportional_allocation(self) -> None:
        sample = draw_stratified(self.CASES, ref, phase, 10, seed=20240901)
        # 100 cases: quotas 0.7, 4.6, 3.2, 1.5 → 1, 5, 3, 1.
        assert Counter(c.phase for c in sample) == {"early_years": 1, "primary": 5, "secondary": 3, "post_16": 1}

    def test_same_seed_same_sample_in_any_order(self) -> None:
        first = draw_stratified(self.CASES, ref, phase, 12, seed=7)
        shuffled = list(self.CASES)
        random.Random(99).shuffle(shuffled)
        assert draw_stratified(shuffled, ref, phase, 12, seed=7) == first
        assert draw_stratified(tuple(reversed(self.CASES)), ref, phase, 12, seed=7) == first

    def test_different_seeds_differ(self) -> None:
        big = population({"a": 400, "b": 350, "c": 250})
        assert draw_stratified(big, ref, phase, 100, seed=1) != draw_stratified(big, ref, phase, 100, seed=2)

    def test_every_stratum_represented(self) -> None:
        cases = population({"primary": 200, "secondary": 150, "early_years": 2, "post_16": 1})
        sample = draw_stratified(cases, ref, phase, 4, seed=3)
        assert {c.phase for c in sample} == {"primary", "secondary", "early_years", "post_16"}

    def test_returned_in_key_order(self) -> None:
        sample = draw_stratified(self.CASES, ref, phase, 20, seed=5)
        assert sample == sorted(sample, key=ref)

    def test_size_at_least_population_returns_all(self) -> None:
        assert draw_stratified(self.CASES, ref, phase, 500, seed=1) == sorted(self.CASES, key=ref)
        assert draw_stratified([], ref, phase, 5, seed=1) == []

    def test_zero_and_negative(self) -> None:
        assert draw_stratified(self.CASES, ref, phase, 0, seed=1) == []
        with pytest.raises(ValueError, match="negative"):
            draw_stratified(self.CASES, ref, phase, -1, seed=1)

    def test_duplicate_keys_refused(self) -> None:
        with pytest.raises(ValueError, match="duplicate sampling key 'X1'"):
            draw_stratified([Case("X1", "a"), Case("X1", "b")], ref, phase, 1, seed=1)

    def test_unsortable_strata_are_fine(self) -> None:
        cases = [Case("A1", "x"), Case("A2", "y"), Case("A3", "x")]
        sample = draw_stratified(cases, ref, lambda c: None if c.phase == "x" else 2, 2, seed=4)
        assert len(sample) == 2 and Case("A2", "y") in sample


class TestDipSample:
    def test_share_with_minimum_per_group(self) -> None:
        audits = [
            (f"{auditor}-{i:02d}", auditor) for auditor, n in (("ann", 30), ("bob", 5), ("cat", 1)) for i in range(n)
        ]
        sample = dip_sample(audits, lambda a: a[0], lambda a: a[1], share=0.1, minimum=2, seed=11)
        # ann: ceil(0.1 × 30) = 3 exactly (no float creep to 4); bob: ceil(0.5) = 1 → minimum 2; cat: 1 of 1.
        assert Counter(a[1] for a in sample) == {"ann": 3, "bob": 2, "cat": 1}
        assert sample == sorted(sample)

    def test_reproducible_and_order_independent(self) -> None:
        audits = [(f"A{i:03d}", f"auditor{i % 7}") for i in range(140)]
        first = dip_sample(audits, lambda a: a[0], lambda a: a[1], 0.25, 1, seed=5)
        assert dip_sample(audits[::-1], lambda a: a[0], lambda a: a[1], 0.25, 1, seed=5) == first
        assert len(first) == 7 * 5

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="share must be between 0 and 1"):
            dip_sample([], str, str, 1.5, 1, seed=1)
        with pytest.raises(ValueError, match="minimum cannot be negative"):
            dip_sample([], str, str, 0.1, -1, seed=1)


def test_new_seed() -> None:
    seeds = {new_seed() for _ in range(5)}
    assert all(0 <= s < 2**31 for s in seeds)
    assert len(seeds) > 1


# --- properties ----------------------------------------------------------------------------------

populations = st.dictionaries(
    st.text("abcdefghij", min_size=1, max_size=4), st.sampled_from(["p", "q", "r", "s", "t"]), max_size=60
).map(lambda d: [Case(k, v) for k, v in d.items()])


@settings(max_examples=200, deadline=None)
@given(populations, st.integers(0, 70), st.integers(0, 2**31), st.randoms(use_true_random=False))
def test_sample_properties(cases: list[Case], size: int, seed: int, rnd: random.Random) -> None:
    sample = draw_stratified(cases, ref, phase, size, seed)
    assert len(sample) == min(size, len(cases))
    assert len(set(sample)) == len(sample)
    assert set(sample) <= set(cases)
    shuffled = list(cases)
    rnd.shuffle(shuffled)
    assert draw_stratified(shuffled, ref, phase, size, seed) == sample
    strata = Counter(c.phase for c in cases)
    counts = Counter(c.phase for c in sample)
    if size >= len(strata):
        assert set(counts) == set(strata)
    if size < len(cases) and all(Fraction(size * n, len(cases)) >= 1 for n in strata.values()):
        # Largest remainder: each stratum gets the floor or the ceiling of its exact quota.
        for h, n in strata.items():
            quota = Fraction(size * n, len(cases))
            assert quota - 1 < counts[h] < quota + 1


@settings(max_examples=100, deadline=None)
@given(populations, st.floats(0, 1), st.integers(0, 5), st.integers(0, 2**31))
def test_dip_sample_properties(cases: list[Case], share: float, minimum: int, seed: int) -> None:
    sample = dip_sample(cases, ref, phase, share, minimum, seed)
    assert len(set(sample)) == len(sample) and set(sample) <= set(cases)
    totals = Counter(c.phase for c in cases)
    counts = Counter(c.phase for c in sample)
    for h, n in totals.items():
        assert min(n, minimum) <= counts[h] <= n
        assert counts[h] >= min(n, max(minimum, 1 if share > 0 else 0))


def test_top_up_gives_every_group_its_minimum_in_any_input_order() -> None:
    items = [(f"A{n:02d}", "busy") for n in range(10)] + [("B01", "quiet"), ("B02", "quiet"), ("C01", "rare")]
    chosen = [("A03", "busy"), ("A07", "busy"), ("B02", "quiet")]

    def key(item: tuple[str, str]) -> str:
        return item[0]

    def group(item: tuple[str, str]) -> str:
        return item[1]

    added = top_up(items, key, group, chosen, 2, seed=4)
    assert added == sorted(added, key=key)
    counts = Counter(group(i) for i in chosen + added)
    assert counts == {"busy": 2, "quiet": 2, "rare": 1}  # "rare" has only one
    assert not set(added) & set(chosen)
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    assert top_up(shuffled, key, group, chosen[::-1], 2, seed=4) == added
    assert top_up(items, key, group, chosen, 0, seed=4) == []
    with pytest.raises(ValueError, match="minimum cannot be negative"):
        top_up(items, key, group, chosen, -1, seed=4)
