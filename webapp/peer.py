"""Tier 1 peer challenge: ask a colleague, review their check, answer a challenge.

The rules (who may ask whom, who may answer, what reopening does) live in
``qaframework.operations.peer``; these views only read the form, call it and show the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations import peer
from qaframework.operations.audits import get_audit
from qaframework.operations.base import InvalidInput, PermissionDenied, WorkflowError
from qaframework.store import Audit, PeerChallenge, User
from webapp.access import requires
from webapp.db import db_session

bp = Blueprint("peer", __name__)

#: Everyone who can see audits; the library narrows this to the audit's own agency.
AUDIT_READERS = (Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN)


def _current() -> tuple[Session, User]:
    return db_session(), current_user._get_current_object()


def _field_id(field: str | None) -> str:
    """The element id of a comment box: ``comment`` overall, ``comment-<question id>`` per question."""
    return "comment" if field in (None, "", "comment") else f"comment-{field}"


def _comments_from(form: Mapping[str, str], audit: Audit) -> dict[str | None, str]:
    """The overall comment and one per question, read only for this check's own questions."""
    comments: dict[str | None, str] = {None: form.get("comment", "")}
    for question in audit.template.questions():
        comments[question.id] = form.get(_field_id(question.id), "")
    return comments


@bp.app_template_global("can_request_peer_challenge")
def can_request_peer_challenge(user: User, audit: Audit, challenges: list[PeerChallenge]) -> bool:
    """For the audit page's exchange partial: offer the request only when the library would accept it."""
    return peer.request_refusal(user, audit, challenges) is None


@bp.route("/audits/<int:audit_id>/peer-challenge", methods=["GET", "POST"])
@requires(Role.AUDITOR)
def request_challenge(audit_id: int) -> Any:
    session, user = _current()
    audit = get_audit(session, user, audit_id)
    challenges = peer.challenges_for_audit(session, audit)
    refusal = peer.request_refusal(user, audit, challenges)
    if audit.auditor_id != user.id:
        raise PermissionDenied(refusal or "Only the author of a check can ask for peer challenge.")
    errors: dict[str, str] = {}
    chosen = request.form.get("reviewer", "")
    if request.method == "POST" and refusal is None:
        if not chosen:
            errors["reviewer"] = "Choose a colleague to challenge your check"
        else:
            try:
                challenge = peer.request_challenge(session, user, audit.id, int(chosen) if chosen.isdigit() else 0)
            except InvalidInput as exc:
                errors = {"reviewer": exc.errors[-1].message} if exc.errors else {}
            else:
                flash(f"You asked {challenge.reviewer.display_name} to challenge your check.", "success")
                return redirect(url_for("peer.show_challenge", challenge_id=challenge.id))
    open_challenge = next((c for c in challenges if c.status in peer.OPEN), None)
    return render_template("peer/request.html", audit=audit, colleagues=peer.colleagues_for(session, user),
                           refusal=refusal, open_challenge=open_challenge, errors=errors, chosen=chosen)


@bp.route("/peer-challenges/<int:challenge_id>", methods=["GET", "POST"])
@requires(*AUDIT_READERS)
def show_challenge(challenge_id: int) -> Any:
    session, user = _current()
    challenge = peer.get_challenge(session, user, challenge_id)
    audit = challenge.audit
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        if challenge.status not in peer.OPEN:  # e.g. the form sent twice: say so, change nothing
            flash("This peer challenge has already been answered, so nothing was changed.", "important")
            return redirect(url_for("peer.show_challenge", challenge_id=challenge.id))
        try:
            if challenge.status in peer.REVIEWABLE:
                errors = _review(session, user, challenge, audit, form)
            else:
                errors = _respond(session, user, challenge, audit, form)
        except InvalidInput as exc:
            errors = {_field_id(e.field): e.message for e in exc.errors}
        except WorkflowError as exc:  # e.g. the check was reopened for revision meanwhile
            flash(f"{exc.message} Nothing was changed.", "important")
            return redirect(url_for("peer.show_challenge", challenge_id=challenge.id))
        if not errors:
            return redirect(url_for("peer.show_challenge", challenge_id=challenge.id))
    mode = ("review" if peer.review_refusal(user, challenge, audit) is None
            else "respond" if challenge.status == "challenged" and challenge.requested_by_id == user.id else "read")
    return render_template("peer/show.html", challenge=challenge, audit=audit, mode=mode, errors=errors,
                           values=request.form, responses={r.question_id: r for r in audit.responses})


def _review(
    session: Session, user: User, challenge: PeerChallenge, audit: Audit, form: Mapping[str, str]
) -> dict[str, str]:
    """The reviewer's answer; returns form errors, or {} once it is saved."""
    if challenge.reviewer_id != user.id:  # refuse outsiders before judging their form
        raise PermissionDenied("Only the colleague asked can review this check.")
    decision = form.get("decision")
    if decision not in ("agree", "challenge"):
        return {"decision": "Choose whether you agree with this check or challenge it"}
    peer.review_challenge(session, user, challenge.id, agree=decision == "agree", comments=_comments_from(form, audit))
    author = challenge.requested_by.display_name
    flash(
        f"You agreed with {author}’s check."
        if decision == "agree"
        else f"You challenged {author}’s check. They will see your comments on their home page.",
        "success",
    )
    return {}


def _respond(
    session: Session, user: User, challenge: PeerChallenge, audit: Audit, form: Mapping[str, str]
) -> dict[str, str]:
    """The author's response, optionally reopening the check; returns form errors, or {} once saved."""
    revise = form.get("revise") == "yes"
    try:
        peer.respond_to_challenge(session, user, challenge.id, _comments_from(form, audit), revise=revise)
    except WorkflowError as exc:
        if challenge.status != "challenged" or challenge.requested_by_id != user.id:
            raise
        return {"revise": exc.message}
    flash(
        "Your check has been reopened. Make your changes, then submit it again."
        if revise
        else "Your response has been sent.",
        "success",
    )
    return {}
