"""write probe table; drop the unused users.failed_logins and users.locked_until (issue 17)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00

/healthz now commits a row to write_probes: under SQLite's WAL a disk that is full may refuse
only the commit, which a rolled-back write never reaches. Sign-in failures have been counted
in sign_in_throttles since 0008; the per-account columns are gone (a downgrade brings them
back, every account unthrottled).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('write_probes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_write_probes'))
    )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_failed_logins_non_negative'), type_='check')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_users_failed_logins_non_negative'), 'failed_logins >= 0'
        )

    op.drop_table('write_probes')
