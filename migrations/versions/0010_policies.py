"""policies as data: published documents by region and date, and the rule values they set

- policies, policy_rules: a document (title, 文号, issuing body, region — empty for a national one —,
  effective from/to) and the values it sets with their articles (base_ops/policies/).
- claims.policy_id: the document a claim's amount was computed under (empty: the system default or,
  for enterprise kinds, the agreement).
- subsidy_settings is gone: its keys are policy rules now. A value an admin had changed from the
  system default becomes a national policy "原补贴参数设置（迁移）" in force from 2000-01-01, so every
  amount stays what it was until a region enters its own document.

Revision ID: 0010_policies
Revises: 0009_sign_in_security
Create Date: 2026-12-03 16:00:00

"""
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_policies'
down_revision = '0009_sign_in_security'
branch_labels = None
depends_on = None

# The system defaults of base_ops/policies/keys.py when this revision was written (a migration does not
# import the app: its meaning must not change when the code does).
DEFAULTS = {
    'handover_same_county': Decimal('200'), 'handover_same_city': Decimal('300'),
    'handover_same_province': Decimal('500'), 'handover_other_province': Decimal('1000'),
    'living_allowance_months': Decimal('6'), 'registration_grace_days': Decimal('30'),
    'lateness_step_days': Decimal('30'), 'max_resubmissions': Decimal('2'),
}


def upgrade():
    op.create_table('policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document_no', sa.String(length=100), nullable=True),
    sa.Column('issued_by', sa.String(length=100), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('effective_to IS NULL OR effective_to >= effective_from',
                       name=op.f('ck_policies_policy_dates_in_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_policies_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_policies_region_code_regions')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['policies.id'], name=op.f('fk_policies_supersedes_id_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies'))
    )
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policies_region_code'), ['region_code'], unique=False)

    op.create_table('policy_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('article', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_rules_policy_id_policies'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_rules')),
    sa.UniqueConstraint('policy_id', 'key', name=op.f('uq_policy_rules_policy_id_key'))
    )
    with op.batch_alter_table('policy_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_rules_policy_id'), ['policy_id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_claims_policy_id_policies'), 'policies', ['policy_id'], ['id'])

    # Changed settings become a national policy, so no amount changes with this revision.
    bind = op.get_bind()
    changed = [(key, Decimal(value)) for key, value in bind.execute(sa.text('SELECT key, value FROM subsidy_settings'))
               if key in DEFAULTS and Decimal(value) != DEFAULTS[key]]
    if changed:
        policies = sa.table('policies', sa.column('id', sa.Integer), sa.column('title', sa.String),
                            sa.column('effective_from', sa.Date), sa.column('created_at', sa.DateTime(timezone=True)))
        bind.execute(policies.insert().values(title='原补贴参数设置（迁移）', effective_from=date(2000, 1, 1),
                                              created_at=datetime.now(UTC)))
        policy_id = bind.execute(sa.text("SELECT max(id) FROM policies")).scalar_one()
        rules = sa.table('policy_rules', sa.column('policy_id', sa.Integer), sa.column('key', sa.String),
                         sa.column('value', sa.Numeric))
        bind.execute(rules.insert(), [{'policy_id': policy_id, 'key': k, 'value': v} for k, v in changed])
    op.drop_table('subsidy_settings')


def downgrade():
    op.create_table('subsidy_settings',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_subsidy_settings'))
    )
    settings = sa.table('subsidy_settings', sa.column('key', sa.String), sa.column('value', sa.Numeric),
                        sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(settings, [{'key': k, 'value': v, 'created_at': datetime.now(UTC)} for k, v in DEFAULTS.items()])
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_claims_policy_id_policies'), type_='foreignkey')
        batch_op.drop_column('policy_id')
    with op.batch_alter_table('policy_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_rules_policy_id'))
    op.drop_table('policy_rules')
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policies_region_code'))
    op.drop_table('policies')
