"""Small helpers the admin views share."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm

from qaframework.operations.base import InvalidInput


class ConfirmForm(FlaskForm):
    """An empty form: confirmation pages need only the CSRF token."""


def errors_onto_form(form: FlaskForm, error: InvalidInput, fields: Mapping[str, str] | None = None) -> None:
    """Show the library's field errors on the form's fields; unknown fields go on the first field.

    ``fields`` maps a library field name to a form field name where they differ.
    """
    fields = fields or {}
    first = next(name for name in form._fields if name != "csrf_token")
    for problem in error.errors:
        name = fields.get(problem.field, problem.field)
        target = form._fields.get(name) or form._fields[first]
        target.errors = [*target.errors, problem.message]
