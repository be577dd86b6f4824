"""The SEN2 collection year that last set a case's, request's or review's values

A request can be in several yearly SEN2 returns. The later return is the truer one, so each case,
request and review records the collection year (``Header/CollectionDetails/Year``) of the return
that last set it: importing an older return afterwards only fills what is still blank, and the
two orders give the same database. NULL for rows a spreadsheet or the app wrote.

Columns are added in place on SQLite (``recreate='never'``): recreating ``cases`` or ``requests``
would cascade deletes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('cases', 'requests', 'reviews')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate='never') as batch_op:
            batch_op.add_column(sa.Column('sen2_year', sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, recreate='never') as batch_op:
            batch_op.drop_column('sen2_year')
