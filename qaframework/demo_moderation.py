"""Demo moderation: half-termly samples of submitted Tier 1 and 2 audits, re-graded blind by the panel
and agreed, with agreement improving over six half terms and one auditor who grades generously.

The demo's audit samples are used where they exist (``Sample`` rows of kind "audits", drawn by the
samples demo); otherwise a sample of about an eighth of each half term's submitted audits is drawn
here and stored with its seed. In the current half term some sampled audits are left for the panel
to do in the browser: some not yet re-graded by anyone (blind to every panel member), one re-graded
by one member only (blind to the chair, who can then re-grade it and agree).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import OFSTED4, AuditStatus, Rating, Tier
from qaframework.operations.base import record
from qaframework.store import (
    Audit,
    ModerationRating,
    ModerationRecord,
    ModerationSectionGrade,
    Sample,
    SampleItem,
    User,
)

GENEROUS_AUDITOR = "tom.reid"
REASONS = (
    "Provision in section F is not quantified: the panel agreed a lower grade.",
    "Health needs are described only in general terms; the panel agreed a lower grade.",
    "The child's views are third person and generic; the section does not meet the standard.",
    "The outcomes are specific and measurable; the panel agreed the higher grade.",
)
SECTION_REASON = "The panel read the evidence for this section differently from the auditor."


@dataclass
class ModerationSummary:
    sampled: int = 0
    moderated: int = 0
    pending: int = 0


def _shift(grade: str, by: int) -> str:
    return OFSTED4.from_rank(OFSTED4.rank(grade) + by)


def _lower_rating(rating: str) -> str:
    return {"met": "partially_met", "partially_met": "not_met"}.get(rating, rating)


def _higher_rating(rating: str) -> str:
    return {"not_met": "partially_met", "partially_met": "met"}.get(rating, rating)


def _candidates(audits: list[Audit], cycle: str, panel_ids: set[int]) -> list[Audit]:
    return [
        a for a in audits
        if a.cycle == cycle and a.tier in (Tier.AGENCY_CHECK, Tier.SINGLE_AGENCY)
        and a.status in (AuditStatus.SUBMITTED, AuditStatus.CLOSED) and a.suggested_grade
        and a.template.scale.code == OFSTED4.code and a.auditor_id not in panel_ids
    ]


def _sampled_audits(
    session: Session, rng: random.Random, audits: list[Audit], cycle: str, creator: User, panel_ids: set[int]
) -> list[Audit]:
    """The demo samples' items for this cycle if there are any, else a sample drawn here."""
    by_id = {a.id: a for a in audits}
    existing = session.scalars(
        select(SampleItem.audit_id).join(Sample, Sample.id == SampleItem.sample_id)
        .where(Sample.cycle == cycle, Sample.kind == "audits", SampleItem.audit_id.is_not(None))
    ).all()
    chosen = [by_id[i] for i in existing if i in by_id and by_id[i] in _candidates(audits, cycle, panel_ids)]
    if existing:
        return chosen
    candidates = _candidates(audits, cycle, panel_ids)
    if not candidates:
        return []
    seed = rng.randrange(1, 2**31)
    size = min(len(candidates), max(6, len(candidates) // 8))
    chosen = random.Random(seed).sample(sorted(candidates, key=lambda a: a.id), k=size)
    sample = Sample(cycle=cycle, kind="audits", seed=seed, size=size, created_by_id=creator.id,
                    criteria={"of": "audits", "size": size, "by": [], "drawn_for": "moderation (demo)"})
    sample.items = [SampleItem(audit_id=a.id) for a in chosen]
    session.add(sample)
    session.flush()
    return chosen


def make_moderation(
    session: Session, rng: random.Random, users: dict[str, User], audits: list[Audit], cycles: list[str],
    now: datetime,
) -> ModerationSummary:
    """Sample, re-grade blind and agree, half term by half term (``cycles`` oldest first); nothing is
    dated after ``now`` (the trail is append-only, so its dates are right when written)."""
    chair, member = users["panel.chair"], users["panel.member"]
    panel_ids = {chair.id, member.id}
    summary = ModerationSummary()
    for index, cycle in enumerate(cycles):
        chosen = _sampled_audits(session, rng, audits, cycle, chair, panel_ids)
        summary.sampled += len(chosen)
        is_current = index == len(cycles) - 1
        # Agreement improves: the panel disagrees with auditors less each half term.
        disagree = max(0.04, 0.6 - 0.11 * index)
        blind_slip = max(0.08, 0.35 - 0.05 * index)
        question_slip = max(0.04, 0.22 - 0.035 * index)
        for position, audit in enumerate(chosen):
            pending_from = len(chosen) * 2 // 3
            if is_current and position >= pending_from:
                if position == pending_from:  # re-graded by one member, not yet by the chair
                    _blind(session, rng, audit, member, audit.auditor_grade or audit.suggested_grade or "good",
                           blind_slip, question_slip, now)
                summary.pending += 1
                continue
            _moderate(session, rng, audit, [chair, member] if rng.random() < 0.6 else [rng.choice([chair, member])],
                      disagree, blind_slip, question_slip, now)
            summary.moderated += 1
    return summary


def _moderate(
    session: Session, rng: random.Random, audit: Audit, moderators: list[User],
    disagree: float, blind_slip: float, question_slip: float, now: datetime,
) -> None:
    original = audit.auditor_grade or audit.suggested_grade
    assert original is not None and audit.suggested_grade is not None
    generous = audit.auditor.email.startswith(GENEROUS_AUDITOR)
    if generous and audit.auditor_grade and audit.auditor_grade != audit.suggested_grade:
        agreed = audit.suggested_grade  # the panel takes back the generous auditor's uplift
    elif generous and rng.random() < 0.5:
        agreed = _shift(original, -1)
    elif rng.random() < disagree:
        agreed = _shift(original, rng.choice([-1, -1, 1]))
    else:
        agreed = original
    when = min(now, (audit.submitted_at or audit.created_at) + timedelta(days=rng.randint(7, 30)))
    records = [_blind(session, rng, audit, m, agreed, blind_slip, question_slip, now, when) for m in moderators]
    reason = None if agreed == original else rng.choice(REASONS[:3] if OFSTED4.rank(agreed) < OFSTED4.rank(original)
                                                        else REASONS[3:])
    agreed_at = min(now, when + timedelta(days=2))
    for moderation in records:
        moderation.agreed_grade, moderation.reason, moderation.agreed_at = agreed, reason, agreed_at
    shift = OFSTED4.rank(agreed) - OFSTED4.rank(original)
    worst = min((g for g in audit.section_grades if g.suggested_grade), default=None,
                key=lambda g: OFSTED4.rank(g.suggested_grade or "good"))
    for row in audit.section_grades:
        row.moderated_grade = row.suggested_grade
        row.moderation_reason = None
        if shift and row is worst and row.suggested_grade:
            row.moderated_grade = _shift(row.suggested_grade, shift)
            row.moderation_reason = SECTION_REASON if row.moderated_grade != row.suggested_grade else None
    before = {"status": audit.status, "moderated_grade": None}
    audit.moderated_grade = agreed
    audit.status = AuditStatus.MODERATED.value
    entry = record(session, moderators[0], "moderation.agree", "audit", audit.id, before,
                   {"status": audit.status, "moderated_grade": agreed, "moderation_reason": reason})
    entry.at = agreed_at


def _blind(
    session: Session, rng: random.Random, audit: Audit, moderator: User, anchor: str,
    blind_slip: float, question_slip: float, now: datetime, when: datetime | None = None,
) -> ModerationRecord:
    """A blind re-grade near ``anchor`` (the grade the panel will agree): realistic, not identical."""
    generous = audit.auditor.email.startswith(GENEROUS_AUDITOR)
    blind = anchor if rng.random() >= blind_slip else _shift(anchor, rng.choice([-1, 1]))
    if when is None:
        when = (audit.submitted_at or audit.created_at) + timedelta(days=rng.randint(3, 9))
    at = min(now, when)
    moderation = ModerationRecord(
        audit_id=audit.id, moderator_id=moderator.id, blind_grade=blind,
        original_grade=audit.auditor_grade or audit.suggested_grade, section_grades={}, created_at=at,
    )
    flip: Callable[[str], str] = _lower_rating if generous or rng.random() < 0.6 else _higher_rating
    for response in audit.responses:
        rating = response.rating or Rating.MET.value
        if rating != Rating.NOT_APPLICABLE and rng.random() < question_slip * (1.8 if generous else 1):
            rating = flip(rating)
        moderation.ratings.append(ModerationRating(question_id=response.question_id,
                                                   section_id=response.section_id, rating=rating))
    for row in audit.section_grades:
        grade = row.suggested_grade or anchor
        if rng.random() < blind_slip / 2:
            grade = _shift(grade, rng.choice([-1, 1]))
        moderation.sections.append(ModerationSectionGrade(section_id=row.section_id, blind_grade=grade))
    session.add(moderation)
    entry = record(session, moderator, "moderation.blind_regrade", "audit", audit.id,
                   after={"blind_grade": blind})
    entry.at = at
    return moderation
