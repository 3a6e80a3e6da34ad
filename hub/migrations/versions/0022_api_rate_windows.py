"""Per-token API rate-limit windows in the database, so every web worker counts the same requests.

Revision ID: 0022
Revises: 0017
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_rate_windows',
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.Double(), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_rate_windows_token_id_api_tokens'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_id', name=op.f('pk_api_rate_windows')),
    )


def downgrade():
    op.drop_table('api_rate_windows')
