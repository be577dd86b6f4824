"""Sign in, sign out and change password."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from qaframework.operations.base import InvalidInput
from qaframework.operations.users import EMAIL_RE, SignInFailed, change_own_password, sign_in
from qaframework.passwords import MIN_LENGTH
from qaframework.store import User
from webapp.access import current_actor, public, requires
from webapp.db import db_session
from webapp.extensions import limiter, login_manager

bp = Blueprint("auth", __name__)


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the session id names the user and their password's fingerprint."""
    user_id = session_id.partition(".")[0]  # the fingerprint part is checked by get_id() below
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active or user.get_id() != session_id:
        return None
    return user


# Registered by a call rather than as a decorator: Flask-Login is untyped, and its decorator would
# make load_user untyped to mypy too.
login_manager.user_loader(load_user)


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            DataRequired("Enter your email address"),
            Regexp(EMAIL_RE, message="Enter an email address in the correct format, like name@example.gov.uk"),
        ],
    )
    password = PasswordField("Password", widget=GovPasswordInput(), validators=[DataRequired("Enter your password")])
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


def _sign_in_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return f"{request.remote_addr}|{email}"


@bp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
@limiter.limit("10 per minute", methods=["POST"], key_func=_sign_in_key)
@public
def sign_in_page() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = sign_in(db_session(), form.email.data or "", form.password.data or "")
        except SignInFailed as failure:
            message = (
                "Your account is locked after too many attempts. Wait 15 minutes, then try again."
                if failure.locked
                else "Enter a correct email address and password"
            )
            form.email.errors = [message]
        else:
            session.clear()
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


@bp.route("/sign-out", methods=["GET", "POST"])
@requires()
def sign_out() -> Any:
    form = SignOutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/sign_out.html", form=form)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[DataRequired("Enter your current password")]
    )
    new = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=f"Use {MIN_LENGTH} characters or more. A few random words make a strong password.",
        validators=[
            DataRequired("Enter a new password"),
            Length(min=MIN_LENGTH, message=f"Password must be {MIN_LENGTH} characters or more"),
        ],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Confirm your new password"), EqualTo("new", "Passwords must match")],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


@bp.route("/account/password", methods=["GET", "POST"])
@requires()
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_actor()
        try:
            change_own_password(db_session(), user, form.current.data or "", form.new.data or "")
        except InvalidInput as exc:
            for error in exc.errors:
                field = form.current if error.field == "current" else form.new
                field.errors = [*field.errors, error.message]
        else:
            login_user(user)  # the session id changed with the password; keep this session
            flash("Your password has been changed. Other sessions have been signed out.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)
