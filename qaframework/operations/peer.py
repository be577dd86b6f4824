"""Tier 1 peer challenge: a colleague in the same team agrees with or challenges a submitted check.

The exchange (per-question comments, the author's responses) is kept with the audit. When
answering a challenge the author may reopen the check (status "returned") to revise and resubmit
it; nothing in the exchange is ever edited or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework import limits
from qaframework.framework import PEER_OPEN, PEER_REVIEWABLE, AuditStatus, CommentKind, PeerChallengeStatus, Role, Tier
from qaframework.operations.audits import get_audit, move_to
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WorkflowError,
    operation,
    record,
)
from qaframework.operations.submissions import claim_form, locked, made
from qaframework.store import Audit, PeerChallenge, PeerComment, User, utcnow

#: Exchanges still going: the reviewer or the author has something to do. Only "agreed" ends one:
#: after the author responds (and perhaps revises and resubmits), the reviewer confirms the
#: changes or challenges again, in as many rounds as it takes; each round's comments are kept.
OPEN = PEER_OPEN
#: Where the reviewer acts: a first review, or the answer to the author's response.
REVIEWABLE = PEER_REVIEWABLE
#: Audit statuses in which the check is with the reviewer (not back with its author for revision).
SUBMITTED_STATES = (AuditStatus.SUBMITTED, AuditStatus.MODERATED, AuditStatus.CLOSED)


def colleagues_for(session: Session, actor: User) -> list[User]:
    """Who can be asked: active auditors in the same agency and team, not the author."""
    if actor.team is None:
        return []
    return list(
        session.scalars(
            select(User)
            .where(
                User.role == Role.AUDITOR.value,
                User.agency_code == actor.agency_code,
                User.team == actor.team,
                User.active.is_(True),
                User.id != actor.id,
            )
            .order_by(User.display_name)
        )
    )


def challenges_for_audit(session: Session, audit: Audit) -> list[PeerChallenge]:
    return list(
        session.scalars(select(PeerChallenge).where(PeerChallenge.audit_id == audit.id).order_by(PeerChallenge.id))
    )


def get_challenge(session: Session, actor: User, challenge_id: int) -> PeerChallenge:
    challenge = session.get(PeerChallenge, challenge_id)
    if challenge is None:
        raise NotFound(f"There is no peer challenge {challenge_id}")
    get_audit(session, actor, challenge.audit_id)  # same visibility as the audit
    return challenge


def _locked_challenge(session: Session, actor: User, challenge_id: int) -> PeerChallenge:
    """The challenge as committed now, locked for this transaction (see ``operations.submissions``)."""
    challenge = get_challenge(session, actor, challenge_id)
    fresh = locked(session, PeerChallenge, challenge.id)
    assert fresh is not None  # a challenge is never deleted while its audit exists
    return fresh


def request_refusal(actor: User, audit: Audit, challenges: Sequence[PeerChallenge]) -> str | None:
    """Why ``actor`` cannot ask for peer challenge on ``audit`` now, or None when they can.

    Pure, so pages can decide whether to offer the request with the same rule the operation applies.
    """
    if audit.auditor_id != actor.id:
        return "Only the author of a check can ask for peer challenge."
    if audit.tier != Tier.AGENCY_CHECK:
        return "Peer challenge is for Tier 1 checks."
    if audit.status not in SUBMITTED_STATES:
        return "Submit the check before asking a colleague to challenge it."
    if any(c.status in OPEN for c in challenges):
        return "This check already has an open peer challenge."
    return None


@operation
def request_challenge(
    session: Session, actor: User, audit_id: int, reviewer_id: int, form_token: str | None = None
) -> PeerChallenge:
    """Ask a colleague to review a submitted check; the same form sent twice asks once."""
    audit = get_audit(session, actor, audit_id)
    claim = claim_form(session, actor, form_token, "peer_challenge")
    locked(session, Audit, audit.id)  # two requests at once: the second sees the first's challenge
    refusal = request_refusal(actor, audit, challenges_for_audit(session, audit))
    if refusal is not None:
        raise (PermissionDenied if audit.auditor_id != actor.id else WorkflowError)(refusal)
    if reviewer_id not in {u.id for u in colleagues_for(session, actor)}:
        raise InvalidInput([FieldError("reviewer", "Choose a colleague from your own team")])
    challenge = PeerChallenge(
        audit_id=audit.id, requested_by_id=actor.id, reviewer_id=reviewer_id, status=PeerChallengeStatus.REQUESTED
    )
    session.add(challenge)
    session.flush()
    made(claim, challenge.id)
    record(
        session,
        actor,
        "peer.request",
        "peer_challenge",
        challenge.id,
        after={"audit_id": audit.id, "reviewer_id": reviewer_id},
    )
    return challenge


def _clean_comments(audit: Audit, comments: Mapping[str | None, str]) -> list[tuple[str | None, str]]:
    known = {q.id for q in audit.template.questions()}
    cleaned: list[tuple[str | None, str]] = []
    errors: list[FieldError] = []
    for question_id, given in comments.items():
        body = (given or "").strip()
        if not body:
            continue
        if question_id is not None and question_id not in known:
            errors.append(FieldError(question_id, f"{question_id} is not a question in this check"))
        elif limits.too_long(body, limits.PEER_COMMENT):
            where = f" on {question_id}" if question_id else ""
            message = limits.keep_within(f"your comment{where}", limits.PEER_COMMENT)
            errors.append(FieldError(question_id or "comment", message))
        else:
            cleaned.append((question_id, body))
    if errors:
        raise InvalidInput(errors)
    return cleaned


def review_refusal(actor: User, challenge: PeerChallenge, audit: Audit) -> str | None:
    """Why ``actor`` cannot review (or re-review) now, or None when they can. Pure, for pages too."""
    if challenge.reviewer_id != actor.id:
        return "Only the colleague asked can review this check."
    if challenge.status not in REVIEWABLE:
        return "This peer challenge is waiting for the author, or has been agreed."
    if audit.status not in SUBMITTED_STATES:
        return "The author is revising the check; you can confirm it or challenge again once they submit it."
    return None


@operation
def review_challenge(
    session: Session, actor: User, challenge_id: int, *, agree: bool, comments: Mapping[str | None, str]
) -> PeerChallenge:
    """The colleague's answer: agree (optionally with comments) or challenge with at least one
    comment. After the author's response this is the next round: confirm the changes, or challenge again.
    The challenge is locked and its status read afresh, so the same review posted twice applies once."""
    challenge = _locked_challenge(session, actor, challenge_id)
    if challenge.reviewer_id != actor.id:
        raise PermissionDenied("Only the colleague asked can review this check.")
    audit = get_audit(session, actor, challenge.audit_id)
    refusal = review_refusal(actor, challenge, audit)
    if refusal is not None:
        answered = challenge.status not in REVIEWABLE
        raise WorkflowError("This peer challenge has already been answered." if answered else refusal)
    cleaned = _clean_comments(audit, comments)
    if not agree and not cleaned:
        raise InvalidInput([FieldError("comment", "Say what you challenge: add a comment to at least one question")])
    before = {"status": str(challenge.status), "round": challenge.round}
    if challenge.status == PeerChallengeStatus.RESPONDED:
        challenge.round += 1
    for question_id, body in cleaned:
        kind = CommentKind.AGREE if agree else CommentKind.CHALLENGE
        challenge.comments.append(
            PeerComment(author_id=actor.id, question_id=question_id, kind=kind, body=body, round=challenge.round)
        )
    challenge.status = PeerChallengeStatus.AGREED if agree else PeerChallengeStatus.CHALLENGED
    if agree:
        challenge.closed_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "peer.review",
        "peer_challenge",
        challenge.id,
        before,
        {"status": str(challenge.status), "round": challenge.round, "comments": len(cleaned)},
    )
    return challenge


@operation
def respond_to_challenge(
    session: Session, actor: User, challenge_id: int, comments: Mapping[str | None, str], *, revise: bool = False
) -> PeerChallenge:
    """The author answers the challenge; the reviewer then confirms or challenges again. With
    ``revise`` the check is reopened (returned to its author) so the changes can be made and it can
    be resubmitted; the reviewer's next round waits for the resubmission. Locked like a review."""
    challenge = _locked_challenge(session, actor, challenge_id)
    if challenge.requested_by_id != actor.id:
        raise PermissionDenied("Only the author of the check can respond to the challenge.")
    if challenge.status != PeerChallengeStatus.CHALLENGED:
        raise WorkflowError("There is no challenge waiting for your response.")
    audit = get_audit(session, actor, challenge.audit_id)
    cleaned = _clean_comments(audit, comments)
    if not cleaned:
        raise InvalidInput([FieldError("comment", "Write your response")])
    for question_id, body in cleaned:
        challenge.comments.append(
            PeerComment(
                author_id=actor.id, question_id=question_id, kind=CommentKind.RESPONSE, body=body, round=challenge.round
            )
        )
    challenge.status = PeerChallengeStatus.RESPONDED
    if revise:
        if audit.status != AuditStatus.SUBMITTED:
            raise WorkflowError(f"This check is {audit.status}; only a submitted check can be reopened for revision.")
        move_to(audit, AuditStatus.RETURNED)
        audit.return_comment = "Reopened by its author after peer challenge."
        audit.updated_at = utcnow()
        record(
            session,
            actor,
            "audit.reopen",
            "audit",
            audit.id,
            {"status": AuditStatus.SUBMITTED.value},
            {"status": AuditStatus.RETURNED.value},
        )
    session.flush()
    record(
        session,
        actor,
        "peer.respond",
        "peer_challenge",
        challenge.id,
        {"status": PeerChallengeStatus.CHALLENGED.value, "round": challenge.round},
        {"status": str(challenge.status), "round": challenge.round, "comments": len(cleaned)},
    )
    return challenge


def challenges_waiting_for(session: Session, actor: User) -> list[PeerChallenge]:
    """Checks colleagues asked this user to review, and challenges this user must answer."""
    return list(
        session.scalars(
            select(PeerChallenge)
            .where(
                ((PeerChallenge.reviewer_id == actor.id) & (PeerChallenge.status == PeerChallengeStatus.REQUESTED))
                | (
                    (PeerChallenge.reviewer_id == actor.id)
                    & (PeerChallenge.status == PeerChallengeStatus.RESPONDED)
                    & PeerChallenge.audit_id.in_(select(Audit.id).where(Audit.status.in_(SUBMITTED_STATES)))
                )
                | (
                    (PeerChallenge.requested_by_id == actor.id)
                    & (PeerChallenge.status == PeerChallengeStatus.CHALLENGED)
                )
            )
            .order_by(PeerChallenge.created_at)
        )
    )
