"""Tier 4: consent per review with scope and expiry, and the review conversation

``consent_records`` gains when the person was asked, the scope agreed, an expiry and (for a young
person) how capacity was considered. ``review_conversations`` holds a Tier 4 review's
conversation: participants by role, family-experience ratings, the raw notes (deleted on a
retention schedule) and the board summary with its anonymisation checklist and approval.

Plain ``ADD COLUMN`` (no batch copy-and-drop on SQLite, which would cascade deletes).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('consent_records', sa.Column('asked_on', sa.Date(), nullable=True))
    op.add_column('consent_records', sa.Column('scope', sa.JSON(), nullable=True))
    op.add_column('consent_records', sa.Column('expires_on', sa.Date(), nullable=True))
    op.add_column('consent_records', sa.Column('capacity', sa.String(length=20), nullable=True))
    # Decisions recorded before scope was kept were about the conversation alone.
    op.execute("UPDATE consent_records SET scope = '[\"conversation\"]' WHERE decision = 'given'")
    op.execute("UPDATE consent_records SET scope = '[]' WHERE decision <> 'given'")
    # Every row has a scope now, as the model requires. Nothing refers to consent_records, so
    # SQLite may copy the table to change the column.
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.JSON(), nullable=False)
    op.create_table(
        'review_conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('participants', sa.JSON(), nullable=False),
        sa.Column('ratings', sa.JSON(), nullable=False),
        sa.Column('family_words', sa.JSON(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('reflection', sa.Text(), nullable=True),
        sa.Column('system_actions', sa.Text(), nullable=True),
        sa.Column('notes_deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('notes_deleted_reason', sa.String(length=20), nullable=True),
        sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('board_summary', sa.Text(), nullable=True),
        sa.Column('board_checks', sa.JSON(), nullable=False),
        sa.Column('board_approved_by_id', sa.Integer(), nullable=True),
        sa.Column('board_approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_review_conversations_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['board_approved_by_id'], ['users.id'],
                                name=op.f('fk_review_conversations_board_approved_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_conversations')),
        sa.UniqueConstraint('audit_id', name=op.f('uq_review_conversations_audit_id')),
    )


def downgrade() -> None:
    op.drop_table('review_conversations')
    with op.batch_alter_table('consent_records', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('capacity')
        batch_op.drop_column('expires_on')
        batch_op.drop_column('scope')
        batch_op.drop_column('asked_on')
