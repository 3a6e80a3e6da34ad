"""billing sign-off: archived vendor customers, the integration-wide hold switches, void-and-reissue

- ``vendor_customers.archived_at``: unmapping a Detached customer archives it instead of deleting it.
- ``products.currency``: the currency a product's price is in.
- ``vendor_integrations.hold_drop_to_zero`` / ``hold_detached``: the two hold rules that were fixed.
- tax: ``tax_rates``, ``organization_tax_rates`` (an Organization's default rates),
  ``organizations.tax_exempt``, ``invoices.tax_total`` / ``tax_summary``, ``invoice_lines.tax_amount``;
  the invoice guards now cover the two new invoice columns.
- credit notes: ``credit_notes``, ``credit_note_lines``, never changed once made (triggers, identical to
  hub/models/billing_credit.py).
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
  OR NEW.total IS NOT OLD.total OR NEW.issued_at IS NOT OLD.issued_at
  OR NEW.tax_total IS NOT OLD.tax_total OR NEW.tax_summary IS NOT OLD.tax_summary))
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
# the row compared by hub_invoices_guard(): 0002's columns, then the tax columns
_GUARDED = ("number, recurring_invoice_id, organization_id, period_start, period_end, invoice_date, due_date, "
            "currency, memo, subtotal, taxable_subtotal, total, issued_at")


def _postgresql_guard(extra: str) -> str:
    new = ", ".join(f"NEW.{c.strip()}" for c in _GUARDED.split(",")) + extra.replace("X.", "NEW.")
    old = ", ".join(f"OLD.{c.strip()}" for c in _GUARDED.split(",")) + extra.replace("X.", "OLD.")
    return f"""CREATE OR REPLACE FUNCTION hub_invoices_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status IN ('issued', 'void') AND current_setting('hub.allow_purge', true) IS DISTINCT FROM 'on' THEN
      RAISE EXCEPTION 'issued invoices are never deleted' USING ERRCODE = '23000';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'void' OR (OLD.status = 'issued' AND (NEW.status <> 'void'
     OR ROW({new}) IS DISTINCT FROM ROW({old}))) THEN
    RAISE EXCEPTION 'issued invoices never change (only issued -> void is allowed)' USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$"""


SQLITE_TRIGGERS = ("invoices_guard_update", "invoices_guard_delete", "invoice_lines_guard_insert",
                   "invoice_lines_guard_update", "invoice_lines_guard_delete")


CREDIT_SQLITE_GUARDS = [
    f"""CREATE TRIGGER {table}_guard_{op} BEFORE {op.upper()} ON {table}
BEGIN SELECT RAISE(ABORT, 'credit notes never change'); END"""
    for table in ("credit_notes", "credit_note_lines") for op in ("update", "delete")
]
CREDIT_POSTGRESQL_GUARDS = [
    """CREATE OR REPLACE FUNCTION hub_credit_notes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('hub.allow_purge', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'credit notes never change' USING ERRCODE = '23000';
END $$""",
] + [
    f"""CREATE TRIGGER {table}_guard AFTER UPDATE OR DELETE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION hub_credit_notes_guard()"""
    for table in ("credit_notes", "credit_note_lines")
]

TAX_GUARD = "\n  OR NEW.tax_total IS NOT OLD.tax_total OR NEW.tax_summary IS NOT OLD.tax_summary"


def _rebuild_invoices(change, with_tax: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in SQLITE_TRIGGERS:  # the rebuild's rename checks every trigger naming the table
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('invoices', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        change(batch_op)
    if sqlite:
        for statement in SQLITE_GUARDS:
            op.execute(statement if with_tax else statement.replace(TAX_GUARD, ""))


def upgrade():
    op.create_table('tax_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('percent', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('compound', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rates')),
    sa.UniqueConstraint('name', name=op.f('uq_tax_rates_name'))
    )
    op.create_table('organization_tax_rates',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('tax_rate_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_tax_rates_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tax_rate_id'], ['tax_rates.id'], name=op.f('fk_organization_tax_rates_tax_rate_id_tax_rates')),
    sa.PrimaryKeyConstraint('organization_id', 'tax_rate_id', name=op.f('pk_organization_tax_rates'))
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_exempt', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_amount', sa.Numeric(precision=14, scale=2), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('vendor_customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False))
    with op.batch_alter_table('vendor_integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_drop_to_zero', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('hold_detached', sa.Boolean(), server_default=sa.true(), nullable=False))

    def live_period(batch_op):
        batch_op.add_column(sa.Column('tax_total', sa.Numeric(precision=14, scale=2), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('tax_summary', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.drop_constraint('uq_invoices_recurring_invoice_id_period_start', type_='unique')
        batch_op.create_index('uq_invoices_live_period', ['recurring_invoice_id', 'period_start'], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)
    _rebuild_invoices(live_period, with_tax=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgresql_guard(", X.tax_total, X.tax_summary::text"))

    op.create_table('credit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('credit_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_notes_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_credit_notes_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_notes_number'))
    )
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_notes_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_notes_organization_id'), ['organization_id'], unique=False)
    op.create_table('credit_note_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('invoice_line_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_code', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_notes.id'], name=op.f('fk_credit_note_lines_credit_note_id_credit_notes')),
    sa.ForeignKeyConstraint(['invoice_line_id'], ['invoice_lines.id'], name=op.f('fk_credit_note_lines_invoice_line_id_invoice_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_lines')),
    sa.UniqueConstraint('invoice_line_id', name=op.f('uq_credit_note_lines_invoice_line_id'))
    )
    with op.batch_alter_table('credit_note_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_lines_credit_note_id'), ['credit_note_id'], unique=False)
    guards = {"sqlite": CREDIT_SQLITE_GUARDS, "postgresql": CREDIT_POSTGRESQL_GUARDS}.get(op.get_bind().dialect.name, [])
    for statement in guards:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgresql_guard(""))
        for table in ("credit_notes", "credit_note_lines"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
        op.execute("DROP FUNCTION IF EXISTS hub_credit_notes_guard()")
    # (SQLite drops a table's triggers with the table)
    op.drop_table('credit_note_lines')
    op.drop_table('credit_notes')

    def one_per_period(batch_op):
        batch_op.drop_index('uq_invoices_live_period', sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_unique_constraint('uq_invoices_recurring_invoice_id_period_start',
                                          ['recurring_invoice_id', 'period_start'])
        batch_op.drop_column('tax_summary')
        batch_op.drop_column('tax_total')
    _rebuild_invoices(one_per_period, with_tax=False)
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_column('tax_amount')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('tax_exempt')
    op.drop_table('organization_tax_rates')
    op.drop_table('tax_rates')
    with op.batch_alter_table('vendor_integrations', schema=None) as batch_op:
        batch_op.drop_column('hold_detached')
        batch_op.drop_column('hold_drop_to_zero')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('currency')
    with op.batch_alter_table('vendor_customers', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
