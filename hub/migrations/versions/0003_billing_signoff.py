"""billing sign-off: archived vendor customers, the integration-wide hold switches, void-and-reissue

- ``vendor_customers.archived_at``: unmapping a Detached customer archives it instead of deleting it.
- ``products.currency``: the currency a product's price is in.
- ``vendor_integrations.hold_drop_to_zero`` / ``hold_detached``: the two hold rules that were fixed.
- ``invoices``: one *live* (not void) invoice per recurring invoice and period, so a void one can be
  reissued. SQLite cannot drop a table's unique constraint, so the table is rebuilt; that drops its
  triggers (and those of invoice_lines, which name it), created again (identical to hub/models/billing_invoice.py).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

LIVE = sa.text("status <> 'void'")

SQLITE_GUARDS = [
    """CREATE TRIGGER invoices_guard_update BEFORE UPDATE ON invoices
WHEN OLD.status = 'void' OR (OLD.status = 'issued' AND (NEW.status <> 'void'
  OR NEW.number IS NOT OLD.number OR NEW.recurring_invoice_id IS NOT OLD.recurring_invoice_id
  OR NEW.organization_id IS NOT OLD.organization_id OR NEW.period_start IS NOT OLD.period_start
  OR NEW.period_end IS NOT OLD.period_end OR NEW.invoice_date IS NOT OLD.invoice_date
  OR NEW.due_date IS NOT OLD.due_date OR NEW.currency IS NOT OLD.currency OR NEW.memo IS NOT OLD.memo
  OR NEW.subtotal IS NOT OLD.subtotal OR NEW.taxable_subtotal IS NOT OLD.taxable_subtotal
  OR NEW.total IS NOT OLD.total OR NEW.issued_at IS NOT OLD.issued_at))
BEGIN SELECT RAISE(ABORT, 'issued invoices never change (only issued -> void is allowed)'); END""",
    """CREATE TRIGGER invoices_guard_delete BEFORE DELETE ON invoices WHEN OLD.status IN ('issued', 'void')
BEGIN SELECT RAISE(ABORT, 'issued invoices are never deleted'); END""",
    """CREATE TRIGGER invoice_lines_guard_insert BEFORE INSERT ON invoice_lines
WHEN (SELECT status FROM invoices WHERE id = NEW.invoice_id) IN ('issued', 'void')
BEGIN SELECT RAISE(ABORT, 'lines of an issued invoice never change'); END""",
    """CREATE TRIGGER invoice_lines_guard_update BEFORE UPDATE ON invoice_lines
WHEN (SELECT status FROM invoices WHERE id = OLD.invoice_id) IN ('issued', 'void')
  OR (SELECT status FROM invoices WHERE id = NEW.invoice_id) IN ('issued', 'void')
BEGIN SELECT RAISE(ABORT, 'lines of an issued invoice never change'); END""",
    """CREATE TRIGGER invoice_lines_guard_delete BEFORE DELETE ON invoice_lines
WHEN (SELECT status FROM invoices WHERE id = OLD.invoice_id) IN ('issued', 'void')
BEGIN SELECT RAISE(ABORT, 'lines of an issued invoice never change'); END""",
]
SQLITE_TRIGGERS = ("invoices_guard_update", "invoices_guard_delete", "invoice_lines_guard_insert",
                   "invoice_lines_guard_update", "invoice_lines_guard_delete")


def _rebuild_invoices(change) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in SQLITE_TRIGGERS:  # the rebuild's rename checks every trigger naming the table
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('invoices', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        change(batch_op)
    if sqlite:
        for statement in SQLITE_GUARDS:
            op.execute(statement)


def upgrade():
    with op.batch_alter_table('vendor_customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False))
    with op.batch_alter_table('vendor_integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_drop_to_zero', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('hold_detached', sa.Boolean(), server_default=sa.true(), nullable=False))

    def live_period(batch_op):
        batch_op.drop_constraint('uq_invoices_recurring_invoice_id_period_start', type_='unique')
        batch_op.create_index('uq_invoices_live_period', ['recurring_invoice_id', 'period_start'], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)
    _rebuild_invoices(live_period)


def downgrade():
    def one_per_period(batch_op):
        batch_op.drop_index('uq_invoices_live_period', sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_unique_constraint('uq_invoices_recurring_invoice_id_period_start',
                                          ['recurring_invoice_id', 'period_start'])
    _rebuild_invoices(one_per_period)
    with op.batch_alter_table('vendor_integrations', schema=None) as batch_op:
        batch_op.drop_column('hold_detached')
        batch_op.drop_column('hold_drop_to_zero')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('currency')
    with op.batch_alter_table('vendor_customers', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
