"""one-off charges and the unit cost of invoice lines (margin view)

- ``one_off_charges``: ad-hoc lines for an Organization's next invoice, billed once (``invoice_id``).
- ``invoice_lines.unit_cost``: the unit cost when the line was issued. A plain ADD COLUMN (no table
  rebuild), so the invoice_lines guards stay as they are.

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'one_off_charges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('recurring_invoice_id', sa.Integer(), nullable=True),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column('unit_price', sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column('unit_cost', sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('taxable', sa.Boolean(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('billed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
        sa.ForeignKeyConstraint(['recurring_invoice_id'], ['recurring_invoices.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_one_off_charges_pending', 'one_off_charges', ['organization_id', 'invoice_id'])
    op.create_index(op.f('ix_one_off_charges_invoice_id'), 'one_off_charges', ['invoice_id'])
    op.create_index(op.f('ix_one_off_charges_recurring_invoice_id'), 'one_off_charges', ['recurring_invoice_id'])
    op.add_column('invoice_lines', sa.Column('unit_cost', sa.Numeric(precision=14, scale=4), nullable=True))


def downgrade():
    with op.batch_alter_table('invoice_lines', recreate='never') as batch_op:
        batch_op.drop_column('unit_cost')
    op.drop_index(op.f('ix_one_off_charges_recurring_invoice_id'), table_name='one_off_charges')
    op.drop_index(op.f('ix_one_off_charges_invoice_id'), table_name='one_off_charges')
    op.drop_index('ix_one_off_charges_pending', table_name='one_off_charges')
    op.drop_table('one_off_charges')
