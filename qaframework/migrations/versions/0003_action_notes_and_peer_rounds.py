"""A closing note on actions, and rounds of peer challenge

``actions.closing_note``: what was done (or why it was cancelled), required when an action is
marked Done or Cancelled. ``peer_challenges.round`` and ``peer_comments.round``: a peer challenge
may go back and forth several times; each comment keeps the round it belongs to.

Plain ``ADD COLUMN`` (no batch copy-and-drop on SQLite, which would cascade deletes).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('actions', sa.Column('closing_note', sa.Text(), nullable=True))
    op.add_column('peer_challenges', sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('peer_comments', sa.Column('round', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('peer_comments', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('round')
    with op.batch_alter_table('peer_challenges', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('round')
    with op.batch_alter_table('actions', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('closing_note')
