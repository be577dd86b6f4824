"""The auditor's journey: start an audit, fill the checklist section by section, judge, submit,
and (panel members) return it. Views are thin: parse the request, call the operations, render."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audits", __name__, url_prefix="/audits")

from webapp.audits import checklist, panel, views  # noqa: E402,F401  (registers the routes on bp)

__all__ = ["bp"]
