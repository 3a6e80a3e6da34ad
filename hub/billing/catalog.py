"""The catalog (products, i.e. line item types) and the mapping of vendor SKUs to products.

A SKU bills only once an admin has confirmed its product. The plugin's suggestion (a product code,
a name, billable or not) is a default offered for that confirmation, never applied on its own.
``list_skus`` shows every SKU with its status, so an unmapped SKU with licenses is never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased

from hub.audit import Actor, record
from hub.billing import validate
from hub.billing.errors import BillingError, Taken
from hub.billing.money import ZERO, parse_decimal
from hub.billing.quantities import Trigger, recalculate_lines, vendor_lines_of
from hub.extensions import db
from hub.inputs import shown
from hub.models import (
    DestinationConnection,
    DestinationMapping,
    InvoiceLine,
    LicenseCount,
    MappingKind,
    Product,
    RecurringInvoice,
    RecurringLine,
    VendorCustomer,
    VendorIntegration,
    VendorSku,
)

PRODUCT_FIELDS = ("code", "name", "description", "unit_price", "unit_cost", "currency", "taxable", "active")


def list_products(active_only: bool = False) -> list[Product]:
    query = db.select(Product).order_by(Product.name)
    if active_only:
        query = query.where(Product.active.is_(True))
    return list(db.session.execute(query).scalars())


def _clean_product(values: dict[str, Any], product: Product | None) -> dict[str, Any]:
    """Every field checked; all the bad ones at once (``validate.FieldErrors``), so a form shows them together."""
    return validate.each_field(values, lambda key, value: _clean_product_field(key, value, product))


def _clean_product_field(key: str, value: Any, product: Product | None) -> Any:
    if key not in PRODUCT_FIELDS:
        raise BillingError(f"{key} is not a product field", key)
    if key == "code":
        code = validate.text(value, "code", max_len=100)
        taken = db.session.execute(db.select(Product.id).where(
            func.lower(Product.code) == code.lower(), Product.id != (product.id if product else -1))).first()
        if taken:
            raise Taken(f"Code: a product with the code {shown(code)} already exists", "code")
        return code
    if key == "name":
        return validate.text(value, "name", max_len=200)
    if key == "description":
        return validate.text(value, "description", max_len=5000, required=False)
    if key in ("unit_price", "unit_cost"):
        return parse_decimal(value, key)
    if key == "currency":
        code = validate.currency(value, key)
        if product is not None and code != product.currency:
            _check_not_billed_in_another_currency(product, code)
        return code
    return validate.boolean(value, key)


def _check_not_billed_in_another_currency(product: Product, currency: str) -> None:
    """A recurring invoice takes only products priced in its currency: a product on one keeps it."""
    billed_in = sorted(set(db.session.execute(
        db.select(RecurringInvoice.currency).join(RecurringLine, RecurringLine.recurring_invoice_id == RecurringInvoice.id)
        .where(RecurringLine.product_id == product.id, RecurringLine.archived_at.is_(None),
               RecurringInvoice.currency != currency)).scalars()))
    if billed_in:
        raise BillingError(f"Currency: product {product.code} is on recurring invoices billed in "
                           f"{', '.join(billed_in)}; it cannot be priced in {currency}", "currency")


def create_product(code: str, name: str, unit_price: Any, actor: Actor, *, unit_cost: Any = "0",
                   taxable: bool = True, description: str | None = None, currency: str = "USD") -> Product:
    """Add a product. Prices are per unit per invoice period, in ``currency``. Commits."""
    values = _clean_product(dict(code=code, name=name, unit_price=unit_price, unit_cost=unit_cost,
                                 currency=currency, taxable=taxable, description=description), None)
    product = Product(**values)
    db.session.add(product)
    db.session.flush()
    record(actor, "product.create", "product", product.id, field="code", new=product.code,
           details={k: str(v) for k, v in values.items() if v is not None})
    db.session.commit()
    return product


def update_product(product_id: int, actor: Actor, **changes: Any) -> Product:
    """Change some of a product's fields (each change audited). A new price applies to the next invoices."""
    product = validate.existing(Product, product_id, "product_id")
    for key, value in _clean_product(changes, product).items():
        old = getattr(product, key)
        if old != value:
            setattr(product, key, value)
            record(actor, "product.update", "product", product.id, field=key, old=old, new=value)
    db.session.commit()
    return product


def delete_product(product_id: int, actor: Actor) -> None:
    """Delete a product nothing bills with. One on a recurring line (even a removed one) or on an invoice
    stays (field ``product_id``: switch it off with ``active`` instead); the SKUs mapped to it are
    unmapped and its accounting item mappings removed, each audited, in the same transaction. Commits."""
    product = validate.existing(Product, product_id, "product_id")
    used = db.session.execute(
        db.select(RecurringInvoice.id, RecurringLine.archived_at)
        .join(RecurringLine, RecurringLine.recurring_invoice_id == RecurringInvoice.id)
        .where(RecurringLine.product_id == product.id).order_by(RecurringLine.archived_at.is_not(None),
                                                                 RecurringInvoice.id)).all()
    if any(archived is None for _, archived in used):
        ids = sorted({rid for rid, archived in used if archived is None})
        raise BillingError(f"product {product.code} is on recurring invoice{'s' if len(ids) > 1 else ''} "
                           f"{', '.join(map(str, ids[:10]))}{' ...' if len(ids) > 10 else ''}: remove those lines "
                           f"first, or switch the product off", "product_id")
    billed = used or db.session.execute(
        db.select(InvoiceLine.id).where(InvoiceLine.product_id == product.id).limit(1)).first()
    if billed:
        raise BillingError(f"product {product.code} was billed (invoices or past recurring lines refer to it): "
                           f"switch it off instead", "product_id")
    skus = db.session.execute(db.select(VendorSku).where(VendorSku.product_id == product.id)).scalars().all()
    for sku in skus:  # nothing bills this product, so unmapping moves no line
        record(actor, "sku.unmap", "vendor_sku", sku.id, field="product_id", old=product.id, new=None,
               integration_id=sku.integration_id, details={"sku": sku.sku, "product": product.code,
                                                           "reason": "product deleted"})
        sku.product_id = None
    items = db.session.execute(
        db.select(DestinationMapping, DestinationConnection.slug)
        .join(DestinationConnection, DestinationConnection.id == DestinationMapping.connection_id)
        .where(DestinationMapping.kind == MappingKind.ITEM.value, DestinationMapping.local_key == str(product.id))).all()
    for item, slug in items:  # an id SQLite may hand out again must not inherit an accounting item
        record(actor, "destination.unmap", MappingKind.ITEM.value, str(product.id), field=slug,
               old=f"{item.external_id} ({item.external_name})", new=None, details={"reason": "product deleted"})
        db.session.delete(item)
    record(actor, "product.delete", "product", product.id, field="code", old=product.code,
           details={"name": product.name, "unit_price": str(product.unit_price), "currency": product.currency})
    db.session.delete(product)
    db.session.commit()


@dataclass(frozen=True)
class SkuRow:
    """One vendor SKU with its product mapping and how many licenses it has right now."""

    sku_id: int
    integration_id: int
    vendor: str
    sku: str
    name: str | None
    unit: str
    billable: bool
    suggested_product_code: str | None
    suggested_product_id: int | None  # an existing product whose code matches the suggestion
    product_id: int | None
    product_code: str | None
    product_name: str | None
    customers: int  # attached vendor customers with a count above zero
    licenses: Decimal

    @property
    def status(self) -> str:
        """mapped; suggested (a product matches the plugin's suggestion); unmapped; not_billable."""
        if self.product_id is not None:
            return "mapped"
        if not self.billable:
            return "not_billable"
        return "suggested" if self.suggested_product_id is not None else "unmapped"


def list_skus(integration_id: int | None = None, status: str | None = None) -> list[SkuRow]:
    """Every vendor SKU with its mapping status and license totals (one query). ``status`` filters."""
    mapped, suggested = aliased(Product), aliased(Product)
    usage = (db.select(LicenseCount.sku_id, func.count(LicenseCount.id).label("customers"),
                       func.sum(LicenseCount.quantity).label("licenses"))
             .join(VendorCustomer, VendorCustomer.id == LicenseCount.vendor_customer_id)
             .where(VendorCustomer.detached_at.is_(None), LicenseCount.quantity > 0)
             .group_by(LicenseCount.sku_id).subquery())
    query = (db.select(VendorSku, VendorIntegration.slug, mapped.code, mapped.name, suggested.id,
                       usage.c.customers, usage.c.licenses)
             .join(VendorIntegration, VendorIntegration.id == VendorSku.integration_id)
             .outerjoin(mapped, mapped.id == VendorSku.product_id)
             .outerjoin(suggested, func.lower(suggested.code) == func.lower(VendorSku.suggested_product_code))
             .outerjoin(usage, usage.c.sku_id == VendorSku.id)
             .order_by(VendorIntegration.slug, VendorSku.sku))
    if integration_id is not None:
        query = query.where(VendorSku.integration_id == integration_id)
    rows = [SkuRow(s.id, s.integration_id, slug, s.sku, s.name, s.unit, s.billable, s.suggested_product_code,
                   sugg_id, s.product_id, code, name, customers or 0, Decimal(licenses or ZERO))
            for s, slug, code, name, sugg_id, customers, licenses in db.session.execute(query).all()]
    return [r for r in rows if status is None or r.status == status]


def count_skus_without_product(integration_id: int | None = None) -> int:
    """How many SKUs are ``unmapped`` or ``suggested`` (``SkuRow.status``: billable, no product yet), counted by
    the database without the license totals ``list_skus`` adds up."""
    query = (db.select(func.count()).select_from(VendorSku)
             .where(VendorSku.product_id.is_(None), VendorSku.billable.is_(True)))
    if integration_id is not None:
        query = query.where(VendorSku.integration_id == integration_id)
    return db.session.execute(query).scalar_one()


def unmapped_skus(integration_id: int | None = None) -> list[SkuRow]:
    """SKUs without a product (billable ones first): what an admin still has to map."""
    rows = [r for r in list_skus(integration_id) if r.product_id is None]
    return sorted(rows, key=lambda r: (not r.billable, -r.licenses, r.vendor, r.sku))


def map_sku(sku_id: int, product_id: int | None, actor: Actor, *, commit: bool = True) -> VendorSku:
    """Confirm or change the product of a SKU (None unmaps it); the affected vendor lines follow. Commits."""
    sku = validate.existing(VendorSku, sku_id, "sku_id")
    product = validate.existing(Product, product_id, "product_id") if product_id is not None else None
    new = product.id if product else None
    old = sku.product_id
    if old == new:
        return sku
    if product is not None:
        _check_one_unit(sku, product)
    sku.product_id = new
    record(actor, "sku.map" if new else "sku.unmap", "vendor_sku", sku.id, field="product_id", old=old, new=new,
           integration_id=sku.integration_id,
           details={"sku": sku.sku, "product": product.code if product else None,
                    "suggested_product_code": sku.suggested_product_code})
    db.session.flush()
    products = {p for p in (old, new) if p is not None}
    recalculate_lines(vendor_lines_of(sku.integration_id, product_ids=products), Trigger("sku_mapping", actor))
    if commit:
        db.session.commit()
    return sku


def _check_one_unit(sku: VendorSku, product: Product) -> None:
    """A product counts one unit: a SKU of another unit mapped to it would have a line add gigabytes to seats
    (and bill them at one price). Raises a BillingError naming ``product_id``."""
    other = db.session.execute(
        db.select(VendorSku.sku, VendorSku.unit, VendorIntegration.slug)
        .join(VendorIntegration, VendorIntegration.id == VendorSku.integration_id)
        .where(VendorSku.product_id == product.id, VendorSku.id != sku.id, VendorSku.unit != sku.unit)
        .order_by(VendorSku.id).limit(1)).first()
    if other is not None:
        raise BillingError(f"product {product.code} counts {other.unit} (SKU {other.sku} at {other.slug}); SKU "
                           f"{sku.sku} counts {sku.unit}: map it to a product of its own unit", "product_id")


def accept_suggestions(sku_ids, actor: Actor) -> list[VendorSku]:
    """Map each SKU to the existing product its plugin suggested. All or nothing; names the SKU at fault."""
    rows = {r.sku_id: r for r in list_skus()}
    plan = []
    for sku_id in sku_ids:
        row = rows.get(validate.integer(sku_id, "sku_ids", minimum=1))
        if row is None:
            raise BillingError(f"sku_ids: no vendor SKU with id {sku_id}", "sku_ids")
        if row.suggested_product_id is None:
            raise BillingError(f"SKU {row.sku!r} has no suggested product in the catalog "
                               f"(suggested code: {row.suggested_product_code or 'none'})", "sku_ids")
        plan.append((row.sku_id, row.suggested_product_id))
    mapped = [map_sku(sku_id, product_id, actor, commit=False) for sku_id, product_id in plan]
    db.session.commit()
    return mapped


def create_product_from_sku(sku_id: int, unit_price: Any, actor: Actor, *, unit_cost: Any = "0",
                            code: str | None = None, name: str | None = None) -> Product:
    """One step: a product from the plugin's suggestion (code, name) and the mapping of the SKU to it."""
    sku = validate.existing(VendorSku, sku_id, "sku_id")
    product = create_product(code or sku.suggested_product_code or sku.sku, name or sku.name or sku.sku,
                             unit_price, actor, unit_cost=unit_cost)
    map_sku(sku.id, product.id, actor)
    return product


def set_sku_billable(sku_id: int, billable: bool, actor: Actor) -> VendorSku:
    """Mark a SKU billable or not (informational SKUs are not unbilled money in the usage report)."""
    sku = validate.existing(VendorSku, sku_id, "sku_id")
    billable = validate.boolean(billable, "billable")
    if sku.billable != billable:
        record(actor, "sku.billable", "vendor_sku", sku.id, field="billable", old=sku.billable, new=billable,
               integration_id=sku.integration_id, details={"sku": sku.sku})
        sku.billable = billable
    db.session.commit()
    return sku
