"""indexes for the province-scale reports

Leavers of a period are found by `stays.discharged_on`, and the bed assignments
overlapping a month by `bed_assignments.end_on` (an open assignment or one ending
after the month began): without these a report over a year scans every stay and
every assignment once per month (measured by `make bench`, README "Performance").

Revision ID: 0006_report_indexes
Revises: 0005_reports
Create Date: 2026-11-21 23:35:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_report_indexes'
down_revision = '0005_reports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stays_discharged_on'), ['discharged_on'], unique=False)
    with op.batch_alter_table('bed_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bed_assignments_end_on'), ['end_on'], unique=False)


def downgrade():
    with op.batch_alter_table('bed_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bed_assignments_end_on'))
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stays_discharged_on'))
