"""Panel leads: ``users.leads_panel``

A panel member an administrator marks as leading the panel reads which auditors drift (generous or
severe) by name; other panel members and board viewers see the figures without names. Existing
users do not lead the panel (server default false).

Plain ``ADD COLUMN`` (no batch copy-and-drop on SQLite).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('leads_panel', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('leads_panel')
