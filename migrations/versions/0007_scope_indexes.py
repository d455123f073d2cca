"""covering indexes for the resident list's scope

The resident list finds the residents of the actor's bases (registered there or ever stayed there)
and orders a page of them by name. With (base_id, id) on residents, (base_id, resident_id) on stays
and (id) INCLUDE (name) on residents (PostgreSQL), every step is an index-only scan instead of a
bitmap heap scan plus a sequential scan of all residents (measured by `make bench`, README
"Performance"). The new two-column indexes replace the single-column ones on base_id.

Revision ID: 0007_scope_indexes
Revises: 0006_report_indexes
Create Date: 2026-11-22 02:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_scope_indexes'
down_revision = '0006_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index('ix_residents_base_id')
        batch_op.create_index('ix_residents_base_id_id', ['base_id', 'id'], unique=False)
        batch_op.create_index('ix_residents_id_name', ['id'], unique=False, postgresql_include=['name'])
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.drop_index('ix_stays_base_id')
        batch_op.create_index('ix_stays_base_id_resident_id', ['base_id', 'resident_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.drop_index('ix_stays_base_id_resident_id')
        batch_op.create_index('ix_stays_base_id', ['base_id'], unique=False)
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index('ix_residents_id_name')
        batch_op.drop_index('ix_residents_base_id_id')
        batch_op.create_index('ix_residents_base_id', ['base_id'], unique=False)
