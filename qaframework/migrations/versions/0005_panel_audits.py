"""Tier 3 panel audits: the members present, and each agency's contribution graded

``audit_participants``: the members present at the panel that carries out a Tier 3 audit, each
with the agency they represent (every one of them may edit the shared audit).
``agency_contributions``: the panel's grade of each agency's contribution, or that the agency was
not involved and why, with a short note.

New tables only: nothing existing is altered.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 19:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_participants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('agency_code', sa.String(length=40), nullable=True),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_audit_participants_added_by_id_users')),
        sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'],
                                name=op.f('fk_audit_participants_agency_code_agencies')),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_participants_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_participants_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_participants')),
        sa.UniqueConstraint('audit_id', 'user_id', name=op.f('uq_audit_participants_audit_id_user_id')),
    )
    with op.batch_alter_table('audit_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_participants_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_participants_user_id'), ['user_id'], unique=False)

    op.create_table(
        'agency_contributions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('agency_code', sa.String(length=40), nullable=False),
        sa.Column('grade', sa.String(length=30), nullable=True),
        sa.Column('involved', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'],
                                name=op.f('fk_agency_contributions_agency_code_agencies')),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_agency_contributions_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_contributions')),
        sa.UniqueConstraint('audit_id', 'agency_code', name=op.f('uq_agency_contributions_audit_id_agency_code')),
    )
    with op.batch_alter_table('agency_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_contributions_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_contributions_audit_id'), ['audit_id'], unique=False)


def downgrade() -> None:
    op.drop_table('agency_contributions')
    op.drop_table('audit_participants')
