"""Samples: why each item is in, who a sample is assigned to, and samples drawn by the ``qa`` command

``sample_items.reason`` and ``sample_items.stratum``: whether the stratified draw, an auditor's
minimum or a risk rule brought the item in, and its stratum. ``sample_items.case_id`` and
``audit_id`` get indexes (pages ask "which audits were sampled this cycle"). New table
``sample_assignments``: a sample or one item given to a person. ``samples.created_by_id`` may be
empty, for a sample drawn by the ``qa`` command.

Columns are added with plain ``ADD COLUMN``. Making ``created_by_id`` nullable needs a table copy
on SQLite, and dropping the old ``samples`` table would cascade to ``sample_items``: their rows are
kept aside and put back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_ITEM_COLUMNS = "id, sample_id, case_id, audit_id"


def _set_created_by_nullable(nullable: bool) -> None:
    bind = op.get_bind()
    kept: list[sa.Row[tuple[object, ...]]] = []
    if bind.dialect.name == "sqlite":
        kept = list(bind.execute(sa.text(f"SELECT {_ITEM_COLUMNS} FROM sample_items")))
    with op.batch_alter_table('samples', schema=None) as batch_op:
        batch_op.alter_column('created_by_id', existing_type=sa.Integer(), nullable=nullable)
    if kept and not bind.execute(sa.text("SELECT COUNT(*) FROM sample_items")).scalar():
        bind.execute(
            sa.text(f"INSERT INTO sample_items ({_ITEM_COLUMNS}) VALUES (:id, :sample_id, :case_id, :audit_id)"),
            [dict(row._mapping) for row in kept],
        )


def upgrade() -> None:
    _set_created_by_nullable(True)
    op.add_column('sample_items', sa.Column('reason', sa.String(length=30), nullable=False, server_default='stratum'))
    op.add_column('sample_items', sa.Column('stratum', sa.JSON(), nullable=True))
    op.create_index(op.f('ix_sample_items_case_id'), 'sample_items', ['case_id'], unique=False)
    op.create_index(op.f('ix_sample_items_audit_id'), 'sample_items', ['audit_id'], unique=False)
    op.create_table(
        'sample_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sample_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'],
                                name=op.f('fk_sample_assignments_assigned_by_id_users')),
        sa.ForeignKeyConstraint(['item_id'], ['sample_items.id'],
                                name=op.f('fk_sample_assignments_item_id_sample_items'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_sample_assignments_sample_id_samples'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sample_assignments_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_assignments')),
    )
    op.create_index(op.f('ix_sample_assignments_sample_id'), 'sample_assignments', ['sample_id'], unique=False)
    op.create_index(op.f('ix_sample_assignments_user_id'), 'sample_assignments', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sample_assignments_user_id'), table_name='sample_assignments')
    op.drop_index(op.f('ix_sample_assignments_sample_id'), table_name='sample_assignments')
    op.drop_table('sample_assignments')
    op.drop_index(op.f('ix_sample_items_audit_id'), table_name='sample_items')
    op.drop_index(op.f('ix_sample_items_case_id'), table_name='sample_items')
    with op.batch_alter_table('sample_items', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('stratum')
        batch_op.drop_column('reason')
    # Samples drawn by the qa command have no author; they cannot be kept under the old rule.
    op.execute("DELETE FROM samples WHERE created_by_id IS NULL")
    _set_created_by_nullable(False)
