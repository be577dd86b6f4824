"""Password-failure counters shared by every worker

``throttle_counters``: failures per address, per account and address, and per account, each in a
window (``qaframework.throttle``), so that throttling holds across gunicorn workers and hosts
(security review, finding 4: the old limit was per worker and per email). A new table only; the
``users.failed_sign_ins`` and ``users.locked_until`` columns are no longer used (no lock-outs).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'throttle_counters',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counters')),
    )
    op.create_index(op.f('ix_throttle_counters_expires_at'), 'throttle_counters', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_throttle_counters_expires_at'), table_name='throttle_counters')
    op.drop_table('throttle_counters')
