"""The checklist form, built from the template rather than WTForms classes: field names, parsing,
what each question shows, and where errors go. (Saving only what changed, and the comparison
shown when a save collides, are in :mod:`webapp.audits.merge`.)

The checklist is data (any number of sections and questions), so fields are named per question
(``rating-<qid>``, ``evidence-<qid>``, ``na_reason-<qid>``) and the same names are the element ids,
which is what lets an error summary link land on the exact question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from qaframework.checklists.model import Question, Section, Template
from qaframework.framework import Rating
from qaframework.numbers import whole_number
from qaframework.operations.audits import Judgement, ResponseInput
from qaframework.operations.base import FieldError
from qaframework.scoring import Answer, MissingItem, suggest_grades
from webapp.audits.merge import DIGEST_RE, answer_digest

RATING, EVIDENCE, NA_REASON, BASE = "rating", "evidence", "na_reason", "base"
KINDS = (RATING, EVIDENCE, NA_REASON)
#: Where an error that belongs to no field on the page links to.
FORM_ANCHOR = "checklist-form"


def field_id(kind: str, question_id: str) -> str:
    """Name and id of one question's field; the first radio carries the bare id, as GOV.UK does."""
    return f"{kind}-{question_id}"


def textarea_value(form: Mapping[str, str], name: str) -> str:
    """A textarea's value with browser line endings made consistent, so comparisons are fair."""
    return (form.get(name) or "").replace("\r\n", "\n")


def parse_version(form: Mapping[str, str]) -> int | None:
    raw = (form.get("version") or "").strip()
    return whole_number(raw)


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


def bases_from(form: Mapping[str, str], questions: Iterable[Question]) -> dict[str, str]:
    """The digests the page was rendered with (ignoring anything malformed)."""
    found = {}
    for q in questions:
        raw = (form.get(field_id(BASE, q.id)) or "").strip()
        if DIGEST_RE.match(raw):
            found[q.id] = raw
    return found


def parse_section(form: Mapping[str, str], section: Section, template: Template) -> dict[str, ResponseInput]:
    """The section's answers as typed. Ratings for ids the template does not know are passed on
    too, so the library refuses a tampered form instead of it being silently ignored; ids from
    other sections are dropped because this page cannot have shown them."""
    responses = {
        q.id: ResponseInput(
            rating=(form.get(field_id(RATING, q.id)) or "").strip() or None,
            evidence=textarea_value(form, field_id(EVIDENCE, q.id)),
            na_reason=textarea_value(form, field_id(NA_REASON, q.id)),
        )
        for q in section.questions
    }
    known = {q.id for q in template.questions()}
    prefix = f"{RATING}-"
    for name in form:
        question_id = name[len(prefix) :] if name.startswith(prefix) else None
        if question_id and question_id not in known:
            responses[question_id] = ResponseInput(rating=(form.get(name) or "").strip() or None)
    return responses


def question_states(
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
        result.append(
            QuestionState(
                question=q,
                rating=rating or None,
                evidence=value.evidence if value else "",
                na_reason=value.na_reason if value else "",
                errors=dict((errors or {}).get(q.id, {})),
                base=(bases or {}).get(q.id) or answer_digest(value),
            )
        )
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


def missing_anchor(item: MissingItem, answers: Mapping[str, Answer], template: Template) -> str:
    """The field that fixes a missing item: the rating, the N/A reason or the evidence."""
    answer = answers.get(item.question_id)
    if answer is None or answer.rating is None:
        return field_id(RATING, item.question_id)
    if answer.rating is Rating.NOT_APPLICABLE:
        allowed = template.question(item.question_id).not_applicable.allowed
        return field_id(NA_REASON if allowed else RATING, item.question_id)
    return field_id(EVIDENCE, item.question_id)


def needs_attention(
    missing: Iterable[MissingItem], answers: Mapping[str, Answer], template: Template, question_ids: Iterable[str]
) -> dict[str, dict[str, str]]:
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


def parse_judgement(form: Mapping[str, str], exemplary: list[str]) -> Judgement:
    return Judgement(
        auditor_grade=(form.get("auditor_grade") or "").strip() or None,
        override_rationale=textarea_value(form, "override_rationale"),
        summary=textarea_value(form, "summary"),
        exemplary_sections=tuple(exemplary),
    )


def suggested_with(template: Template, answers: Mapping[str, Answer], exemplary: Iterable[str]) -> str | None:
    """The overall suggestion the judgement would produce, before it is saved."""
    return suggest_grades(template, answers, list(exemplary)).overall
