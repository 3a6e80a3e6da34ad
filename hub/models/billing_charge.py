"""One-off charges: an ad-hoc line for an Organization's next invoice, billed exactly once.

A charge is *pending* while ``invoice_id`` is empty: it can then be edited or deleted. The invoice that
bills it (the run, a reissue, or a manual invoice) sets ``invoice_id`` in its own transaction with a
conditional UPDATE (``WHERE invoice_id IS NULL``), so two issuers never both bill it. Voiding that
invoice empties ``invoice_id`` again: the next invoice (the reissue of that period, say) bills it once more.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.billing import UNIT_PRICE
from hub.models.vendor_customer import QUANTITY
from hub.timeutil import utcnow


class OneOffCharge(db.Model):
    __tablename__ = "one_off_charges"
    __table_args__ = (Index("ix_one_off_charges_pending", "organization_id", "invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: the recurring invoice whose next invoice bills it; None: the Organization's next invoice in its currency
    recurring_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_invoices.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(UNIT_PRICE)
    #: what one unit costs the MSP (the product's cost when not given), for the margin view
    unit_cost: Mapped[Decimal] = mapped_column(UNIT_PRICE, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3))
    #: the product's flag when a product is chosen
    taxable: Mapped[bool] = mapped_column(default=True)
    #: the invoice that bills it (None: pending)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    billed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization = relationship("Organization")
    product = relationship("Product")
    recurring_invoice = relationship("RecurringInvoice")

    @property
    def pending(self) -> bool:
        return self.invoice_id is None
