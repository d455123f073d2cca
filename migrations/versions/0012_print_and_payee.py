"""spreadsheets that print, payee required: the bank accounts claims are paid to

An enterprise's claims are paid to the enterprise and a handover claim to the base that collected the
person (subsidies/services.py sets the payee); neither had an account anywhere, so claims were
approved and paid with an empty 收款账号 (issue 21). Both get a nullable account, filled in later;
approval and payment now refuse a claim whose payee has none (subsidies/batches.py).

Revision ID: 0012_print_and_payee
Revises: 0011_rule_defects
Create Date: 2026-12-03 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_print_and_payee'
down_revision = '0011_rule_defects'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_account', sa.String(length=40), nullable=True))
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_account', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.drop_column('bank_account')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_column('bank_account')
