"""hardening: Organization name keys, revocable sessions, login throttle shared by all workers

- ``organizations.name_key``: the NFKC + case-folded name, unique, computed in Python (the same on
  SQLite and PostgreSQL). Existing rows are backfilled; names that already collide under the new key
  (possible on SQLite before this) keep their names and get a key suffixed with their id.
- ``users.session_version``: part of every session; raising it ends the user's sessions.
- ``login_failures`` and ``login_addresses``: the sign-in throttle's counters and known addresses.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02 06:30:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def _name_key(name):
    # a copy of hub.models.organization.name_key as it was at this revision (migrations never import models)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name or "").casefold())
    return " ".join(folded.split())


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=800), nullable=True))
    organizations = sa.table('organizations', sa.column('id', sa.Integer), sa.column('name', sa.String),
                             sa.column('name_key', sa.String))
    bind = op.get_bind()
    seen = set()
    for row in bind.execute(sa.select(organizations.c.id, organizations.c.name).order_by(organizations.c.id)):
        key = _name_key(row.name)
        if key in seen:
            key = f"{key} #{row.id}"
        seen.add(key)
        bind.execute(organizations.update().where(organizations.c.id == row.id).values(name_key=key))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=800), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_organizations_name_key'), ['name_key'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_failed_at'), ['failed_at'], unique=False)

    op.create_table('login_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_addresses_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_addresses')),
    sa.UniqueConstraint('user_id', 'address', name=op.f('uq_login_addresses_user_id_address'))
    )


def downgrade():
    op.drop_table('login_addresses')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_failed_at'))
        batch_op.drop_index(batch_op.f('ix_login_failures_address'))
        batch_op.drop_index(batch_op.f('ix_login_failures_account'))
    op.drop_table('login_failures')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organizations_name_key'), type_='unique')
        batch_op.drop_column('name_key')
