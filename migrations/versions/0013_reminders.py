"""reminders: each user's items, computed daily; the day each digest went out; users' e-mail

Revision ID: 0013_reminders
Revises: 0012_print_and_payee
Create Date: 2026-12-03 19:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_reminders'
down_revision = '0012_print_and_payee'
branch_labels = None
depends_on = None

KINDS = ('receipt_due', 'arrival_expected', 'overstay', 'absence', 'retention_check_due', 'claim_waiting',
         'monthly_report_due', 'support_ending', 'allowance_ending', 'follow_up_due')


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum(*KINDS, name='reminder_kind', native_enum=False, create_constraint=True),
              nullable=False),
    sa.Column('object_type', sa.String(length=30), nullable=False),
    sa.Column('object_id', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'dismissed', name='reminder_status', native_enum=False,
                                create_constraint=True), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('user_id', 'kind', 'object_type', 'object_id', 'due_on',
                        name=op.f('uq_reminders_user_id_kind_object_type_object_id_due_on'))
    )
    op.create_index('ix_reminders_user_id_status', 'reminders', ['user_id', 'status'], unique=False)
    op.create_table('reminder_digests',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_digests_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'sent_on', name=op.f('pk_reminder_digests'))
    )


def downgrade():
    op.drop_table('reminder_digests')
    op.drop_index('ix_reminders_user_id_status', table_name='reminders')
    op.drop_table('reminders')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
