"""Term dates (the half-term cycles audits, samples and reports use) and the Tier 1 monthly target."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; stubs describe 3.2
from wtforms.validators import InputRequired, Length, ValidationError

from qaframework import limits
from qaframework.framework import HALF_TERMS, Cycle, Role, default_cycles
from qaframework.operations.base import InvalidInput
from qaframework.operations.settings import (
    TARGET_MAX,
    TARGET_MIN,
    TargetBasis,
    academic_year_label,
    academic_year_start,
    configured_cycles,
    current_cycle,
    set_term_dates,
    set_tier1_target,
    tier1_target,
)
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.admin.common import errors_onto_form
from webapp.admin.dates import format_date_text, parse_date_text
from webapp.db import db_session

#: Years an administrator may set dates for; anything else in the URL is a 404, not a form.
YEAR_RANGE = range(2000, 2100)
PARTS = ("start", "end")
PART_WORDS = {"start": "start date", "end": "end date"}


@dataclass(frozen=True)
class AcademicYear:
    label: str
    cycles: list[Cycle]
    configured: bool

    @property
    def spoken(self) -> str:
        """ "2025 to 2026", as GOV.UK writes year ranges (the stored label if it is not like 2025-26)."""
        try:
            start = academic_year_start(self.label)
        except ValueError:
            return self.label
        return f"{start} to {start + 1}"


def _start_year(today: date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def _years(today: date) -> list[AcademicYear]:
    """Years with the area's own dates, plus last, this and next year (shown with defaults if unset)."""
    by_year: dict[str, list[Cycle]] = {}
    for cycle in configured_cycles(db_session()):
        by_year.setdefault(cycle.academic_year, []).append(cycle)
    labels = set(by_year) | {academic_year_label(_start_year(today) + d) for d in (-1, 0, 1)}
    years = []
    for label in sorted(labels):
        if label in by_year:
            years.append(AcademicYear(label, by_year[label], True))
        else:
            years.append(AcademicYear(label, default_cycles(academic_year_start(label)), False))
    return years


@bp.route("/term-dates")
@requires(Role.ADMIN)
def term_dates() -> Any:
    today = date.today()
    session = db_session()
    return render_template(
        "admin/term_dates/index.html",
        years=_years(today),
        today_cycle=current_cycle(session, today),
        target=tier1_target(session),
    )


@dataclass
class HalfTermField:
    """One half term on the edit page: what was typed, and its problem if any."""

    number: int
    name: str
    values: dict[str, str]
    message: str | None = None
    bad_parts: set[str] = field(default_factory=set)

    @property
    def field_id(self) -> str:
        return f"half_term_{self.number}"

    @property
    def summary_item(self) -> dict[str, str]:
        """This half term's line in the error summary."""
        return {"text": self.message or "", "href": self.error_href}

    @property
    def error_href(self) -> str:
        part = next((p for p in PARTS if p in self.bad_parts), "start")
        return f"#{self.field_id}-{part}"


def _year_or_404(academic_year: str) -> int:
    try:
        start = academic_year_start(academic_year)
    except ValueError:
        abort(404)
    if start not in YEAR_RANGE:
        abort(404)
    return start


@bp.route("/term-dates/<academic_year>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_term_dates(academic_year: str) -> Any:
    start_year = _year_or_404(academic_year)
    session = db_session()
    stored = [c for c in configured_cycles(session) if c.academic_year == academic_year]
    shown = stored or default_cycles(start_year)
    fields = [
        HalfTermField(n, name, {"start": format_date_text(c.start), "end": format_date_text(c.end)})
        for n, (name, c) in enumerate(zip(HALF_TERMS, shown, strict=True), start=1)
    ]
    if request.method == "POST":
        dates = _read_dates(fields)
        if dates is not None:
            try:
                set_term_dates(session, current_actor(), academic_year, dates)
            except InvalidInput as error:
                _library_errors(fields, error)
            else:
                flash(f"Term dates for {academic_year} saved.", "success")
                return redirect(url_for("admin.term_dates"))
    return render_template(
        "admin/term_dates/edit.html",
        academic_year=academic_year,
        fields=fields,
        using_defaults=not stored,
        spoken=f"{start_year} to {start_year + 1}",
        errors=[f for f in fields if f.message],
    )


def _read_dates(fields: list[HalfTermField]) -> list[tuple[date, date]] | None:
    """Parse all twelve boxes, recording every problem; None if any box is not a date."""
    dates: list[tuple[date, date]] = []
    for item in fields:
        parsed: dict[str, date] = {}
        for part in PARTS:
            text = request.form.get(f"{item.field_id}-{part}", "")[:40]
            item.values[part] = text
            try:
                parsed[part] = parse_date_text(text, f"{item.name} {PART_WORDS[part]}")
            except ValueError as problem:
                item.bad_parts.add(part)
                item.message = item.message or str(problem)
        if len(parsed) == len(PARTS):
            dates.append((parsed["start"], parsed["end"]))
    return None if any(f.message for f in fields) else dates


def _library_errors(fields: list[HalfTermField], error: InvalidInput) -> None:
    by_id = {f.field_id: f for f in fields}
    for problem in error.errors:
        item = by_id.get(problem.field, fields[0])
        if item.message is None:
            item.message = problem.message
            item.bad_parts.update(PARTS)


def _whole_number(form: FlaskForm, target: StringField) -> None:
    """Reading the box is the page's job; the range is the library's (``set_tier1_target``)."""
    text = (target.data or "").strip()
    if not text:
        raise ValidationError("Enter the monthly target")
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise ValidationError("The monthly target must be a whole number, like 25")


class TargetForm(FlaskForm):
    target = StringField(
        "How many Tier 1 plan checks a month?",
        widget=GovTextInput(),
        render_kw={"maxlength": limits.NUMBER},
        validators=[
            Length(max=limits.NUMBER, message="The monthly target must be a whole number, like 25"), _whole_number,
        ],
        description=(
            f"A whole number from {TARGET_MIN} to {TARGET_MAX}. Only checks of draft and final plans count, "
            "once submitted; agencies' advice self-checks do not."
        ),
    )
    basis = RadioField(
        "Who is the target for?",
        widget=GovRadioInput(),
        choices=[SelectChoice(basis.value, basis.label) for basis in TargetBasis],
        validators=[InputRequired("Choose whether the target is for each team or for each co-ordinator")],
        description=(
            "A team total is shared by the co-ordinators of each team (as set on their user record): "
            "everyone sees the team's progress and their own part in it."
        ),
    )
    submit = SubmitField("Save target", widget=GovSubmitInput())


@bp.route("/tier-1-target", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_target() -> Any:
    session = db_session()
    current = tier1_target(session)
    form = TargetForm(
        data=None if request.method == "POST" else {"target": str(current.checks), "basis": current.basis.value}
    )
    if form.validate_on_submit():
        try:
            rule = set_tier1_target(
                session, current_actor(), int((form.target.data or "").strip()), form.basis.data or ""
            )
        except InvalidInput as error:
            errors_onto_form(form, error)
        else:
            flash(f"The Tier 1 target is now {rule.description}.", "success")
            return redirect(url_for("admin.term_dates"))
    return render_template("admin/term_dates/target.html", form=form)
