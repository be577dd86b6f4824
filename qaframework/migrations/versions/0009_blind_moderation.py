"""Blind moderation: question and section blind grades, one re-grade per moderator, agreed reasons

``moderation_ratings`` (a moderator's blind rating of each question) and
``moderation_section_grades`` (their blind grade of each section) hang off ``moderation_records``,
which becomes one per moderator and audit (unique index). ``section_grades.moderation_reason``
keeps why the panel agreed a section grade different from the original.

New tables and an index and a plain ``ADD COLUMN``: no batch copy-and-drop on SQLite.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'moderation_ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=40), nullable=False),
        sa.Column('section_id', sa.String(length=40), nullable=False),
        sa.Column('rating', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['moderation_records.id'],
                                name=op.f('fk_moderation_ratings_record_id_moderation_records'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_ratings')),
        sa.UniqueConstraint('record_id', 'question_id', name=op.f('uq_moderation_ratings_record_id_question_id')),
    )
    op.create_index(op.f('ix_moderation_ratings_record_id'), 'moderation_ratings', ['record_id'], unique=False)
    op.create_table(
        'moderation_section_grades',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('section_id', sa.String(length=40), nullable=False),
        sa.Column('blind_grade', sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['moderation_records.id'],
                                name=op.f('fk_moderation_section_grades_record_id_moderation_records'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_section_grades')),
        sa.UniqueConstraint('record_id', 'section_id', name=op.f('uq_moderation_section_grades_record_id_section_id')),
    )
    op.create_index(op.f('ix_moderation_section_grades_record_id'), 'moderation_section_grades', ['record_id'],
                    unique=False)
    op.create_index('uq_moderation_records_audit_moderator', 'moderation_records', ['audit_id', 'moderator_id'],
                    unique=True)
    op.add_column('section_grades', sa.Column('moderation_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('section_grades', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('moderation_reason')
    op.drop_index('uq_moderation_records_audit_moderator', table_name='moderation_records')
    op.drop_index(op.f('ix_moderation_section_grades_record_id'), table_name='moderation_section_grades')
    op.drop_table('moderation_section_grades')
    op.drop_index(op.f('ix_moderation_ratings_record_id'), table_name='moderation_ratings')
    op.drop_table('moderation_ratings')
