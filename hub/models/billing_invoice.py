"""Invoices and their lines. Once issued, an invoice never changes: only issued -> void is allowed.

The rule is enforced by the database itself (triggers below, created with the tables and by
migration 0002), so no bulk statement or stray script can edit an issued invoice either.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import DDL, JSON, ForeignKey, Index, Numeric, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.billing import UNIT_PRICE
from hub.models.vendor_customer import QUANTITY
from hub.timeutil import utcnow

MONEY = Numeric(14, 2)


class InvoiceStatus(str, enum.Enum):
    DRAFT = "draft"
    ISSUED = "issued"
    VOID = "void"


class Invoice(db.Model):
    """One invoice. ``(recurring_invoice_id, period_start)`` is unique among invoices that are not void:
    one live invoice per period, ever; a void one may be reissued."""

    __tablename__ = "invoices"
    __table_args__ = (Index("uq_invoices_live_period", "recurring_invoice_id", "period_start", unique=True,
                            sqlite_where=text("status <> 'void'"), postgresql_where=text("status <> 'void'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sequential, given when issued (drafts have none)
    number: Mapped[int | None] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(10), default=InvoiceStatus.DRAFT.value)
    recurring_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_invoices.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    invoice_date: Mapped[date]
    due_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str | None] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    taxable_subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    #: sum of the lines' taxes; total = subtotal + tax_total
    tax_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), server_default="0")
    #: per rate: [{"name", "percent", "compound", "taxable", "tax"}] (strings), as printed
    tax_summary: Mapped[list] = mapped_column(JSON, default=list)
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)

    organization = relationship("Organization")
    recurring_invoice = relationship("RecurringInvoice")
    lines = relationship("InvoiceLine", order_by="InvoiceLine.position", viewonly=True)

    def __repr__(self) -> str:
        return f"<Invoice {self.id} #{self.number} {self.status}>"


class InvoiceLine(db.Model):
    """A copy of a recurring line as it stood when the invoice was made, with its evidence."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    recurring_line_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    product_code: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(UNIT_PRICE)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    taxable: Mapped[bool] = mapped_column(default=True)
    #: this line's tax over every rate, each rate rounded half-up to cents on this line
    tax_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), server_default="0")
    #: what one unit cost the MSP when issued (the product's unit cost then), for the margin view;
    #: None on lines issued before it was kept
    unit_cost: Mapped[Decimal | None] = mapped_column(UNIT_PRICE)
    #: evidence: the quantity change that set this quantity, its sync run, and a readable account
    quantity_change_id: Mapped[int | None] = mapped_column(ForeignKey("quantity_changes.id"))
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    source: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict | None] = mapped_column(JSON)

    quantity_change = relationship("QuantityChange")


class BillingCounter(db.Model):
    """Named counters (the invoice number). Incremented with UPDATE ... RETURNING inside the issuing
    transaction: the row lock makes concurrent issuers take turns, and a rollback gives the number back."""

    __tablename__ = "billing_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


# -- database guards (kept identical to migration 0002) ---------------------------------------------

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

# A purge of the whole database (the test suite's clean-up) may delete them after
# ``SET LOCAL hub.allow_purge = 'on'``; nothing in the hub sets it.
POSTGRESQL_GUARDS = [
    """CREATE OR REPLACE FUNCTION hub_invoices_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status IN ('issued', 'void') AND current_setting('hub.allow_purge', true) IS DISTINCT FROM 'on' THEN
      RAISE EXCEPTION 'issued invoices are never deleted' USING ERRCODE = '23000';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'void' OR (OLD.status = 'issued' AND (NEW.status <> 'void'
     OR ROW(NEW.number, NEW.recurring_invoice_id, NEW.organization_id, NEW.period_start, NEW.period_end,
            NEW.invoice_date, NEW.due_date, NEW.currency, NEW.memo, NEW.subtotal, NEW.taxable_subtotal,
            NEW.total, NEW.issued_at, NEW.tax_total, NEW.tax_summary::text)
        IS DISTINCT FROM
        ROW(OLD.number, OLD.recurring_invoice_id, OLD.organization_id, OLD.period_start, OLD.period_end,
            OLD.invoice_date, OLD.due_date, OLD.currency, OLD.memo, OLD.subtotal, OLD.taxable_subtotal,
            OLD.total, OLD.issued_at, OLD.tax_total, OLD.tax_summary::text))) THEN
    RAISE EXCEPTION 'issued invoices never change (only issued -> void is allowed)' USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER invoices_guard BEFORE UPDATE OR DELETE ON invoices
FOR EACH ROW EXECUTE FUNCTION hub_invoices_guard()""",
    # statement-level with transition tables: one check per INSERT of thousands of lines, not one per row
    # (the invoice ids are gathered first: a join with a transition table, which has no statistics, can be
    # planned as a nested loop over both)
    """CREATE OR REPLACE FUNCTION hub_invoice_lines_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('hub.allow_purge', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT array_agg(DISTINCT invoice_id) INTO ids FROM new_lines;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    SELECT array_agg(DISTINCT invoice_id) || coalesce(ids, '{}') INTO ids FROM old_lines;
  END IF;
  IF EXISTS (SELECT 1 FROM invoices WHERE id = ANY(ids) AND status IN ('issued', 'void')) THEN
    RAISE EXCEPTION 'lines of an issued invoice never change' USING ERRCODE = '23000';
  END IF;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER invoice_lines_guard_insert AFTER INSERT ON invoice_lines
REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION hub_invoice_lines_guard()""",
    """CREATE TRIGGER invoice_lines_guard_update AFTER UPDATE ON invoice_lines
REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION hub_invoice_lines_guard()""",
    """CREATE TRIGGER invoice_lines_guard_delete AFTER DELETE ON invoice_lines
REFERENCING OLD TABLE AS old_lines FOR EACH STATEMENT EXECUTE FUNCTION hub_invoice_lines_guard()""",
]

for _statement in SQLITE_GUARDS:
    event.listen(InvoiceLine.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_GUARDS:
    event.listen(InvoiceLine.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
