"""follow-up through the support period (帮教回访)

Contacts due after a discharge (follow_up_dues, one row per due of a stay's schedule), the contacts made
(follow_ups), and the 脱管 flag on the person (residents.missing_since). docs/domain.md "Follow-up after
discharge".

Revision ID: 0014_follow_ups
Revises: 0013_reminders
Create Date: 2026-12-03 19:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_follow_ups'
down_revision = '0013_reminders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('contacted_on', sa.Date(), nullable=False),
    sa.Column('method', sa.Enum('visit', 'phone', 'other', name='follow_up_method', native_enum=False,
                                create_constraint=True), nullable=False),
    sa.Column('outcome', sa.Enum('stable', 'employed', 'unemployed', 'missing', 'reoffended', 'deceased',
                                 name='follow_up_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_follow_ups_base_id_bases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_follow_ups_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_follow_ups_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_follow_ups_resident_contacted', ['resident_id', 'contacted_on'], unique=False)

    op.create_table('follow_up_dues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('stay_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('done_follow_up_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('sequence > 0', name=op.f('ck_follow_up_dues_sequence_positive')),
    sa.CheckConstraint('closes_on > due_on', name=op.f('ck_follow_up_dues_closes_after_due')),
    sa.ForeignKeyConstraint(['done_follow_up_id'], ['follow_ups.id'],
                            name=op.f('fk_follow_up_dues_done_follow_up_id_follow_ups')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_follow_up_dues_resident_id_residents')),
    sa.ForeignKeyConstraint(['stay_id'], ['stays.id'], name=op.f('fk_follow_up_dues_stay_id_stays')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_dues')),
    sa.UniqueConstraint('stay_id', 'sequence', name=op.f('uq_follow_up_dues_stay_id_sequence'))
    )
    with op.batch_alter_table('follow_up_dues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_dues_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_dues_due_on'), ['due_on'], unique=False)

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('missing_since', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('missing_since')
    with op.batch_alter_table('follow_up_dues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_dues_due_on'))
        batch_op.drop_index(batch_op.f('ix_follow_up_dues_resident_id'))
    op.drop_table('follow_up_dues')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_resident_contacted')
        batch_op.drop_index(batch_op.f('ix_follow_ups_resident_id'))
    op.drop_table('follow_ups')
