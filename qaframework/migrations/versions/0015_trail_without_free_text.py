"""The audit trail keeps no free text and no case references

Creates the trail's fingerprint key (``area_settings.trail_text_key``) and rewrites every trail
entry written before: evidence, reasons, comments, notes, summaries (also the answers a discarded
draft copied into the trail) become keyed fingerprints, case references keyed pseudonyms
(``qaframework.trail_text``). Tier 4 entries already held unkeyed SHA-256 fingerprints of their
notes; those are fingerprinted again under the key, which keeps "changed or not" and removes the
chance of testing guessed short texts. A moderation agreement's reason was recorded as ``reason``,
now ``moderation_reason``. Not reversible: the words are gone from the trail (the records
themselves still hold the current text).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 22:45:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from qaframework.trail_text import KEY_SETTING, new_key, redact

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

settings = sa.table('area_settings', sa.column('key', sa.String), sa.column('value', sa.JSON),
                    sa.column('updated_at', sa.DateTime(timezone=True)))
trail = sa.table('audit_trail', sa.column('id', sa.Integer), sa.column('action', sa.String),
                 sa.column('before', sa.JSON), sa.column('after', sa.JSON))
BATCH = 1000


def _key(bind: sa.Connection) -> bytes:
    found = bind.execute(sa.select(settings.c.value).where(settings.c.key == KEY_SETTING)).scalar()
    if found is None:
        found = new_key()
        bind.execute(settings.insert().values(key=KEY_SETTING, value=found, updated_at=sa.func.now()))
    return bytes.fromhex(str(found))


def _rewrite(key: bytes, action: str, value: Any) -> Any:
    if value is None:
        return None
    extra = frozenset({"reason"}) if action == "moderation.agree" else frozenset()
    return redact(key, value, extra)


def upgrade() -> None:
    bind = op.get_bind()
    key = _key(bind)
    last = 0
    while True:
        rows = bind.execute(
            sa.select(trail.c.id, trail.c.action, trail.c.before, trail.c.after)
            .where(trail.c.id > last).order_by(trail.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            before, after = _rewrite(key, row.action, row.before), _rewrite(key, row.action, row.after)
            if before != row.before or after != row.after:
                bind.execute(trail.update().where(trail.c.id == row.id).values(before=before, after=after))
        last = rows[-1].id


def downgrade() -> None:
    """The words cannot be put back; the key stays so later entries still compare."""
