"""Drop the lock-out columns: throttling replaced lock-outs

``users.failed_sign_ins`` and ``users.locked_until`` counted wrong passwords per account and locked
it, which let anyone who knew a colleague's email lock them out (security review, finding 4).
Wrong passwords are now counted in ``throttle_counters`` or Redis (``qaframework.throttle``) and no
account is ever locked, so the columns held nothing anyone read. Downgrading restores them empty
(0 and NULL: nobody locked).

On SQLite the columns are dropped in place (``ALTER TABLE ... DROP COLUMN``, SQLite 3.35+), never by
recreating ``users``: a recreate would cascade deletes to every row that references a user.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins')


def downgrade() -> None:
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
