"""Where a vendor line's quantity comes from: the counts of its Organization's vendor customers.

``load_contributions`` reads, for many (Organization, integration, product) keys at once, every
license count that makes up a vendor line, with the LicenseCountHistory row that set it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func

from hub.billing.money import fmt_quantity
from hub.extensions import db
from hub.models import LicenseCount, LicenseCountHistory, VendorCustomer, VendorSku

CHUNK = 500

Key = tuple[int, int, int]  # organization id, integration id, product id


@dataclass(frozen=True)
class Contribution:
    """One license count of one vendor customer and SKU, as a vendor line sees it."""

    customer_id: int
    customer: str
    external_id: str
    detached: bool
    sku_id: int
    sku: str
    quantity: Decimal
    count_updated_at: datetime | None
    count_sync_run_id: int | None
    history_id: int | None
    #: what the SKU counts (license, GB, ...)
    unit: str = "license"

    @property
    def counted(self) -> bool:
        """Detached customers are shown but not counted: the vendor no longer lists them."""
        return not self.detached


def load_contributions(keys: set[Key]) -> dict[Key, list[Contribution]]:
    if not keys:
        return {}
    orgs = sorted({k[0] for k in keys})
    integrations = sorted({k[1] for k in keys})
    products = sorted({k[2] for k in keys})
    rows = []
    for start in range(0, len(orgs), CHUNK):
        rows += db.session.execute(
            db.select(VendorCustomer.organization_id, VendorSku.integration_id, VendorSku.product_id,
                      VendorCustomer.id, VendorCustomer.name, VendorCustomer.external_id, VendorCustomer.detached_at,
                      VendorSku.id, VendorSku.sku, LicenseCount.quantity, LicenseCount.updated_at,
                      LicenseCount.sync_run_id, VendorSku.unit)
            .join(VendorCustomer, VendorCustomer.id == LicenseCount.vendor_customer_id)
            .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
            .where(VendorCustomer.organization_id.in_(orgs[start:start + CHUNK]),
                   VendorSku.integration_id.in_(integrations), VendorSku.product_id.in_(products))
            .order_by(VendorCustomer.id, VendorSku.sku)
        ).all()
    rows = [r for r in rows if (r[0], r[1], r[2]) in keys]
    history = latest_history_ids({r[3] for r in rows})
    out: dict[Key, list[Contribution]] = defaultdict(list)
    for r in rows:
        out[(r[0], r[1], r[2])].append(Contribution(
            customer_id=r[3], customer=r[4], external_id=r[5], detached=r[6] is not None, sku_id=r[7], sku=r[8],
            quantity=Decimal(r[9]), count_updated_at=r[10], count_sync_run_id=r[11],
            history_id=history.get((r[3], r[7])), unit=r[12]))
    return out


def latest_history_ids(customer_ids) -> dict[tuple[int, int], int]:
    """(customer id, sku id) -> id of the newest LicenseCountHistory row: the snapshot behind a count."""
    ids = sorted(customer_ids)
    out: dict[tuple[int, int], int] = {}
    for start in range(0, len(ids), CHUNK):
        for cid, sid, hid in db.session.execute(
                db.select(LicenseCountHistory.vendor_customer_id, LicenseCountHistory.sku_id,
                          func.max(LicenseCountHistory.id))
                .where(LicenseCountHistory.vendor_customer_id.in_(ids[start:start + CHUNK]))
                .group_by(LicenseCountHistory.vendor_customer_id, LicenseCountHistory.sku_id)):
            out[(cid, sid)] = hid
    return out


def evidence_json(organization_id: int, integration_id: int, product_id: int, rows, total: Decimal) -> dict:
    """The evidence kept on a quantity change: figures copied, so it outlives the rows it names."""
    return {
        "organization_id": organization_id, "integration_id": integration_id, "product_id": product_id,
        "total": fmt_quantity(total),
        "counts": [{"customer_id": c.customer_id, "customer": c.customer, "external_id": c.external_id,
                    "sku_id": c.sku_id, "sku": c.sku, "quantity": fmt_quantity(c.quantity), "unit": c.unit,
                    "counted": c.counted,
                    "history_id": c.history_id, "count_sync_run_id": c.count_sync_run_id}
                   for c in rows],
    }
