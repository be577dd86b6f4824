"""Adding, changing and signing in users; agencies."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaframework.framework import DEFAULT_AGENCIES, Role
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    OperationError,
    operation,
    record,
    require,
    snapshot,
)
from qaframework.operations.cases import known_case_values
from qaframework.operations.sessions import EndReason, end_user_sessions
from qaframework.passwords import hash_password, needs_rehash, password_problem, verify_password
from qaframework.permissions import can_manage_users
from qaframework.store import Agency, User, utcnow
from qaframework.store.people import AGENCY_NAME_LENGTH, DISPLAY_NAME_LENGTH, EMAIL_LENGTH, TEAM_LENGTH
from qaframework.throttle import PasswordThrottle, Refusal

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USER_FIELDS = ("email", "display_name", "role", "agency_code", "team", "is_team_manager", "leads_panel", "active")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _admin_or_system(actor: User | None) -> None:
    require(actor is None or can_manage_users(actor), "Only an administrator can manage users.")


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN.value, User.active.is_(True))) or 0


def _validate_user(
    session: Session, email: str, role: str, agency_code: str | None, leads_panel: bool = False
) -> list[FieldError]:
    errors: list[FieldError] = []
    if leads_panel and role != Role.PANEL_MEMBER:
        errors.append(FieldError("leads_panel", "Only a multi-agency panel member can lead the panel"))
    if len(email) > EMAIL_LENGTH:
        errors.append(FieldError("email", f"Email address must be {EMAIL_LENGTH} characters or fewer"))
    elif not EMAIL_RE.match(email):
        errors.append(FieldError("email", "Enter an email address in the correct format, like name@example.gov.uk"))
    if role not in {r.value for r in Role}:
        errors.append(FieldError("role", f"Choose a role: {', '.join(r.value for r in Role)}"))
    elif role == Role.AUDITOR and not agency_code:
        errors.append(FieldError("agency", "An auditor must belong to an agency"))
    if agency_code and session.get(Agency, agency_code) is None:
        errors.append(FieldError("agency", f"There is no agency with the code {agency_code!r}"))
    return errors


def team_problem(session: Session, team: str | None, new_team: bool | None) -> FieldError | None:
    """Teams come from a list, so a typo cannot quietly make a new one.

    ``new_team`` True: the person asked for a new team, which must not already exist (in any
    capitals). False: the team must be one already known (from users or cases). None: the caller
    (the ``qa`` command, a script) does not make that distinction, so nothing is checked.
    """
    if new_team is None:
        return None
    name = (team or "").strip()
    known = known_case_values(session).teams
    if new_team:
        if not name:
            return FieldError("new_team", "Enter the name of the new team")
        same = next((t for t in known if t.lower() == name.lower()), None)
        if same is not None:
            return FieldError("new_team", f"There is already a team called {same}: choose it from the list")
        if len(name) > TEAM_LENGTH:
            return FieldError("new_team", f"Keep the team name to {TEAM_LENGTH} characters or fewer")
        return None
    if name and name not in known:
        return FieldError("team", "Choose a team from the list, or choose ‘Add a new team’")
    return None


def new_user_problems(
    session: Session, *, email: str, password: str, role: str, agency_code: str | None,
    team: str | None = None, new_team: bool | None = None, leads_panel: bool = False,
    display_name: str | None = None,
) -> list[FieldError]:
    """Everything wrong with a new account, all at once (not one problem per try)."""
    email = normalise_email(email)
    errors = _validate_user(session, email, role, agency_code, leads_panel)
    if email and session.scalar(select(User.id).where(User.email == email)) is not None:
        errors.append(FieldError("email", f"A user with the email {email} already exists"))
    problem = password_problem(password, email)
    if problem:
        errors.append(FieldError("password", problem))
    team_error = team_problem(session, team, new_team)
    if team_error:
        errors.append(team_error)
    if display_name is not None and (name_error := display_name_problem(display_name, required=False)):
        errors.append(name_error)
    return errors


def display_name_problem(name: str, *, required: bool = True) -> FieldError | None:
    """A person's name must be given (when editing) and fit its column."""
    if required and not name.strip():
        return FieldError("display_name", "Enter the person's name")
    if len(name.strip()) > DISPLAY_NAME_LENGTH:
        return FieldError("display_name", f"Full name must be {DISPLAY_NAME_LENGTH} characters or fewer")
    return None


@operation
def add_user(
    session: Session,
    actor: User | None,
    *,
    email: str,
    password: str,
    role: str,
    display_name: str | None = None,
    agency_code: str | None = None,
    team: str | None = None,
    is_team_manager: bool = False,
    new_team: bool | None = None,
    leads_panel: bool = False,
) -> User:
    _admin_or_system(actor)
    email = normalise_email(email)
    errors = new_user_problems(session, email=email, password=password, role=role, agency_code=agency_code,
                               team=team, new_team=new_team, leads_panel=leads_panel, display_name=display_name)
    if errors:
        raise InvalidInput(errors)
    user = User(
        email=email,
        display_name=(display_name or email.split("@")[0].replace(".", " ").title()).strip(),
        password_hash=hash_password(password),
        role=role,
        agency_code=agency_code or None,
        team=(team or None),
        is_team_manager=is_team_manager,
        leads_panel=leads_panel,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.add", "user", user.id, after=snapshot(user, *USER_FIELDS))
    return user


@operation
def update_user(
    session: Session,
    actor: User | None,
    user_id: int,
    *,
    role: str,
    agency_code: str | None,
    team: str | None,
    is_team_manager: bool,
    display_name: str,
    new_team: bool | None = None,
    leads_panel: bool = False,
) -> User:
    _admin_or_system(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}")
    errors = _validate_user(session, user.email, role, agency_code, leads_panel)
    if not (new_team is False and team == user.team):  # keeping a team no one else has any more is fine
        team_error = team_problem(session, team, new_team)
        if team_error:
            errors.append(team_error)
    if name_error := display_name_problem(display_name):
        errors.append(name_error)
    if user.role == Role.ADMIN and role != Role.ADMIN:
        if actor is not None and actor.id == user.id:
            errors.append(
                FieldError(
                    "role", "You cannot remove your own administrator role. Ask another administrator to change it."
                )
            )
        elif _active_admins(session) <= 1:
            errors.append(FieldError("role", "This is the only active administrator; add another first"))
    if errors:
        raise InvalidInput(errors)
    before = snapshot(user, *USER_FIELDS)
    user.role, user.agency_code, user.team = role, agency_code or None, team or None
    user.is_team_manager, user.display_name = is_team_manager, display_name.strip()
    user.leads_panel = leads_panel
    record(session, actor, "user.update", "user", user.id, before=before, after=snapshot(user, *USER_FIELDS))
    return user


@operation
def set_active(session: Session, actor: User | None, user_id: int, active: bool) -> User:
    _admin_or_system(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}")
    if actor is not None and user.id == actor.id and not active:
        raise InvalidInput("You cannot deactivate your own account")
    if not active and user.role == Role.ADMIN and user.active and _active_admins(session) <= 1:
        raise InvalidInput("This is the only active administrator; add another first")
    before = snapshot(user, "active")
    user.active = active
    if not active:
        end_user_sessions(session, user.id, EndReason.DEACTIVATED)
    record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        before,
        snapshot(user, "active"),
    )
    return user


@operation
def set_password(session: Session, actor: User | None, user_id: int, password: str) -> None:
    """An administrator (or a script) sets someone else's password. People change their own with
    :func:`change_own_password`, which asks for the current one first."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}")
    require(actor is None or can_manage_users(actor), "You cannot change this password.")
    require(actor is None or actor.id != user.id, "Change your own password from your account, with your current one.")
    _replace_password(session, actor, user, password, "password")


@operation
def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """Change one's own password. The current password is required, so someone at a screen left
    signed in cannot lock its owner out; the new one meets the usual policy."""
    if not verify_password(user.password_hash, current):
        raise InvalidInput([FieldError("current", "Your current password is not correct")])
    _replace_password(session, user, user, new, "new")


def _replace_password(session: Session, actor: User | None, user: User, password: str, field: str) -> None:
    """Store a new password, end every session of the user (someone who knew the old password may
    be signed in; the web app starts a fresh one for the person who changed their own)."""
    problem = password_problem(password, user.email)
    if problem:
        raise InvalidInput([FieldError(field, problem)])
    user.password_hash = hash_password(password)
    end_user_sessions(session, user.id, EndReason.PASSWORD)
    record(session, actor, "user.set_password", "user", user.id)


class SignInFailed(Exception):
    """Deliberately vague: never reveal whether the email exists."""


class TooManyAttempts(OperationError):
    """Password tries refused for a while (``qaframework.throttle``); the same for every email."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.retry_after = refusal.retry_after


@operation
def sign_in(session: Session, email: str, password: str, now: datetime | None = None) -> User:
    """Check a password and upgrade an old hash. Failures write nothing: they are counted by
    :func:`throttled_sign_in`, the same way for accounts that exist and ones that do not."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)  # same cost whether or not the user exists
        raise SignInFailed()
    if not verify_password(user.password_hash, password):
        raise SignInFailed()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = now
    record(session, user, "user.sign_in", "user", user.id)
    return user


def throttled_sign_in(session: Session, throttle: PasswordThrottle, email: str, password: str, address: str,
                      now: datetime | None = None) -> User:
    """Sign in unless this address or account has failed too often (TooManyAttempts, checked before
    the password, so a throttled guess learns nothing); count a failure, forget them on success.

    Outside :func:`sign_in`'s transaction on purpose: the throttle's store commits on its own, and on
    SQLite it must not wait for the write lock this request's operation holds.
    """
    if refusal := throttle.check(email, address, now):
        raise TooManyAttempts(refusal)
    try:
        user = sign_in(session, email, password, now)
    except SignInFailed:
        throttle.failed(email, address, now)
        raise
    throttle.succeeded(email, address)
    return user


def throttled_password_change(session: Session, throttle: PasswordThrottle, user: User, current: str, new: str,
                              address: str) -> None:
    """:func:`change_own_password`, with a wrong current password counted like a failed sign-in (someone
    at a screen left signed in must not be able to guess the password without limit)."""
    email = user.email  # read now: a failed operation's rollback expires the user
    if refusal := throttle.check(email, address):
        raise TooManyAttempts(refusal)
    try:
        change_own_password(session, user, current, new)
    except InvalidInput as refused:
        if any(error.field == "current" for error in refused.errors):
            throttle.failed(email, address)
        raise
    throttle.succeeded(email, address)


_DUMMY_HASH = hash_password("not-a-real-password-used-for-timing")


@operation
def ensure_default_agencies(session: Session) -> int:
    """Create the standard agencies an area always has; returns how many were added."""
    added = 0
    for agency in DEFAULT_AGENCIES:
        if session.get(Agency, agency.code) is None:
            session.add(Agency(code=agency.code, name=agency.name))
            record(session, None, "agency.add", "agency", agency.code, after={"name": agency.name})
            added += 1
    return added


@operation
def add_agency(session: Session, actor: User | None, code: str, name: str) -> Agency:
    _admin_or_system(actor)
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        raise InvalidInput(
            [FieldError("code", "Use 2 to 40 lower-case letters, digits or underscores, starting with a letter")]
        )
    if session.get(Agency, code) is not None:
        raise InvalidInput([FieldError("code", f"The agency {code} already exists")])
    if not name.strip():
        raise InvalidInput([FieldError("name", "Enter the agency's name")])
    if len(name.strip()) > AGENCY_NAME_LENGTH:
        raise InvalidInput([FieldError("name", f"Agency name must be {AGENCY_NAME_LENGTH} characters or fewer")])
    agency = Agency(code=code, name=name.strip())
    session.add(agency)
    record(session, actor, "agency.add", "agency", code, after={"name": agency.name})
    return agency


def get_user(session: Session, user_id: int) -> User:
    """One user by id (for administrators' pages), or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.active.desc(), func.lower(User.display_name))))


def list_agencies(session: Session, active_only: bool = True) -> list[Agency]:
    query = select(Agency).order_by(Agency.name)
    if active_only:
        query = query.where(Agency.active.is_(True))
    return list(session.scalars(query))
