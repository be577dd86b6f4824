"""Users: list, add, change, deactivate or reactivate, and set a new password.

Forms check only that required answers are given (so empty fields are reported together);
everything else (email format, duplicates, an auditor's agency, password rules) is the library's
to decide, and its field errors are shown on the form.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from sqlalchemy.orm import Session
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField, SubmitField

# SelectChoice is new in WTForms 3.3 (tuples are deprecated there); types-WTForms still describes 3.2.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, InputRequired, Length

from qaframework import limits
from qaframework.framework import ROLE_LABELS, Role
from qaframework.operations.base import InvalidInput
from qaframework.operations.cases import known_case_values
from qaframework.operations.users import (
    add_user,
    get_user,
    list_agencies,
    list_users,
    new_user_problems,
    set_active,
    set_password,
    update_user,
)
from qaframework.passwords import MIN_LENGTH
from qaframework.store import User
from qaframework.store.people import DISPLAY_NAME_LENGTH, EMAIL_LENGTH, TEAM_LENGTH
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.admin.common import ConfirmForm, errors_onto_form
from webapp.db import db_session

#: What each role does, shown under its radio button so the choice is informed.
ROLE_HINTS: dict[Role, str] = {
    Role.AUDITOR: "Carries out Tier 1 checks and Tier 2 audits for one agency.",
    Role.PANEL_MEMBER: "Carries out Tier 3 multi-agency audits and moderates grades across agencies.",
    Role.SYSTEM_LEADER: "Carries out Tier 4 reviews, including conversations with families.",
    Role.BOARD_VIEWER: "Sees reports only, never individual cases.",
    Role.ADMIN: "Manages users, checklists, term dates and case imports.",
    Role.PARENT_CARER_FORUM: (
        "Carries out Tier 4 reviews; sees only the cases of the reviews and samples assigned to them."
    ),
}
PASSWORD_HINT = (
    f"Use {MIN_LENGTH} characters or more. Three or four random words make a strong password. "
    "Tell the person their password in a different way from their email address, for example by phone."
)
NO_AGENCY = ""


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]


def _role_items() -> list[dict[str, Any]]:
    """Per-radio params (hints) merged into the widget's items by position."""
    return [{"hint": {"text": ROLE_HINTS[role]}} for role in Role]


def _agency_choices(session: Session, current: str | None = None) -> list[SelectChoice]:
    """Active agencies, plus the user's own if it has since been made inactive."""
    agencies = list_agencies(session)
    choices = [SelectChoice(NO_AGENCY, "No agency (works across agencies)")]
    choices += [SelectChoice(a.code, a.name) for a in agencies]
    if current and current not in {a.code for a in agencies}:
        choices.append(SelectChoice(current, f"{current} (inactive)"))
    return choices


NO_TEAM, NEW_TEAM = "", "__new__"


def _team_choices(session: Session, current: str | None = None) -> list[SelectChoice]:
    """The teams already in use (from users and cases), "no team", and an explicit "add a new team"."""
    teams = known_case_values(session).teams
    choices = [SelectChoice(NO_TEAM, "No team")] + [SelectChoice(t, t) for t in teams]
    if current and current not in teams:
        choices.append(SelectChoice(current, current))
    return [*choices, SelectChoice(NEW_TEAM, "Add a new team")]


def _team_from(form: UserDetailsForm) -> tuple[str | None, bool]:
    """(team, whether it is a new one) from the select and the new-team box."""
    if form.team.data == NEW_TEAM:
        return (form.new_team.data or "").strip(), True
    return (form.team.data or "").strip() or None, False


def _library_problems_onto(form: AddUserForm, session: Session) -> None:
    """When the form's own checks failed, add the library's too, so every problem shows at once."""
    team, new_team = _team_from(form)
    problems = new_user_problems(session, email=form.email.data or "", password=form.password.data or "",
                                 role=form.role.data or "", agency_code=form.agency.data or None,
                                 team=team, new_team=new_team, leads_panel=bool(form.leads_panel.data))
    for problem in problems:
        field = form._fields.get(FORM_FIELDS.get(problem.field, problem.field))
        if field is not None and not field.errors and (problem.field != "role" or form.role.data):
            field.errors = [problem.message]


#: Library field names → this form's field names, where they differ.
FORM_FIELDS = {"new_team": "new_team"}


# Made before the other fields: WTForms orders fields by creation, and the email comes first on
# the add page and in its error summary.
_EMAIL_FIELD = StringField(
    "Email address", widget=GovTextInput(), render_kw={"maxlength": EMAIL_LENGTH}, validators=[
        InputRequired("Enter the person's email address"),
        Length(max=EMAIL_LENGTH, message=f"Email address must be {EMAIL_LENGTH} characters or fewer"),
    ]
)


class UserDetailsForm(FlaskForm):
    """The fields an administrator may change after the account exists."""

    display_name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=[lambda text: text.strip() if text else text],
        render_kw={"maxlength": DISPLAY_NAME_LENGTH},
        validators=[
            DataRequired("Enter the person's full name"),
            Length(max=DISPLAY_NAME_LENGTH, message=f"Full name must be {DISPLAY_NAME_LENGTH} characters or fewer"),
        ],
    )
    role = RadioField(
        "Role", widget=GovRadioInput(), choices=_role_choices(), validators=[InputRequired("Select the person's role")]
    )
    agency = SelectField(
        "Agency",
        widget=GovSelect(),
        choices=[],
        description=(
            "Auditors must belong to an agency. "
            "Panel members, system leaders, board viewers and administrators usually do not."
        ),
    )
    team = SelectField("Team", widget=GovSelect(), choices=[], validate_choice=False, description=(
        "Choose from the teams already in use, or choose ‘Add a new team’ and type its name below."
    ))
    new_team = StringField(
        "Name of the new team", widget=GovTextInput(), description="Only if you chose ‘Add a new team’.",
        render_kw={"maxlength": TEAM_LENGTH},
        validators=[Length(max=TEAM_LENGTH, message=f"Keep the team name to {TEAM_LENGTH} characters or fewer")],
    )
    is_team_manager = BooleanField("Team manager", widget=GovCheckboxInput())
    leads_panel = BooleanField("Leads the panel", widget=GovCheckboxInput())
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class AddUserForm(UserDetailsForm):
    email = _EMAIL_FIELD
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        render_kw={"maxlength": limits.PASSWORD},
        validators=[
            InputRequired("Enter a password"),
            Length(min=MIN_LENGTH, message=f"Password must be {MIN_LENGTH} characters or more"),
            Length(max=limits.PASSWORD, message=f"Password must be {limits.PASSWORD} characters or fewer"),
        ],
    )
    submit = SubmitField("Add user", widget=GovSubmitInput())


class PasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        render_kw={"maxlength": limits.PASSWORD},
        validators=[
            InputRequired("Enter a new password"),
            Length(min=MIN_LENGTH, message=f"Password must be {MIN_LENGTH} characters or more"),
            Length(max=limits.PASSWORD, message=f"Password must be {limits.PASSWORD} characters or fewer"),
        ],
    )
    submit = SubmitField("Set new password", widget=GovSubmitInput())


def _get_user(session: Session, user_id: int) -> User:
    return get_user(session, user_id)  # NotFound is shown as the 404 page


@bp.route("/users", endpoint="users")
@requires(Role.ADMIN)
def list_all_users() -> Any:
    users = list_users(db_session())
    return render_template("admin/users/list.html", users=users, active_count=sum(u.active for u in users))


@bp.route("/users/new", methods=["GET", "POST"], endpoint="add_user")
@requires(Role.ADMIN)
def add_new_user() -> Any:
    session = db_session()
    form = AddUserForm()
    form.agency.choices = _agency_choices(session)
    form.team.choices = _team_choices(session)
    if form.validate_on_submit():
        team, new_team = _team_from(form)
        try:
            user = add_user(
                session,
                current_actor(),
                email=form.email.data or "",
                password=form.password.data or "",
                role=form.role.data or "",
                display_name=(form.display_name.data or "").strip(),
                agency_code=form.agency.data or None,
                team=team,
                new_team=new_team,
                is_team_manager=bool(form.is_team_manager.data),
                leads_panel=bool(form.leads_panel.data),
            )
        except InvalidInput as error:
            errors_onto_form(form, error)
        else:
            flash(f"{user.display_name} ({user.email}) can now sign in.", "success")
            return redirect(url_for("admin.show_user", user_id=user.id))
    elif request.method == "POST":
        _library_problems_onto(form, session)
    return render_template("admin/users/add.html", form=form, role_items=_role_items())


@bp.route("/users/<int:user_id>")
@requires(Role.ADMIN)
def show_user(user_id: int) -> Any:
    return render_template("admin/users/show.html", user=_get_user(db_session(), user_id))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    session = db_session()
    user = _get_user(session, user_id)
    form = UserDetailsForm(
        data=None
        if request.method == "POST"
        else {
            "display_name": user.display_name,
            "role": user.role,
            "agency": user.agency_code or NO_AGENCY,
            "team": user.team or "",
            "is_team_manager": user.is_team_manager,
            "leads_panel": user.leads_panel,
        }
    )
    form.agency.choices = _agency_choices(session, user.agency_code)
    form.team.choices = _team_choices(session, user.team)
    if form.validate_on_submit():
        team, new_team = _team_from(form)
        try:
            update_user(
                session,
                current_actor(),
                user.id,
                role=form.role.data or "",
                agency_code=form.agency.data or None,
                team=team,
                new_team=new_team,
                is_team_manager=bool(form.is_team_manager.data),
                leads_panel=bool(form.leads_panel.data),
                display_name=form.display_name.data or "",
            )
        except InvalidInput as error:
            errors_onto_form(form, error)
        else:
            flash(f"Changes to {user.display_name} saved.", "success")
            return redirect(url_for("admin.show_user", user_id=user.id))
    return render_template("admin/users/edit.html", form=form, user=user, role_items=_role_items())


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires(Role.ADMIN)
def deactivate_user(user_id: int) -> Any:
    return _set_active(user_id, active=False)


@bp.route("/users/<int:user_id>/reactivate", methods=["GET", "POST"])
@requires(Role.ADMIN)
def reactivate_user(user_id: int) -> Any:
    return _set_active(user_id, active=True)


def _set_active(user_id: int, active: bool) -> Any:
    """Confirm first (GET), then change (POST); refusing yourself is the library's rule."""
    session = db_session()
    user = _get_user(session, user_id)
    if user.active == active:
        flash(f"{user.display_name}'s account is already {'active' if active else 'deactivated'}.", "info")
        return redirect(url_for("admin.show_user", user_id=user.id))
    form = ConfirmForm()
    error: str | None = None
    if form.validate_on_submit():
        try:
            set_active(session, current_actor(), user.id, active)
        except InvalidInput as refused:
            error = refused.errors[0].message
        else:
            flash(
                f"{user.display_name} can sign in again."
                if active
                else f"{user.display_name} has been deactivated and signed out.",
                "success",
            )
            return redirect(url_for("admin.show_user", user_id=user.id))
    return render_template("admin/users/confirm_active.html", form=form, user=user, active=active, error=error)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    session = db_session()
    user = _get_user(session, user_id)
    if user.id == current_actor().id:
        # Your own password needs your current one: the account page asks for it.
        return redirect(url_for("auth.change_password"))
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            set_password(session, current_actor(), user.id, form.password.data or "")
        except InvalidInput as error:
            errors_onto_form(form, error)
        else:
            flash(f"New password set for {user.display_name}. They have been signed out everywhere else.", "success")
            return redirect(url_for("admin.show_user", user_id=user.id))
    return render_template("admin/users/password.html", form=form, user=user)
