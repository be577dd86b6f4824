"""The audit trail page: who changed what and when, newest first, filtered and paginated."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, render_template, request, url_for
from werkzeug.routing import BuildError

from qaframework.exports import csv_text
from qaframework.framework import DEFAULT_AGENCIES, ROLE_LABELS, Role
from qaframework.numbers import whole_number
from qaframework.operations.trail import (
    LOCAL_TIME,
    TrailFilters,
    TrailRow,
    record_names,
    trail_entities,
    trail_for_export,
    trail_page,
)
from qaframework.operations.users import list_users
from qaframework.trail_text import FINGERPRINT_PREFIX, PSEUDONYM_PREFIX, is_fingerprint
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.admin.dates import parse_date_text
from webapp.db import db_session
from webapp.presenters import ACTIVITY

PER_PAGE = 50
MAX_VALUE_TEXT = 400
ACTION_LABELS: dict[str, str] = {
    **ACTIVITY,
    "user.add": "Added a user", "user.update": "Changed a user's details", "user.activate": "Reactivated a user",
    "user.deactivate": "Deactivated a user", "user.set_password": "Set a password", "user.sign_in": "Signed in",
    "user.locked": "Account locked after wrong passwords", "agency.add": "Added an agency",
    "template.retire": "Retired a checklist version", "template.restore": "Restored a checklist version",
    "templates.load": "Loaded checklist templates", "setting.update": "Changed a setting",
    "setting.term_dates": "Changed term dates", "cases.import": "Imported cases", "demo.load": "Loaded the demo area",
}
ENTITY_LABELS = {
    "user": "User", "agency": "Agency", "audit": "Audit", "action": "Action", "peer_challenge": "Peer challenge",
    "template_version": "Checklist version", "setting": "Setting", "case_file": "Case file", "database": "Database",
}
SETTING_LABELS = {"tier1_monthly_target": "Tier 1 monthly target", "term_dates": "Term dates"}
#: Where a record can be opened, by entity: (endpoint, URL argument). Journeys not in this app are skipped.
RECORD_LINKS = {
    "user": ("admin.show_user", "user_id"),
    "template_version": ("admin.show_template", "version_id"),
    "audit": ("audits.show_audit", "audit_id"),
    "action": ("actions.show_action", "action_id"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def _plain(value: Any) -> str:
    """A stored value in words: lists joined, records as their values, no JSON punctuation."""
    if value is None or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(_plain(v) for v in value.values())
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


#: Stored field names in the words the pages use.
FIELD_LABELS = {"agency_code": "agency", "owner_id": "owner", "reviewer_id": "reviewer", "auditor_id": "auditor",
                "is_team_manager": "team manager", "display_name": "name", "case_ref": "case"}
#: Agency codes as names (the default agencies; an agency added later shows its code).
AGENCY_NAMES = {agency.code: agency.name for agency in DEFAULT_AGENCIES}


def _text(key: str, value: Any) -> str:
    if is_fingerprint(value):  # free text: the trail keeps a keyed fingerprint, never the words
        digest, _, size = str(value).removeprefix(FINGERPRINT_PREFIX).partition(" ")
        return f"Text {size.strip('()')}, fingerprint {digest[:10]}"
    if isinstance(value, str) and value.startswith(PSEUDONYM_PREFIX):
        return f"Case pseudonym {value.removeprefix(PSEUDONYM_PREFIX)[:10]}"
    if key == "role" and value in {r.value for r in Role}:
        return ROLE_LABELS[Role(value)]
    if key == "agency_code" and isinstance(value, str):
        return AGENCY_NAMES.get(value, value)
    if key in ("status", "rating") and isinstance(value, str):
        return value.replace("_", " ").capitalize()
    text = _plain(value)
    return text if len(text) <= MAX_VALUE_TEXT else text[:MAX_VALUE_TEXT] + "…"


def changes(row: TrailRow) -> list[Change]:
    """The fields that differ between before and after (all of them when only one side exists)."""
    before, after = row.entry.before or {}, row.entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    both = bool(before) and bool(after)
    return [
        Change(FIELD_LABELS.get(key, key.replace("_", " ")), _text(key, before.get(key)), _text(key, after.get(key)))
        for key in keys
        if not both or before.get(key) != after.get(key)
    ]


def record_namer(names: dict[tuple[str, str], str]) -> Callable[[TrailRow], str]:
    """A function naming a row's record as people know it (``operations.trail.record_names``):
    a setting's label, a user's name, "case EHC100093, <checklist>" for an audit; else its id."""

    def name(row: TrailRow) -> str:
        entity, entity_id = row.entry.entity, row.entry.entity_id or ""
        if entity == "setting":
            return SETTING_LABELS.get(entity_id, entity_id)
        return names.get((entity, entity_id), entity_id)

    return name


def record_link(row: TrailRow) -> str | None:
    entry = row.entry
    target = RECORD_LINKS.get(entry.entity)
    number = whole_number(entry.entity_id)
    if target is None or number is None:
        return None
    try:
        values: dict[str, Any] = {target[1]: number}
        return url_for(target[0], **values)
    except BuildError:
        return None


def _int_arg(name: str) -> int | None:
    return whole_number(request.args.get(name, ""))


def _filters_from_args(entities: list[str], user_ids: set[int]) -> tuple[TrailFilters, dict[str, str]]:
    """The filters in the query string, and a message per date box that could not be read."""
    entity = request.args.get("entity", "")
    actor_id = _int_arg("actor")
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name, what in (("from", "first date"), ("to", "last date")):
        text = request.args.get(name, "").strip()[:40]
        try:
            dates[name] = parse_date_text(text, what) if text else None
        except ValueError as problem:
            errors[name], dates[name] = str(problem), None
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = "The last date must be the same as or after the first date"
        dates["to"] = None
    filters = TrailFilters(
        entity=entity if entity in entities else "",
        entity_id=(request.args.get("entity_id", "")[:40] if entity in entities else ""),
        actor_id=actor_id if actor_id in user_ids else None,
        include_sign_ins=request.args.get("sign_ins") == "yes",
        case_ref=request.args.get("case_ref", "").strip()[:40],
        date_from=dates["from"],
        date_to=dates["to"],
    )
    return filters, errors


@bp.route("/audit-trail")
@requires(Role.ADMIN)
def audit_trail() -> Any:
    session, actor = db_session(), current_actor()
    entities = trail_entities(session, actor)
    users = list_users(session)
    filters, errors = _filters_from_args(entities, {u.id for u in users})
    page = trail_page(session, actor, filters, page=_int_arg("page") or 1, per_page=PER_PAGE)
    names = record_names(session, [row.entry for row in page.rows])
    query: dict[str, Any] = {k: v for k, v in request.args.to_dict().items() if k != "page"}
    return render_template(
        "admin/trail.html", page=page, filters=filters, entities=entities, users=users, errors=errors,
        has_errors=bool(errors), values=request.args,
        action_labels=ACTION_LABELS, entity_labels=ENTITY_LABELS, changes=changes, record_link=record_link,
        record_name=record_namer(names),
        page_url=lambda n: url_for("admin.audit_trail", **{**request.args.to_dict(), "page": n}),
        export_url=url_for("admin.audit_trail_csv", **query),
    )


@bp.route("/audit-trail.csv")
@requires(Role.ADMIN)
def audit_trail_csv() -> Response:
    """The entries the filters match as a spreadsheet; every cell made formula-safe by the library."""
    session, actor = db_session(), current_actor()
    users = list_users(session)
    filters, _ = _filters_from_args(trail_entities(session, actor), {u.id for u in users})
    rows = trail_for_export(session, actor, filters)
    name = record_namer(record_names(session, [row.entry for row in rows]))
    body = csv_text(
        ["When", "Who", "What", "Type of record", "Record", "Record id", "Changes"],
        ([row.entry.at.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M:%S"), row.actor_name or "System",
          ACTION_LABELS.get(row.entry.action, row.entry.action),
          ENTITY_LABELS.get(row.entry.entity, row.entry.entity.replace("_", " ").capitalize()),
          name(row) if row.entry.entity_id else "", row.entry.entity_id or "",
          "; ".join(f"{c.field}: {c.before} → {c.after}" for c in changes(row))]
         for row in rows),
    )
    filename = f"audit-trail-{date.today().isoformat()}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
