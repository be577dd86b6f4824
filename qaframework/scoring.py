"""Responses to a checklist → suggested section and overall grades, and what is still missing.

The suggestion follows the template's declarative grading rules (docs/domain-notes.md §1) so that
two auditors giving the same responses always get the same suggested grade; the auditor may then
override it with a rationale, and moderation measures the drift. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from qaframework.checklists.model import CapRule, Grading, OverallCapRule, Section, Template
from qaframework.framework import GRADE_SCALES, GradeScale, Rating

__all__ = [
    "Answer",
    "FiredCap",
    "GradeSuggestion",
    "MissingItem",
    "allows_exemplary",
    "completeness",
    "exemplary_eligible",
    "explain_grading",
    "grading_rule_name",
    "overall_grade",
    "rating_counts",
    "suggest_grades",
    "suggests_grades",
]


@dataclass(frozen=True)
class Answer:
    """One response as the auditor left it; ``rating`` None means not answered yet."""

    rating: Rating | None
    evidence: str = ""
    na_reason: str = ""


@dataclass(frozen=True)
class FiredCap:
    """An overall cap that held the suggestion down, and how many answers set it off."""

    rule: OverallCapRule
    count: int

    def describe(self, scale: GradeScale) -> str:
        """E.g. "2 statutory questions Not met: overall at most Requires improvement"."""
        kinds = []
        if self.rule.statutory is not None:
            kinds.append("statutory" if self.rule.statutory else "good-practice")
        if self.rule.limiting is not None:
            kinds.append("limiting" if self.rule.limiting else "non-limiting")
        noun = "question" if self.count == 1 else "questions"
        rating = Rating(self.rule.rating).label
        threshold = f" ({self.rule.at_least} or more)" if self.rule.at_least > 1 else ""
        subject = " ".join([str(self.count), *kinds, noun])
        return f"{subject} {rating}{threshold}: overall at most {scale.label(self.rule.cap)}"


@dataclass(frozen=True)
class GradeSuggestion:
    """Suggested grade per section id (template order) and overall; None means nothing to grade.

    ``held_by`` lists the overall caps that fired (empty for rules without ``overall_caps``).
    """

    sections: dict[str, str | None]
    overall: str | None
    held_by: tuple[FiredCap, ...] = ()


@dataclass(frozen=True)
class MissingItem:
    """Something an auditor must fix before submitting, worded for the auditor."""

    question_id: str
    section_id: str
    problem: str


def _as_answer(value: Answer | Rating | None) -> Answer:
    # Callers that only track ratings (tests, imports) may pass bare Ratings or their string values.
    if isinstance(value, Answer):
        return value
    return Answer(rating=None if value is None else Rating(value))


def _gradable(answer: Answer) -> bool:
    return answer.rating is not None and answer.rating is not Rating.NOT_APPLICABLE


def allows_exemplary(template: Template) -> bool:
    """Whether the checklist has an exemplary grade to give at all (rules mode with one set)."""
    return template.grading.mode == "rules" and template.grading.exemplary is not None


def suggests_grades(template: Template) -> bool:
    """False for checklists (Tier 4) that leave every grade to the reviewer's judgement."""
    return template.grading.mode == "rules"


def exemplary_eligible(template: Template, section: Section, answers: Mapping[str, Answer | Rating]) -> bool:
    """A section may be marked exemplary when every question is answered and every graded one is Met.

    The judgement page offers exactly these sections, and :func:`suggest_grades` honours the mark
    only while this holds, so a later Partially met silently withdraws it.
    """
    if not allows_exemplary(template):
        return False
    given = [_as_answer(answers.get(q.id)) for q in section.questions]
    graded = [a for a in given if _gradable(a)]
    return all(a.rating is not None for a in given) and bool(graded) and all(a.rating is Rating.MET for a in graded)


def _section_grade(
    template: Template, section: Section, answers: Mapping[str, Answer | Rating], exemplary: bool
) -> str | None:
    grading = template.grading
    scale = template.scale
    given = {q.id: _as_answer(answers.get(q.id)) for q in section.questions}
    graded = [(q, given[q.id]) for q in section.questions if _gradable(given[q.id])]
    if not graded:
        return None
    assert grading.uncapped is not None  # guaranteed by Grading's validator in rules mode
    caps = [grading.cap_for(a.rating, q.statutory, q.limiting) for q, a in graded if a.rating is not None]
    grade = scale.worst([*caps, grading.uncapped])
    if exemplary and grading.exemplary is not None and exemplary_eligible(template, section, answers):
        # ``best`` so a template whose exemplary grade sits below uncapped can never punish
        # an auditor for flagging excellence (the model does not forbid that ordering).
        grade = scale.best([grade, grading.exemplary])
    return grade


def overall_grade(scale: GradeScale, limiting: list[str], others: list[str], others_max_bands_above: int) -> str | None:
    """The lowest limiting section, and no more than N bands above the lowest of the rest.

    Limiting sections (B, E, F …) bound the whole plan because a weak one makes it unenforceable;
    the others may pull the grade down but only so far, which keeps one weak non-limiting section
    from sinking an otherwise good plan.
    """
    if limiting:
        lowest = scale.worst(limiting)
        if not others:
            return lowest
        ceiling = scale.from_rank(scale.rank(scale.worst(others)) + others_max_bands_above)
        return scale.worst([lowest, ceiling])
    if others:
        return scale.worst(others)
    return None


def suggest_grades(
    template: Template,
    answers: Mapping[str, Answer | Rating],
    exemplary_sections: Collection[str] = (),
) -> GradeSuggestion:
    """Apply the template's grading rules; N/A and unanswered questions never count.

    Judgement-mode templates (Tier 4) leave every grade to the reviewer, so all are None.
    Answers to question ids not in the template are ignored.
    """
    grading = template.grading
    if grading.mode == "judgement":
        return GradeSuggestion(sections={s.id: None for s in template.sections}, overall=None)
    sections = {s.id: _section_grade(template, s, answers, s.id in exemplary_sections) for s in template.sections}
    limiting: list[str] = []
    others: list[str] = []
    for section in template.sections:
        grade = sections[section.id]
        if grade is not None:
            (limiting if section.limiting else others).append(grade)
    overall = overall_grade(template.scale, limiting, others, grading.others_max_bands_above)
    if overall is None:
        return GradeSuggestion(sections=sections, overall=None)
    fired = _fired_overall_caps(template, answers)
    if fired:
        overall = template.scale.worst([overall, *(f.rule.cap for f in fired)])
    return GradeSuggestion(sections=sections, overall=overall, held_by=tuple(fired))


def _fired_overall_caps(template: Template, answers: Mapping[str, Answer | Rating]) -> list[FiredCap]:
    """Whole-audit ceilings whose count of matching answers reached ``at_least``.

    Counted across every section, so a statutory failure in a section that cannot limit the
    overall grade (views, advice, timeliness) still reaches the headline.
    """
    rules = template.grading.overall_caps
    if not rules:
        return []
    graded = [(q, _as_answer(answers.get(q.id)).rating) for q in template.questions()]
    fired = []
    for rule in rules:
        count = sum(
            1
            for q, rating in graded
            if rating is not None
            and rating is not Rating.NOT_APPLICABLE
            and rule.matches(rating, q.statutory, q.limiting)
        )
        if count >= rule.at_least:
            fired.append(FiredCap(rule, count))
    return fired


def _problem(question_id: str, na_allowed: bool, answer: Answer) -> str | None:
    rating = answer.rating
    if rating is None:
        return f"Select a rating for {question_id}"
    if rating is Rating.NOT_APPLICABLE:
        if not na_allowed:
            return f"{question_id} cannot be marked not applicable: select Met, Partially met or Not met"
        if not answer.na_reason.strip():
            return f"Give a reason why {question_id} is not applicable"
        return None
    if rating in (Rating.PARTIALLY_MET, Rating.NOT_MET) and not answer.evidence.strip():
        return f"Give the evidence for rating {question_id} as {rating.label.lower()}"
    return None


def completeness(template: Template, answers: Mapping[str, Answer | Rating]) -> list[MissingItem]:
    """What stops the audit being submitted, one item per question, in template order.

    Evidence is required for Partially met and Not met because it is what moderators and the
    Learning and Improvement Group read; N/A needs a reason because it removes a question from the
    grade.
    """
    missing: list[MissingItem] = []
    for section in template.sections:
        for question in section.questions:
            problem = _problem(question.id, question.not_applicable.allowed, _as_answer(answers.get(question.id)))
            if problem is not None:
                missing.append(MissingItem(question_id=question.id, section_id=section.id, problem=problem))
    return missing


def rating_counts(answers: Mapping[str, Answer | Rating] | Collection[Answer | Rating]) -> dict[Rating, int]:
    """How many responses carry each rating (every rating present, zero if unused); unanswered skipped."""
    values = answers.values() if isinstance(answers, Mapping) else answers
    counts = dict.fromkeys(Rating, 0)
    for value in values:
        rating = _as_answer(value).rating
        if rating is not None:
            counts[rating] += 1
    return counts


# --- the rules in words, for the guidance page auditors read ------------------------------------------


def grading_rule_name(template: Template) -> str:
    """"Rule plan-quality v2" for a shared rule, or "Rules written in this checklist (v1)"."""
    rule = template.grading.rule
    if rule is not None:
        return f"Rule {rule.id} v{rule.version}"
    return f"Rules written in this checklist (v{template.version})"


def _kind(rule: CapRule) -> str:
    words = []
    if rule.statutory is not None:
        words.append("statutory" if rule.statutory else "good-practice")
    if rule.limiting is not None:
        words.append("limiting" if rule.limiting else "non-limiting")
    return ", ".join(words) if words else "any"


def explain_grading(grading: Grading) -> list[str]:
    """The grading rules as plain sentences, in the order they apply.

    A shared rule file's own ``description`` comes first (it is written for auditors); the
    sentences below it are generated from the rules themselves, so they cannot drift from what
    the code does, and inline (v1) rules get the same explanation.
    """
    scale = GRADE_SCALES[grading.scale]
    lines: list[str] = []
    if grading.mode == "judgement":
        lines.append(
            "No grade is suggested from the answers: you choose the judgement ("
            + ", ".join(scale.labels)
            + ") and give your reasons."
        )
        return lines
    assert grading.uncapped is not None
    lines.append(f"Each section you answer starts at {scale.label(grading.uncapped)}.")
    for cap in grading.caps:
        rating = Rating(cap.rating).label
        lines.append(f"{rating} on {'any question' if _kind(cap) == 'any' else 'a ' + _kind(cap) + ' question'}: "
                     f"the section is at most {scale.label(cap.cap)}.")
    lines.append("When several of these apply, the lowest wins. Not applicable answers never count.")
    if grading.exemplary is not None:
        lines.append(
            f"A section is {scale.label(grading.exemplary)} only when every answer in it is Met "
            "and you mark it exemplary."
        )
    bands = grading.others_max_bands_above
    lines.append(
        "The overall grade is the lowest of the limiting sections (those without which the plan cannot be "
        f"enforced), and no more than {bands} grade{'s' if bands != 1 else ''} above the lowest of the other sections."
    )
    for overall in grading.overall_caps:
        rating = Rating(overall.rating).label
        kind = "" if _kind(overall) == "any" else f"{_kind(overall)} "
        if overall.at_least == 1:
            counted = f"Any {rating} answer on a {kind}question"
        else:
            counted = f"{overall.at_least} or more {rating} answers on {kind}questions"
        lines.append(
            f"{counted}, anywhere in the checklist: the overall grade is at most {scale.label(overall.cap)}."
        )
    return lines
