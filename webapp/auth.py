"""Sign in, sign out (here or everywhere) and change password; the session checked on every request.

Flask's session cookie carries a random session token (``SESSION_TOKEN``) besides Flask-Login's
user id; the token names a row in ``user_sessions`` (``qaframework.operations.sessions``), which is
checked on every request. Signing out ends that row, so a copy of the cookie taken earlier no longer
reads or writes anything, from any browser.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_url, login_user, logout_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from qaframework import limits
from qaframework.operations.base import InvalidInput
from qaframework.operations.sessions import (
    EndReason,
    SessionLimits,
    active_session_count,
    end_session,
    resume_session,
    sign_out_everywhere,
    start_session,
)
from qaframework.operations.users import (
    EMAIL_RE,
    SignInFailed,
    TooManyAttempts,
    throttled_password_change,
    throttled_sign_in,
)
from qaframework.passwords import MIN_LENGTH
from qaframework.store import User
from webapp.access import current_actor, public, requires
from webapp.db import db_session
from webapp.extensions import login_manager
from webapp.throttling import client_address, password_throttle

bp = Blueprint("auth", __name__)

#: The key in Flask's (signed) session cookie that holds this browser's session token.
SESSION_TOKEN = "qa_sid"


def session_limits() -> SessionLimits:
    """The idle timeout and absolute lifetime from the settings (``SESSION_IDLE_MINUTES`` and
    ``SESSION_ABSOLUTE_HOURS``; see docs/operations.md)."""
    config = current_app.config
    return SessionLimits(
        idle=timedelta(minutes=float(config["SESSION_IDLE_MINUTES"])),
        absolute=timedelta(hours=float(config["SESSION_ABSOLUTE_HOURS"])),
    )


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of a live server-side session, or None.

    ``user_id`` (from the cookie) must also match the user's current id, which includes a
    fingerprint of the password hash. A session that has just timed out is ended here and
    remembered in ``g`` so the sign-in page can say why.
    """
    token = session.get(SESSION_TOKEN)
    if not isinstance(token, str) or not token:
        return None
    check = resume_session(db_session(), token, session_limits())
    if check.user is None or check.user.get_id() != user_id:
        g.session_ended = check.ended
        session.clear()
        return None
    return check.user


def _unauthorized() -> Any:
    """Send someone who is not signed in to the sign-in page, saying why if their session timed out."""
    limits = session_limits()
    ended = g.get("session_ended")
    if ended is EndReason.IDLE:
        minutes = int(limits.idle.total_seconds() // 60)
        flash(f"You were signed out because you had not used the service for {minutes} minutes. "
              "Sign in again to continue.", "info")
    elif ended is EndReason.EXPIRED:
        hours = limits.absolute.total_seconds() / 3600
        flash(f"You were signed out because you had been signed in for {hours:g} hours. "
              "Sign in again to continue.", "info")
    else:
        flash("Sign in to continue.", "info")
    return redirect(login_url("auth.sign_in", next_url=request.url))


# Registered by a call rather than as a decorator: Flask-Login is untyped, and its decorator would
# make load_user untyped to mypy too.
login_manager.user_loader(load_user)
login_manager.unauthorized_handler(_unauthorized)


def _begin_session(user: User) -> None:
    """A new server-side session and a fresh cookie (never reuse one from before sign-in)."""
    session.clear()
    session[SESSION_TOKEN] = start_session(db_session(), user)
    login_user(user)
    session.permanent = True  # the cookie lasts the absolute lifetime (PERMANENT_SESSION_LIFETIME)


_password_length = Length(max=limits.PASSWORD, message=f"Password must be {limits.PASSWORD} characters or fewer")


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        render_kw={"maxlength": limits.EMAIL},
        validators=[
            DataRequired("Enter your email address"),
            Length(max=limits.EMAIL, message=f"Email address must be {limits.EMAIL} characters or fewer"),
            Regexp(EMAIL_RE, message="Enter an email address in the correct format, like name@example.gov.uk"),
        ],
    )
    password = PasswordField("Password", widget=GovPasswordInput(), render_kw={"maxlength": limits.PASSWORD},
                             validators=[DataRequired("Enter your password"), _password_length])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this service (no open redirects).

    Anything with a space, a control character (a line break would be a header injection, and
    Werkzeug refuses it with a 500) or a backslash (browsers read ``/\\host`` as ``//host``) is
    ignored: the home page is a safe place to land.
    """
    if target and not any(ch <= " " or ch in "\\\x7f" for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")


def _too_many(template: str, form: FlaskForm, field: Any, refused: TooManyAttempts, **context: Any) -> Any:
    """The form again with the wait as its error: a 429 with Retry-After, the same for every email."""
    field.errors = [refused.message]
    page = render_template(template, form=form, **context)
    return page, 429, {"Retry-After": str(refused.retry_after)}


@bp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
@public
def sign_in_page() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = throttled_sign_in(db_session(), password_throttle(), form.email.data or "",
                                     form.password.data or "", client_address())
        except TooManyAttempts as refused:
            return _too_many("auth/sign_in.html", form, form.email, refused)
        except SignInFailed:
            form.email.errors = ["Enter a correct email address and password"]
        else:
            _begin_session(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


@bp.route("/sign-out", methods=["GET", "POST"])
@requires()
def sign_out() -> Any:
    form = SignOutForm()
    if form.validate_on_submit():
        token = session.get(SESSION_TOKEN)
        if isinstance(token, str) and token:
            end_session(db_session(), token)
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/sign_out.html", form=form)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", widget=GovPasswordInput(), render_kw={"maxlength": limits.PASSWORD},
        validators=[DataRequired("Enter your current password"), _password_length],
    )
    new = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=f"Use {MIN_LENGTH} characters or more. A few random words make a strong password.",
        render_kw={"maxlength": limits.PASSWORD},
        validators=[
            DataRequired("Enter a new password"),
            Length(min=MIN_LENGTH, message=f"Password must be {MIN_LENGTH} characters or more"),
            _password_length,
        ],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        render_kw={"maxlength": limits.PASSWORD},
        validators=[
            DataRequired("Confirm your new password"), EqualTo("new", "Passwords must match"), _password_length,
        ],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


@bp.route("/account/password", methods=["GET", "POST"])
@requires()
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_actor()
        try:
            throttled_password_change(db_session(), password_throttle(), user, form.current.data or "",
                                      form.new.data or "", client_address())
        except TooManyAttempts as refused:
            return _too_many("auth/change_password.html", form, form.current, refused, **_account_context())
        except InvalidInput as exc:
            for error in exc.errors:
                field = form.current if error.field == "current" else form.new
                field.errors = [*field.errors, error.message]
        else:
            _begin_session(user)  # the change ended every session, this one too: carry on in a new one
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("home.index"))
    return _account_page(form)


def _account_page(form: ChangePasswordForm) -> Any:
    return render_template("auth/change_password.html", form=form, **_account_context())


def _account_context() -> dict[str, Any]:
    sessions = active_session_count(db_session(), current_actor().id, session_limits())
    return {"other_sessions": max(sessions - 1, 0)}


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@requires()
def sign_out_everywhere_page() -> Any:
    """End every session of this person, this one included (a lost laptop, a shared computer).

    A button on the account page; its CSRF token is checked by CSRFProtect before any view runs.
    """
    sign_out_everywhere(db_session(), current_actor())
    logout_user()
    session.clear()
    flash("You have been signed out on every computer and device. Sign in again to continue.", "success")
    return redirect(url_for("auth.sign_in"))
