"""How long each kind of text a person types may be: defined once, read by the operations that
refuse longer text, the web forms (``maxlength`` and the GOV.UK character count) and the columns.

Why every field has one: text without a limit was stored at any length up to the request limit
(a 15,000,000-character override rationale grew the database by 151 MB in two seconds, security
review finding 5). The operations are the guard (the CLI and any future client pass through them);
the forms only tell people the limit before they reach it. Pure: no imports, so the store, the
operations and the web app can all read it.
"""

from __future__ import annotations

# One line: sized to their columns (PostgreSQL refuses a longer value; SQLite would keep it).
AGENCY_CODE = 40
AGENCY_NAME = 120
EMAIL = 254
DISPLAY_NAME = 120
TEAM = 80
ACTION_THEME = 80
TRAINING_AREA = 120
CONSENT_METHOD = 120
CASE_REF = 40
#: A search box or filter: longer than any name or reference it could match.
SEARCH = 80
#: A number or a date typed as text ("2026-11-27", "27 11 2026"): room for spaces, no more.
NUMBER = 20
DATE = 20
#: Passwords: long enough for any passphrase, short enough that hashing one costs nothing unusual.
PASSWORD = 256

# Paragraphs (``Text`` columns): long enough for the longest real answer, far below what would
# harm the database or the pages that show it.
EVIDENCE = 10_000
NOT_APPLICABLE_REASON = 10_000
OVERRIDE_RATIONALE = 10_000
SUMMARY = 10_000
RETURN_COMMENT = 10_000
MODERATION_REASON = 10_000
REVIEW_TEXT = 10_000  # Tier 4 notes, the family's words, reflection, system actions, board summary
PEER_COMMENT = 5_000
EXEMPLAR_EXTRACT = 4_000
EXEMPLAR_REASON = 2_000
ACTION_DESCRIPTION = 2_000
ACTION_NOTE = 2_000  # closing note and what changed
CONTRIBUTION_NOTE = 2_000

#: The longest text any field accepts; a stored value longer than this is a missing check.
LONGEST = max(EVIDENCE, NOT_APPLICABLE_REASON, OVERRIDE_RATIONALE, SUMMARY, RETURN_COMMENT,
              MODERATION_REASON, REVIEW_TEXT, PEER_COMMENT, EXEMPLAR_EXTRACT, EXEMPLAR_REASON,
              ACTION_DESCRIPTION, ACTION_NOTE, CONTRIBUTION_NOTE, EMAIL, PASSWORD, SEARCH)


def too_long(text: str | None, limit: int) -> bool:
    """Whether ``text`` (as typed or trimmed: both are checked by callers that store it trimmed)
    is longer than ``limit`` characters."""
    return text is not None and len(text) > limit


def keep_within(what: str, limit: int) -> str:
    """The error message for text over its limit, naming the field: 'Keep the comment to 10,000
    characters or fewer'."""
    return f"Keep {what} to {limit:,} characters or fewer"
