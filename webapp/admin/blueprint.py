"""The admin blueprint object, apart from the views so each view module can import it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from qaframework.store import utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def _now() -> dict[str, Any]:
    """One aware 'now' per page, to tell locked accounts and stale uploads apart."""
    return {"now": utcnow()}
