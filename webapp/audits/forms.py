"""The checklist form, built from the template rather than WTForms classes: field names, parsing,
error placement and the comparison shown when a save collides with someone else's.

The checklist is data (any number of sections and questions), so fields are named per question
(``rating-<qid>``, ``evidence-<qid>``, ``na_reason-<qid>``) and the same names are the element ids,
which is what lets an error summary link land on the exact question.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from qaframework.checklists.model import Question, Section, Template
from qaframework.framework import Rating
from qaframework.operations.audits import ResponseInput, judgement_problem
from qaframework.operations.base import FieldError
from qaframework.scoring import Answer, MissingItem, suggest_grades

RATING, EVIDENCE, NA_REASON, BASE = "rating", "evidence", "na_reason", "base"
DIGEST_RE = re.compile(r"^[0-9a-f]{16}$")
KINDS = (RATING, EVIDENCE, NA_REASON)
#: Where an error that belongs to no field on the page links to.
FORM_ANCHOR = "checklist-form"


def field_id(kind: str, question_id: str) -> str:
    """Name and id of one question's field; the first radio carries the bare id, as GOV.UK does."""
    return f"{kind}-{question_id}"


def text(form: Mapping[str, str], name: str) -> str:
    """A textarea's value with browser line endings made consistent, so comparisons are fair."""
    return (form.get(name) or "").replace("\r\n", "\n")


def parse_version(form: Mapping[str, str]) -> int | None:
    raw = (form.get("version") or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@dataclass
class QuestionState:
    """What one question shows: its values (stored or just typed) and any error per field."""

    question: Question
    rating: str | None = None
    evidence: str = ""
    na_reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    #: Digest of the answer as this page first showed it, so a save sends only what the user changed.
    base: str = ""


def answer_digest(value: Answer | ResponseInput | None) -> str:
    """A short fingerprint of an answer as the library would store it."""
    if value is None:
        normal = _normal(None, "", "")
    else:
        rating = value.rating.value if isinstance(value, Answer) and value.rating else getattr(value, "rating", None)
        normal = _normal(rating, value.evidence, value.na_reason)
    return hashlib.sha1("\x1f".join(x or "" for x in normal).encode()).hexdigest()[:16]


def bases_from(form: Mapping[str, str], questions: Iterable[Question]) -> dict[str, str]:
    """The digests the page was rendered with (ignoring anything malformed)."""
    found = {}
    for q in questions:
        raw = (form.get(field_id(BASE, q.id)) or "").strip()
        if DIGEST_RE.match(raw):
            found[q.id] = raw
    return found


def changed_only(given: Mapping[str, ResponseInput], bases: Mapping[str, str]) -> dict[str, ResponseInput]:
    """Only the answers the user changed since the page was shown (three-way merge: a colleague's
    saved answers to other questions are left alone). Without a digest, the answer counts as changed;
    ids the template does not know are passed on so the library refuses them."""
    return {qid: value for qid, value in given.items() if qid not in bases or answer_digest(value) != bases[qid]}


def parse_section(form: Mapping[str, str], section: Section, template: Template) -> dict[str, ResponseInput]:
    """The section's answers as typed. Ratings for ids the template does not know are passed on
    too, so the library refuses a tampered form instead of it being silently ignored; ids from
    other sections are dropped because this page cannot have shown them."""
    responses = {
        q.id: ResponseInput(
            rating=(form.get(field_id(RATING, q.id)) or "").strip() or None,
            evidence=text(form, field_id(EVIDENCE, q.id)),
            na_reason=text(form, field_id(NA_REASON, q.id)),
        )
        for q in section.questions
    }
    known = {q.id for q in template.questions()}
    prefix = f"{RATING}-"
    for name in form:
        question_id = name[len(prefix):] if name.startswith(prefix) else None
        if question_id and question_id not in known:
            responses[question_id] = ResponseInput(rating=(form.get(name) or "").strip() or None)
    return responses


def states(
    questions: Iterable[Question],
    values: Mapping[str, Answer | ResponseInput],
    errors: Mapping[str, dict[str, str]] | None = None,
    bases: Mapping[str, str] | None = None,
) -> list[QuestionState]:
    """One state per question, from stored answers or the user's own input."""
    result = []
    for q in questions:
        value = values.get(q.id)
        rating = value.rating.value if isinstance(value, Answer) and value.rating else getattr(value, "rating", None)
        result.append(QuestionState(
            question=q,
            rating=rating or None,
            evidence=value.evidence if value else "",
            na_reason=value.na_reason if value else "",
            errors=dict((errors or {}).get(q.id, {})),
            base=(bases or {}).get(q.id) or answer_digest(value),
        ))
    return result


def place_errors(
    errors: Iterable[FieldError], section: Section
) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    """Library field errors → inline messages per question and error-summary items (with links)."""
    ids = [q.id for q in section.questions]
    inline: dict[str, dict[str, str]] = {}
    summary: list[dict[str, str]] = []
    for error in errors:
        question_id, kind = error.field, RATING
        for suffix in (EVIDENCE, NA_REASON):
            if error.field.endswith(f"-{suffix}") and error.field[: -len(suffix) - 1] in ids:
                question_id, kind = error.field[: -len(suffix) - 1], suffix
        if question_id in ids:
            inline.setdefault(question_id, {})[kind] = error.message
            summary.append({"text": error.message, "href": f"#{field_id(kind, question_id)}"})
        else:
            summary.append({"text": error.message, "href": f"#{FORM_ANCHOR}"})
    return inline, summary


def _normal(rating: str | None, evidence: str, na_reason: str) -> tuple[str | None, str, str]:
    """What the library would store, so a difference means a real difference."""
    rating = rating or None
    return rating, evidence.strip(), na_reason.strip() if rating == Rating.NOT_APPLICABLE else ""


@dataclass(frozen=True)
class Difference:
    """A question where the saved answer and this user's unsaved answer disagree."""

    question: Question
    saved: tuple[str | None, str, str]
    yours: tuple[str | None, str, str]


def differences(
    questions: Iterable[Question], stored: Mapping[str, Answer], mine: Mapping[str, ResponseInput]
) -> list[Difference]:
    result = []
    for q in questions:
        if q.id not in mine:
            continue
        saved_answer = stored.get(q.id)
        saved = _normal(
            saved_answer.rating.value if saved_answer and saved_answer.rating else None,
            saved_answer.evidence if saved_answer else "",
            saved_answer.na_reason if saved_answer else "",
        )
        given = mine[q.id]
        yours = _normal(given.rating, given.evidence, given.na_reason)
        if saved != yours:
            result.append(Difference(q, saved, yours))
    return result


def missing_anchor(item: MissingItem, answers: Mapping[str, Answer], template: Template) -> str:
    """The field that fixes a missing item: the rating, the N/A reason or the evidence."""
    answer = answers.get(item.question_id)
    if answer is None or answer.rating is None:
        return field_id(RATING, item.question_id)
    if answer.rating is Rating.NOT_APPLICABLE:
        allowed = template.question(item.question_id).not_applicable.allowed
        return field_id(NA_REASON if allowed else RATING, item.question_id)
    return field_id(EVIDENCE, item.question_id)


def needs_attention(missing: Iterable[MissingItem], answers: Mapping[str, Answer], template: Template,
                    question_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Answered questions on this page that still miss evidence or a reason, as inline messages.

    The rule of what is missing is the library's (``scoring.completeness``); unanswered questions
    are work still to do, not a problem, so only answers already given are marked.
    """
    shown = set(question_ids)
    marks: dict[str, dict[str, str]] = {}
    for item in missing:
        answer = answers.get(item.question_id)
        if item.question_id not in shown or answer is None or answer.rating is None:
            continue
        kind = missing_anchor(item, answers, template).split("-", 1)[0]
        marks.setdefault(item.question_id, {})[kind] = item.problem
    return marks


# --- The overall judgement -------------------------------------------------------------------


@dataclass
class JudgementInput:
    """The judgement page as typed; ``auditor_grade`` None means "use the suggested grade"."""

    auditor_grade: str | None = None
    override_rationale: str = ""
    summary: str = ""
    exemplary: list[str] = field(default_factory=list)


def parse_judgement(form: Mapping[str, str], exemplary: list[str]) -> JudgementInput:
    return JudgementInput(
        auditor_grade=(form.get("auditor_grade") or "").strip() or None,
        override_rationale=text(form, "override_rationale"),
        summary=text(form, "summary"),
        exemplary=exemplary,
    )


def exemplary_candidates(template: Template, answers: Mapping[str, Answer]) -> list[Section]:
    """Sections that may be marked exemplary: every question answered and every rating Met."""
    if not allows_exemplary(template):
        return []
    result = []
    for section in template.sections:
        given = [answers.get(q.id) for q in section.questions]
        ratings = [a.rating for a in given if a is not None and a.rating is not None]
        graded = [r for r in ratings if r is not Rating.NOT_APPLICABLE]
        if len(ratings) == len(section.questions) and graded and all(r is Rating.MET for r in graded):
            result.append(section)
    return result


def suggested_with(template: Template, answers: Mapping[str, Answer], exemplary: list[str]) -> str | None:
    """The overall suggestion the judgement would produce, before it is saved."""
    return suggest_grades(template, answers, exemplary).overall


def judgement_errors(template: Template, answers: Mapping[str, Answer], given: JudgementInput) -> dict[str, str]:
    """Checks made on save, so the auditor hears about a missing rationale straight away (the same
    rule the library applies on submit)."""
    errors: dict[str, str] = {}
    if given.auditor_grade and given.auditor_grade not in template.scale.codes:
        errors["auditor_grade"] = "Choose a grade from the list"
        return errors
    problem = judgement_problem(
        template, given.auditor_grade, suggested_with(template, answers, given.exemplary), given.override_rationale
    )
    if problem:
        errors["override_rationale"] = problem
    return errors


def allows_exemplary(template: Template) -> bool:
    """Whether the judgement page offers exemplary sections at all (rules mode with a grade for it)."""
    return template.grading.mode == "rules" and template.grading.exemplary is not None


def judgement_differences(
    stored: Mapping[str, object], given: JudgementInput, labels: Mapping[str, str]
) -> list[tuple[str, str, object, object]]:
    """(field, label, saved, yours) for each judgement field that differs from what is stored."""
    mine: dict[str, object] = {
        "auditor_grade": given.auditor_grade,
        "override_rationale": given.override_rationale.strip() or None,
        "summary": given.summary.strip() or None,
        "exemplary_sections": sorted(set(given.exemplary)),
    }
    return [
        (key, label, stored.get(key), mine.get(key))
        for key, label in labels.items()
        if (stored.get(key) or None) != (mine.get(key) or None)
    ]
