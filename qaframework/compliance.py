"""Statutory compliance, reported beside the quality grade rather than folded into it.

A plan can be well written and still unlawful (no child's views, advice missing, issued in week
30): the grade says how good the plan is, compliance lists each breach of the law, with its label
and legal reference (domain review §2.3-1). Breaches come from two places: Not met answers on
questions marked ``breach: <code>``, and the case's own dates (issued late, review lapsed,
advice late), judged by ``qaframework.timeliness``. Pure functions, ``on`` always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from qaframework.checklists.model import Template
from qaframework.framework import DEFAULT_AGENCIES, Breach, Rating, Subject
from qaframework.scoring import Answer
from qaframework.timeliness import (
    AdviceFacts,
    RequestFacts,
    advice_clock,
    annual_review_due,
    issued_late,
    review_lapsed,
)

__all__ = [
    "BreachFound",
    "CaseDates",
    "Compliance",
    "assess_compliance",
    "breaches_from_answers",
    "breaches_from_dates",
    "codes_of",
    "date_checks_for",
]

#: Which of the case's dates are judged for an audit of each subject: an annual review audit is not
#: about whether the plan was issued on time, nor a refusal audit about reviews.
_DATE_CHECKS: dict[Subject, frozenset[Breach]] = {
    Subject.DRAFT_PLAN: frozenset({Breach.ADVICE_LATE}),
    Subject.FINAL_PLAN: frozenset({Breach.ISSUED_LATE, Breach.ADVICE_LATE, Breach.REVIEW_LAPSED}),
    Subject.ANNUAL_REVIEW: frozenset({Breach.REVIEW_LAPSED}),
    Subject.ADVICE: frozenset({Breach.ADVICE_LATE}),
    Subject.REFUSAL_DECISION: frozenset(),
}


def date_checks_for(subject: Subject | str) -> list[Breach]:
    """The breaches the case's dates are judged for in an audit of ``subject``, in enum order."""
    checks = _DATE_CHECKS[Subject(subject)]
    return [b for b in Breach if b in checks]


@dataclass(frozen=True)
class BreachFound:
    """One kind of breach in one audit: the questions answered Not met and what the dates show."""

    breach: Breach
    question_ids: tuple[str, ...] = ()
    #: What the case's dates show, in words (None when only answers found it).
    from_dates: str | None = None

    @property
    def label(self) -> str:
        return self.breach.label

    @property
    def reference(self) -> str:
        return self.breach.reference


@dataclass(frozen=True)
class Compliance:
    """Every breach found for one audit, in the order of the ``Breach`` enum."""

    breaches: tuple[BreachFound, ...] = ()

    @property
    def compliant(self) -> bool:
        return not self.breaches

    @property
    def codes(self) -> list[str]:
        return [b.breach.value for b in self.breaches]

    @property
    def headline(self) -> str:
        """ "No breaches found" or "2 breaches: views missing; issued late", for one line on a page."""
        if self.compliant:
            return "No statutory breaches found"
        noun = "breach" if len(self.breaches) == 1 else "breaches"
        return f"{len(self.breaches)} {noun}: " + "; ".join(b.label for b in self.breaches)


@dataclass(frozen=True)
class CaseDates:
    """The dates compliance reads for one audit; any may be unknown.

    ``review_decisions`` are the dates annual reviews concluded (the LA's decision), oldest first;
    ``advice`` the requests for advice made for the audited assessment.
    """

    request: RequestFacts | None = None
    plan_issued: date | None = None
    review_decisions: tuple[date, ...] = ()
    advice: tuple[AdviceFacts, ...] = field(default_factory=tuple)


def breaches_from_answers(template: Template, answers: Mapping[str, Answer | Rating]) -> dict[Breach, list[str]]:
    """Question ids answered Not met on each breach-marked question, in template order."""
    found: dict[Breach, list[str]] = {}
    for question in template.questions():
        if question.breach is None:
            continue
        value = answers.get(question.id)
        rating = value.rating if isinstance(value, Answer) else (Rating(value) if value is not None else None)
        if rating is Rating.NOT_MET:
            found.setdefault(question.breach, []).append(question.id)
    return found


def _issued_late(dates: CaseDates) -> str | None:
    facts = dates.request
    if facts is None or not issued_late(facts) or facts.final_issued_date is None:
        return None
    day = (facts.final_issued_date - facts.start).days
    week = -(-day // 7)
    return f"final plan issued on day {day} (week {week}) of the {facts.final_limit_days // 7}-week limit"


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _review_lapsed(dates: CaseDates, on: date) -> str | None:
    """The latest review concluded after it was due, or none has concluded in time since (CFA s44)."""
    if dates.plan_issued is None:
        return None
    decisions = sorted(d for d in dates.review_decisions if d >= dates.plan_issued)
    last = decisions[-1] if decisions else None
    if last is not None:
        previous = decisions[-2] if len(decisions) > 1 else None
        due = annual_review_due(dates.plan_issued, previous)
        if due is not None and last > due:
            return f"the review concluded on {_day(last)}, after it was due on {_day(due)}"
    if review_lapsed(dates.plan_issued, last, on):
        due = annual_review_due(dates.plan_issued, last)
        return f"no review concluded by {_day(due)}" if due else "no review concluded within 12 months"
    return None


_AGENCY_NAMES = {a.code: a.name for a in DEFAULT_AGENCIES}


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _advice_late(dates: CaseDates, on: date, agency: str | None) -> str | None:
    late = []
    for facts in dates.advice:
        if agency is not None and facts.agency != agency:
            continue
        clock = advice_clock(facts, on)
        name = _AGENCY_NAMES.get(facts.agency, facts.agency)
        if clock.status == "received_late":
            late.append(f"{name}: received {_days(clock.days_late)} late")
        elif clock.status == "overdue" and facts.exception is None:
            late.append(f"{name}: {_days(clock.days_late)} overdue")
    return "; ".join(late) or None


def breaches_from_dates(subject: Subject, dates: CaseDates, on: date, agency: str | None = None) -> dict[Breach, str]:
    """What the case's own dates show for an audit of ``subject``, judged on ``on``.

    ``agency`` limits advice to one body (a Tier 2 audit of that body's advice).
    """
    checks = _DATE_CHECKS[Subject(subject)]
    found: dict[Breach, str] = {}
    if Breach.ISSUED_LATE in checks and (detail := _issued_late(dates)):
        found[Breach.ISSUED_LATE] = detail
    if Breach.REVIEW_LAPSED in checks and (detail := _review_lapsed(dates, on)):
        found[Breach.REVIEW_LAPSED] = detail
    if Breach.ADVICE_LATE in checks and (detail := _advice_late(dates, on, agency)):
        found[Breach.ADVICE_LATE] = detail
    return found


def assess_compliance(
    template: Template,
    answers: Mapping[str, Answer | Rating],
    subject: Subject | str,
    dates: CaseDates,
    on: date,
    agency: str | None = None,
) -> Compliance:
    """Every breach for one audit: from its answers and from the case's dates, one entry per kind."""
    by_answer = breaches_from_answers(template, answers)
    by_date = breaches_from_dates(Subject(subject), dates, on, agency)
    found = [
        BreachFound(breach, tuple(by_answer.get(breach, ())), by_date.get(breach))
        for breach in Breach
        if breach in by_answer or breach in by_date
    ]
    return Compliance(tuple(found))


def codes_of(compliances: Iterable[Compliance]) -> dict[str, int]:
    """How many audits show each breach code (for board totals), in enum order, zeros left out."""
    counts = {b.value: 0 for b in Breach}
    for compliance in compliances:
        for code in compliance.codes:
            counts[code] += 1
    return {code: n for code, n in counts.items() if n}
