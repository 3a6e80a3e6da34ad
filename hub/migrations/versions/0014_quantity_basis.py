"""Period-true quantities and proration

- ``recurring_lines.basis``: what a vendor line bills over its period (at_issue, peak, average, end);
  ``at_issue`` for every existing line, so nothing changes for existing data.
- ``recurring_invoices.proration``: off, increases or credits (in-advance invoices only); ``off``.

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recurring_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('basis', sa.String(length=10), server_default='at_issue', nullable=False))
        batch_op.create_check_constraint(op.f('ck_recurring_lines_basis'),
                                         "basis IN ('at_issue', 'peak', 'average', 'end')")
    with op.batch_alter_table('recurring_invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proration', sa.String(length=10), server_default='off', nullable=False))


def downgrade():
    with op.batch_alter_table('recurring_invoices', schema=None) as batch_op:
        batch_op.drop_column('proration')
    with op.batch_alter_table('recurring_lines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_recurring_lines_basis'), type_='check')
        batch_op.drop_column('basis')
