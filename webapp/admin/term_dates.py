"""Term dates (the half-term cycles audits, samples and reports use) and the Tier 1 monthly target."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import ValidationError

from qaframework.framework import HALF_TERMS, Cycle, Role, default_cycles
from qaframework.operations.base import InvalidInput
from qaframework.operations.settings import (
    TIER1_MONTHLY_TARGET,
    academic_year_label,
    academic_year_start,
    configured_cycles,
    current_cycle,
    set_setting,
    set_term_dates,
    tier1_target,
    validate_term_dates,
)
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.admin.dates import format_date_text, parse_date_text
from webapp.db import db_session

TARGET_MIN, TARGET_MAX = 1, 200
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
                cycles = validate_term_dates(academic_year, dates)
            except InvalidInput as error:
                _library_errors(fields, error)
            else:
                set_term_dates(session, current_actor(), cycles)
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


def _whole_number_in_range(form: FlaskForm, target: StringField) -> None:
    text = (target.data or "").strip()
    if not text:
        raise ValidationError("Enter the monthly target")
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise ValidationError("The monthly target must be a whole number, like 25")
    if not TARGET_MIN <= int(text) <= TARGET_MAX:
        raise ValidationError(f"The monthly target must be between {TARGET_MIN} and {TARGET_MAX}")


class TargetForm(FlaskForm):
    target = StringField(
        "How many Tier 1 checks should each EHC co-ordinator submit each month?",
        widget=GovTextInput(),
        validators=[_whole_number_in_range],
        description=(
            f"A whole number from {TARGET_MIN} to {TARGET_MAX}. Co-ordinators see their progress against it "
            "on their home page; team managers see their team's."
        ),
    )
    submit = SubmitField("Save target", widget=GovSubmitInput())


@bp.route("/tier-1-target", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_target() -> Any:
    session = db_session()
    form = TargetForm(data=None if request.method == "POST" else {"target": str(tier1_target(session))})
    if form.validate_on_submit():
        value = int((form.target.data or "").strip())
        set_setting(session, current_actor(), TIER1_MONTHLY_TARGET, value)
        flash(f"The Tier 1 monthly target is now {value} checks.", "success")
        return redirect(url_for("admin.term_dates"))
    return render_template("admin/term_dates/target.html", form=form)
