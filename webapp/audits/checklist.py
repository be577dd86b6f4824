"""Filling in the checklist: a page per section, the overall judgement, check and submit.

Every save carries the audit's ``version`` as the page showed it. If someone saved in between,
the library refuses (StaleEdit) and the user gets a page that compares the saved answers with
theirs and keeps their input, so nothing is overwritten and nothing typed is lost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for

from qaframework.checklists.model import Question, Section
from qaframework.contributions import contribution_section
from qaframework.framework import Rating
from qaframework.numbers import whole_number
from qaframework.operations import audits as audit_ops
from qaframework.operations.audit_queries import AuditAnswers, audit_with_answers
from qaframework.operations.audits import (
    IncompleteAudit,
    Judgement,
    ResponseInput,
    answers_of,
    get_audit,
    missing_items,
)
from qaframework.operations.base import InvalidInput, StaleEdit, WorkflowError
from qaframework.operations.compliance import standing_of
from qaframework.permissions import CASEWORK_ROLES, can_edit_audit
from qaframework.scoring import Answer, exemplary_eligible
from qaframework.store import Audit
from webapp.access import current_actor, requires
from webapp.audits import bp
from webapp.audits.checklist_form import (
    bases_from,
    missing_anchor,
    needs_attention,
    parse_judgement,
    parse_section,
    parse_version,
    place_errors,
    question_states,
    suggested_with,
)
from webapp.audits.common import after_section, rules_mode, section_grade, section_or_404
from webapp.audits.merge import answer_digest, changed_only, differences, judgement_differences
from webapp.audits.panel import panel_context
from webapp.db import db_session
from webapp.presenters import grade_label

JUDGEMENT_LABELS = {
    "auditor_grade": "Your overall grade",
    "override_rationale": "Why your grade differs from the suggested grade",
    "exemplary_sections": "Exemplary sections",
    "summary": "Summary",
}


def _version_or_400() -> int:
    version = parse_version(request.form)
    if version is None:
        abort(400, description="The form was missing its version. Reload the page and try again.")
    return version


def _save_or_explain(
    save: Callable[[], Audit | None],
    *,
    saved: Callable[[Audit | None], Any],
    refused: Callable[[InvalidInput], str],
    conflict: Callable[[list[str], str | None], str],
) -> Any:
    """The one save-and-conflict flow of every checklist page.

    ``save`` calls the library (or returns None when there was nothing to send). A stale version
    or an audit that can no longer change shows ``conflict`` (409: who saved meanwhile, or why it
    is closed) with the user's input kept; refused input re-shows the page with its errors (400).
    Nothing is saved in either case, because the operation rolled back.
    """
    try:
        audit = save()
    except StaleEdit as stale:
        return conflict(stale.changed_by, None), 409
    except InvalidInput as error:
        return refused(error), 400
    except WorkflowError as closed:
        return conflict([], closed.message), 409
    return saved(audit)


def _save_answers(audit_id: int, version: int, given: Mapping[str, ResponseInput]) -> Callable[[], Audit | None]:
    """Send only what changed; an untouched form saves nothing (and bumps no version)."""

    def save() -> Audit | None:
        return audit_ops.save_answers(db_session(), current_actor(), audit_id, version, given) if given else None

    return save


def _action_url(audit: Audit) -> Any:
    """The "raise an action" link per question; url_for once, not once per question (60 on a page)."""
    base = url_for("actions.new_action", audit_id=audit.id)
    return lambda question_id: f"{base}?{_question_query(question_id)}"


@functools.lru_cache(maxsize=4096)
def _question_query(question_id: str) -> str:
    return urlencode({"question_id": question_id})


# --- Sections ---------------------------------------------------------------------------------


def _attention(
    audit: Audit, answers: Mapping[str, Answer], questions: list[Question]
) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    """Saved answers on this page that still need evidence or a reason: inline marks and links."""
    marks = needs_attention(missing_items(audit, answers), answers, audit.template, [q.id for q in questions])
    links = [{"text": message, "href": f"#{kind}-{question_id}"}
             for question_id, kinds in marks.items() for kind, message in kinds.items()]
    return marks, links


def _render_section(
    audit: Audit,
    index: int,
    section: Section,
    values: Mapping[str, Answer | ResponseInput],
    inline: Mapping[str, dict[str, str]] | None = None,
    errors: list[dict[str, str]] | None = None,
    version: int | None = None,
    bases: Mapping[str, str] | None = None,
) -> str:
    sections = audit.template.sections
    attention: list[dict[str, str]] = []
    if inline is None and can_edit_audit(current_actor(), audit):
        inline, attention = _attention(audit, answers_of(audit), section.questions)
    return render_template(
        "audits/section.html",
        audit=audit,
        template=audit.template,
        section=section,
        index=index,
        states=question_states(section.questions, values, inline, bases),
        can_edit=can_edit_audit(current_actor(), audit),
        errors=errors or [],
        has_errors=bool(errors),
        version=audit.version_id if version is None else version,
        section_grade=section_grade(audit, section.id),
        rules_mode=rules_mode(audit),
        previous=sections[index - 1] if index > 0 else None,
        following=sections[index + 1] if index + 1 < len(sections) else None,
        raise_action_url=_action_url(audit),
        attention=attention,
        no_grade_reason=_no_grade_reason(audit, section),
        panel=panel_context(audit, lower_tier=False) if section is contribution_section(audit.template) else None,
    )


def _no_grade_reason(audit: Audit, section: Section) -> str:
    """Why a section has no suggested grade, so "Not graded" is never a mystery."""
    if not rules_mode(audit) or section_grade(audit, section.id) is not None:
        return ""
    answers = answers_of(audit)
    ratings = [answers[q.id].rating if q.id in answers else None for q in section.questions]
    if ratings and all(r is Rating.NOT_APPLICABLE for r in ratings):
        return (
            "Every question in this section is not applicable, "
            "so it has no grade and does not count towards the overall grade."
        )
    return "It will have one once you rate a question Met, Partially met or Not met."


def _saved_message(audit: Audit, section: Section) -> str:
    message = f"Your answers to “{section.title}” have been saved."
    if not rules_mode(audit):
        return message
    here, overall = section_grade(audit, section.id), audit.suggested_grade
    section_text = f"{grade_label(here)}." if here else f"none. {_no_grade_reason(audit, section)}"
    return (
        f"{message} Suggested grade for this section: {section_text} "
        f"Suggested overall grade: {grade_label(overall) if overall else 'none yet'}."
    )


@bp.route("/<int:audit_id>/sections/<section_id>", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def edit_section(audit_id: int, section_id: str) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    index, section = section_or_404(audit.template, section_id)
    if request.method == "GET":
        return _render_section(audit, index, section, answers_of(audit))
    version = _version_or_400()
    typed = parse_section(request.form, section, audit.template)
    bases = bases_from(request.form, section.questions)
    given = changed_only(typed, bases)

    def refused(error: InvalidInput) -> str:
        inline, summary = place_errors(error.errors, section)
        return _render_section(
            get_audit(session, user, audit_id), index, section, typed, inline, summary, version, bases
        )

    def saved(after: Audit | None) -> Any:
        flash(
            _saved_message(after, section) if after else "You had not changed anything, so nothing needed saving.",
            "success",
        )
        if request.form.get("next") == "continue":
            return redirect(after_section(audit, index))
        return redirect(url_for("audits.edit_section", audit_id=audit.id, section_id=section.id))

    return _save_or_explain(
        _save_answers(audit.id, version, given),
        saved=saved,
        refused=refused,
        conflict=lambda changed_by, closed: _section_conflict(audit_id, section, given, changed_by, closed),
    )


def _answer_rows(saved: tuple[str | None, str, str], yours: tuple[str | None, str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"label": "Rating", "saved": saved[0], "yours": yours[0], "rating": True},
        {"label": "Evidence", "saved": saved[1], "yours": yours[1]},
    ]
    if saved[2] or yours[2]:
        rows.append({"label": "Why not applicable", "saved": saved[2], "yours": yours[2]})
    return rows


def _section_conflict(
    audit_id: int,
    section: Section,
    given: Mapping[str, ResponseInput],
    changed_by: list[str],
    closed: str | None = None,
    whole: bool = False,
) -> str:
    """Nothing was saved: compare the stored answers with the user's and keep theirs in a form."""
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)  # fresh: the failed save rolled back
    stored = answers_of(audit)
    found = differences(section.questions, stored, given)
    return render_template(
        "audits/conflict.html",
        audit=audit,
        section=section,
        changes=[
            {"title": d.question.text, "id": d.question.id, "rows": _answer_rows(d.saved, d.yours)} for d in found
        ],
        changed_by=changed_by,
        closed=closed,
        can_save=closed is None and can_edit_audit(user, audit),
        form_template="audits/_section_form.html",
        # The user's changed answers over what is saved now; the saved answers are the new base,
        # so saving from here sends only what this user changed.
        states=question_states(
            section.questions,
            {**stored, **given},
            bases={q.id: answer_digest(stored.get(q.id)) for q in section.questions},
        ),
        version=audit.version_id,
        raise_action_url=_action_url(audit),
        reload_url=(
            url_for("audits.edit_checklist", audit_id=audit.id)
            if whole
            else url_for("audits.edit_section", audit_id=audit.id, section_id=section.id)
        ),
        form_action=url_for("audits.edit_checklist", audit_id=audit.id) if whole else None,
        continue_label="Save my answers and continue",
        save_label="Save my answers",
        unsaved_from_start=True,
    )


# --- The whole checklist on one page ----------------------------------------------------------


def _all_questions(audit: Audit) -> Section:
    """Every question as one pseudo-section, so the section parsing, errors and conflicts apply."""
    return Section.model_construct(
        id="all",
        title="All sections",
        plan_sections=[],
        limiting=False,
        description=None,
        questions=audit.template.questions(),
    )


def _render_checklist(
    page: AuditAnswers,
    values: Mapping[str, Answer | ResponseInput],
    inline: Mapping[str, dict[str, str]] | None = None,
    errors: list[dict[str, str]] | None = None,
    version: int | None = None,
    bases: Mapping[str, str] | None = None,
) -> str:
    audit = page.audit
    attention: list[dict[str, str]] = []
    if inline is None and can_edit_audit(current_actor(), audit):
        inline, attention = _attention(audit, page.answers, audit.template.questions())
    return render_template(
        "audits/checklist.html",
        attention=attention,
        audit=audit,
        template=audit.template,
        sections=[
            (section, question_states(section.questions, values, inline, bases)) for section in audit.template.sections
        ],
        can_edit=can_edit_audit(current_actor(), audit),
        errors=errors or [],
        has_errors=bool(errors),
        version=audit.version_id if version is None else version,
        rules_mode=rules_mode(audit),
        section_grade=page.section_grade,
        raise_action_url=_action_url(audit),
    )


@bp.route("/<int:audit_id>/checklist", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def edit_checklist(audit_id: int) -> Any:
    """All sections on one page with one save, for auditors who prefer a single long form."""
    session, user = db_session(), current_actor()
    if request.method == "GET":
        page = audit_with_answers(session, user, audit_id)
        return _render_checklist(page, page.answers)
    audit = get_audit(session, user, audit_id)
    version = _version_or_400()
    whole = _all_questions(audit)
    typed = parse_section(request.form, whole, audit.template)
    bases = bases_from(request.form, whole.questions)
    given = changed_only(typed, bases)

    def refused(error: InvalidInput) -> str:
        inline, summary = place_errors(error.errors, whole)
        return _render_checklist(audit_with_answers(session, user, audit_id), typed, inline, summary, version, bases)

    def saved(after: Audit | None) -> Any:
        if after is None:
            flash("You had not changed anything, so nothing needed saving.", "success")
        else:
            overall = after.suggested_grade
            flash(
                "Your answers have been saved."
                + (f" Suggested overall grade: {grade_label(overall)}." if rules_mode(after) and overall else ""),
                "success",
            )
        return redirect(_after_whole_checklist(after or audit, request.form.get("next") or ""))

    return _save_or_explain(
        _save_answers(audit.id, version, given),
        saved=saved,
        refused=refused,
        conflict=lambda changed_by, closed: _section_conflict(audit_id, whole, given, changed_by, closed, whole=True),
    )


def _after_whole_checklist(audit: Audit, chosen: str) -> str:
    """The judgement after "Save and continue"; after a section's own Save, back to that section."""
    if chosen == "continue":
        return url_for("audits.judgement", audit_id=audit.id)
    section_id = chosen.removeprefix("section-")
    if chosen.startswith("section-") and any(s.id == section_id for s in audit.template.sections):
        return url_for("audits.edit_checklist", audit_id=audit.id, _anchor=f"section-{section_id}")
    return url_for("audits.edit_checklist", audit_id=audit.id)


# --- Overall judgement ------------------------------------------------------------------------


def _exemplary_candidates(audit: Audit, answers: Mapping[str, Answer]) -> list[Section]:
    """The sections the judgement page offers as exemplary: the library's rule, section by section."""
    return [s for s in audit.template.sections if exemplary_eligible(audit.template, s, answers)]


def _render_judgement(
    audit: Audit, given: Judgement, errors: dict[str, str] | None = None, version: int | None = None
) -> str:
    template, answers = audit.template, answers_of(audit)
    summary = [{"text": message, "href": f"#{field}"} for field, message in (errors or {}).items()]
    return render_template(
        "audits/judgement.html",
        audit=audit,
        template=template,
        given=given,
        errors=errors or {},
        error_list=summary,
        has_errors=bool(errors),
        version=audit.version_id if version is None else version,
        candidates=_exemplary_candidates(audit, answers),
        suggested=suggested_with(template, answers, given.exemplary_sections),
        rules_mode=rules_mode(audit),
    )


@bp.route("/<int:audit_id>/judgement", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def judgement(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    if request.method == "GET":
        if not can_edit_audit(user, audit):
            return redirect(url_for("audits.show_audit", audit_id=audit.id))
        return _render_judgement(audit, Judgement.of(audit))
    version = _version_or_400()
    given = parse_judgement(request.form, request.form.getlist("exemplary"))

    def refused(error: InvalidInput) -> str:
        errors = {e.field or "auditor_grade": e.message for e in error.errors}
        return _render_judgement(get_audit(session, user, audit_id), given, errors, version)

    def saved(_: Audit | None) -> Any:
        flash("Your overall judgement has been saved.", "success")
        if request.form.get("next") == "continue":
            return redirect(url_for("audits.check_answers", audit_id=audit_id))
        return redirect(url_for("audits.judgement", audit_id=audit_id))

    return _save_or_explain(
        lambda: audit_ops.save_judgement(session, user, audit.id, version, given),
        saved=saved,
        refused=refused,
        conflict=lambda changed_by, closed: _judgement_conflict(audit_id, given, changed_by, closed),
    )


def _judgement_conflict(audit_id: int, given: Judgement, changed_by: list[str], closed: str | None = None) -> str:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    titles = {s.id: s.title for s in audit.template.sections}

    def shown(key: str, value: Any) -> str:
        if key == "auditor_grade":
            return grade_label(value) if value else "Use the suggested grade"
        if key == "exemplary_sections":
            return "; ".join(titles.get(s, s) for s in value) if value else "None"
        return str(value or "")

    rows = judgement_differences(Judgement.of(audit), given, JUDGEMENT_LABELS)
    answers = answers_of(audit)
    return render_template(
        "audits/conflict.html",
        audit=audit,
        section=None,
        changes=[
            {
                "title": "Overall judgement",
                "id": None,
                "rows": [
                    {"label": label, "saved": shown(key, saved), "yours": shown(key, yours)}
                    for key, label, saved, yours in rows
                ],
            }
        ]
        if rows
        else [],
        changed_by=changed_by,
        closed=closed,
        can_save=closed is None and can_edit_audit(user, audit),
        form_template="audits/_judgement_form.html",
        template=audit.template,
        given=given,
        errors={},
        candidates=_exemplary_candidates(audit, answers),
        suggested=suggested_with(audit.template, answers, given.exemplary_sections),
        rules_mode=rules_mode(audit),
        version=audit.version_id,
        reload_url=url_for("audits.judgement", audit_id=audit.id),
        continue_label="Save my judgement and continue",
        save_label="Save my judgement",
        unsaved_from_start=True,
    )


# --- Check and submit -------------------------------------------------------------------------


def _render_check(audit: Audit, errors: list[dict[str, str]] | None = None, changed: list[str] | None = None) -> str:
    answers = answers_of(audit)
    return render_template(
        "audits/check.html",
        audit=audit,
        template=audit.template,
        answers=answers,
        missing=missing_items(audit),
        errors=errors or [],
        has_errors=bool(errors),
        changed_by=changed,
        rules_mode=rules_mode(audit),
        grades={g.section_id: g.suggested_grade for g in audit.section_grades},
        standing=standing_of(audit, date.today()),
        panel=panel_context(audit, lower_tier=False),
    )


@bp.route("/<int:audit_id>/submit")
@requires(*CASEWORK_ROLES)
def check_answers(audit_id: int) -> Any:
    audit = get_audit(db_session(), current_actor(), audit_id)
    if not can_edit_audit(current_actor(), audit):
        return redirect(url_for("audits.show_audit", audit_id=audit.id))
    return _render_check(audit)


def _problem_href(audit: Audit, field: str) -> str:
    """Where a problem found at submit is fixed: a panel's members or agency grades, else the judgement."""
    member_id = whole_number(field.removeprefix("participant-")) if field.startswith("participant-") else None
    if member_id is not None:
        return url_for("audits.panel_agency", audit_id=audit.id, user_id=member_id)
    if field.startswith("contribution-"):
        name = field.removeprefix("contribution-")
        anchor = f"note-{name.removesuffix('-note')}" if name.endswith("-note") else f"choice-{name}"
        return url_for("audits.contributions", audit_id=audit.id, _anchor=anchor)
    return url_for("audits.judgement", audit_id=audit.id, _anchor=field or "auditor_grade")


@bp.route("/<int:audit_id>/submit", methods=["POST"])
@requires(*CASEWORK_ROLES)
def submit_audit(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    version = _version_or_400()
    try:
        audit_ops.submit_audit(session, user, audit_id, version)
    except IncompleteAudit as incomplete:
        audit = get_audit(session, user, audit_id)
        answers, template = answers_of(audit), audit.template
        titles = {s.id: s.title for s in template.sections}
        errors = [
            {
                "text": f"{item.problem} in “{titles[item.section_id]}”",
                "href": url_for(
                    "audits.edit_section",
                    audit_id=audit.id,
                    section_id=item.section_id,
                    _anchor=missing_anchor(item, answers, template),
                ),
            }
            for item in incomplete.missing
        ]
        return _render_check(audit, errors), 400
    except InvalidInput as refused:
        audit = get_audit(session, user, audit_id)
        errors = [{"text": e.message, "href": _problem_href(audit, e.field)} for e in refused.errors]
        return _render_check(audit, errors), 400
    except StaleEdit as stale:
        return _render_check(get_audit(session, user, audit_id), changed=stale.changed_by or ["someone"]), 409
    except WorkflowError as closed:
        flash(closed.message, "info")
        return redirect(url_for("audits.show_audit", audit_id=audit_id))
    return redirect(url_for("audits.submitted", audit_id=audit_id))
