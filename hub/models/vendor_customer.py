from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, case
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.timeutil import utcnow

QUANTITY = Numeric(18, 4)


class MapStatus(str, enum.Enum):
    MAPPED = "mapped"
    NOT_MAPPED = "not_mapped"
    DETACHED = "detached"

    @property
    def label(self) -> str:
        return {"mapped": "Mapped", "not_mapped": "Not mapped", "detached": "Detached"}[self.value]


class VendorCustomer(db.Model):
    """A customer as one vendor knows it, and the Organization it is mapped to (if any).

    Map status is derived, never stored: Detached when the vendor no longer lists it, else Mapped
    when it has an Organization, else Not mapped.
    """

    __tablename__ = "vendor_customers"
    __table_args__ = (UniqueConstraint("integration_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("vendor_integrations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    #: the vendor's own status: active, suspended or trial
    vendor_status: Mapped[str] = mapped_column(String(20), default="active")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    detached_at: Mapped[datetime | None]
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    mapped_at: Mapped[datetime | None]
    #: the last failure reading this customer's counts; its last counts were kept
    count_error: Mapped[str | None] = mapped_column(Text)
    count_error_at: Mapped[datetime | None]
    #: a Detached customer someone unmapped: out of the mapping table and the current counts, its row and
    #: count history kept for reports of past periods and audit; listed again, it comes back Not mapped
    archived_at: Mapped[datetime | None]

    integration = relationship("VendorIntegration")
    organization = relationship("Organization")

    @hybrid_property
    def map_status(self) -> MapStatus:
        if self.detached_at is not None:
            return MapStatus.DETACHED
        return MapStatus.MAPPED if self.organization_id is not None else MapStatus.NOT_MAPPED

    @map_status.inplace.expression
    @classmethod
    def _map_status_expression(cls):
        return case(
            (cls.detached_at.is_not(None), MapStatus.DETACHED.value),
            (cls.organization_id.is_not(None), MapStatus.MAPPED.value),
            else_=MapStatus.NOT_MAPPED.value,
        )

    def __repr__(self) -> str:
        return f"<VendorCustomer {self.external_id} {self.name!r}>"


class VendorSku(db.Model):
    """A SKU a vendor reported, with the plugin's suggestion of what it is."""

    __tablename__ = "vendor_skus"
    __table_args__ = (UniqueConstraint("integration_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("vendor_integrations.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40), default="license")
    billable: Mapped[bool] = mapped_column(default=True)
    suggested_product_code: Mapped[str | None] = mapped_column(String(100))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the catalog product this SKU bills as, once an admin confirmed it (billing); None: unmapped
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)


class LicenseCount(db.Model):
    """The current quantity of one SKU for one vendor customer."""

    __tablename__ = "license_counts"
    __table_args__ = (UniqueConstraint("vendor_customer_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_customer_id: Mapped[int] = mapped_column(ForeignKey("vendor_customers.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("vendor_skus.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    #: the plugin's facts about the count (hub.plugins.LicenseCount.extra); NULL when it gave none
    extra: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))

    sku = relationship("VendorSku")


class LicenseCountHistory(db.Model):
    """One row per change of a count: the history the usage report charts."""

    __tablename__ = "license_count_history"
    __table_args__ = (Index("ix_license_count_history_customer_sku_at", "vendor_customer_id", "sku_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_customer_id: Mapped[int] = mapped_column(ForeignKey("vendor_customers.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("vendor_skus.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    previous_quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"), index=True)


class PastMapping(db.Model):
    """A mapping that ended: the vendor customer belonged to this Organization until ``mapped_until``
    (it was remapped, unmapped, or archived while Detached).

    Periods before the end still count the customer for the Organization it belonged to then
    (``hub.billing.period_counts``); the current mapping is ``VendorCustomer.organization_id``, in force
    since ``VendorCustomer.mapped_at`` when the customer has past mappings, since its history began
    when it has none. Written only by ``hub.mapping``.
    """

    __tablename__ = "past_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_customer_id: Mapped[int] = mapped_column(ForeignKey("vendor_customers.id", ondelete="CASCADE"),
                                                    index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    #: None: the customer's first Organization, which holds its history from the beginning
    mapped_from: Mapped[datetime | None]
    mapped_until: Mapped[datetime]
