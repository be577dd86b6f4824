"""Access control for views: signed in by default, roles by decorator, object checks in the library.

Every endpoint needs a signed-in, active user unless its view is marked :func:`public`.
Views declare the roles that may use them with :func:`requires`; a test fails if a route has
neither. Finer checks (agency scope, authorship) are made by ``qaframework.permissions`` inside
the operations, and surface here as 403 pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, request
from flask_login import current_user

from qaframework.framework import Role
from qaframework.store import User
from webapp.extensions import login_manager

ALL_ROLES = frozenset(Role)

F = TypeVar("F", bound=Callable[..., Any])


def current_actor() -> User:
    """The signed-in user as a model object: operations take the actor itself, not Flask-Login's proxy."""
    user: User = current_user._get_current_object()  # Flask-Login is untyped: current_user is Any
    return user


def public(view: F) -> F:
    """Mark a view as reachable without signing in (statements, health check, sign-in itself)."""
    view.public = True  # type: ignore[attr-defined]  # a marker attribute on the function; mypy cannot type those
    return view


def is_public(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None or endpoint == "static":
        return True
    view = app.view_functions.get(endpoint)
    return bool(getattr(view, "public", False))


def requires(*roles: Role, team_manager: bool = False) -> Callable[[F], F]:
    """Allow the given roles (all signed-in roles if none), optionally only team managers."""
    allowed = frozenset(roles) or ALL_ROLES

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            role = Role(current_user.role)
            if team_manager and role is not Role.ADMIN and not current_user.is_team_manager:
                abort(403, description="Only team managers can see this page.")
            if role not in allowed:
                labels = sorted(r.label.lower() + "s" for r in allowed)
                names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
                abort(403, description=f"This page is for {names}. You are signed in as {role.label.lower()}.")
            return view(*args, **kwargs)

        # A marker attribute on the function (read by tests and the default-deny check), and the
        # wrapper returned as the view's own type: neither can be expressed to mypy.
        wrapped.required_roles = allowed  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def init_app(app: Flask) -> None:
    @app.before_request
    def _require_sign_in() -> Any:
        """Default deny: a route someone forgot to protect still needs a signed-in user."""
        if is_public(app, request.endpoint):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None
