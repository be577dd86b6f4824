"""Tier 3 panel audits: the rules for grading each agency's contribution and for the panel present.

The Tier 3 checklists ask the panel to grade each agency's contribution (the new-plan audit's
T3-N-24 "Has the panel graded each agency's advice…", the annual review's T3-AR-04 "Did health and
social care contribute…", the refusal audit's T3-RD-06 "Did each agency's strategic lead…"). The
grade is on the checklist's own scale, so it reads like every other grade; an agency that had no
part in this plan is marked not involved, with the reason. Pure rules: the store keeps the rows,
``qaframework.operations.panel_audits`` saves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qaframework import limits
from qaframework.checklists.model import Section, Template
from qaframework.framework import GradeScale, Tier

#: The choice that says an agency had no part in this plan (instead of a grade).
NOT_INVOLVED = "not_involved"
#: A short note: the panel's finding in a sentence or two, not a report.
MAX_NOTE = limits.CONTRIBUTION_NOTE
#: The question of each Tier 3 checklist that asks for agencies' contributions to be graded.
#: Question ids are permanent across versions (audit_templates/README.md), so later versions keep it.
CONTRIBUTION_QUESTIONS = frozenset({"T3-N-24", "T3-AR-04", "T3-RD-06"})


def has_contributions(template: Template) -> bool:
    """Every Tier 3 (multi-agency) checklist grades the agencies' contributions."""
    return template.tier == Tier.MULTI_AGENCY


def contribution_section(template: Template) -> Section | None:
    """The section whose page shows the agency grades: the one asking for them; for an area's own
    Tier 3 checklist without such a question, its section on advice, else its last section."""
    if not has_contributions(template):
        return None
    for section in template.sections:
        if any(q.id in CONTRIBUTION_QUESTIONS for q in section.questions):
            return section
    return next((s for s in template.sections if "advice" in s.plan_sections), template.sections[-1])


@dataclass(frozen=True)
class ContributionInput:
    """One agency's contribution as a form or script gives it: a grade code, ``NOT_INVOLVED`` or
    nothing yet, and a note (the reason, when not involved)."""

    choice: str | None
    note: str = ""

    def normalised(self) -> tuple[str | None, bool, str]:
        """(grade, involved, note) exactly as stored."""
        choice = (self.choice or "").strip() or None
        if choice == NOT_INVOLVED:
            return None, False, self.note.strip()
        return choice, True, self.note.strip()

    @property
    def empty(self) -> bool:
        return self.normalised() == (None, True, "")


#: Which part of a contribution a problem is about: the grade (or "not involved") or the note.
CHOICE, NOTE = "choice", "note"


def contribution_problem(given: ContributionInput, scale: GradeScale, agency_name: str) -> tuple[str, str] | None:
    """(part, message): why this contribution cannot be saved, in words for the panel (checked at
    every save, so the panel hears at once rather than at submit)."""
    grade, involved, note = given.normalised()
    if grade is not None and grade not in scale.codes:
        return CHOICE, f"Choose a grade for {agency_name} from the list"
    if not involved and not note:
        return NOTE, f"Say why {agency_name} was not involved"
    if len(note) > MAX_NOTE:
        return NOTE, f"Keep the note on {agency_name} to {MAX_NOTE:,} characters or fewer"
    return None


def missing_contributions(
    stored: Mapping[str, tuple[str | None, bool, str]], agencies: Iterable[tuple[str, str]]
) -> list[tuple[str, str, str]]:
    """(agency code, part, message) for each agency not yet graded nor marked not involved with a
    reason: what stops a panel audit being submitted. ``agencies`` are (code, name), in order."""
    problems = []
    for code, name in agencies:
        grade, involved, note = stored.get(code, (None, True, ""))
        if involved and grade is None:
            problems.append((code, CHOICE, f"Grade {name}'s contribution, or mark it not involved with a reason"))
        elif not involved and not note:
            problems.append((code, NOTE, f"Say why {name} was not involved"))
    return problems


def contribution_field(agency_code: str, part: str) -> str:
    """The field name a contribution problem is reported on: ``contribution-<agency>`` for the grade,
    ``contribution-<agency>-note`` for the note."""
    return f"contribution-{agency_code}" + ("-note" if part == NOTE else "")
