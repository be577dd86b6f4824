"""What the append-only audit trail keeps of free text and case references: a keyed fingerprint.

The trail cannot be edited, so anything written into it can never be corrected, erased or
expired. Evidence, reasons, comments, notes and summaries are the text most likely to hold a
child's or family's details, so the trail records *that* such a field changed (who, when, and a
fingerprint of the old and new text) and never the words (UK GDPR Art 5(1)(c)-(e), Arts 16-17;
``docs/dpia.md``). Case references become a keyed pseudonym, so an erased case leaves no
reference behind.

A fingerprint is HMAC-SHA256 under a random 256-bit key kept in the database (``area_settings``,
never in the trail and never shown), so someone holding only the trail or its CSV export cannot
test guesses ("was the evidence 'Met'?") by hashing candidates. Equal texts give equal
fingerprints, so a reader can still see whether a field was changed back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from qaframework.store.settings import AreaSetting

#: The ``area_settings`` row holding the key (hex). Created by migration 0015, or on first use.
KEY_SETTING = "trail_text_key"

#: Keys whose values are free text wherever they appear in a trail entry (at any depth). Every
#: TEXT column of the schema is named here (``tests/test_trail_text.py`` checks it), so a new
#: free-text column recorded under its own name is covered without anyone remembering to.
FREE_TEXT_FIELDS = frozenset({
    "evidence", "na_reason", "override_rationale", "summary", "return_comment", "description",
    "closing_note", "outcome", "note", "notes", "extract", "decision_reason", "moderation_reason",
    "body", "comment", "reflection", "system_actions", "board_summary", "family_words", "method",
})
#: TEXT columns the trail records under another name, because the column's own name is also
#: used for coded values (``reason``: a moderation agreement's reason vs the code saying why
#: Tier 4 notes were deleted).
RECORDED_AS = {"reason": "moderation_reason"}
#: Keys whose values are case references: kept as a keyed pseudonym (:func:`case_pseudonym`).
CASE_REF_FIELDS = frozenset({"case_ref"})

#: What a fingerprint looks like, so pages can tell one from a value.
FINGERPRINT_PREFIX = "text#"
PSEUDONYM_PREFIX = "case#"

_keys: WeakKeyDictionary[Engine, bytes] = WeakKeyDictionary()


def new_key() -> str:
    return secrets.token_hex(32)


def trail_key(session: Session) -> bytes:
    """The installation's fingerprint key, created in this transaction if it is missing."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = _keys.get(engine)
    if key is None:
        with session.no_autoflush:  # also called while the session flushes (store.trail)
            setting = session.get(AreaSetting, KEY_SETTING)
        if setting is None:  # migration 0015 makes it; this is for a schema made some other way
            setting = AreaSetting(key=KEY_SETTING, value=new_key())
            session.add(setting)
            return bytes.fromhex(str(setting.value))  # not cached until it is surely stored
        key = bytes.fromhex(str(setting.value))
        _keys[engine] = key
    return key


def forget_cached_key(engine: Engine) -> None:
    """After a restore the database may hold another installation's key."""
    _keys.pop(engine, None)


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:20]


def fingerprint(key: bytes, text: str | None) -> str | None:
    """``text#<20 hex> (N characters)``, or None for no text (so "added" and "cleared" still show)."""
    if text is None or text == "":
        return None
    return f"{FINGERPRINT_PREFIX}{_digest(key, 'text', text)} ({len(text)} characters)"


def case_pseudonym(key: bytes, case_ref: str) -> str:
    """A case reference as the trail keeps it; the same case always gives the same pseudonym."""
    return PSEUDONYM_PREFIX + _digest(key, "case", case_ref.strip().upper())


def is_fingerprint(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FINGERPRINT_PREFIX)


def _hide_text(key: bytes, value: Any) -> Any:
    if isinstance(value, str):
        return value if is_fingerprint(value) else fingerprint(key, value)
    if isinstance(value, Mapping):
        return {k: _hide_text(key, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide_text(key, v) for v in value]
    return value


def _hide_ref(key: bytes, value: Any) -> Any:
    if isinstance(value, str) and value and not value.startswith(PSEUDONYM_PREFIX):
        return case_pseudonym(key, value)
    if isinstance(value, list):
        return [_hide_ref(key, v) for v in value]
    return value


def redact(key: bytes, value: Any, extra_text_fields: frozenset[str] = frozenset()) -> Any:
    """``value`` (a trail entry's before or after) with every free text fingerprinted and every
    case reference pseudonymised, at any depth. Anything already fingerprinted is left alone, so
    redacting twice changes nothing."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name in FREE_TEXT_FIELDS or name in extra_text_fields:
                out[name] = _hide_text(key, item)
            elif name in CASE_REF_FIELDS:
                out[name] = _hide_ref(key, item)
            else:
                out[name] = redact(key, item, extra_text_fields)
        return out
    if isinstance(value, list):
        return [redact(key, v, extra_text_fields) for v in value]
    return value
