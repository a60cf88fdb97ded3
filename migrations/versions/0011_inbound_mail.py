"""inbound mail: calendar answers and bounces (issue 11); held and bounced outgoing mail

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

STATUSES = ('received', 'applied', 'ignored', 'unapplied', 'dismissed')
SOURCES = ('smtp', 'lmtp', 'imap')


def upgrade():
    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.Enum(*SOURCES, name='inbound_source', create_constraint=True), nullable=False),
    sa.Column('envelope_from', sa.String(length=254), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.Enum(*STATUSES, name='inbound_status', create_constraint=True), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('rsvp_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('reply_uid', sa.Text(), nullable=True),
    sa.Column('reply_sequence', sa.Integer(), nullable=True),
    sa.Column('reply_dtstamp', sa.String(length=32), nullable=True),
    sa.Column('reply_partstat', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_inbound_messages_event_id_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_inbound_messages_invitation_id_invitations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_inbound_messages_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rsvp_id'], ['rsvps.id'], name=op.f('fk_inbound_messages_rsvp_id_rsvps'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_rsvp_id'), ['rsvp_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_status'), ['status'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_partstat', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('calendar_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('calendar_replied_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ical_sequence_sent', sa.Integer(), nullable=True))

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ical_sequence_sent', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('ical_sequence_sent')

    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.drop_column('ical_sequence_sent')
        batch_op.drop_column('calendar_replied_at')
        batch_op.drop_column('calendar_comment')
        batch_op.drop_column('calendar_partstat')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('bounced_at')
        batch_op.drop_column('held_until')

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_status'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_rsvp_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_received_at'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_event_id'))
    op.drop_table('inbound_messages')
    if op.get_bind().dialect.name == 'postgresql':
        sa.Enum(name='inbound_status').drop(op.get_bind(), checkfirst=True)
        sa.Enum(name='inbound_source').drop(op.get_bind(), checkfirst=True)
