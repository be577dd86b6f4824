"""The learning loop: what changed when an action closed, training needs, exemplars

``actions.outcome``: what changed as a result, required when an action is marked Done.
``actions.training_need`` / ``training_area`` / ``training_delivered_on`` / ``training_attendees``:
an action can be a training need for its agency or a service area; the Learning and Improvement
Group records when the training was delivered and to how many people.
``exemplars``: "what good looks like" extracts of moderated sections graded Good or better,
nominated and approved by a panel lead.

Plain ``ADD COLUMN`` on ``actions`` (no batch copy-and-drop on SQLite, which would cascade deletes).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 19:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('actions', sa.Column('outcome', sa.Text(), nullable=True))
    op.add_column('actions', sa.Column('training_need', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('actions', sa.Column('training_area', sa.String(length=120), nullable=True))
    op.add_column('actions', sa.Column('training_delivered_on', sa.Date(), nullable=True))
    op.add_column('actions', sa.Column('training_attendees', sa.Integer(), nullable=True))
    op.create_table(
        'exemplars',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('section_id', sa.String(length=40), nullable=False),
        sa.Column('section_title', sa.String(length=200), nullable=False),
        sa.Column('plan_sections', sa.JSON(), nullable=False),
        sa.Column('template_id', sa.String(length=60), nullable=False),
        sa.Column('grade', sa.String(length=30), nullable=False),
        sa.Column('extract', sa.Text(), nullable=False),
        sa.Column('checks', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('nominated_by_id', sa.Integer(), nullable=False),
        sa.Column('nominated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_exemplars_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_exemplars_decided_by_id_users')),
        sa.ForeignKeyConstraint(['nominated_by_id'], ['users.id'], name=op.f('fk_exemplars_nominated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplars')),
    )
    op.create_index(op.f('ix_exemplars_audit_id'), 'exemplars', ['audit_id'], unique=False)
    op.create_index(op.f('ix_exemplars_status'), 'exemplars', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_exemplars_status'), table_name='exemplars')
    op.drop_index(op.f('ix_exemplars_audit_id'), table_name='exemplars')
    op.drop_table('exemplars')
    with op.batch_alter_table('actions', schema=None, recreate='never') as batch_op:
        for column in ('training_attendees', 'training_delivered_on', 'training_area', 'training_need', 'outcome'):
            batch_op.drop_column(column)
