"""A form sent twice applies once (security review, finding 7: a peer review posted twice was
applied twice, and "Raise an action" posted three times made three actions).

Creates carry a one-time form token that the operation claims in its own transaction; transitions
lock the row and check its state in that transaction (``qaframework.operations.submissions``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaframework.framework import PeerChallengeStatus, Role
from qaframework.operations.actions import raise_action
from qaframework.operations.base import InvalidInput, WorkflowError
from qaframework.operations.peer import request_challenge, review_challenge
from qaframework.operations.submissions import AlreadySubmitted, new_form_token
from qaframework.store import Action, Audit, FormSubmission, PeerChallenge, PeerComment, TrailEntry
from tests.support import ClientAs, MakeUser
from tests.webapp.pagecheck import check_page


def _count(session: Session, model: type, *where: object) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def test_an_action_form_sent_three_times_raises_one_action(
    client_as: ClientAs, check_for: Callable[..., Audit], session: Session
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service")
    audit = check_for(user)
    url = f"/audits/{audit.id}/actions/new"
    soup = check_page(client.get(url))
    token = soup.select_one("form[method=post] input[name=form_token]")["value"]
    due = date.today() + timedelta(days=30)
    form = {"description": "Ask the therapist for the frequency.", "owner": str(user.id), "form_token": token,
            "due_date-day": str(due.day), "due_date-month": str(due.month), "due_date-year": str(due.year)}

    first = client.post(url, data=form)
    assert first.status_code == 302 and first.headers["Location"] == f"/audits/{audit.id}"
    again = [client.post(url, data=form) for _ in range(2)]

    actions = session.scalars(select(Action).where(Action.audit_id == audit.id)).all()
    assert len(actions) == 1
    assert [r.status_code for r in again] == [303, 303]
    assert {r.headers["Location"] for r in again} == {f"/actions/{actions[0].id}"}
    shown = check_page(client.get(again[-1].headers["Location"])).get_text(" ", strip=True)
    assert "You already sent this form, so nothing was added again" in shown
    raised = (TrailEntry.action == "action.raise", TrailEntry.entity_id == str(actions[0].id))
    assert _count(session, TrailEntry, *raised) == 1
    # a fresh drawing of the form raises a second, deliberate action
    fresh = check_page(client.get(url)).select_one("input[name=form_token]")["value"]
    assert fresh != token
    assert client.post(url, data={**form, "form_token": fresh}).status_code == 302
    assert _count(session, Action, Action.audit_id == audit.id) == 2


def test_the_library_claims_the_token_in_the_create_transaction(
    make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    user = make_user(agency="send_service")
    audit = check_for(user)
    token = new_form_token()
    args: dict[str, Any] = {"audit_id": audit.id, "question_id": None, "description": "Add the missing views",
                            "owner_id": user.id, "due_date": date.today() + timedelta(days=7)}
    action = raise_action(session, user, **args, form_token=token)
    with pytest.raises(AlreadySubmitted) as again:
        raise_action(session, user, **args, form_token=token)
    assert (again.value.kind, again.value.entity_id) == ("action", action.id)
    assert _count(session, Action, Action.audit_id == audit.id) == 1
    # a refused form does not use up its token: fixed and sent again, it raises the action
    second = new_form_token()
    with pytest.raises(InvalidInput):
        raise_action(session, user, **{**args, "description": " "}, form_token=second)
    assert _count(session, FormSubmission, FormSubmission.token == second) == 0
    raise_action(session, user, **args, form_token=second)
    assert _count(session, Action, Action.audit_id == audit.id) == 2
    # someone else's token, or one never issued, is refused without creating anything
    other = make_user(agency="send_service")
    for bad in (token, "not-a-token", "x" * 43 + "\x00"):
        with pytest.raises(InvalidInput, match="This form has expired"):
            raise_action(session, other, **{**args, "owner_id": other.id}, form_token=bad)
    assert _count(session, Action, Action.audit_id == audit.id) == 2


def test_a_peer_review_posted_twice_is_applied_once(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    author = make_user(team="North")
    client, reviewer = client_as(Role.AUDITOR, team="North")
    audit = check_for(author)
    challenge = request_challenge(session, author, audit.id, reviewer.id)
    url = f"/peer-challenges/{challenge.id}"
    question = audit.template.questions()[0].id

    agreed = client.post(url, data={"decision": "agree", "comment": "Well evidenced."})
    challenged = client.post(url, data={"decision": "challenge", f"comment-{question}": "Where are the views?"})

    assert agreed.status_code == 302
    assert challenged.status_code == 302
    told = check_page(client.get(challenged.headers["Location"])).get_text(" ", strip=True)
    assert "already been answered, so nothing was changed" in told
    session.expire_all()
    row = session.get(PeerChallenge, challenge.id)
    assert row is not None and row.status == PeerChallengeStatus.AGREED
    assert [(c.kind, c.body) for c in row.comments] == [("agree", "Well evidenced.")]
    reviews = (TrailEntry.action == "peer.review", TrailEntry.entity_id == str(challenge.id))
    assert _count(session, TrailEntry, *reviews) == 1
    # the library refuses the second review even when handed the stale object
    with pytest.raises(WorkflowError, match="already been answered"):
        review_challenge(session, reviewer, challenge.id, agree=False, comments={question: "Again"})
    assert _count(session, PeerComment, PeerComment.challenge_id == challenge.id) == 1


def test_a_peer_challenge_request_sent_twice_asks_once(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, author = client_as(Role.AUDITOR, team="North")
    colleague = make_user(team="North")
    audit = check_for(author)
    url = f"/audits/{audit.id}/peer-challenge"
    token = check_page(client.get(url)).select_one("input[name=form_token]")["value"]
    form = {"reviewer": str(colleague.id), "form_token": token}

    first, second = client.post(url, data=form), client.post(url, data=form)

    challenges = session.scalars(select(PeerChallenge).where(PeerChallenge.audit_id == audit.id)).all()
    assert len(challenges) == 1
    assert first.headers["Location"] == second.headers["Location"] == f"/peer-challenges/{challenges[0].id}"
    assert second.status_code == 303
