"""sessions and sign-in: account link nonce, sign-in throttles per address, outbox by age (issue 17)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00

Sign-in failures were counted per account (users.failed_logins, users.locked_until), so
anyone could lock an organizer out; they are now counted per account and client address in
sign_in_throttles. The old columns stay, unused, and existing counts are not carried over:
every account starts unthrottled.

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_nonce', sa.String(length=32), nullable=True))
    # Each account gets a nonce of its own, as new accounts do (secrets.token_hex(16)).
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('token_nonce', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(token_nonce=secrets.token_hex(16))
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('token_nonce', existing_type=sa.String(length=32), nullable=False)

    op.create_table('sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_sign_in_throttles_failures_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_throttles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
    sa.UniqueConstraint('user_id', 'client_address', name=op.f('uq_sign_in_throttles_user_id_client_address'))
    )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_created_at'))
    op.drop_table('sign_in_throttles')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_nonce')
