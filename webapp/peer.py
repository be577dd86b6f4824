"""Tier 1 peer challenge: ask a colleague, review their check, answer a challenge.

The rules (who may ask whom, who may answer, what reopening does) live in
``qaframework.operations.peer``; these views only read the form, call it and show the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from qaframework.framework import PEER_REVIEWABLE, CommentKind, Role
from qaframework.numbers import whole_number
from qaframework.operations import peer
from qaframework.operations.audits import get_audit
from qaframework.operations.base import InvalidInput, PermissionDenied, WorkflowError
from qaframework.operations.submissions import FIELD as FORM_TOKEN
from qaframework.permissions import CASEWORK_ROLES, can_respond_to_challenge, can_review_challenge, is_author
from qaframework.store import Audit, PeerChallenge, User
from webapp.access import current_actor, requires
from webapp.db import db_session

bp = Blueprint("peer", __name__)


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
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    challenges = peer.challenges_for_audit(session, audit)
    refusal = peer.request_refusal(user, audit, challenges)
    if not is_author(user, audit):
        raise PermissionDenied(refusal or "Only the author of a check can ask for peer challenge.")
    errors: dict[str, str] = {}
    chosen = request.form.get("reviewer", "")
    # A form sent again after it worked is refused by the library with AlreadySubmitted (its token),
    # which shows the challenge it made; without a token the refusal above is shown.
    if request.method == "POST" and (refusal is None or request.form.get(FORM_TOKEN)):
        if not chosen:
            errors["reviewer"] = "Choose a colleague to challenge your check"
        else:
            try:
                challenge = peer.request_challenge(session, user, audit.id, whole_number(chosen) or 0,
                                                   form_token=request.form.get(FORM_TOKEN))
            except InvalidInput as exc:
                errors = {"reviewer": exc.errors[-1].message} if exc.errors else {}
            except WorkflowError as exc:
                refusal = exc.message
            else:
                flash(f"You asked {challenge.reviewer.display_name} to challenge your check.", "success")
                return redirect(url_for("peer.show_challenge", challenge_id=challenge.id))
    open_challenge = next((c for c in challenges if c.status in peer.OPEN), None)
    return render_template(
        "peer/request.html",
        audit=audit,
        colleagues=peer.colleagues_for(session, user),
        refusal=refusal,
        open_challenge=open_challenge,
        errors=errors,
        chosen=chosen,
    )


@bp.route("/peer-challenges/<int:challenge_id>", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def show_challenge(challenge_id: int) -> Any:
    session, user = db_session(), current_actor()
    challenge = peer.get_challenge(session, user, challenge_id)
    audit = challenge.audit
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        if challenge.status not in peer.OPEN:  # e.g. the form sent twice: say so, change nothing
            flash("This peer challenge has already been answered, so nothing was changed.", "important")
            return redirect(url_for("peer.show_challenge", challenge_id=challenge.id))
        try:
            if challenge.status in PEER_REVIEWABLE:
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
    mode = (
        "review"
        if peer.review_refusal(user, challenge, audit) is None
        else "respond"
        if can_respond_to_challenge(user, challenge)
        else "read"
    )
    return render_template(
        "peer/show.html",
        challenge=challenge,
        audit=audit,
        mode=mode,
        errors=errors,
        values=request.form,
        responses={r.question_id: r for r in audit.responses},
    )


def _review(
    session: Session, user: User, challenge: PeerChallenge, audit: Audit, form: Mapping[str, str]
) -> dict[str, str]:
    """The reviewer's answer; returns form errors, or {} once it is saved."""
    if not can_review_challenge(user, challenge):  # refuse outsiders before judging their form
        raise PermissionDenied("Only the colleague asked can review this check.")
    decision = form.get("decision")
    if decision not in (CommentKind.AGREE, CommentKind.CHALLENGE):
        return {"decision": "Choose whether you agree with this check or challenge it"}
    peer.review_challenge(
        session, user, challenge.id, agree=decision == CommentKind.AGREE, comments=_comments_from(form, audit)
    )
    author = challenge.requested_by.display_name
    flash(
        f"You agreed with {author}’s check."
        if decision == CommentKind.AGREE
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
        if not can_respond_to_challenge(user, challenge):
            raise
        return {"revise": exc.message}
    flash(
        "Your check has been reopened. Make your changes, then submit it again."
        if revise
        else "Your response has been sent.",
        "success",
    )
    return {}
