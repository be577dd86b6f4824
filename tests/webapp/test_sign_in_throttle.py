"""Wrong passwords are throttled the same way for every email, shared by workers, with Retry-After
(security review, finding 4), and changing a password is throttled like signing in (finding 6)."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaframework.passwords import verify_password
from qaframework.store import ThrottleCounter
from tests.support import TEST_PASSWORD, MakeUser, refreshed
from tests.webapp.conftest import sign_in
from tests.webapp.journey import page

ATTACKER = {"REMOTE_ADDR": "192.0.2.66"}
#: The clock stands still in these tests, so the waits they read are exact on a slow machine.
frozen = time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=UTC), tick=False)


def _answer(client: FlaskClient, email: str, password: str = "a wrong password", **environ: str) -> tuple[int, str]:
    response = client.post("/sign-in", data={"email": email, "password": password},
                           environ_base=environ or ATTACKER)
    if response.status_code == 302:
        return 302, ""
    summary = page(response, response.status_code).select_one(".govuk-error-summary")
    assert summary is not None
    retry_after = response.headers.get("Retry-After")
    return response.status_code, summary.get_text(" ", strip=True) + f" Retry-After={retry_after}"


@frozen
def test_real_and_unknown_accounts_get_the_same_answers(client: FlaskClient, make_user: MakeUser) -> None:
    real = [make_user().email for _ in range(3)]
    unknown = [f"nobody{n}@example.test" for n in range(3)]
    answers = {email: [_answer(client, email) for _ in range(7)] for email in real + unknown}
    assert len({tuple(seq) for seq in answers.values()}) == 1, answers  # nothing tells them apart
    sequence = answers[real[0]]
    assert [status for status, _ in sequence] == [200] * 5 + [429] * 2
    assert "Enter a correct email address and password" in sequence[0][1]
    assert "Too many attempts. Wait 30 seconds, then try again." in sequence[5][1]
    assert "Retry-After=30" in sequence[5][1]
    assert "locked" not in " ".join(text for seq in answers.values() for _, text in seq)


@frozen
def test_the_owner_elsewhere_is_not_locked_out_by_a_strangers_guesses(client: FlaskClient,
                                                                       make_user: MakeUser) -> None:
    owner = make_user()
    for _ in range(7):
        _answer(client, owner.email)
    assert _answer(client, owner.email, TEST_PASSWORD)[0] == 429  # the guesser waits, even with the password
    assert _answer(client, owner.email, TEST_PASSWORD, REMOTE_ADDR="198.51.100.7") == (302, "")


@frozen
def test_one_address_trying_many_emails_gets_429(app: Flask, client: FlaskClient) -> None:
    app.config.update(THROTTLE_PER_IP=10)
    statuses = [_answer(client, f"person{n}@example.test")[0] for n in range(12)]
    assert statuses == [200] * 10 + [429] * 2


@frozen
def test_counts_are_in_the_database_shared_by_every_worker(app: Flask, client: FlaskClient, make_user: MakeUser,
                                                           session: Session) -> None:
    """A second app (another worker) on the same database sees the first one's failures."""
    from webapp import create_app

    for _ in range(5):
        _answer(client, "someone@example.test")
    other_worker = create_app({**app.config, "TESTING": True})
    other_worker.test_client_class = type(client)
    status, text = _answer(other_worker.test_client(), "someone@example.test")
    assert status == 429 and "Retry-After=30" in text
    assert session.scalar(select(func.count()).select_from(ThrottleCounter)) == 3


@frozen
def test_change_password_is_throttled_and_counted_like_sign_in(client: FlaskClient, make_user: MakeUser,
                                                               session: Session) -> None:
    user = make_user()
    sign_in(client, user)

    def change(current: str) -> int:
        return client.post("/account/password", environ_base=ATTACKER, data={
            "current": current, "new": "a-brand-new-passphrase", "confirm": "a-brand-new-passphrase"}).status_code

    assert [change(f"guess {n}") for n in range(5)] == [200] * 5
    response = client.post("/account/password", environ_base=ATTACKER, data={
        "current": TEST_PASSWORD, "new": "a-brand-new-passphrase", "confirm": "a-brand-new-passphrase"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "30"
    assert "Too many attempts" in page(response, 429).select_one(".govuk-error-summary").get_text()
    assert verify_password(refreshed(session, user).password_hash, TEST_PASSWORD)  # not changed while throttled
    # The same count covers signing in: the guesser cannot switch to the sign-in page.
    assert _answer(client.application.test_client(), user.email, TEST_PASSWORD)[0] == 429
