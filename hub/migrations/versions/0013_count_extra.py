"""Facts a plugin keeps on a count (Pax8's billing terms): license_counts.extra.

Revision ID: 0013
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('license_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('license_counts', schema=None) as batch_op:
        batch_op.drop_column('extra')
