"""The demo area's half-term samples, drawn with the real operation so they can be drawn again.

For each of the demo's six cycles the panel chair draws the audits to moderate (a tenth of each
agency's, at least one per auditor, plus the Inadequate and overridden grades, two of each at
most) and three cases for Tier 3 panel audits; both go to the panel. In the current cycle the
system leader draws two cases for Tier 4 reviews, given to them and the parent carer forum
representative. Runs inside ``load_demo``'s transaction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from fractions import Fraction

from sqlalchemy.orm import Session

from qaframework.framework import Cycle, SampleKind
from qaframework.operations.samples import RiskRule, SampleParameters, add_assignments, add_sample
from qaframework.store import Sample, User

#: Who draws and who is given each demo sample (demo user e-mail local parts).
PANEL = ("panel.chair", "panel.member")
TIER4 = ("system.leader", "parent.forum")


def _drawn(sample: Sample, day: date) -> Sample:
    """Date the sample as drawn on the day it was judged (the demo makes history in one go)."""
    sample.created_at = datetime.combine(day, time(16, 0), tzinfo=UTC)
    return sample


def load_demo_samples(
    session: Session, seed: int, users: dict[str, User], cycles: Sequence[Cycle], today: date
) -> list[Sample]:
    """Draw and assign the demo's samples; returns them in the order drawn. Seeds come from a stream
    of their own, so the rest of the demo is the same with or without them."""
    rng = random.Random(f"demo samples {seed}")
    chair, leader = users["panel.chair"], users["system.leader"]
    panel = [users[name].id for name in PANEL]
    samples: list[Sample] = []
    for cycle in cycles:
        day = min(today, cycle.end)
        audits = add_sample(session, chair, SampleParameters(
            cycle=cycle.label, kind=SampleKind.AUDITS, proportion=Fraction(1, 10), strata=("agency",),
            minimum_per_auditor=1, risk_rules=(RiskRule.GRADED_INADEQUATE, RiskRule.GRADE_OVERRIDDEN),
            risk_limit=2, seed=rng.randrange(2**31), as_of=day,
        ), today)
        add_assignments(session, chair, audits, panel)
        cases = add_sample(session, chair, SampleParameters(
            cycle=cycle.label, kind=SampleKind.CASES, size=3, strata=("phase",), exclude_cycles=2,
            risk_rules=(RiskRule.ISSUED_LATE,), risk_limit=1, seed=rng.randrange(2**31), as_of=day,
        ), today)
        add_assignments(session, chair, cases, panel)
        samples += [_drawn(audits, day), _drawn(cases, day)]
    current = cycles[-1]
    reviews = add_sample(session, leader, SampleParameters(
        cycle=current.label, kind=SampleKind.CASES, size=2, exclude_cycles=2, seed=rng.randrange(2**31), as_of=today,
    ), today)
    add_assignments(session, leader, reviews, [users[name].id for name in TIER4])
    samples.append(_drawn(reviews, today))
    return samples
