"""Integrations that are instances of a plugin: their plugin and display name.

Revision ID: 0011
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('vendor_integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plugin', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('display_name', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('vendor_integrations', schema=None) as batch_op:
        batch_op.drop_column('display_name')
        batch_op.drop_column('plugin')
