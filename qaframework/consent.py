"""Whether a Tier 4 review may hold a conversation with the family, decided from its consent records.

Pure functions over records (read through their attributes), so the operations, the pages and
the tests ask the same question. The rules (docs/domain-notes.md §6.1, §6.2):

- the decision is the parent's or carer's for a child, the young person's own from the end of
  compulsory school age; a child's assent is sought at any age and a "no" from the child is
  respected, but the child's "yes" alone is not consent;
- only an unexpired, unwithdrawn "yes" whose scope includes the conversation allows it; keeping
  notes and a case study with quotations are separate parts of the scope;
- without that "yes" the review is a paper review: the conversation questions are not applicable,
  with the reason written into the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from qaframework.framework import ConsentDecision, ConsentParty, ConsentScope

if TYPE_CHECKING:
    from qaframework.checklists.model import Question, Template
    from qaframework.store import ConsentRecord

#: The parties whose "yes" or "no" decides (a child's assent is recorded but does not decide alone).
DECIDING_PARTIES = frozenset({ConsentParty.PARENT_CARER, ConsentParty.YOUNG_PERSON})
#: Every automatic "not applicable" reason starts with this, so the paper-review answers the
#: library wrote can be told from the reviewer's own.
PAPER_REVIEW = "Paper review:"


@dataclass(frozen=True)
class ConsentState:
    """What the family's recorded decisions allow today, and in words why not."""

    conversation: bool
    notes: bool
    case_study: bool
    reason: str

    @property
    def paper_review_reason(self) -> str:
        return f"{PAPER_REVIEW} {self.reason}"


def _when(record: ConsentRecord) -> date:
    return record.asked_on or record.recorded_at.date()


def consent_state(records: Iterable[ConsentRecord], today: date) -> ConsentState:
    """The state of one review's consent, from all its records (withdrawn ones included)."""
    records = sorted(records, key=lambda r: (_when(r), r.recorded_at, r.id or 0))
    if not records:
        return ConsentState(False, False, False, "no decision about a conversation is recorded for this review.")
    live = [r for r in records if r.withdrawn_at is None]
    refused = [r for r in live if r.decision == ConsentDecision.REFUSED]
    if refused:
        who = ConsentParty(refused[-1].given_by).label.lower()
        verb = "did not give their assent" if refused[-1].given_by == ConsentParty.CHILD_ASSENT else "declined"
        return ConsentState(False, False, False, f"{who} {verb} on {_when(refused[-1]):%-d %B %Y}.".capitalize())
    deciding = [r for r in live if r.given_by in DECIDING_PARTIES]
    if not deciding:
        withdrawn = [r for r in records if r.withdrawn_at is not None]
        if withdrawn:
            return ConsentState(
                False, False, False, f"consent was withdrawn on {withdrawn[-1].withdrawn_at:%-d %B %Y}."
            )
        return ConsentState(False, False, False, "only the child's assent is recorded; a parent, carer or young "
                            "person must decide.")
    latest = deciding[-1]
    scope = set(latest.scope or ())
    if latest.expires_on is not None and latest.expires_on < today:
        return ConsentState(False, False, False, f"consent expired on {latest.expires_on:%-d %B %Y}.")
    if ConsentScope.CONVERSATION not in scope:
        return ConsentState(False, False, False, "the consent recorded does not cover a conversation.")
    return ConsentState(
        True,
        ConsentScope.NOTES in scope,
        ConsentScope.CASE_STUDY in scope,
        f"{ConsentParty(latest.given_by).label} agreed on {_when(latest):%-d %B %Y}.",
    )


def decision_recorded(records: Iterable[ConsentRecord]) -> bool:
    """A review may start once a deciding party's answer (yes or no) is on record."""
    return any(r.given_by in DECIDING_PARTIES and r.withdrawn_at is None for r in records)


def conversation_questions(template: Template) -> list[Question]:
    """The questions only the family can answer: about the conversation, and not applicable in a
    paper review. Version 1 of the Tier 4 review has none (it allowed no N/A)."""
    if not template.requires_consent:
        return []
    return [q for q in template.questions() if "conversation" in q.plan_sections and q.not_applicable.allowed]


def conversation_ids(template: Template) -> frozenset[str]:
    return frozenset(q.id for q in conversation_questions(template))


def is_paper_review_answer(na_reason: str) -> bool:
    return na_reason.startswith(PAPER_REVIEW)


@dataclass(frozen=True)
class ConversationGap:
    """Something the conversation page still needs before the review can be submitted."""

    question_id: str
    problem: str


def conversation_gaps(
    questions: Sequence[Question],
    held_on: date | None,
    participants: Sequence[str],
    ratings: dict[str, dict[str, str]],
) -> list[ConversationGap]:
    """What a held conversation still lacks: its date, who took part, a rating per question."""
    gaps: list[ConversationGap] = []
    if held_on is None:
        gaps.append(ConversationGap("held_on", "Record the date of the conversation"))
    if not participants:
        gaps.append(ConversationGap("participants", "Record who took part in the conversation"))
    for q in questions:
        given = ratings.get(q.id) or {}
        if not given.get("rating"):
            gaps.append(ConversationGap(q.id, f"Rate the family's experience for {q.id}"))
        elif given["rating"] == "not_applicable" and not (given.get("na_reason") or "").strip():
            gaps.append(ConversationGap(q.id, f"Explain why {q.id} is not applicable"))
    return gaps
