"""monthly per-base report summaries kept ready for the dashboards (issue 20)

The province dashboard summed three years of facts on every load (3.4 s). Closed months, and the
current month's days before the build, are now summed once by `flask reports summarize` (nightly)
into report_summaries; report_summary_months records which months are built, up to which day and
when (the page's "as of").

Revision ID: 0015_report_summaries
Revises: 0014_follow_ups
Create Date: 2026-12-03 19:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_report_summaries'
down_revision = '0014_follow_ups'
branch_labels = None
depends_on = None

COUNTS = (
    'bed_nights_available', 'bed_nights_occupied',
    'leavers', 'leavers_counted', 'leavers_employed', 'reoffended', 'stay_days_total',
    'stay_le_30', 'stay_31_60', 'stay_61_90', 'stay_91_180', 'stay_gt_180',
    'retention_3_reached', 'retention_3_employed', 'retention_6_reached', 'retention_6_employed',
    'enrolments', 'completions', 'attendance_attended', 'attendance_expected',
)


def upgrade():
    op.create_table('report_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=20), nullable=False),
    sa.Column('claim_kind', sa.String(length=30), nullable=False),
    sa.Column('claim_status', sa.String(length=20), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
    sa.Column('claims_approved', sa.Integer(), nullable=False),
    sa.Column('claims_approved_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('claims_paid', sa.Integer(), nullable=False),
    sa.Column('claims_paid_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('claims_filed', sa.Integer(), nullable=False),
    sa.Column('claims_filed_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_report_summaries_base_id_bases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_summaries'))
    )
    with op.batch_alter_table('report_summaries', schema=None) as batch_op:
        batch_op.create_index('uq_report_summaries_row', ['month', 'base_id', 'metric', 'claim_kind', 'claim_status'],
                              unique=True)

    # Today's claims and claim moves are counted live: a range on these columns reads today's rows only.
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_events_at'), ['at'], unique=False)

    op.create_table('report_summary_months',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('summarized_until', sa.Date(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_report_summary_months'))
    )


def downgrade():
    op.drop_table('report_summary_months')
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_events_at'))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_created_at')
    with op.batch_alter_table('report_summaries', schema=None) as batch_op:
        batch_op.drop_index('uq_report_summaries_row')
    op.drop_table('report_summaries')
