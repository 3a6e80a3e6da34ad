"""Billing models: the catalog, recurring invoices and their lines, and the quantity changes of vendor lines.

Prices are per unit and per period of the invoice they appear on; quantities use the core's QUANTITY type.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.vendor_customer import QUANTITY
from hub.timeutil import utcnow

#: unit prices and costs keep four decimals (per-GB prices); amounts are rounded to cents
UNIT_PRICE = Numeric(14, 4)
PERCENT = Numeric(7, 2)


class Frequency(str, enum.Enum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "yearly": 12}[self.value]


class PeriodMode(str, enum.Enum):
    #: the invoice of a run date bills the period that starts on it
    IN_ADVANCE = "in_advance"
    #: the invoice of a run date bills the period that ended the day before
    IN_ARREARS = "in_arrears"


class LineKind(str, enum.Enum):
    STANDARD = "standard"  # fixed quantity typed by a person
    VENDOR = "vendor"      # quantity follows the vendor's license counts


class QuantityBasis(str, enum.Enum):
    """What a vendor line bills over its invoice's period (hub.billing.period_counts)."""

    AT_ISSUE = "at_issue"  # the line's quantity when the invoice is made (the default)
    PEAK = "peak"          # the highest daily count in the period
    AVERAGE = "average"    # the daily counts' time-weighted average
    END = "end"            # the count on the period's last day


class Proration(str, enum.Enum):
    """In-advance invoices: how changes during a billed period reach the next invoice (hub.billing.proration)."""

    OFF = "off"
    INCREASES = "increases"              # charge increases pro rata by days
    INCREASES_AND_CREDITS = "credits"    # also credit decreases the hold policy lets through


class ChangeStatus(str, enum.Enum):
    APPLIED = "applied"        # applied at once (an increase, or a decrease within the policy)
    PENDING = "pending"        # held for a billing user
    APPROVED = "approved"      # held, then approved: applied
    REJECTED = "rejected"      # held, then rejected: the line kept its quantity
    SUPERSEDED = "superseded"  # held, then replaced by a newer count before anyone decided


class Product(db.Model):
    """A line item type: what an invoice line sells."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    #: default price per unit per invoice period (a line may override it or mark up the cost)
    unit_price: Mapped[Decimal] = mapped_column(UNIT_PRICE, default=Decimal("0"))
    unit_cost: Mapped[Decimal] = mapped_column(UNIT_PRICE, default=Decimal("0"))
    #: the currency of unit_price and unit_cost
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    taxable: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Product {self.code}>"


class RecurringInvoice(db.Model):
    """A schedule that issues an invoice to one Organization every period."""

    __tablename__ = "recurring_invoices"
    __table_args__ = (Index("ix_recurring_invoices_due", "active", "next_run_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="Recurring services")
    frequency: Mapped[str] = mapped_column(String(20), default=Frequency.MONTHLY.value)
    period_mode: Mapped[str] = mapped_column(String(20), default=PeriodMode.IN_ADVANCE.value)
    next_run_date: Mapped[date]
    #: the day of month runs are anchored on (31 means "the last day" in shorter months)
    anchor_day: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    memo: Mapped[str | None] = mapped_column(Text)
    due_days: Mapped[int] = mapped_column(default=30)
    #: False: the job makes drafts that a billing user issues
    auto_issue: Mapped[bool] = mapped_column(default=True)
    #: in advance only: charge (and perhaps credit) count changes during the last period pro rata
    proration: Mapped[str] = mapped_column(String(10), default=Proration.OFF.value,
                                           server_default=Proration.OFF.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization = relationship("Organization")
    #: the lines in force (archived ones left out)
    lines = relationship("RecurringLine", order_by="RecurringLine.position",
                         primaryjoin="and_(RecurringLine.recurring_invoice_id == RecurringInvoice.id, "
                                     "RecurringLine.archived_at.is_(None))", viewonly=True)

    def __repr__(self) -> str:
        return f"<RecurringInvoice {self.id} org={self.organization_id} next={self.next_run_date}>"


class RecurringLine(db.Model):
    """One line of a recurring invoice: a fixed quantity, or the license count of a vendor's SKUs."""

    __tablename__ = "recurring_lines"
    __table_args__ = (
        Index("ix_recurring_lines_vendor", "integration_id", "product_id"),
        CheckConstraint("kind IN ('standard', 'vendor')", name="kind"),
        CheckConstraint("basis IN ('at_issue', 'peak', 'average', 'end')", name="basis"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recurring_invoice_id: Mapped[int] = mapped_column(ForeignKey("recurring_invoices.id", ondelete="CASCADE"),
                                                      index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10), default=LineKind.STANDARD.value)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    #: shown on the invoice instead of the product's name
    description: Mapped[str | None] = mapped_column(String(300))
    #: standard line: the fixed quantity; vendor line: the accepted license count (held changes excluded)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal("0"))
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("vendor_integrations.id"))
    min_quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    unit_price_override: Mapped[Decimal | None] = mapped_column(UNIT_PRICE)
    #: price = the product's unit cost plus this percentage
    markup_pct: Mapped[Decimal | None] = mapped_column(PERCENT)
    do_not_bill: Mapped[bool] = mapped_column(default=False)
    #: vendor lines: the counting basis over the invoice's period (QuantityBasis)
    basis: Mapped[str] = mapped_column(String(10), default=QuantityBasis.AT_ISSUE.value,
                                       server_default=QuantityBasis.AT_ISSUE.value)
    #: True: the two thresholds below replace the integration's (None there means "no limit")
    override_policy: Mapped[bool] = mapped_column(default=False)
    hold_decrease_over_seats: Mapped[int | None]
    hold_decrease_over_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    #: lines already invoiced are archived, never deleted, so issued invoices keep their links
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    recurring_invoice = relationship("RecurringInvoice")
    product = relationship("Product")
    integration = relationship("VendorIntegration")

    @property
    def is_vendor(self) -> bool:
        return self.kind == LineKind.VENDOR.value


class QuantityChange(db.Model):
    """One change of a vendor line's quantity, applied at once or held for approval, with its evidence.

    Held changes (status ``pending``) are the approvals queue; at most one is pending per line.
    ``evidence`` keeps the counts that made up ``new_quantity`` (customer, SKU, quantity and the
    LicenseCountHistory row id of each), copied so it survives a vendor customer's removal.
    """

    __tablename__ = "quantity_changes"
    __table_args__ = (
        Index("ix_quantity_changes_line", "line_id", "id"),
        Index("ix_quantity_changes_status", "status"),
        Index("uq_quantity_changes_one_pending", "line_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("recurring_lines.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    old_quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    new_quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    #: why it was held: drop_to_zero, decrease_over_seats, decrease_over_pct, customer_detached
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    #: sync, mapping, sku_mapping, line_create, line_edit
    cause: Mapped[str] = mapped_column(String(20))
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"), index=True)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)

    line = relationship("RecurringLine")
    sync_run = relationship("SyncRun")
