"""the resident list walks residents in name order

The list's first page is found by walking an index on (name, id) and keeping the ids in the
actor's scope until the page is full (residents.queries.resident_list_page): 3 ms for a county
where sorting the whole scope by name took 10 ms (`make bench`, README "Performance"). The index
replaces the one on name alone and the (id) INCLUDE (name) one that the sort read names from.

Revision ID: 0008_resident_name_index
Revises: 0007_scope_indexes
Create Date: 2026-11-22 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_resident_name_index'
down_revision = '0007_scope_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index('ix_residents_name')
        batch_op.drop_index('ix_residents_id_name')
        batch_op.create_index('ix_residents_name_id', ['name', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index('ix_residents_name_id')
        batch_op.create_index('ix_residents_id_name', ['id'], unique=False, postgresql_include=['name'])
        batch_op.create_index('ix_residents_name', ['name'], unique=False)
