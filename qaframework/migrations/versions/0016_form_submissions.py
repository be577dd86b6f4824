"""One-time form tokens, so a create form sent twice creates once

``form_submissions``: the token a create form carried (raise an action, ask for a peer challenge,
start an audit), who sent it and what it made. Security review, finding 7: a form posted three
times made three identical actions. A new table only.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 22:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'form_submissions',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_submissions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submissions')),
    )
    op.create_index(op.f('ix_form_submissions_user_id'), 'form_submissions', ['user_id'], unique=False)
    op.create_index(op.f('ix_form_submissions_submitted_at'), 'form_submissions', ['submitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_form_submissions_submitted_at'), table_name='form_submissions')
    op.drop_index(op.f('ix_form_submissions_user_id'), table_name='form_submissions')
    op.drop_table('form_submissions')
