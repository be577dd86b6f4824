"""Rendering checklist questions fast: GOV.UK Frontend markup for a question's answer fields.

A 60-question page rendered through the govukRadios/govukTextarea macros took over 100 ms, and
through a plain Jinja macro still about 4 ms of Jinja's per-expression overhead. So:
- a question's unchanging parts (legend, references, guidance, "what good looks like") are
  rendered once per process from the Jinja macros in ``audits/_question.html`` and reused
  (template versions never change);
- the per-request parts (radios, conditional N/A reason, evidence, errors) are written here with
  f-strings and explicit escaping. The markup is GOV.UK Frontend's own (radios with conditional
  reveal, textarea, error message); keep it in step when govuk-frontend is upgraded. The web
  tests check ids, names, aria-describedby links, checked state and escaping;
- a question without errors differs from one request to the next only in its values, so that
  markup is built once per question and rating with placeholders, by the same code, and each
  request fills in the escaped values (about a fifth of the cost of building it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from flask import Flask, current_app
from markupsafe import Markup, escape

from qaframework import limits
from qaframework.checklists.model import Question
from webapp.presenters import NO_IDENTIFIERS_HINT

RATINGS = (("met", "Met", ""), ("partially_met", "Partially met", "-2"), ("not_met", "Not met", "-3"))
EVIDENCE_HINT = ("Quote or point to what in the plan supports your rating. You must give evidence for Partially met "
                 f"and Not met. {NO_IDENTIFIERS_HINT}")
NA_REASON_HINT = f"You must say why before you can submit. Not applicable is right when: {{when}} {NO_IDENTIFIERS_HINT}"


class QuestionState(Protocol):
    question: Question
    rating: str | None
    evidence: str
    na_reason: str
    errors: dict[str, str]
    base: str

PARTS = {"legend": "question_static", "help": "question_help"}
MAX_ENTRIES = 20_000

#: (id of the question, part) → (the question, kept alive so its id cannot be reused; the HTML).
#: Questions come from templates parsed once per process, so the same object returns each time.
_cache: dict[tuple[int, str], tuple[Question, Markup]] = {}


def question_static_html(question: Question, part: str) -> Markup:
    key = (id(question), part)
    hit = _cache.get(key)
    if hit is not None and hit[0] is question:
        return hit[1]
    if len(_cache) >= MAX_ENTRIES:
        _cache.clear()
    module = current_app.jinja_env.get_template("audits/_question.html").module
    html = Markup(getattr(module, PARTS[part])(question))
    _cache[key] = (question, html)
    return html


def _error(field_id: str, message: str | None) -> str:
    if not message:
        return ""
    return (
        f'<p id="{field_id}-error" class="govuk-error-message">'
        f'<span class="govuk-visually-hidden">Error:</span> {escape(message)}</p>'
    )


def _group(message: str | None, extra: str = "") -> str:
    return f'govuk-form-group{" govuk-form-group--error" if message else ""}{extra}'


def _described(field_id: str, message: str | None) -> str:
    return f'{field_id}-hint {field_id}-error' if message else f'{field_id}-hint'


def _textarea(field_id: str, value: str, message: str | None, limit: int) -> str:
    css = "govuk-textarea govuk-textarea--error" if message else "govuk-textarea"
    return (f'<textarea class="{css}" id="{field_id}" name="{field_id}" rows="3" '
            f'aria-describedby="{_described(field_id, message)}" maxlength="{limit}">{escape(value)}</textarea>')


#: Placeholders for a question's values in its cached markup; escaping leaves them as they are.
_SLOT = re.compile("\x00(base|na_reason|evidence|action_href)\x00")
_KNOWN_RATINGS = frozenset(value for value, _, _ in RATINGS) | {"not_applicable"}


@dataclass
class _Placeholders:
    """A question state whose values are placeholders, to build the question's reusable markup."""

    question: Question
    rating: str | None
    evidence: str = "\x00evidence\x00"
    na_reason: str = "\x00na_reason\x00"
    errors: dict[str, str] = field(default_factory=dict)
    base: str = "\x00base\x00"


#: (id of the question, rating, has an action link) → (the question, kept alive; the markup split
#: at its placeholders: text, slot name, text, ...).
_layouts: dict[tuple[int, str | None, bool], tuple[Question, list[str]]] = {}


def _layout(question: Question, rating: str | None, linked: bool) -> list[str] | None:
    """The question's markup for this rating, split at the value placeholders (None if it cannot be)."""
    key = (id(question), rating, linked)
    hit = _layouts.get(key)
    if hit is not None and hit[0] is question:
        return hit[1]
    html = _question_fields_markup(_Placeholders(question, rating), "\x00action_href\x00" if linked else None)
    pieces = _SLOT.split(html)
    expected = {"base", "evidence"}
    expected |= {"na_reason"} if question.not_applicable.allowed else set()
    expected |= {"action_href"} if linked else set()
    if len(pieces[1::2]) != len(expected) or set(pieces[1::2]) != expected:
        return None  # a placeholder in the checklist's own text: build this question each time
    if len(_layouts) >= MAX_ENTRIES:
        _layouts.clear()
    _layouts[key] = (question, pieces)
    return pieces


def question_fields_html(state: QuestionState, action_href: str | None = None) -> Markup:
    """One question's fieldset (rating radios, N/A reason where allowed) and evidence box."""
    if not state.errors:
        rating = state.rating if state.rating in _KNOWN_RATINGS else None  # any other value checks no radio
        pieces = _layout(state.question, rating, bool(action_href))
        if pieces is not None:
            values = {
                "base": state.base, "na_reason": state.na_reason, "evidence": state.evidence, "action_href": action_href
            }
            filled = pieces.copy()
            for i in range(1, len(filled), 2):
                filled[i] = escape(values[filled[i]])
            return Markup("".join(filled))
    return _question_fields_markup(state, action_href)


def questions_fields_html(states: Iterable[QuestionState], action_url: Callable[[str], str | None]) -> Markup:
    """Every question of a section, one after another: one call from Jinja rather than two a
    question (a call from a template costs more than filling in a question's cached markup)."""
    return Markup("".join([question_fields_html(state, action_url(state.question.id)) for state in states]))


def _question_fields_markup(state: QuestionState, action_href: str | None) -> Markup:
    """The markup of one question's fields, built from its state."""
    q, errors = state.question, state.errors
    qid = escape(q.id)
    rid, eid, nid = f"rating-{qid}", f"evidence-{qid}", f"na_reason-{qid}"
    rating_error, evidence_error, na_error = errors.get("rating"), errors.get("evidence"), errors.get("na_reason")
    parts = [
        f'<div class="app-question" id="question-{qid}">',
        f'<input type="hidden" name="base-{qid}" value="{escape(state.base)}">',
        f'<div class="{_group(rating_error, " govuk-!-margin-bottom-4")}">',
        f'<fieldset class="govuk-fieldset" aria-describedby="{_described(rid, rating_error)}">',
        question_static_html(q, "legend"),
        _error(rid, rating_error),
        '<div class="govuk-radios" data-module="govuk-radios">',
        question_static_html(q, "help"),
    ]
    for value, label, suffix in RATINGS:
        checked = " checked" if state.rating == value else ""
        parts.append(
            f'<div class="govuk-radios__item"><input class="govuk-radios__input" id="{rid}{suffix}" name="{rid}" '
            f'type="radio" value="{value}"{checked}><label class="govuk-label govuk-radios__label" '
            f'for="{rid}{suffix}">{label}</label></div>'
        )
    if q.not_applicable.allowed:
        chosen = state.rating == "not_applicable"
        hidden = "" if chosen else " govuk-radios__conditional--hidden"
        na_hint = escape(NA_REASON_HINT.format(when=q.not_applicable.when or ""))
        parts += [
            '<div class="govuk-radios__divider">or</div>',
            (
                f'<div class="govuk-radios__item"><input class="govuk-radios__input" id="{rid}-5" name="{rid}" '
                f'type="radio" value="not_applicable"{" checked" if chosen else ""} '
                f'data-aria-controls="conditional-{rid}-5">'
                f'<label class="govuk-label govuk-radios__label" for="{rid}-5">Not applicable</label></div>'
            ),
            f'<div class="govuk-radios__conditional{hidden}" id="conditional-{rid}-5">',
            (
                f'<div class="{_group(na_error)}">'
                f'<label class="govuk-label" for="{nid}">Why is this not applicable?</label>'
            ),
            f'<div id="{nid}-hint" class="govuk-hint">{na_hint}</div>',
            _error(nid, na_error),
            _textarea(nid, state.na_reason, na_error, limits.NOT_APPLICABLE_REASON),
            "</div></div>",
        ]
    parts += [
        "</div></fieldset></div>",
        (
            f'<div class="{_group(evidence_error)}"><label class="govuk-label govuk-label--s" for="{eid}">Evidence'
            f'<span class="govuk-visually-hidden"> for {qid}</span></label>'
        ),
        f'<div id="{eid}-hint" class="govuk-hint">{EVIDENCE_HINT}</div>',
        _error(eid, evidence_error), _textarea(eid, state.evidence, evidence_error, limits.EVIDENCE), "</div>",
    ]
    if action_href:
        parts.append(f'<p class="govuk-body app-question__action"><a class="govuk-link" href="{escape(action_href)}" '
                     f'target="_blank" rel="noopener noreferrer">Raise an action<span class="govuk-visually-hidden"> '
                     f'about {qid}</span> (opens in new tab)</a></p>')
    parts.append("</div>")
    return Markup("\n".join(parts))


def init_app(app: Flask) -> None:
    app.add_template_global(question_static_html, "question_static_html")
    app.add_template_global(question_fields_html, "question_fields_html")
    app.add_template_global(questions_fields_html, "questions_fields_html")
