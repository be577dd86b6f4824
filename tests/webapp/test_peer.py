"""Tier 1 peer challenge pages: who may ask whom, reviewing, responding and reopening."""

from __future__ import annotations

from collections.abc import Callable

from bs4 import BeautifulSoup
from flask import Flask, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.peer import request_challenge, review_challenge
from qaframework.store import Audit, PeerChallenge, User
from tests.support import ClientAs, MakeUser
from tests.webapp.journey import error_links, page
from tests.webapp.pagecheck import check_page


def _challenge(session: Session, audit: Audit) -> PeerChallenge | None:
    session.expire_all()
    return session.scalars(select(PeerChallenge).where(PeerChallenge.audit_id == audit.id)).one_or_none()


def test_author_asks_a_colleague_from_their_own_team(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, author = client_as(Role.AUDITOR, team="North")
    colleague = make_user(team="North")
    make_user(team="South")
    make_user(agency="health", team="North")
    audit = check_for(author)

    soup = check_page(client.get(f"/audits/{audit.id}/peer-challenge"))
    offered = [label.get_text(strip=True) for label in soup.select("#main-content .govuk-radios__label")]
    assert offered == [colleague.display_name]

    response = client.post(f"/audits/{audit.id}/peer-challenge", data={"reviewer": str(colleague.id)})
    challenge = _challenge(session, audit)
    assert challenge is not None and challenge.reviewer_id == colleague.id and challenge.status == "requested"
    assert response.status_code == 302 and response.headers["Location"] == f"/peer-challenges/{challenge.id}"
    soup = check_page(client.get(response.headers["Location"]))
    assert f"You asked {colleague.display_name} to challenge your check." in soup.get_text()
    assert "Waiting for review" in soup.get_text()
    assert soup.find("form", method="post") is None  # the author waits; nothing to answer yet


def test_tampered_or_missing_reviewer_is_shown_as_an_error(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, author = client_as(Role.AUDITOR, team="North")
    make_user(team="North")
    elsewhere = make_user(team="South")
    audit = check_for(author)

    soup = check_page(client.post(f"/audits/{audit.id}/peer-challenge", data={"reviewer": str(elsewhere.id)}))
    assert error_links(soup) == {"#reviewer": "Choose a colleague from your own team"}
    assert soup.title.get_text().startswith("Error: ")
    soup = check_page(client.post(f"/audits/{audit.id}/peer-challenge", data={}))
    assert error_links(soup) == {"#reviewer": "Choose a colleague to challenge your check"}
    assert _challenge(session, audit) is None


def test_only_the_author_may_ask(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    author = make_user(team="North")
    audit = check_for(author)
    colleague_client, colleague = client_as(Role.AUDITOR, team="North")
    page(colleague_client.get(f"/audits/{audit.id}/peer-challenge"), 403)
    assert (
        colleague_client.post(f"/audits/{audit.id}/peer-challenge", data={"reviewer": str(colleague.id)}).status_code
        == 403
    )
    panel_client, _ = client_as(Role.PANEL_MEMBER)
    page(panel_client.get(f"/audits/{audit.id}/peer-challenge"), 403)
    health_client, _ = client_as(Role.AUDITOR, agency="health", team="North")
    assert health_client.get(f"/audits/{audit.id}/peer-challenge").status_code == 403
    assert _challenge(session, audit) is None


def test_a_draft_cannot_be_sent_for_challenge(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, author = client_as(Role.AUDITOR, team="North")
    colleague = make_user(team="North")
    draft = check_for(author, submit=False)
    soup = check_page(client.get(f"/audits/{draft.id}/peer-challenge"))
    assert "Submit the check before asking a colleague to challenge it." in soup.get_text()
    assert soup.find("form", method="post") is None
    client.post(f"/audits/{draft.id}/peer-challenge", data={"reviewer": str(colleague.id)})
    assert _challenge(session, draft) is None


def test_reviewer_agrees(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    author = make_user(team="North")
    client, reviewer = client_as(Role.AUDITOR, team="North")
    audit = check_for(author)
    challenge = request_challenge(session, author, audit.id, reviewer.id)

    soup = check_page(client.get(f"/peer-challenges/{challenge.id}"))
    assert soup.h1.get_text(strip=True) == f"Review {author.display_name}’s check"
    first = audit.template.questions()[0].id
    assert soup.find("textarea", id=f"comment-{first}") is not None
    assert len(soup.select("details.app-peer-question__details")) == len(audit.template.questions())

    response = client.post(f"/peer-challenges/{challenge.id}", data={"decision": "agree", "comment": "Well evidenced."})
    assert response.status_code == 302
    session.expire_all()
    assert challenge.status == "agreed" and challenge.closed_at is not None
    assert [(c.kind, c.question_id, c.body) for c in challenge.comments] == [("agree", None, "Well evidenced.")]
    soup = check_page(client.get(f"/peer-challenges/{challenge.id}"))
    assert soup.h1.get_text(strip=True) == "Peer challenge"
    assert "Well evidenced." in soup.get_text() and soup.find("form", method="post") is None


def test_review_errors_link_to_their_fields(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    author = make_user(team="North")
    client, reviewer = client_as(Role.AUDITOR, team="North")
    challenge = request_challenge(session, author, check_for(author).id, reviewer.id)

    soup = check_page(client.post(f"/peer-challenges/{challenge.id}", data={}))
    assert error_links(soup) == {"#decision": "Choose whether you agree with this check or challenge it"}
    soup = check_page(client.post(f"/peer-challenges/{challenge.id}", data={"decision": "challenge", "comment": "  "}))
    assert error_links(soup) == {"#comment": "Say what you challenge: add a comment to at least one question"}
    assert soup.select_one("#decision-2")["value"] == "challenge" and soup.select_one("#decision-2").has_attr("checked")
    session.expire_all()
    assert challenge.status == "requested" and challenge.comments == []


def test_challenge_then_author_responds_and_reopens(
    client_as: ClientAs, check_for: Callable[..., Audit], session: Session
) -> None:
    author_client, author = client_as(Role.AUDITOR, team="North")
    reviewer_client, reviewer = client_as(Role.AUDITOR, team="North")
    audit = check_for(author)
    challenge = request_challenge(session, author, audit.id, reviewer.id)
    question = audit.template.questions()[3]

    response = reviewer_client.post(
        f"/peer-challenges/{challenge.id}",
        data={"decision": "challenge", f"comment-{question.id}": "The frequency of therapy is missing."},
    )
    assert response.status_code == 302
    session.expire_all()
    assert challenge.status == "challenged"
    assert [(c.kind, c.question_id) for c in challenge.comments] == [("challenge", question.id)]

    soup = check_page(author_client.get(f"/peer-challenges/{challenge.id}"))
    assert soup.h1.get_text(strip=True) == f"Respond to {reviewer.display_name}’s challenge"
    assert "The frequency of therapy is missing." in soup.get_text()
    assert question.text in soup.get_text()
    assert soup.find("textarea", id=f"comment-{question.id}") is not None

    soup = check_page(author_client.post(f"/peer-challenges/{challenge.id}", data={"revise": "yes"}))
    assert error_links(soup) == {"#comment": "Write your response"}
    response = author_client.post(
        f"/peer-challenges/{challenge.id}", data={"comment": "Agreed; I will add the frequency.", "revise": "yes"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert challenge.status == "responded"
    assert audit.status == "returned"
    soup = check_page(author_client.get(f"/peer-challenges/{challenge.id}"))
    assert "Your check has been reopened" in soup.get_text()
    assert "Agreed; I will add the frequency." in soup.get_text()


def test_only_the_colleague_asked_may_review(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    author_client, author = client_as(Role.AUDITOR, team="North")
    reviewer = make_user(team="North")
    challenge = request_challenge(session, author, check_for(author).id, reviewer.id)
    other_client, _ = client_as(Role.AUDITOR, team="North")

    page(other_client.post(f"/peer-challenges/{challenge.id}", data={"decision": "agree"}), 403)
    assert other_client.post(f"/peer-challenges/{challenge.id}", data={}).status_code == 403
    assert author_client.post(f"/peer-challenges/{challenge.id}", data={"decision": "agree"}).status_code == 403
    soup = check_page(other_client.get(f"/peer-challenges/{challenge.id}"))  # same agency: may read
    assert soup.find("form", method="post") is None
    health_client, _ = client_as(Role.AUDITOR, agency="health", team="North")
    page(health_client.get(f"/peer-challenges/{challenge.id}"), 403)
    viewer_client, _ = client_as(Role.BOARD_VIEWER)
    assert viewer_client.get(f"/peer-challenges/{challenge.id}").status_code == 403
    session.expire_all()
    assert challenge.status == "requested"


def test_an_answered_challenge_cannot_be_answered_again(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    author = make_user(team="North")
    client, reviewer = client_as(Role.AUDITOR, team="North")
    challenge = request_challenge(session, author, check_for(author).id, reviewer.id)
    review_challenge(session, reviewer, challenge.id, agree=True, comments={})
    response = client.post(f"/peer-challenges/{challenge.id}", data={"decision": "challenge", "comment": "x"})
    assert response.status_code == 302
    session.expire_all()
    assert challenge.status == "agreed" and challenge.comments == []
    soup = page(client.get(response.headers["Location"]))
    assert "already been answered, so nothing was changed" in soup.get_text()


def _render_exchange(app: Flask, audit: Audit, challenges: list[PeerChallenge], user: User) -> BeautifulSoup:
    with app.test_request_context():
        html = render_template("peer/_exchange.html", audit=audit, challenges=challenges, current_user=user)
    return BeautifulSoup(html, "html5lib")


def test_exchange_partial(app: Flask, make_user: MakeUser, check_for: Callable[..., Audit], session: Session) -> None:
    author, reviewer, reader = make_user(team="North"), make_user(team="North"), make_user(team="North")
    audit = check_for(author)

    soup = _render_exchange(app, audit, [], author)
    link = soup.find("a", string="Ask a colleague to challenge this check")
    assert link is not None and link["href"] == f"/audits/{audit.id}/peer-challenge"
    soup = _render_exchange(app, audit, [], reader)
    assert "No colleague has been asked to challenge this check." in soup.get_text()
    assert soup.find("a") is None

    challenge = request_challenge(session, author, audit.id, reviewer.id)
    question = audit.template.questions()[0]
    review_challenge(session, reviewer, challenge.id, agree=False, comments={question.id: "Whose words are these?"})
    soup = _render_exchange(app, audit, [challenge, challenge], author)
    text = " ".join(soup.get_text().split())
    assert f"You asked {reviewer.display_name}" in text and "Challenged" in text
    assert f"Question {question.id}" in text and "Whose words are these?" in text
    assert soup.find("a", string="Ask a colleague to challenge this check") is None  # one is open
    assert soup.find_all(id=True) == []  # safe to render any number of times on one page
    assert next(a.get_text(" ", strip=True) for a in soup.select("a")).startswith("Respond to the challenge")


def test_reviewer_confirms_or_challenges_again_after_the_revision_in_as_many_rounds_as_needed(
    client_as: ClientAs, check_for: Callable[..., Audit], session: Session
) -> None:
    from qaframework.operations.audits import submit_audit
    from qaframework.operations.peer import respond_to_challenge

    author_client, author = client_as(Role.AUDITOR, team="North")
    reviewer_client, reviewer = client_as(Role.AUDITOR, team="North")
    audit = check_for(author)
    challenge = request_challenge(session, author, audit.id, reviewer.id)
    question = audit.template.questions()[3]
    review_challenge(session, reviewer, challenge.id, agree=False, comments={question.id: "Frequency missing."})
    respond_to_challenge(session, author, challenge.id, {None: "I will add it."}, revise=True)

    # While the check is back with its author the reviewer waits: nothing to do yet.
    soup = page(reviewer_client.get(f"/peer-challenges/{challenge.id}"))
    assert soup.find("form", method="post") is None
    assert "can confirm the changes or challenge again once it is submitted" in soup.get_text(" ", strip=True)

    session.expire_all()
    submit_audit(session, author, audit.id, session.get(Audit, audit.id).version_id)
    # Resubmitted: the confirmation does not ask for peer challenge again; the reviewer is told.
    confirmation = page(author_client.get(f"/audits/{audit.id}/submitted")).get_text(" ", strip=True)
    assert "Ask a colleague in your team to peer-challenge" not in confirmation
    assert f"{reviewer.display_name}, who peer-challenged this check, will see your revised answers" in confirmation
    home = page(reviewer_client.get("/")).get_text(" ", strip=True)
    assert f"{author.display_name} responded to your challenge: confirm or challenge again" in home

    # Round 2: the reviewer challenges again ...
    soup = page(reviewer_client.get(f"/peer-challenges/{challenge.id}"))
    assert soup.h1.get_text(strip=True) == f"Confirm {author.display_name}’s revised check or challenge again"
    assert "Frequency missing." in soup.get_text() and "I will add it." in soup.get_text()
    response = reviewer_client.post(f"/peer-challenges/{challenge.id}",
                                    data={"decision": "challenge", "comment": "Still no frequency in F."})
    assert response.status_code == 302
    session.expire_all()
    assert (challenge.status, challenge.round) == ("challenged", 2)
    # ... the author responds without reopening, and the reviewer confirms: round 3 ends it.
    respond_to_challenge(session, author, challenge.id, {None: "It is in F, paragraph 4."})
    response = reviewer_client.post(
        f"/peer-challenges/{challenge.id}", data={"decision": "agree", "comment": "Found it."}
    )
    assert response.status_code == 302
    session.expire_all()
    assert (challenge.status, challenge.round) == ("agreed", 3) and challenge.closed_at is not None
    assert [(c.round, c.kind) for c in challenge.comments] == [
        (1, "challenge"), (1, "response"), (2, "challenge"), (2, "response"), (3, "agree")]
    soup = page(author_client.get(f"/peer-challenges/{challenge.id}"))
    text = soup.get_text(" ", strip=True)
    assert "agreed with the check after 3 rounds" in text
    rounds = [h.get_text(strip=True) for h in soup.select(".app-peer-comment--round h3")]
    assert rounds == ["Round 1", "Round 2", "Round 3"]
