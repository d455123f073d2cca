"""sign-in security round 2: tokens end with the user's sessions, lockout per name and address

- api_tokens.session_version: a token is valid only while it equals the user's session_version,
  so every way a user's sessions end (logout, password change or reset, TOTP change, role or scope
  change, disabling) ends the tokens too. Tokens issued before this revision carry 0 and end.
- api_tokens.issued_via: shown on the account page ("api" or "cli").
- users.totp_pending_secret: the secret being enrolled, kept server-side instead of in the cookie.
- sign_in_throttles replaces users.failed_login_count / failed_login_window_started_at /
  locked_until: failures are counted per typed name and client address (an outsider can no
  longer lock someone else out), the same for unknown names (no enumeration).

Revision ID: 0009_sign_in_security
Revises: 0008_resident_name_index
Create Date: 2026-12-03 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_sign_in_security'
down_revision = '0008_resident_name_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('issued_via', sa.String(length=16), nullable=False, server_default='api'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_pending_secret', sa.String(length=64), nullable=True))
        batch_op.drop_column('failed_login_count')
        batch_op.drop_column('failed_login_window_started_at')
        batch_op.drop_column('locked_until')
    op.create_table(
        'sign_in_throttles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name_digest', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_throttles_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
        sa.UniqueConstraint('name_digest', 'address', name='uq_sign_in_throttles_name_address'),
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_user_id'))
    op.drop_table('sign_in_throttles')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_login_window_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_login_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('totp_pending_secret')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('issued_via')
        batch_op.drop_column('session_version')
