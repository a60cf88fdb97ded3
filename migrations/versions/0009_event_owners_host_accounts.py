"""event owners and host accounts: who may see what (issue 17)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09 10:00:00

Existing events are owned by whoever the audit log says created them (an event or a copy);
an event with no such entry has no owner and is managed by admins only, who can add owners.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_ROLES = ('admin', 'organizer')
NEW_ROLES = ('admin', 'organizer', 'host')


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # A new enum value must be committed before a constraint can name it.
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE user_role ADD VALUE IF NOT EXISTS 'host'")
    else:
        with op.batch_alter_table('users', schema=None) as batch_op:
            batch_op.alter_column(
                'role',
                existing_type=sa.Enum(*OLD_ROLES, name='user_role', create_constraint=True),
                type_=sa.Enum(*NEW_ROLES, name='user_role', create_constraint=True),
                existing_nullable=False,
            )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organization_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_users_organization_id_organizations'),
            'organizations', ['organization_id'], ['id'],
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_users_host_has_organization'),
            "role <> 'host' OR organization_id IS NOT NULL",
        )

    op.create_table('event_owners',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_owners_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_owners_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_event_owners'))
    )
    with op.batch_alter_table('event_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_owners_user_id'), ['user_id'], unique=False)

    op.execute(
        "INSERT INTO event_owners (event_id, user_id) "
        "SELECT DISTINCT a.event_id, a.user_id FROM audit_entries a "
        "JOIN events e ON e.id = a.event_id JOIN users u ON u.id = a.user_id "
        "WHERE a.action = 'created' AND a.subject = 'event'"
    )


def downgrade():
    with op.batch_alter_table('event_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_owners_user_id'))
    op.drop_table('event_owners')

    # The old schema has no host accounts.
    op.execute("DELETE FROM users WHERE role = 'host'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_host_has_organization'), type_='check')
        batch_op.drop_constraint(
            batch_op.f('fk_users_organization_id_organizations'), type_='foreignkey'
        )
        batch_op.drop_column('organization_id')

    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TYPE user_role RENAME TO user_role_with_host")
        sa.Enum(*OLD_ROLES, name='user_role').create(op.get_bind())
        op.execute(
            "ALTER TABLE users ALTER COLUMN role TYPE user_role USING role::text::user_role"
        )
        op.execute("DROP TYPE user_role_with_host")
    else:
        with op.batch_alter_table('users', schema=None) as batch_op:
            batch_op.alter_column(
                'role',
                existing_type=sa.Enum(*NEW_ROLES, name='user_role', create_constraint=True),
                type_=sa.Enum(*OLD_ROLES, name='user_role', create_constraint=True),
                existing_nullable=False,
            )
