"""border crossings, venue zones, second clocks (issue 13)

Existing venues get the zone of their state: Baja California and California share the Pacific
clock (America/Tijuana, America/Los_Angeles), Mexico City keeps America/Mexico_City.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

REGION_ZONES = {
    'BC': 'America/Tijuana',
    'CA': 'America/Los_Angeles',
    'CDMX': 'America/Mexico_City',
}


def upgrade():
    op.create_table('border_crossings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('after_stop_id', sa.Integer(), nullable=False),
    sa.Column('port', sa.String(length=40), nullable=False),
    sa.Column('lane', sa.String(length=20), nullable=False),
    sa.Column('allowance_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('allowance_minutes > 0', name=op.f('ck_border_crossings_allowance_positive')),
    sa.ForeignKeyConstraint(['after_stop_id'], ['itinerary_stops.id'], name=op.f('fk_border_crossings_after_stop_id_itinerary_stops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_border_crossings')),
    sa.UniqueConstraint('after_stop_id', name=op.f('uq_border_crossings_after_stop_id'))
    )
    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crossing_document', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('viewer_timezone', sa.String(length=64), nullable=True))

    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))

    for region, zone in REGION_ZONES.items():
        op.execute(
            sa.text("UPDATE venues SET timezone = :zone WHERE upper(region) = :region")
            .bindparams(zone=zone, region=region)
        )


def downgrade():
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('timezone')

    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.drop_column('viewer_timezone')
        batch_op.drop_column('crossing_document')

    op.drop_table('border_crossings')
