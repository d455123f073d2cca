"""rule defects of issue 18: hardship recorded with its evidence on the resident

- residents.hardship_recorded_on, residents.hardship_evidence: 生活确有困难 (seed 002 三(三)) and what
  proves it; the living allowance needs both. The residents service records and clears them together.
- A reoffence recorded by a discharge as `reoffended` or later uses the existing residents.reoffended_on.

Revision ID: 0011_rule_defects
Revises: 0010_policies
Create Date: 2026-12-03 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_rule_defects'
down_revision = '0010_policies'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hardship_recorded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('hardship_evidence', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('hardship_evidence')
        batch_op.drop_column('hardship_recorded_on')
