"""The service navigation for signed-in users, by role."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from qaframework.framework import Role
from qaframework.permissions import can_view_board_dashboard

#: (endpoint, label, roles that see it, blueprint prefix that marks it current)
NAV: tuple[tuple[str, str, frozenset[Role] | None, str], ...] = (
    ("home.index", "Home", None, "home."),
    ("cases.list_cases", "Cases", frozenset(Role) - {Role.BOARD_VIEWER}, "cases."),
    ("audits.list_audits", "Audits", frozenset(Role) - {Role.BOARD_VIEWER}, "audits."),
    ("actions.my_actions", "Actions", frozenset(Role) - {Role.BOARD_VIEWER}, "actions."),
    ("panels.cycles", "Panel", frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN}), "panels."),
    ("learning.index", "Learning", None, "learning."),
    ("oversight.team", "Team", None, "oversight."),
    ("moderation.agreement", "Moderation",
     frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN, Role.BOARD_VIEWER}), "moderation."),
    ("board.dashboard", "Board", frozenset({Role.BOARD_VIEWER, Role.SYSTEM_LEADER, Role.ADMIN, Role.PANEL_MEMBER}),
     "board."),
    ("reports.index", "Reports", frozenset({Role.BOARD_VIEWER, Role.SYSTEM_LEADER, Role.ADMIN, Role.PANEL_MEMBER}),
     "reports."),
    ("admin.index", "Admin", frozenset({Role.ADMIN}), "admin."),
    ("auth.sign_out", "Sign out", None, "auth."),
)


def _hrefs() -> dict[str, str]:
    """Each registered navigation target's URL, built once per app and script root (url_for is
    slow enough that seven calls showed on every page)."""
    cache: dict[str, dict[str, str]] = current_app.extensions.setdefault("qa_nav_hrefs", {})
    hrefs = cache.get(request.script_root)
    if hrefs is None:
        hrefs = {}
        for target, *_ in NAV:
            try:
                hrefs[target] = url_for(target)
            except Exception:  # a journey not registered in this app is simply not shown
                continue
        if len(cache) >= 16:
            cache.clear()
        cache[request.script_root] = hrefs
    return hrefs


def nav_items() -> list[dict[str, Any]]:
    if not current_user.is_authenticated:
        return []
    role = Role(current_user.role)
    endpoint = request.endpoint or ""
    hrefs = _hrefs()
    items = []
    for target, label, roles, prefix in NAV:
        if roles is not None and role not in roles:
            continue
        if target == "oversight.team" and not (role is Role.ADMIN or current_user.is_team_manager):
            continue
        if target == "board.dashboard" and not can_view_board_dashboard(current_user):
            continue  # of the panel, only its lead (the QA lead) answers to the board
        if target == "reports.index" and role is Role.PANEL_MEMBER and not current_user.leads_panel:
            continue  # of the panel, only its lead (the QA lead) makes reports
        if target in hrefs:
            items.append(
                {
                    "href": hrefs[target],
                    "text": label,
                    "active": endpoint.startswith(prefix) and target != "auth.sign_out",
                }
            )
    return items


def init_app(app: Flask) -> None:
    @app.context_processor
    def _navigation() -> dict[str, Any]:
        return {"nav_items": nav_items()}
