"""mail worker hardening: stable Message-IDs, in-flight attempts, rejected addresses, heartbeats

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id_header', sa.String(length=250), nullable=True))
    # Messages queued before this revision get a Message-ID of their own, kept from now on.
    op.execute(
        "UPDATE outbox_messages SET message_id_header = "
        "'<outbox-' || CAST(id AS VARCHAR(20)) || '.migrated@convoca>'"
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('message_id_header', existing_type=sa.String(length=250), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_message_id_header'), ['message_id_header'])

    # NULL: the attempt is in flight (written before the message goes to the server).
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.alter_column('succeeded', existing_type=sa.Boolean(), nullable=True)

    op.create_table('rejected_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('smtp_code', sa.Integer(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_addresses')),
    sa.UniqueConstraint('email', name=op.f('uq_rejected_addresses_email'))
    )
    op.create_table('mail_worker_heartbeats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_worker_heartbeats')),
    sa.UniqueConstraint('worker', name=op.f('uq_mail_worker_heartbeats_worker'))
    )
    with op.batch_alter_table('mail_worker_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_worker_heartbeats_beat_at'), ['beat_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_worker_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_worker_heartbeats_beat_at'))
    op.drop_table('mail_worker_heartbeats')
    op.drop_table('rejected_addresses')

    # An attempt still in flight is counted as failed: the old schema knows only yes or no.
    op.execute("UPDATE delivery_attempts SET succeeded = false WHERE succeeded IS NULL")
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.alter_column('succeeded', existing_type=sa.Boolean(), nullable=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_message_id_header'), type_='unique')
        batch_op.drop_column('message_id_header')
