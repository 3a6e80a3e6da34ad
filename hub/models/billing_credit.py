"""Credit notes: a credit against an issued invoice, whole or chosen lines, in their own gapless number
series. A credit note is issued when it is made and never changes: the database refuses any UPDATE or
DELETE of one or its lines (triggers below, created with the tables and by migration 0003)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import DDL, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.billing import UNIT_PRICE
from hub.models.billing_invoice import MONEY
from hub.models.vendor_customer import QUANTITY
from hub.timeutil import utcnow


class CreditNote(db.Model):
    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    credit_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    tax_total: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    invoice = relationship("Invoice")
    organization = relationship("Organization")
    lines = relationship("CreditNoteLine", order_by="CreditNoteLine.position", viewonly=True)


class CreditNoteLine(db.Model):
    """A copy of the invoice line it credits, whole (quantity, amount and tax)."""

    __tablename__ = "credit_note_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    #: one credit per invoice line, ever
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_lines.id"), unique=True)
    position: Mapped[int]
    product_code: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(UNIT_PRICE)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)


# -- database guards (kept identical to migration 0003) ---------------------------------------------

CREDIT_SQLITE_GUARDS = [
    f"""CREATE TRIGGER {table}_guard_{op} BEFORE {op.upper()} ON {table}
BEGIN SELECT RAISE(ABORT, 'credit notes never change'); END"""
    for table in ("credit_notes", "credit_note_lines") for op in ("update", "delete")
]
# A purge of the whole database (the test suite's clean-up) may delete after SET LOCAL hub.allow_purge = 'on'
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

for _statement in CREDIT_SQLITE_GUARDS:
    event.listen(CreditNoteLine.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in CREDIT_POSTGRESQL_GUARDS:
    event.listen(CreditNoteLine.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
