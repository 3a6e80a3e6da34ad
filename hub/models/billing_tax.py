"""Tax rates and the rates an Organization is taxed at by default (none when it is exempt)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.timeutil import utcnow


class TaxRate(db.Model):
    """A named rate. A compound rate applies to a line's amount plus its non-compound taxes."""

    __tablename__ = "tax_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    compound: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrganizationTaxRate(db.Model):
    """One of the rates an Organization's invoices are taxed at (the default; exemption overrides it)."""

    __tablename__ = "organization_tax_rates"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    tax_rate_id: Mapped[int] = mapped_column(ForeignKey("tax_rates.id"), primary_key=True)
